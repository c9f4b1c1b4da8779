"""Counting and binning: `unique`, `unique_consecutive`, `bincount`, `histc`, `histogram`,
`searchsorted` and `bucketize`.

`_search` is PyTorch's binary search (lower or upper bound) run on every row at once: the same
comparisons in the same order, so unsorted boundaries and NaN give PyTorch's positions, not
NumPy's (whose `searchsorted` orders NaN last)."""
import math
import warnings

import numpy as np

import loom
from loom.plugin import ErrorInput, is_tensor, op, promote_arrays, sample_calls

from .arguments import int_arg, invalid_combination, one_dim
from .indexing import _tname
from .reductions import _errors, _pretty
from .selection import sort


def _refuse(name, a):  # PyTorch's NotImplementedError of a kernel without this dtype
    raise NotImplementedError(f"\"{name}\" not implemented for '{_tname(a)}'")


def _pack(v, inv, counts, return_inverse, return_counts):  # what unique returns
    out = (v,) + ((inv,) if return_inverse else ()) + ((counts,) if return_counts else ())
    return out[0] if len(out) == 1 else out


def _unique(xp, a, sorted=True, return_inverse=False, return_counts=False, dim=None):
    d = None if dim is None else one_dim(dim, a.ndim, "unique_dim")
    if a.dtype.kind == "c":
        _refuse("unique" if d is None else "unique_dim", a)
    if d is not None and a.dtype.kind == "f" and a.size and xp.isnan(a).any():
        v, inv, cnt = _unique_dim_nan(xp, a, d)  # NaN leaves no total order: PyTorch's sort
    else:
        v, inv, cnt = xp.unique(a.reshape(-1) if d is None else a, return_inverse=True,
                                return_counts=True, axis=d, equal_nan=False)
    return _pack(v, inv.reshape(a.shape if d is None else -1), cnt, return_inverse,
                 return_counts)


def _unique_dim_nan(xp, a, d):
    """unique(dim=d) of slices holding NaN as PyTorch computes it: libstdc++'s sort of the slice
    indices under a lexicographic `<` (NaN neither below nor above), then neighbours merged
    when every element is equal (a NaN never is)."""
    rows = xp.moveaxis(a, d, 0).reshape(a.shape[d], -1)
    vals = rows.tolist()

    def below(i, j):
        for x, y in zip(vals[i], vals[j]):
            if x < y:
                return True
            if x > y:
                return False
        return False
    order = list(range(len(vals)))
    sort(order, 0, len(order), below)
    s = rows[order]
    new = xp.concatenate([xp.ones(1, bool), ~(s[1:] == s[:-1]).all(1)])
    group = xp.cumsum(new) - 1
    inv = xp.empty(len(order), xp.int64)
    inv[order] = group
    v = xp.moveaxis(s[new].reshape((-1,) + tuple(xp.moveaxis(a, d, 0).shape[1:])), 0, d)
    return v, inv, xp.bincount(group)


def _unique_consecutive(xp, a, return_inverse=False, return_counts=False, dim=None):
    d, b = (0, a.reshape(-1)) if dim is None else (
        one_dim(int_arg(dim, "unique_consecutive", "dim"), a.ndim, "unique_consecutive"), a)
    if a.dtype.kind == "c":
        _refuse("unique" if dim is None else "unique_dim", a)
    r = xp.moveaxis(b, d, 0).reshape(b.shape[d], math.prod(b.shape) // max(b.shape[d], 1))
    new = xp.concatenate([xp.ones(min(len(r), 1), bool), (r[1:] != r[:-1]).any(1)])
    return _pack(xp.compress(new, b, axis=d), (xp.cumsum(new) - 1).reshape(
        a.shape if dim is None else -1), xp.diff(xp.append(xp.flatnonzero(new), len(r))),
        return_inverse, return_counts)


def _bincount_prepare(input, weights=None, minlength=0):
    if weights is not None and not is_tensor(weights):
        kind = type(weights)
        where = "" if kind.__module__ == "builtins" else kind.__module__.split(".")[0] + "."
        raise TypeError(f"bincount(): argument 'weights' must be Tensor, not "
                        f"{where}{kind.__name__}")
    return (input,) + (() if weights is None else (weights,)) + (minlength,)


def _bincount(xp, a, *w, minlength=0):  # `w`: the weights, if given
    if a.dtype.kind not in "iu":
        _refuse("bincount_cpu", a)
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if a.ndim != 1 or (a.size and a.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if w and (w[0].ndim != 1 or w[0].shape[0] != a.shape[0]):
        raise RuntimeError("weights should be 1-d and have the same length as input")
    if not w:
        return xp.bincount(a, minlength=minlength)
    # float32 weights sum in float32; every other dtype in float64 (complex: its real part)
    if w[0].dtype.kind == "c":
        warnings.warn("Casting complex values to real discards the imaginary part",
                      UserWarning, stacklevel=3)
    wt = w[0].real if w[0].dtype.kind == "c" else w[0]
    return xp.bincount(a, wt.astype(xp.float64), minlength).astype(
        w[0].dtype if w[0].dtype == xp.float32 else xp.float64)


def _g(v):  # a number as C++'s ostream writes a double in PyTorch's messages ("1", "-3.85958")
    return f"{float(v):g}"


def _histc(xp, a, bins=100, min=0, max=0):
    if a.dtype.kind != "f":
        _refuse("histogram_cpu", a)
    if min > max or bins <= 0:
        raise RuntimeError("torch.histc: max must be larger than min" if min > max else
                           f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    lo, hi = (a.min(), a.max()) if min == max and a.size else (min, max)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{_g(lo)}, {_g(hi)}] is not finite")
    return xp.histogram(a, bins, (lo - 1, hi + 1) if lo == hi else (lo, hi))[0].astype(a.dtype)


def _histogram_parse(bins=100, *, range=None, weight=None, density=False):
    if isinstance(bins, bool) or not (is_tensor(bins) or isinstance(bins, int)) or \
            range is not None and is_tensor(bins):
        raise invalid_combination("histogram", bins, *(() if range is None else (range,)))
    return dict(bins=bins, range=range, weight=weight, density=density)


def _histogram(xp, a, bins, *, range=None, weight=None, density=False):
    """PyTorch's histogramdd for one dimension: `bins` a count (equal bins over `range` or the
    data's span) or a 1-D tensor of edges, searched as PyTorch searches them."""
    edges = bins._data if is_tensor(bins) else None  # the call's device arrays
    if a.dtype.kind != "f":
        _refuse("histogram_cpu", a)
    if a.dtype.itemsize < 4 and edges is None and range is None and a.size:
        _refuse("histogramdd", a)  # the data's span: PyTorch has no half-precision kernel
    w = None if weight is None else weight._data
    if edges is not None and (edges.dtype != a.dtype or edges.ndim != 1 or edges.size < 2):
        raise RuntimeError(
            f"torch.histogramdd: input tensor and bins tensors should have the same dtype, but "
            f"got input with dtype {_pretty(a).lower()} and bins for dimension 0 with dtype "
            f"{_pretty(edges).lower()}" if edges.dtype != a.dtype else
            f"torch.histogramdd: bins tensor should have one dimension, but got {edges.ndim} "
            f"dimensions in the bins tensor for dimension 0" if edges.ndim != 1 else
            "torch.histogram(): bins must be > 0, but got 0 for dimension 0" if edges.size else
            "torch.histogramdd: bins tensor should have at least 1 element, but got 0 elements "
            "in the bins tensor for dimension 0")
    if edges is None and bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    if w is not None and (w.shape != a.shape or w.dtype != a.dtype):
        raise RuntimeError(
            "torch.histogramdd: if weight tensor is provided it should have the same shape as "
            "the input tensor excluding its innermost dimension, but got input with shape "
            f"{list(a.shape)} and weight with shape {list(w.shape)}" if w.shape != a.shape else
            f"torch.histogramdd: if weight tensor is provided, input tensor and weight tensor "
            f"should have the same dtype, but got input({_pretty(a).lower()}), and weight"
            f"({_pretty(w).lower()})")
    x = a.reshape(-1)
    if edges is None:
        lo, hi = range if range is not None else (x.min(), x.max()) if x.size else (0.0, 1.0)
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise RuntimeError(f"torch.histogramdd: dimension 0's range [{_g(lo)}, {_g(hi)}] is "
                               f"not finite")
        if lo > hi:
            raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min "
                               f"{_g(lo)} max {_g(hi)} for dimension 0")
        lo, hi = (lo - 0.5, hi + 0.5) if lo == hi else (lo, hi)
        edges = xp.linspace(lo, hi, bins + 1).astype(a.dtype)
    n = edges.size - 1  # an element in [first edge, last edge] counts; the last edge closes
    inside = (x >= edges[0]) & (x <= edges[-1])
    pos = xp.minimum(_search(xp, edges, x, right=True) - 1, n - 1)
    hist = xp.bincount(pos[inside], None if w is None else w.reshape(-1)[inside], n)
    if density:
        hist = hist / (hist.sum() * xp.diff(edges))
    return hist.astype(a.dtype), edges.copy()


def _search(xp, s, v, right=False, sorter=None):
    """PyTorch's lower (upper, with `right`) bound of each `v` in the last dim of `s` (one row,
    or one row per row of `v`), comparing as its C++ loop does: NaN and unsorted rows alike."""
    n = s.shape[-1]
    rows = s.reshape(math.prod(s.shape[:-1]), n)  # one row, or one per row of `v`
    vals = v.reshape(rows.shape[0], v.size // max(rows.shape[0], 1))
    order = None if sorter is None else sorter.reshape(rows.shape)
    lo = xp.zeros(vals.shape, xp.int64)
    hi = xp.full(vals.shape, n, xp.int64)
    r = xp.arange(rows.shape[0]).reshape(-1, 1)
    for _ in range(max(n, 1).bit_length() + 1):
        live = lo < hi
        if not live.any():
            break
        mid = lo + (hi - lo) // 2
        at = xp.minimum(mid, n - 1)
        m = rows[r, at if order is None else order[r, at]]
        go_right = ~(m > vals) if right else ~(m >= vals)
        lo = xp.where(live & go_right, mid + 1, lo)
        hi = xp.where(live & ~go_right, mid, hi)
    return lo.reshape(v.shape)


def _searchsorted(xp, s, v, *sorter, out_int32=False, right=False, side=None):
    """PyTorch's checks in its order, then `_search` in the common dtype of both tensors."""
    if side is not None and side not in ("left", "right") or right and side == "left":
        raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got "
                           f"{side}" if side not in ("left", "right") else
                           f"torch.searchsorted(): side and right can't be set to opposites, got "
                           f"side of {side} while right was True")
    order = sorter[0] if sorter else None
    if order is not None and (order.shape != s.shape or order.dtype != xp.int64 or order.size and (
            order.min() < 0 or order.max() >= s.shape[-1])):
        raise RuntimeError(
            f"torch.searchsorted(): boundary and sorter must have the same size, but got "
            f"boundary tensor {list(s.shape)}and got sorter tensor {list(order.shape)}"
            if order.shape != s.shape else "torch.searchsorted(): sorter must be a tensor of "
            f"long dtype but got dtype {_pretty(order)}" if order.dtype != xp.int64 else
            "torch.searchsorted(): sorter index out of range")
    if v.ndim == 0 and s.ndim != 1 and s.ndim:
        raise RuntimeError(f"torch.searchsorted(): input value can be a scalar only when "
                           f"boundaries tensor dimension is 1, but we got boundaries tensor "
                           f"dim({s.ndim}) and input value's dim(0) numel(1)")
    if s.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should have positive "
                           "dimension, but got 0 dimension")
    if s.ndim > 1 and s.shape[:-1] != v.shape[:-1]:
        raise RuntimeError(f"torch.searchsorted(): boundaries tensor should be 1 dimension or the "
                           f"first N-1 dimensions of boundaries tensor and input value tensor must "
                           f"match, but we got boundaries tensor {list(s.shape)} and input value "
                           f"tensor {list(v.shape)}")
    dt = xp.int32 if out_int32 else xp.int64
    if v.size == 0:  # PyTorch returns before it looks at the dtype
        return xp.zeros(v.shape, dt)
    s1, v1 = promote_arrays(s.reshape(-1), v.reshape(-1))  # in the two dtypes' common one
    if s1.dtype.kind in "bc":
        _refuse("searchsorted_out_cpu", s1)
    return _search(xp, s1.reshape(s.shape), v1.reshape(v.shape),
                   side == "right" or right and side is None, order).astype(dt)


def _bucketize(xp, a, boundaries, *, out_int32=False, right=False):
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return _searchsorted(xp, boundaries, a, out_int32=out_int32, right=right)


def _number(v):  # a Python number as PyTorch wraps it for searchsorted: double, long, bool
    return loom.tensor(v, dtype=loom.bool if isinstance(v, bool) else loom.int64 if isinstance(
        v, int) else loom.complex128 if isinstance(v, complex) else loom.float64)


def _searchsorted_prepare(sorted_sequence, input=None, *, sorter=None):
    if input is not None and not is_tensor(input) and not isinstance(input, (int, float, complex)):
        raise invalid_combination("searchsorted", input)
    v = input if input is None or is_tensor(input) else _number(input).to(sorted_sequence.device)
    return (sorted_sequence, v) + (() if sorter is None else (sorter,))


_TIES = np.array([[1., 3, 3, 0, 3], [2, 2, 1, 1, 5], [0, 4, 4, 0, 1]])
_NANS = np.array([[1, np.nan, 3, 0], [np.nan, np.nan, 2, 5]])
_UNIQUE = sample_calls((_TIES,), (_TIES.ravel(), {"return_counts": True, "return_inverse": True}),
                       (_TIES, {"dim": 1, "return_inverse": True}), (_NANS,), grad=False)
_C = np.ones(3, np.complex64)

OPS = [
    op("unique", _unique, differentiable=False, samples=_UNIQUE,
       error_samples=_errors(((_C,), NotImplementedError)),
       doc="The distinct values (sorted), optionally with inverse indices and counts."),
    op("unique_consecutive", _unique_consecutive, differentiable=False, samples=_UNIQUE,
       error_samples=lambda rng: [ErrorInput((_C,), error=NotImplementedError),
                                  ErrorInput((_TIES,), {"dim": (0, 0)}, error=TypeError)],
       doc="Values with consecutive repeats collapsed, optionally with inverse and counts."),
    op("bincount", _bincount, differentiable=False, variadic=True, prepare=_bincount_prepare,
       parse=lambda minlength=0: dict(minlength=int_arg(minlength, "bincount", "minlength")),
       samples=sample_calls((np.array([0, 2, 2, 5]),), (np.array([1, 1, 0]), np.array(
           [0.5, 1, 2]), {"minlength": 5}), inputs=2, grad=False),
       error_samples=_errors(((np.array([-1]),), RuntimeError), ((np.ones(2),),
                                                                  NotImplementedError),
                             ((np.array([1, 2]), np.ones(3)), RuntimeError)),
       doc="Counts (or summed `weights`) of each value of a 1-D non-negative int tensor."),
    op("histc", _histc, differentiable=False, no_complex="aminmax_cpu", samples=sample_calls(
        ((20,), 5), ((3, 4), 4, -1, 1), ((6,), {"bins": 3, "min": 0.5, "max": 0.5}), grad=False),
       error_samples=_errors(((np.arange(4),), NotImplementedError),
                             ((np.array([1.0, np.inf]),), RuntimeError)),
       doc="Histogram of `bins` equal bins over [min, max] (the data's range if equal)."),
    op("histogram", _histogram, differentiable=False, outputs=("hist", "bin_edges"),
       parse=_histogram_parse, samples=sample_calls(
               ((20,), 5), ((3, 4), 4, {"range": (-1.0, 1.0), "density": True}), grad=False),
       error_samples=_errors(((np.arange(4), 3), NotImplementedError),
                             ((np.ones(3, np.float16), 3), NotImplementedError),
                             ((np.array([1.0, np.nan]), 3), RuntimeError),
                             ((np.ones(3), "yes"), TypeError)),
       doc="(hist, bin_edges): a histogram of `bins` bins (a count, or a 1-D tensor of edges)."),
    op("searchsorted", _searchsorted, variadic=True, differentiable=False, methods=(),
       parse=lambda *, out_int32=False, right=False, side=None: dict(
           out_int32=out_int32, right=right, side=side),
       prepare=_searchsorted_prepare, samples=sample_calls(
               (np.array([1.0, 2, 3, 5]), (3, 4)), (np.array([[1.0, 2, 3], [0, 5, 6]]), (2, 4),
                                                   {"right": True}),
               (np.array([1.0, 2, 2]), np.array([2.0, 1]), {"side": "right", "out_int32": True}),
               (np.array([3.0, np.nan, 1]), np.array([2.0, np.nan])),  # unsorted, NaN
               (np.ones((2, 0)), (2, 4)), inputs=2, grad=False),
       error_samples=_errors(((np.ones((2, 3)), np.ones((1, 1))), RuntimeError),
                             ((np.ones(()), np.ones(2)), RuntimeError),
                             ((np.ones(2, bool), np.ones(2, bool)), NotImplementedError)),
       doc="Indices where `values` would be inserted to keep `sorted_sequence` sorted."),
    op("bucketize", _bucketize, inputs=2, differentiable=False, prepare=lambda input,
       boundaries=None: (input if is_tensor(input) else _number(input), boundaries),
       samples=sample_calls(
        ((3, 4), np.array([-1.0, 0, 1])), ((5,), np.array([0.0, 0.5]), {"right": True}),
        (np.array([0, 5, -3]), np.array([4, -1, 2])), inputs=2, grad=False),
       error_samples=_errors(((np.ones(2), np.ones((1, 2))), RuntimeError),
                             ((np.ones(2, bool), np.ones(2, bool)), NotImplementedError)),
       doc="The bucket of each element of `input` between sorted 1-D `boundaries`."),
]
