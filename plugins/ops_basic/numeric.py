"""Numerical helpers PyTorch composes from other operators: diff, trapezoid (trapz),
cumulative_trapezoid, cov, corrcoef, cartesian_prod, combinations, diagflat, vander, mvlgamma,
and the scatter-into-a-copy family (select_scatter, slice_scatter, diagonal_scatter) with
narrow_copy; the distances are in `distances`.
Each is one function written in operations that raw arrays and tensors both offer
(`composite`): the kernel runs it on arrays, the backward rule differentiates it on tensors.
A kernel casts its arrays to PyTorch's result dtype first, since NumPy promotes otherwise."""
import itertools
import math
import warnings

import numpy as np

import loom
from loom.plugin import (ErrorInput, SampleInput, apply_op, composite, dtype_of, is_tensor, op,
                         promote_arrays, sample_calls, xp_of)


def _dt(x):  # the loom dtype of an array or a tensor
    return x.dtype if is_tensor(x) else dtype_of(x)


def _is(x, kind):  # kind "b" bool, "iu" integral, "c" complex, of an array or tensor
    return _dt(x).np.kind in kind


def _to(x, dtype):  # `x` as loom dtype `dtype`
    return x.to(dtype) if is_tensor(x) else x.astype(dtype.np, copy=False)


def _floating(x):  # integral and bool values as the default float
    return _to(x, loom.get_default_dtype()) if _is(x, "biu") else x


def _copy(x):
    return x.clone() if is_tensor(x) else x.copy()


def _narrow(x, d, start, length):
    return apply_op("narrow", x, d, start, length)


def _dim(d, ndim):
    if not -ndim <= d < max(ndim, 1):
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[{-max(ndim, 1)}, {max(ndim, 1) - 1}], but got {d})")
    return d % max(ndim, 1)


# ---- diff -----------------------------------------------------------------------------------

def _diff_prepare(input, n=1, dim=-1, prepend=None, append=None):
    ends = []
    for name, t in (("prepend", prepend), ("append", append)):
        if t is not None and not is_tensor(t):
            raise TypeError(f"diff(): argument '{name}' must be Tensor, not {type(t).__name__}")
        ends += [t] if t is not None else []
    return (input, *ends, n, dim, prepend is not None, append is not None)


def _diff(*ts, n=1, dim=-1, pre=False, app=False):
    x = ts[0]
    if x.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    if any(t.ndim != x.ndim for t in ts[1:]):
        raise RuntimeError("diff expects prepend or append to be the same dimension as input")
    d = _dim(dim, x.ndim)
    if pre or app:
        x = apply_op("cat", *([ts[1]] if pre else []), x, *([ts[-1]] if app else []), dim=d)
    elif n == 0:
        return _copy(x)
    for _ in range(n):
        if x.shape[d] == 0:
            break
        size = x.shape[d] - 1
        a, b = _narrow(x, d, 1, size), _narrow(x, d, 0, size)
        x = (a != b) if _is(x, "b") else a - b
    return x


def _diff_parse(n=1, dim=-1, pre=False, app=False):
    return {"n": n, "dim": dim, "pre": pre, "app": app}


# ---- trapezoid, cumulative_trapezoid ---------------------------------------------------------

_NO_X = object()  # trapezoid(y) without x: x=None given is PyTorch's TypeError


def _trapezoid_prepare(who):
    def prepare(y, x=_NO_X, *, dx=None, dim=-1):
        if x is not _NO_X and not is_tensor(x):
            raise TypeError(f"{who}() received an invalid combination of arguments - got "
                            f"(Tensor, {type(x).__name__}), but expected (Tensor y, Tensor x, "
                            f"*, int dim) or (Tensor y, *, Number dx, int dim)")
        if x is not _NO_X and dx is not None:
            raise TypeError(f"{who}() received an invalid combination of arguments: x and dx")
        return (y, *([x] if x is not _NO_X else []), dx, dim)
    return prepare


def _trapezoid_parse(dx=None, dim=-1):
    return {"dx": dx, "dim": dim}


def _trapezoid_parts(ts, dim, who):
    """(spacings or None, y[1:] + y[:-1], y, dim) in the inputs' promoted dtype (integers
    wrap as PyTorch's do)."""
    if any(_is(t, "b") for t in ts):
        raise RuntimeError(f"{who}: received a bool input for `x` or `y`, but bool is not "
                           f"supported")
    if len(ts) > 1 and not is_tensor(ts[0]):
        ts = promote_arrays(*ts)
    y = ts[0]
    if y.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    d = _dim(dim, y.ndim)
    n = y.shape[d]
    sums = _narrow(y, d, min(n, 1), max(n - 1, 0)) + _narrow(y, d, 0, max(n - 1, 0))
    if len(ts) == 1:
        return None, sums, y, d
    x = ts[1]
    if x.ndim == 1:
        if x.shape[0] != n:
            raise RuntimeError(f"{who}: There must be one `x` value for each sample point")
        x = x.reshape(tuple(n if i == d else 1 for i in range(y.ndim)))
    elif x.ndim < y.ndim:  # x broadcasts to y's shape
        shape = tuple(loom.broadcast_shapes(tuple(x.shape), tuple(y.shape)))
        x = x.expand(shape) if is_tensor(x) else xp_of(x).broadcast_to(x, shape)
    xd = d - y.ndim  # counted from the end: x may have more dims than y
    m = x.shape[xd]
    spacing = _narrow(x, xd, min(m, 1), max(m - 1, 0)) - _narrow(x, xd, 0, max(m - 1, 0))
    tuple(loom.broadcast_shapes(tuple(spacing.shape), tuple(sums.shape)))  # PyTorch's error
    return spacing, sums, y, d


# PyTorch's formulas (sums of halves, or the sum less half the ends), whose roundings and
# infinities these follow
def _trapezoid(*ts, dx=None, dim=-1):
    y = ts[0]
    if y.ndim and y.shape[_dim(dim, y.ndim)] == 0:  # no samples: zeros, before any check
        return _to(apply_op("sum", y, _dim(dim, y.ndim)) * 0, _dt(y))
    spacing, sums, y, d = _trapezoid_parts(ts, dim, "trapezoid")
    if spacing is not None:
        return apply_op("sum", _floating(spacing * sums) / 2, d)
    n = y.shape[d]  # the two ends, summed over their dim of one (select's rule wants arrays)
    ends = _floating(apply_op("sum", _narrow(y, d, 0, 1) + _narrow(y, d, n - 1, 1), d))
    out = _floating(apply_op("sum", y, d)) - ends * 0.5
    return out * dx if dx is not None else out


def _cumulative_trapezoid(*ts, dx=None, dim=-1):
    spacing, sums, y, d = _trapezoid_parts(ts, dim, "cumulative_trapezoid")
    if spacing is not None:
        return _floating(apply_op("cumsum", sums * spacing, d)) / 2
    return apply_op("cumsum", (1.0 if dx is None else dx) / 2 * _floating(sums), d)


# ---- cov, corrcoef ---------------------------------------------------------------------------

def _cov_prepare(input, *, correction=1, fweights=None, aweights=None):
    for name, w in (("fweights", fweights), ("aweights", aweights)):
        if w is not None and not is_tensor(w):
            raise TypeError(f"cov(): argument '{name}' must be Tensor, not {type(w).__name__}")
    return (input, *[w for w in (fweights, aweights) if w is not None], correction,
            fweights is not None, aweights is not None)


def _cov_parse(correction=1, fw=False, aw=False):
    return {"correction": correction, "fw": fw, "aw": aw}


def _check_weights(name, w, n, integral):
    if w.ndim > 1:
        raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but got "
                           f"{name} with {w.ndim} dimensions")
    if w.size != n:
        raise RuntimeError(f"cov(): expected {name} to have the same numel as there are "
                           f"observations in the input but got {w.size} != {n}")
    if integral and not _is(w, "iu"):
        raise RuntimeError(f"cov(): expected fweights to have integral dtype but got fweights "
                           f"with {_dt(w).name.capitalize()} dtype")
    if not integral and not _is(w, "f"):
        raise RuntimeError(f"cov(): expected aweights to have floating point dtype but got "
                           f"aweights with {_dt(w)} dtype")


def _cov(*ts, correction=1, fw=False, aw=False):
    x = ts[0]
    if x.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an "
                           f"input with {x.ndim} dimensions")
    if _is(x, "b"):
        raise RuntimeError("cov(): bool dtype is not supported for input")
    x = _floating(x).reshape(x.shape if x.ndim == 2 else (1, -1))
    n = x.shape[1]
    f = ts[1] if fw else None
    a = ts[1 + fw] if aw else None
    raw = not is_tensor(x)
    w = None
    if f is not None:
        if raw:
            _check_weights("fweights", f, n, True)
            if (f < 0).any():
                raise RuntimeError("cov(): fweights cannot be negative")
        w = f
    if a is not None:
        if raw:
            _check_weights("aweights", a, n, False)
            if (a < 0).any():
                raise RuntimeError("cov(): aweights cannot be negative")
        w = a if w is None else w * a
    real = loom.float64 if _dt(x) == loom.complex128 else \
        loom.float32 if _dt(x) == loom.complex64 else _dt(x)
    if w is None:
        w_sum = n
        avg = apply_op("mean", x, 1)
        norm = n - correction
    else:
        w = _to(w, real) if raw else w
        a = _to(a, real) if raw and a is not None else a
        w_sum = apply_op("sum", w, None)
        avg = apply_op("sum", x * w, 1) / w_sum
        norm = w_sum - (correction * apply_op("sum", w * a, None) / w_sum if a is not None
                        else correction)
    if raw and float(norm) <= 0:
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less "
                      "than the number of observations.", UserWarning, stacklevel=2)
    if float(norm) <= 0:
        norm = norm * 0
    xm = x - avg.reshape(-1, 1)
    xw = xm if w is None else xm * w
    c = (xw @ (xm.conj() if _is(xm, "c") else xm).T) / norm
    return c.reshape(()) if c.shape[0] == 1 else c


def _clip(x, lo, hi):
    return x.clamp(lo, hi) if is_tensor(x) else xp_of(x).clip(x, lo, hi)


def _corrcoef(x):
    c = _cov(x)
    if c.ndim == 0:
        return c / c
    d = apply_op("diagonal", c, 0, 0, 1)
    std = (d.real if _is(d, "c") else d) ** 0.5
    c = c / std.reshape(-1, 1)
    c = c / std.reshape(1, -1)
    if _is(c, "c"):
        return apply_op("complex", _clip(c.real, -1, 1), _clip(c.imag, -1, 1))
    return _clip(c, -1, 1)


# ---- cartesian_prod, combinations, diagflat, vander ------------------------------------------

def _vector(x):
    if x.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(x.shape)}")


def _cartesian_prod(*ts):
    for t in ts:
        _vector(t)
    if any(_dt(t) != _dt(ts[0]) for t in ts):
        raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    if len(ts) == 1:
        return _copy(ts[0])
    idx = np.indices([t.shape[0] for t in ts]).reshape(len(ts), -1)
    return apply_op("stack", *(t[i] for t, i in zip(ts, idx)), dim=1)


def _combinations(x, r=2, with_replacement=False):
    _vector(x)
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return x[:0]
    pick = itertools.combinations_with_replacement if with_replacement else \
        itertools.combinations
    idx = np.array(list(pick(range(x.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    return x[idx]


def _diagflat(x, offset=0):
    return apply_op("diag", x.reshape(-1), offset)


def _vander(x, N=None, increasing=False):
    if x.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    if N is None:
        N = x.shape[0]
    if N < 0:
        raise RuntimeError("N must be non-negative.")
    if _is(x, "biu"):
        x = _to(x, loom.int64)
    if N == 0:
        return x[:, None][:, :0]
    col = x[:, None]
    # ones made as ones: col * 0 + 1 would be NaN at an infinity
    ones = loom.ones_like(col) if is_tensor(col) else xp_of(col).ones_like(col)
    if N == 1:
        return ones
    powers = apply_op("cumprod", apply_op("cat", ones, *[col] * (N - 1), dim=1), 1)
    return powers if increasing else apply_op("flip", powers, [1])


def _mvlgamma(x, p):
    if _is(x, "b"):
        raise RuntimeError("The input tensor may not be a boolean tensor.")
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    x = _floating(x)
    out = apply_op("lgamma", x) + p * (p - 1) / 4 * math.log(math.pi)
    for j in range(1, p):
        out = out + apply_op("lgamma", _array(x - j / 2))
    return _array(out)


def _array(v):  # NumPy's arithmetic on 0-dim arrays gives scalars: arrays again
    return np.asarray(v) if isinstance(v, np.generic) else v


def _into(x, key, src, view_shape):
    """A copy of `x` with `src` written at `key` (whose view has `view_shape`)."""
    if tuple(src.shape) != tuple(view_shape):
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{list(src.shape)}, slice size = {list(view_shape)}")
    out = _copy(x)
    out[key] = _to(src, _dt(x)) if _dt(src) != _dt(x) else src
    return out


def _select_scatter(x, src, dim, index):
    d = _dim(dim, x.ndim)
    if not -x.shape[d] <= index < x.shape[d]:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(x.shape)} at dimension {d}")
    key = (slice(None),) * d + (index,)
    return _into(x, key, src, tuple(x[key].shape))


def _slice_scatter(x, src, dim=0, start=None, end=None, step=1):
    d = _dim(dim, x.ndim)
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    key = (slice(None),) * d + (slice(start, end, step),)
    return _into(x, key, src, tuple(x[key].shape))


def _diagonal_scatter(x, src, offset=0, dim1=0, dim2=1):
    d1, d2 = _dim(dim1, x.ndim), _dim(dim2, x.ndim)
    view = apply_op("diagonal", x, offset, d1, d2)
    n = view.shape[-1]
    rows = np.arange(n) + max(-offset, 0)
    cols = np.arange(n) + max(offset, 0)
    key = [slice(None)] * x.ndim
    key[d1], key[d2] = rows, cols
    # advanced indices on two dims: the diagonal lands where NumPy's and PyTorch's indexing put
    # it (at the first of them when they are adjacent, else in front); src holds it last
    at = min(d1, d2) if abs(d1 - d2) == 1 else 0
    if tuple(src.shape) != tuple(view.shape):
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{list(src.shape)}, slice size = {list(view.shape)}")
    moved = apply_op("movedim", src, -1, at) if src.ndim > 1 else src
    out = _copy(x)
    out[tuple(key)] = _to(moved, _dt(x)) if _dt(src) != _dt(x) else moved
    return out


def _narrow_copy(x, dim, start, length):
    return _copy(_narrow(x, dim, start, length))


_K = {name: composite(f, n) for name, f, n in (
    ("diff", _diff, None), ("trapezoid", _trapezoid, None),
    ("cumulative_trapezoid", _cumulative_trapezoid, None), ("cov", _cov, None),
    ("corrcoef", _corrcoef, 1), ("cartesian_prod", _cartesian_prod, None),
    ("combinations", _combinations, 1), ("diagflat", _diagflat, 1), ("vander", _vander, 1),
    ("mvlgamma", _mvlgamma, 1), ("select_scatter", _select_scatter, 2),
    ("slice_scatter", _slice_scatter, 2),
    ("diagonal_scatter", _diagonal_scatter, 2), ("narrow_copy", _narrow_copy, 1))}


def _composite(name, doc, n=1, table=None, **fields):
    kernel, backward = (_K if table is None else table)[name]
    if n is None:
        fields.update(variadic=True, save_inputs=tuple(range(4)))
    else:
        fields.update(inputs=n, save_inputs=tuple(range(n)))
    fields.setdefault("methods", ())
    return op(name, kernel, backward=backward, doc=doc, takes_complex_grad=True, **fields)


def _arrays(rng, dt, *shapes):
    return [rng.standard_normal(s).astype(dt) for s in shapes]


OPS = [
    _composite("diff", "The n-th forward difference along `dim` (`prepend`/`append` joined "
               "first; bool values by logical xor).", n=None, methods=("diff",),
               prepare=_diff_prepare, parse=_diff_parse,
               samples=lambda rng, dt: [
                   SampleInput((*_arrays(rng, dt, (5,)),)),
                   SampleInput((*_arrays(rng, dt, (3, 4)), 2, 0)),
                   SampleInput((*_arrays(rng, dt, (3, 4)),),
                               {"dim": 1, "prepend": rng.standard_normal((3, 1)).astype(dt),
                                "append": rng.standard_normal((3, 2)).astype(dt)}),
                   SampleInput((*_arrays(rng, dt, (4,)), 5))]),
    _composite("trapezoid", "The trapezoidal rule along `dim`, with sample points `x` or a "
               "constant spacing `dx`.", n=None, aliases=("trapz",),
               prepare=_trapezoid_prepare("trapezoid"), parse=_trapezoid_parse,
               samples=lambda rng, dt: [
                   SampleInput((*_arrays(rng, dt, (5,)),), rtol=1e-4, atol=1e-5),
                   SampleInput((*_arrays(rng, dt, (3, 4), (4,)),), rtol=1e-4, atol=1e-5),
                   SampleInput((*_arrays(rng, dt, (3, 4), (3, 4)),), {"dim": 0}, rtol=1e-4,
                               atol=1e-5),
                   SampleInput((*_arrays(rng, dt, (3, 4)),), {"dx": 0.5}, rtol=1e-4,
                               atol=1e-5)]),
    _composite("cumulative_trapezoid", "The running trapezoidal rule along `dim`.", n=None,
               prepare=_trapezoid_prepare("cumulative_trapezoid"), parse=_trapezoid_parse,
               samples=lambda rng, dt: [
                   SampleInput((*_arrays(rng, dt, (5,)),), rtol=1e-4, atol=1e-5),
                   SampleInput((*_arrays(rng, dt, (3, 4), (4,)),), rtol=1e-4, atol=1e-5),
                   SampleInput((*_arrays(rng, dt, (3, 4)),), {"dx": 2.0, "dim": 0},
                               rtol=1e-4, atol=1e-5)]),
    _composite("cov", "The covariance of the rows' variables over the columns' observations "
               "(`correction`, frequency and analytic weights).", n=None, methods=("cov",),
               prepare=_cov_prepare, parse=_cov_parse, samples=lambda rng, dt: [
                   SampleInput((*_arrays(rng, dt, (3, 5)),), rtol=1e-4, atol=1e-5),
                   SampleInput((*_arrays(rng, dt, (5,)),), {"correction": 0}, rtol=1e-4,
                               atol=1e-5),
                   SampleInput((*_arrays(rng, dt, (2, 4)),),
                               {"fweights": np.array([1, 2, 1, 3]),
                                "aweights": rng.uniform(0.5, 2, 4).astype(dt)},
                               rtol=1e-4, atol=1e-5)]),
    _composite("corrcoef", "Pearson's correlation coefficients of the rows' variables.",
               methods=("corrcoef",), samples=sample_calls(((3, 5),), ((2, 6),), rtol=1e-4,
                                                           atol=1e-5)),
    _composite("select_scatter", "A copy of `input` with `src` written at index `index` of "
               "`dim`.", n=2, methods=("select_scatter",), samples=sample_calls(
                   ((3, 4), (4,), 0, 1), ((3, 4), (3,), 1, -1), inputs=2)),
    _composite("slice_scatter", "A copy of `input` with `src` written over the slice "
               "`start:end:step` of `dim`.", n=2, methods=("slice_scatter",),
               samples=sample_calls(((6, 4), (2, 4), 0, 4), ((4, 6), (4, 2), 1, 1, 5, 2),
                                    ((5,), (2,), 0, None, 2), inputs=2)),
    _composite("diagonal_scatter", "A copy of `input` with `src` written on its diagonal "
               "`offset` of `dim1`, `dim2`.", n=2, methods=("diagonal_scatter",),
               samples=sample_calls(((3, 3), (3,)), ((3, 4), (3,), 1),
                                    ((2, 3, 4), (3, 2), 0, 0, 2), ((2, 3, 3), (2, 2), -1, 1, 2),
                                    inputs=2)),
    _composite("narrow_copy", "`narrow`, copied.", methods=("narrow_copy",),
               samples=sample_calls(((4, 3), 0, 1, 2), ((4, 3), -1, 0, 1))),
    _composite("cartesian_prod", "The Cartesian product of 1-D tensors, one row a "
               "combination.", n=None, samples=lambda rng, dt: [
                   SampleInput(tuple(_arrays(rng, dt, (3,), (2,)))),
                   SampleInput(tuple(_arrays(rng, dt, (2,), (2,), (3,))))]),
    _composite("combinations", "The length-`r` combinations of a 1-D tensor's elements, as "
               "rows.", samples=sample_calls(((4,),), ((4,), 3), ((3,), 2, True))),
    _composite("diagflat", "A 2-D tensor with the flattened input on diagonal `offset`.",
               methods=("diagflat",), samples=sample_calls(((3,),), ((2, 2), 1), ((3,), -1))),
    _composite("mvlgamma", "The multivariate log-gamma function of dimension `p`.",
               methods=("mvlgamma",), functions=("mvlgamma", "special.multigammaln"),
               inplace="mvlgamma_", samples=sample_calls(
                   (np.array([2.5, 3.1, 4.0]), 2), (np.array([[1.7, 2.2], [3.0, 5.5]]), 3),
                   (np.array([0.7, 1.5]), 1), rtol=1e-4, atol=1e-5),
               error_samples=lambda rng: [ErrorInput((np.array([2.5]), 0),
                                                     match="greater than or equal to 1")]),
    _composite("vander", "The Vandermonde matrix of a 1-D tensor (decreasing powers unless "
               "`increasing`).", samples=sample_calls(((4,),), ((3,), 5, True), ((3,), 1),
                                                     grad=False,
                                    note="PyTorch's own vander gradient fails (an in-place "
                                         "cumprod); loom's is checked by gradcheck in tests"),
               error_samples=lambda rng: [ErrorInput((np.ones((2, 2)),), match="one-dimensional")]),
]
