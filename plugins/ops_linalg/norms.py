"""Norms and what is built on them: vector_norm, matrix_norm, norm, cond, matrix_rank. Each is
PyTorch's own composition of other operators, written once (`composite`): the kernel runs it on
arrays, the backward rule differentiates the same composition on tensors."""
import math

import numpy as np

from loom.plugin import ErrorInput, SampleInput, is_tensor, op, sample_calls

from .common import composite, floating, matrix, op_, svd_of


def _vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    if not is_tensor(x):  # on arrays (the rule re-runs this on tensors, already checked)
        floating("linalg.vector_norm", x)
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: Expected a number as ord, got '{ord}'")
    return op_("norm", x, float(ord), dim, keepdim, dtype=dtype)


def _dims(dim, ndim, name):
    if len(dim) != 2:
        raise RuntimeError(f"{name}: dim must be a 2-tuple. Got " + " ".join(map(str, dim)))
    d = tuple(k % ndim for k in dim)
    if d[0] == d[1]:
        raise RuntimeError(f"{name}: dims must be different. Got ({dim[0]}, {dim[1]})")
    return d


def _moved(a, d):
    return op_("movedim", a, d, (-2, -1))


def _matrix_norm(a, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    name = "linalg.matrix_norm"
    matrix(name, a)
    if not is_tensor(a):
        floating(name, a)
    d = _dims(tuple(dim), a.ndim, name)
    if ord in ("fro", "nuc"):
        if ord == "fro":
            return op_("norm", a, 2.0, d, keepdim, dtype=dtype)
        s = op_("linalg_svdvals", _moved(a, d))
        r = op_("sum", s, -1, False)
    elif ord in (2, -2, 2.0, -2.0):
        s = op_("linalg_svdvals", _moved(a, d))
        r = op_("amax" if ord > 0 else "amin", s, -1, False)
    elif ord in (1, -1, math.inf, -math.inf):
        over, keep = (d[0], d[1]) if abs(ord) == 1 else (d[1], d[0])
        sums = op_("sum", op_("abs", a), over, True)
        r = op_("amax" if ord > 0 else "amin", sums, keep, True)
        r = op_("squeeze", op_("squeeze", r, max(d)), min(d)) if not keepdim else r
        return r
    else:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if keepdim:
        r = op_("unsqueeze", op_("unsqueeze", r, min(d)), max(d))
    return r


def _norm(a, ord=None, dim=None, keepdim=False, *, dtype=None):
    if isinstance(dim, int):
        dim = (dim,)
    if ord is None:
        return op_("norm", a, 2.0, dim, keepdim, dtype=dtype) if dim is not None or \
            a.ndim != 2 else _matrix_norm(a, "fro", (-2, -1), keepdim, dtype=dtype)
    if (dim is not None and len(dim) == 2) or (dim is None and a.ndim == 2):
        return _matrix_norm(a, ord, dim if dim is not None else (-2, -1), keepdim, dtype=dtype)
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must "
                           f"be 1D or 2D. Got {a.ndim}D.")
    if dim is None and a.ndim != 1:
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must "
                           f"be 1D or 2D. Got {a.ndim}D.")
    return _vector_norm(a, ord, dim, keepdim, dtype=dtype)


def _cond(a, p=None):
    name = "linalg.cond"
    matrix(name, a)
    if not is_tensor(a):
        floating(name, a)
    if p in (None, 2, -2, 2.0, -2.0):
        s = op_("linalg_svdvals", a)
        big, small = op_("amax", s, -1, False), op_("amin", s, -1, False)
        return big / small if p in (None, 2, 2.0) else small / big
    return _matrix_norm(a, p) * _matrix_norm(op_("linalg_inv", a), p)


_VN_K, _VN_B = composite(_vector_norm, 1)
_MN_K, _MN_B = composite(_matrix_norm, 1)
_N_K, _N_B = composite(_norm, 1)
_C_K, _C_B = composite(_cond, 1)


def _matrix_rank(xp, a, tol=None, hermitian=False, *, atol=None, rtol=None):
    matrix("linalg.matrix_rank", a)
    floating("linalg.matrix_rank", a)
    if tol is not None:
        atol, rtol = tol, 0.0
    s = xp.abs(xp.linalg.eigvalsh(a)) if hermitian else \
        svd_of(xp, a, lambda m: xp.linalg.svd(m, compute_uv=False))
    smax = s.max(axis=-1, keepdims=True) if s.shape[-1] else xp.zeros(s.shape[:-1] + (1,),
                                                                      s.dtype)
    eps = np.finfo(s.dtype).eps
    if rtol is None:
        rtol = 0.0 if atol is not None and atol > 0 else eps * max(a.shape[-2:])
    cut = xp.maximum(atol if atol is not None else 0.0, rtol * smax)
    return (s > cut).sum(axis=-1).astype(np.int64)


def _samples(calls):
    return sample_calls(*calls, rtol=1e-4, atol=1e-5)


OPS = [
    op("linalg_vector_norm", _VN_K, backward=_VN_B, save_inputs=(0,), methods=(),
       functions=("linalg.vector_norm",), torch_name="linalg.vector_norm", takes_complex_grad=True,
       samples=_samples((((3, 4),), ((3, 4), 1, -1), ((2, 3, 4), 3.0, (0, 2), True),
                         ((3, 4), math.inf), ((4,), 0.5))),
       error_samples=lambda rng: [ErrorInput((np.ones(3, np.int64),),
                                             match="Expected a floating point")],
       doc="The vector `ord`-norm (2 by default; inf, -inf, 0 and any real) of all elements "
           "or over `dim`, in `dtype` if given."),
    op("linalg_matrix_norm", _MN_K, backward=_MN_B, save_inputs=(0,), methods=(),
       functions=("linalg.matrix_norm",), torch_name="linalg.matrix_norm", takes_complex_grad=True,
       samples=_samples((((3, 4),), ((2, 3, 4), "nuc"), ((3, 4), 2), ((3, 4), -2),
                         ((2, 3, 4), 1, (0, 2), True), ((3, 4), -math.inf),
                         ((3, 4), math.inf, (-1, -2))))
       , error_samples=lambda rng: [ErrorInput((np.ones(3),), match="at least 2 dimensions"),
                                    ErrorInput((np.ones((2, 2)), 3), match="Order 3")],
       doc="Matrix norm over the two dims `dim`: 'fro', 'nuc', 2 / -2 (largest / smallest "
           "singular value), 1 / -1 (column sums), inf / -inf (row sums)."),
    op("linalg_norm", _N_K, backward=_N_B, save_inputs=(0,), methods=(),
       functions=("linalg.norm",), torch_name="linalg.norm", takes_complex_grad=True,
       samples=_samples((((3, 4),), ((5,), 3.0), ((3, 4), "nuc"), ((2, 3, 4),),
                         ((2, 3, 4), 2, (1, 2)), ((2, 3, 4), 1, 1))),
       doc="`linalg.vector_norm` or `linalg.matrix_norm`, chosen by `ord` and `dim` as "
           "PyTorch does (a 2-D input with no dim is a matrix)."),
    op("linalg_cond", _C_K, backward=_C_B, save_inputs=(0,), methods=(),
       functions=("linalg.cond",), torch_name="linalg.cond", takes_complex_grad=True,
       # PyTorch's own backward of cond for p other than +-2 fails (an in-place inverse), so
       # those are compared forward only
       samples=lambda rng, dt: [SampleInput(((rng.standard_normal((3, 3)) + 3 * np.eye(3))
                                             .astype(dt),) + p, rtol=1e-4, atol=1e-5,
                                            grad=p in ((), (-2,)))
                                for p in ((), (1,), ("fro",), (-2,))],
       doc="The condition number of a matrix in norm `p` (2 by default: the ratio of the "
           "extreme singular values)."),
    op("linalg_matrix_rank", _matrix_rank, methods=(), functions=("linalg.matrix_rank",),
       torch_name="linalg.matrix_rank", differentiable=False,
       samples=lambda rng, dt: [SampleInput((np.array([[1.0, 2.0], [2.0, 4.0]]),), grad=False),
                                SampleInput((rng.standard_normal((2, 3, 4)).astype(dt),),
                                            grad=False)],
       doc="The number of singular values above max(atol, rtol * the largest) per matrix."),
]
