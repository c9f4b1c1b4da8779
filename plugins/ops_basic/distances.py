"""Distances and norms of slices, written as `numeric`'s composites: cdist, pdist,
pairwise_distance, cosine_similarity and renorm. Where a distance or norm is zero its
gradient is zero, as PyTorch's rules give (a plain ``sqrt`` would make it infinite)."""
import numpy as np

import loom
from loom.plugin import apply_op, composite, is_tensor, promote_arrays, sample_calls, xp_of

from .numeric import _composite, _copy, _dim, _dt, _floating, _is, _to


def _numel(x):
    return x.numel() if is_tensor(x) else x.size


def _cdist(x1, x2, p=2.0, compute_mode=None):
    if not is_tensor(x1):
        if _dt(x1).name in ("float16", "bfloat16"):
            raise NotImplementedError(f'"cdist" not implemented for \'{_scalar(x1)}\'')
        for name, x in (("X1", x1), ("X2", x2)):
            if not _is(x, "f"):
                raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                                   f"{_scalar(x)}")
        for name, x in (("X1", x1), ("X2", x2)):
            if x.ndim < 2:
                raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: "
                                   f"{x.ndim}D")
        if x1.shape[-1] != x2.shape[-1]:
            raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                               f"{x1.shape[-1]} X2: {x2.shape[-1]}")
        if p < 0:
            raise RuntimeError("cdist only supports non-negative p values")
        if x1.dtype != x2.dtype:
            raise RuntimeError(f"expected scalar type {_scalar(x1)} but found {_scalar(x2)}")
    return _pnorm(x1[..., :, None, :] - x2[..., None, :, :], p)


def _pnorm(diff, p, dim=-1, keepdim=False):
    """The p-norm of `diff` along `dim`, with a zero gradient where it is zero (where two
    points coincide), as PyTorch's distance functions give."""
    xp = xp_of(diff)
    if p == 0:
        return apply_op("sum", _to(diff != 0, _dt(diff)), dim, keepdim)
    a = abs(diff)
    if p == float("inf"):
        return apply_op("amax", a, dim, keepdim) if diff.shape[dim] else \
            apply_op("sum", a, dim, keepdim)
    if p == 1:
        return apply_op("sum", a, dim, keepdim)
    s = apply_op("sum", a ** p, dim, keepdim)
    zero = s == 0
    safe = xp.where(zero, 1, s)  # no infinite derivative at zero
    return xp.where(zero, 0, safe ** (1 / p))


def _broadcast_shape(a, b):
    """The broadcast shape of `a` and `b`, or PyTorch's error for a binary operation's
    operands that do not broadcast (naming the first mismatching dim from the right)."""
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    for i in range(n - 1, -1, -1):
        if a[i] != b[i] and a[i] != 1 and b[i] != 1:
            raise RuntimeError(f"The size of tensor a ({a[i]}) must match the size of tensor b "
                               f"({b[i]}) at non-singleton dimension {i}")
    return tuple(max(x, y) for x, y in zip(a, b))


def _cosine_similarity(x1, x2, dim=1, eps=1e-8):
    if not is_tensor(x1):
        x1, x2 = promote_arrays(x1, x2)
        if not _is(x1, "f"):
            raise RuntimeError(f"expected common dtype to be floating point, yet common dtype "
                               f"is {_scalar(x1)}")
    shape = _broadcast_shape(tuple(x1.shape), tuple(x2.shape))
    x1, x2 = ((x.expand(shape) if is_tensor(x) else xp_of(x).broadcast_to(x, shape))
              for x in (x1, x2))
    d = _dim(dim, len(shape))
    # PyTorch clamps the norms at eps outside autograd: the gradient flows as if unclamped
    n1, n2 = (_clamped(_pnorm(x, 2, d, True), eps) for x in (x1, x2))
    return apply_op("sum", (x1 / n1) * (x2 / n2), d)


def _clamped(n, eps):  # n raised to eps, the raise invisible to autograd
    if is_tensor(n):
        return n + (n.detach().clamp_min(eps) - n.detach())
    return xp_of(n).maximum(n, eps)


def _pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    if not is_tensor(x1):
        x1, x2 = promote_arrays(x1, x2)
        if _is(x1, "b"):
            raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                               "supported. Use the `^` or `logical_xor()` operator instead.")
        _broadcast_shape(tuple(x1.shape), tuple(x2.shape))
    diff = _floating(x1 - x2) + eps
    if diff.ndim == 0:
        return abs(diff) if p != 0 else _to(diff != 0, _dt(diff))
    return _pnorm(diff, p, -1, keepdim)


def _pdist(x, p=2.0):
    if not is_tensor(x):
        if x.ndim != 2:
            raise RuntimeError(f"pdist only supports 2D tensors, got: {x.ndim}D")
        if _dt(x).name in ("float16", "bfloat16"):
            raise NotImplementedError(f'"pdist" not implemented for \'{_scalar(x)}\'')
        if not _is(x, "f"):
            raise RuntimeError("pdist only supports floating-point dtypes")
        if p < 0:
            raise RuntimeError("pdist only supports non-negative p values")
    i, j = np.triu_indices(x.shape[0], 1)
    return _pnorm(x[i] - x[j], p)


def _scalar(x):
    return {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
            "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool", "complex64": "ComplexFloat",
            "complex128": "ComplexDouble"}.get(_dt(x).name, _dt(x).name)



def _renorm(x, p, dim, maxnorm):
    if not is_tensor(x):
        if not _is(x, "fc"):
            raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex "
                               f"tensor as input. Got {_scalar(x)}")
        if p <= 0:
            raise RuntimeError("renorm: non-positive-norm not supported")
        if maxnorm < 0:
            raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    if x.ndim < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {x.ndim} "
                           f"dimensions")
    d = _dim(dim, x.ndim)
    if not _numel(x):
        return _copy(x)
    others = tuple(i for i in range(x.ndim) if i != d)
    norm = x
    if others:
        flat = apply_op("movedim", x, d, 0).reshape(x.shape[d], -1)
        norm = _pnorm(flat, p, 1, True).reshape(tuple(x.shape[d] if i == d else 1
                                                      for i in range(x.ndim)))
    else:
        norm = abs(x)
    xp = xp_of(norm)
    factor = xp.where(norm > maxnorm, maxnorm / (norm + 1e-7), 1.0)
    return x * _to(factor, _dt(x)) if not is_tensor(factor) else x * factor


_K = {name: composite(f, n) for name, f, n in (
    ("cdist", _cdist, 2), ("cosine_similarity", _cosine_similarity, 2),
    ("pairwise_distance", _pairwise_distance, 2), ("pdist", _pdist, 1),
    ("renorm", _renorm, 1))}

def _op(name, doc, **fields):
    return _composite(name, doc, table=_K, **fields)


OPS = [
    _op("cdist", "The p-norm distances between each row of `x1` and each of `x2` "
               "(batched).", n=2, samples=sample_calls(
                   ((3, 4), (2, 4)), ((2, 3, 4), (2, 5, 4), 1.0), ((3, 2), (4, 2), 3.0),
                   ((3, 2), (4, 2), float("inf")), inputs=2, rtol=1e-4, atol=1e-5)),
    _op("cosine_similarity", "The cosine of the angle between `x1` and `x2` along "
               "`dim` (broadcasting; norms below `eps` count as `eps`).", n=2,
               samples=sample_calls(((3, 4), (3, 4)), ((2, 3), (3,), 0), ((4,), (4,), 0),
                                    inputs=2, rtol=1e-4, atol=1e-5)),
    _op("pairwise_distance", "The p-norm of ``x1 - x2 + eps`` over the last "
               "dimension.", n=2, samples=sample_calls(
                   ((3, 4), (3, 4)), ((2, 3), (3,), 1.0), ((3, 4), (1, 4), 3.0, 1e-6, True),
                   inputs=2, rtol=1e-4, atol=1e-5)),
    _op("pdist", "The p-norm distances between the rows of a matrix, each pair once "
               "(row i before row j).", samples=sample_calls(
                   ((4, 3),), ((5, 2), 1.0), ((3, 4), 3.0), rtol=1e-4, atol=1e-5)),
    _op("renorm", "Each slice along `dim` whose p-norm exceeds `maxnorm` scaled down to "
               "it.", methods=("renorm",), inplace="renorm_", samples=sample_calls(
                   ((3, 4), 2.0, 0, 1.0), ((3, 4), 1.0, 1, 2.0), ((2, 3, 2), 3.0, -1, 0.5),
                   rtol=1e-4, atol=1e-5)),
]
