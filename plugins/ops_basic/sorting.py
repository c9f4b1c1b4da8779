"""Sorting and order statistics (sort, argsort, msort, topk, kthvalue, median, nanmedian, mode,
quantile) and counting (unique, unique_consecutive, bincount, histc). Gradients of selected
values go back through their indices."""
import math

import numpy as np

import loom
from loom.plugin import (apply_op, cast_like, is_tensor, normalize_dims, op, reduction,
                         sample_calls, xp_of)

from .reductions import _dim_name, _errors, _picked, _picked_bwd, _pretty, _through


def _argsort(xp, b, d, descending=False):  # stable; descending keeps equal elements in order
    if not descending:
        return xp.argsort(b, axis=d, kind="stable")
    return b.shape[d] - 1 - xp.flip(xp.argsort(xp.flip(b, d), axis=d, kind="stable"), d)


def _sort(xp, a, dim=-1, descending=False, *, stable=False):
    d, b = normalize_dims(dim, a.ndim)[0], a.reshape(1) if a.ndim == 0 else a
    i = _argsort(xp, b, d, descending)
    return xp.take_along_axis(b, i, d).reshape(a.shape), i.reshape(a.shape)


def _topk(xp, a, k, dim=-1, largest=True, sorted=True):
    if isinstance(k, bool) or not isinstance(k, int):
        raise TypeError(f"topk(): argument 'k' (position 2) must be int, not {type(k).__name__}")
    if a.dtype == bool:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    d = normalize_dims(dim, a.ndim)[0]
    if not 0 <= k <= (a.shape[d] if a.ndim else 1):
        raise RuntimeError("selected index k out of range")
    return tuple(r[(slice(None),) * d + (slice(0, k),) if a.ndim else ()].copy()
                 for r in _sort(xp, a, dim, largest))


def _kthvalue(xp, a, k, dim=-1, keepdim=False):
    d = normalize_dims(dim, a.ndim)[0]
    if a.size and not 1 <= k <= (a.shape[d] if a.ndim else 1):
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    return _picked(xp, a, dim, keepdim, "kthvalue",
                   lambda xp, b, d: xp.take(_argsort(xp, b, d), [k - 1], axis=d))


def _median(skip_nan):
    def index(xp, b, d):  # the lower median; NaN wins unless skipped
        nan = b != b
        k = xp.maximum((b.shape[d] - skip_nan * nan.sum(d, keepdims=True) - 1) // 2, 0)
        i = xp.take_along_axis(xp.argsort(b, axis=d, kind="stable"), k, d)
        return i if skip_nan else xp.where(nan.any(d, keepdims=True), nan.argmax(d, keepdims=True),
                                           i)

    def kernel(xp, a, dim=None, keepdim=False):
        if a.dtype == bool:
            raise NotImplementedError("\"median_cpu\" not implemented for 'Bool'")
        if dim is None and a.size == 0:
            return xp.full((), xp.nan, a.dtype)
        r = _picked(xp, a.reshape(-1) if dim is None else a, 0 if dim is None else dim, keepdim,
                    "nanmedian" if skip_nan else "median", index)
        return r[0] if dim is None else r
    return kernel


def _mode_index(xp, b, d):  # the most frequent value (the smallest of ties), its last index
    r = xp.moveaxis(b, d, -1)
    s, pos = xp.sort(r, -1), xp.arange(r.shape[-1])
    new = xp.concatenate([xp.ones(s.shape[:-1] + (1,), bool), s[..., 1:] != s[..., :-1]], -1)
    v = xp.take_along_axis(s, (pos - xp.maximum.accumulate(xp.where(new, pos, 0), -1)).argmax(
        -1, keepdims=True), -1)
    return xp.moveaxis(r.shape[-1] - 1 - xp.flip(r == v, -1).argmax(-1, keepdims=True), -1, d)


_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile_parse(q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    """A tensor `q` becomes numbers (its dtype kept, to check against the input's); a `q` that
    requires grad is refused rather than silently given no gradient."""
    q_dtype = None
    if is_tensor(q):
        if q.requires_grad and loom.is_grad_enabled():
            raise NotImplementedError("quantile(): the gradient with respect to a tensor `q` is "
                                      "not implemented in loom; pass q.detach()")
        q, q_dtype = q.tolist(), q.dtype
    return dict(q=q, dim=dim, keepdim=keepdim, interpolation=interpolation, q_dtype=q_dtype)


def _quantile_kernel(nan):
    def kernel(xp, a, q, dim=None, keepdim=False, *, interpolation="linear", q_dtype=None):
        if q_dtype is not None and q_dtype.np != a.dtype and a.dtype.kind == "f":
            raise RuntimeError("quantile() q tensor must be same dtype as the input tensor")
        problem = ("input tensor must be either float or double dtype" if a.dtype not in
                   (np.float32, np.float64) else
                   "input tensor must be non-empty" if a.size == 0 else
                   ("q values must be in the range [0, 1]" if isinstance(q, list) else
                    f"q must be in the range [0, 1] but got {q}") if any(
                       not 0 <= v <= 1 for v in (q if isinstance(q, list) else [q])) else
                   f"interpolation must be one of {', '.join(_METHODS[:-1])} or nearest, but "
                   f"got {interpolation}" if interpolation not in _METHODS else None)
        if problem:
            raise RuntimeError(f"quantile() {problem}")
        ax = normalize_dims(dim, a.ndim)[0] if dim is not None and a.ndim else None
        with np.errstate(invalid="ignore"):  # an all-NaN slice is NaN, silently
            return (xp.nanquantile if nan else xp.quantile)(
                a, q, axis=ax, method=interpolation, keepdims=keepdim).astype(a.dtype)
    return kernel


def _index(v):  # positions computed in floats, as indices (an array or a constant tensor)
    return v.long() if is_tensor(v) else v.astype(np.int64)


def _quantile_bwd(ctx, g):
    """Each quantile blends two order statistics: the gradient goes back to the elements at
    those sorted positions. nanquantile counts the non-NaN elements of each slice (NaNs sort
    last), so its positions differ per slice."""
    (x,), p, shape = ctx.saved, ctx.params, ctx.shapes[0]
    d, xs = (normalize_dims(p["dim"], len(shape))[0], x) if p["dim"] is not None and shape else \
        (0, x.reshape(-1))
    qs, g = (p["q"], g) if isinstance(p["q"], list) else ([p["q"]], g[None])
    xp, order = xp_of(xs), apply_op("argsort", xs, d)
    const = xs.detach() if is_tensor(xs) else xs
    n = (const == const).sum(d, keepdim=True) if is_tensor(const) else \
        (const == const).sum(axis=d, keepdims=True)
    if ctx.op.name == "quantile":
        n = n * 0 + xs.shape[d]
    n = cast_like(n, const)  # positions and weights in the input's dtype, arrays or tensors
    total, kind = 0, p["interpolation"]
    for k, q in enumerate(qs):
        pos = (n - 1) * q
        lo, hi = xp.floor(pos), xp.ceil(pos)
        w = pos - lo if kind == "linear" else lo * 0.0 if kind == "lower" else \
            (hi > lo) * 1.0 if kind == "higher" else (hi > lo) * 0.5 if kind == "midpoint" \
            else (xp.round(pos) == hi) * (hi > lo) * 1.0
        gk = g[k].reshape(xs.shape[:d] + (1,) + xs.shape[d + 1:])
        for j, wj in ((lo, 1.0 - w), (hi, w)):
            at = apply_op("take_along_dim", order, _index(j), d)
            total = total + _through(gk * cast_like(wj, gk), at, xs.shape, d)
    return (total.reshape(shape),)


def _pack(v, inv, counts, return_inverse, return_counts):  # what unique returns
    out = (v,) + ((inv,) if return_inverse else ()) + ((counts,) if return_counts else ())
    return out[0] if len(out) == 1 else out


def _unique(xp, a, sorted=True, return_inverse=False, return_counts=False, dim=None):
    d = None if dim is None else normalize_dims(dim, a.ndim)[0]
    v, inv, cnt = xp.unique(a.reshape(-1) if d is None else a, return_inverse=True,
                            return_counts=True, axis=d, equal_nan=False)
    return _pack(v, inv.reshape(a.shape if d is None else -1), cnt, return_inverse,
                 return_counts)


def _unique_consecutive(xp, a, return_inverse=False, return_counts=False, dim=None):
    d, b = (0, a.reshape(-1)) if dim is None else (normalize_dims(dim, a.ndim)[0], a)
    r = xp.moveaxis(b, d, 0).reshape(b.shape[d], math.prod(b.shape) // max(b.shape[d], 1))
    new = xp.concatenate([xp.ones(min(len(r), 1), bool), (r[1:] != r[:-1]).any(1)])
    return _pack(xp.compress(new, b, axis=d), (xp.cumsum(new) - 1).reshape(
        a.shape if dim is None else -1), xp.diff(xp.append(xp.flatnonzero(new), len(r))),
        return_inverse, return_counts)


def _bincount(xp, a, weights=None, minlength=0):
    if a.dtype.kind not in "iu":
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{_pretty(a)}'")
    if a.ndim != 1 or (a.size and a.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    r = xp.bincount(a, weights, minlength)
    return r if weights is None or weights.dtype.kind != "f" else r.astype(weights.dtype)


_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half"}


def _histogram(xp, a, bins, *, range=None, weight=None, density=False):
    if isinstance(bins, bool) or not (isinstance(bins, int) or hasattr(bins, "dtype")):
        raise TypeError(f"histogram(): argument 'bins' must be Tensor or int, not "
                        f"{type(bins).__name__}")
    if a.dtype.kind != "f":
        raise NotImplementedError(f"\"histogramdd\" not implemented for '{_pretty(a)}'")
    if not isinstance(bins, int) and bins.dtype != a.dtype:
        c = {k: _C_NAMES.get(v.dtype.name, v.dtype.name) for k, v in (("a", a), ("b", bins))}
        raise RuntimeError(f"torch.histogramdd: input tensor and bins tensors should have the "
                           f"same dtype, but got input with dtype {c['a']} and bins for "
                           f"dimension 0 with dtype {c['b']}")
    if not isinstance(bins, int) and bins.size > 1 and bool((bins[1:] < bins[:-1]).any()):
        # PyTorch bins by binary search over the edges as given; its counts for edges that
        # do not increase follow no rule worth copying
        raise RuntimeError("histogram(): bin edges must be non-decreasing")
    if not isinstance(bins, int) and bool(xp.isnan(bins).any()):
        # a NaN edge: no element falls in any bin (PyTorch's binary search), where NumPy's
        # counts come out negative
        return xp.zeros(max(bins.size - 1, 0), a.dtype), bins.copy()
    return tuple(r.astype(a.dtype) for r in xp.histogram(a, bins, range, density, weight))


def _searchsorted(xp, s, v, *, out_int32=False, right=False, side=None):  # along the last dim
    side = side or ("right" if right else "left")
    if s.ndim > 1 and s.shape[:-1] != v.shape[:-1]:
        raise RuntimeError(f"torch.searchsorted(): boundaries tensor should be 1 dimension or the "
                           f"first N-1 dimensions of boundaries tensor and input value tensor must "
                           f"match, but we got boundaries tensor {list(s.shape)} and input value "
                           f"tensor {list(v.shape)}")
    r = xp.searchsorted(s, v, side) if s.ndim == 1 else xp.asarray([xp.searchsorted(
        x, y, side) for x, y in zip(s.reshape(-1, s.shape[-1]), v.reshape(-1, v.shape[-1]))])
    return r.reshape(v.shape).astype(xp.int32 if out_int32 else xp.int64)


def _bucketize(xp, a, boundaries, *, out_int32=False, right=False):
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return _searchsorted(xp, boundaries, a, out_int32=out_int32, right=right)


def _histc(xp, a, bins=100, min=0, max=0):
    if a.dtype.kind != "f":
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{_pretty(a)}'")
    if min > max or bins <= 0:
        raise RuntimeError("torch.histc: max must be larger than min" if min > max else
                           f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    lo, hi = (a.min(), a.max()) if min == max and a.size else (min, max)
    return xp.histogram(a, bins, (lo - 1, hi + 1) if lo == hi else (lo, hi))[0].astype(a.dtype)


_TIES = np.array([[1., 3, 3, 0, 3], [2, 2, 1, 1, 5], [0, 4, 4, 0, 1]])
_NANS = np.array([[1, np.nan, 3, 0], [np.nan, np.nan, 2, 5]])
_TIED = sample_calls((_TIES,), (_TIES, 0, True), grad=False)  # ties: no finite differences
_SEL = dict(backward=_picked_bwd, save_output=True, outputs=("values", "indices"),
            holomorphic=False)
_SORTS = sample_calls(((3, 5),), ((2, 3, 4), 1), ((3, 4), -1, True), ((),), ((0, 3), 1),
                      ((3, 4), {"dim": 0, "descending": True, "stable": True}))
_UNIQUE = sample_calls((_TIES,), (_TIES.ravel(), {"return_counts": True, "return_inverse": True}),
                       (_TIES, {"dim": 1, "return_inverse": True}), (_NANS,), grad=False)

OPS = [
    op("sort", _sort, **_SEL, samples=_SORTS, no_complex=(RuntimeError, " Sort does not support complex dtypes on CPU"), 
        node_name="SortBackward0",
       doc="(values, indices) sorted along `dim` (ascending, or `descending`; stable)."),
    op("argsort", lambda xp, a, dim=-1, descending=False, *, stable=False: _sort(
        xp, a, dim, descending)[1], differentiable=False, samples=_SORTS, no_complex=(RuntimeError, " Sort does not support complex dtypes on CPU"),
       doc="The indices that sort `input` along `dim` (stable)."),
    op("msort", lambda xp, a: _sort(xp, a, 0)[0], backward=lambda ctx, g: (_through(
        g, apply_op("argsort", ctx.saved[0], 0), ctx.shapes[0], 0),), save_inputs=(0,),
       samples=sample_calls(((4, 3),), ((5,),), ((),)), doc="Sorted along the first dim.",
       no_complex=(RuntimeError, " Sort does not support complex dtypes on CPU")),
    op("topk", _topk, **_SEL, no_complex=(RuntimeError, " topk does not support complex dtypes "
                                                          "on CPU"), samples=sample_calls(
        ((3, 5), 2), ((2, 3, 4), 3, 1), ((3, 4), 2, {"largest": False}), ((), 1), ((4,), 0)),
       error_samples=_errors(((np.ones(3), 4), RuntimeError)),
       doc="The `k` largest (or smallest) values along `dim`, with their indices."),
    op("kthvalue", _kthvalue, **_SEL, no_complex="kthvalue_cpu", samples=sample_calls(
        ((3, 5), 2), ((2, 3, 4), 3, 1, True), ((3, 4), 1, 0), ((), 1)),
       error_samples=_errors(((np.ones(3), 4), RuntimeError), ((np.ones(0), 1), IndexError)),
       doc="The `k`-th smallest value along `dim`, with its index."),
    *(reduction(n, _median(n == "nanmedian"), **_SEL, save_inputs=(0,), no_complex=lambda a, k:
                "median_out" if a or k.get("dim") is not None else "median_cpu",
                node_name=_dim_name(n.capitalize()), samples=lambda rng, dt: sample_calls(
                    ((3, 5),), ((2, 3, 4), 1), ((3, 4), -1, True), ((),))(rng, dt) + sample_calls(
                    (_NANS, 1), (_NANS,), (np.ones(0),), grad=False)(rng, dt),
                doc=f"The lower median{', ignoring NaN' * (n == 'nanmedian')}; with `dim`, "
                    f"(values, indices).") for n in ("median", "nanmedian")),
    op("mode", lambda xp, a, dim=-1, keepdim=False: _picked(
        xp, a, dim, keepdim, "mode", _mode_index), **_SEL, no_complex="mode_cpu",
       samples=lambda rng, dt: sample_calls(
            ((3, 5),), ((2, 3, 4), 1, True))(rng, dt) + _TIED(rng, dt),
       doc="The most frequent value along `dim` (the smallest of ties), with its last index."),
    op("quantile", _quantile_kernel(False), backward=_quantile_bwd, save_inputs=(0,),
       no_complex=(RuntimeError, "quantile() input tensor must be either float or double dtype"),
       parse=_quantile_parse, samples=lambda rng, dt: sample_calls(
           ((3, 5), 0.3), ((2, 3, 4), 0.5, 1, True), ((5,), 1.0), ((), 0.4),
           *(((3, 4), 0.4, 0, {"interpolation": m}) for m in _METHODS))(rng, dt) + sample_calls(
           ((3, 4), np.array([0.1, 0.9]), 1), ((3, 4), np.array([0.2, 0.5])),
           ((3, 4), np.array(0.7)), inputs=2, grad=False)(rng, dt),
       error_samples=_errors(((np.arange(4), 0.5), RuntimeError)),
       doc="The `q`-th quantiles (a number or a tensor of them) over `dim` (all if None)."),
    op("nanquantile", _quantile_kernel(True), backward=_quantile_bwd, save_inputs=(0,),
       no_complex=(RuntimeError, "quantile() input tensor must be either float or double dtype"),
       parse=_quantile_parse, samples=lambda rng, dt: sample_calls(
           ((3, 5), 0.3), ((2, 3, 4), 0.5, 1, True), ((5,), 1.0), ((), 0.4),
           *(((3, 4), 0.4, 0, {"interpolation": m}) for m in _METHODS))(rng, dt) + sample_calls(
           ((3, 4), np.array([0.1, 0.9]), 1), ((3, 4), np.array([0.2, 0.5])),
           ((3, 4), np.array(0.7)), inputs=2, grad=False)(rng, dt) + sample_calls(
           (np.array([[1.0, np.nan, 3.0, 2.0], [np.nan, 4.0, 0.5, np.nan]]), 0.4, 1),
           (np.array([[1.0, np.nan, 3.0, 2.0], [np.nan, 4.0, 0.5, 6.0]]), 0.5, 1, True,
            {"interpolation": "midpoint"}))(rng, dt),
       error_samples=_errors(((np.arange(4), 0.5), RuntimeError)),
       doc="quantile ignoring NaNs (a slice of NaNs only gives NaN)."),
    op("unique", _unique, differentiable=False, samples=_UNIQUE, no_complex="unique",
       doc="The distinct values (sorted), optionally with inverse indices and counts."),
    op("unique_consecutive", _unique_consecutive, differentiable=False, samples=_UNIQUE,
       doc="Values with consecutive repeats collapsed, optionally with inverse and counts."),
    op("bincount", _bincount, differentiable=False, no_complex="bincount_cpu", samples=sample_calls(
        (np.array([0, 2, 2, 5]),), (np.array([1, 1, 0]), {"weights": np.array([0.5, 1, 2]),
                                                          "minlength": 5}), grad=False),
       parse=lambda weights=None, minlength=0: dict(
           minlength=minlength, weights=None if weights is None else weights._data),
       error_samples=_errors(((np.array([-1]),), RuntimeError), ((np.ones(2),),
                                                                  NotImplementedError)),
       doc="Counts (or summed `weights`) of each value of a 1-D non-negative int tensor."),
    op("histc", _histc, differentiable=False, no_complex="aminmax_cpu", samples=sample_calls(
        ((20,), 5), ((3, 4), 4, -1, 1), ((6,), {"bins": 3, "min": 0.5, "max": 0.5}), grad=False),
       error_samples=_errors(((np.arange(4),), NotImplementedError)),
       doc="Histogram of `bins` equal bins over [min, max] (the data's range if equal)."),
    op("histogram", _histogram, differentiable=False, outputs=("hist", "bin_edges"),
       parse=lambda bins, *, range=None, weight=None, density=False: dict(
           bins=bins._data if is_tensor(bins) else bins, range=range, density=density,
           weight=None if weight is None else weight._data), samples=sample_calls(
               ((20,), 5), ((3, 4), 4, {"range": (-1.0, 1.0), "density": True}),
               ((6,), np.array([-1.0, 0.0, 2.0])), grad=False),
       error_samples=_errors(((np.arange(4), 3), NotImplementedError)),
       doc="(hist, bin_edges): a histogram of `bins` bins (a count or the edges)."),
    op("searchsorted", _searchsorted, inputs=2, differentiable=False, methods=(),
       no_complex="searchsorted_out_cpu",
       prepare=lambda s, v=None, *rest: (s, v if v is None or is_tensor(v) else loom.tensor(
           v, dtype=s.dtype, device=s.device), *rest), samples=sample_calls(
               (np.array([1.0, 2, 3, 5]), (3, 4)), (np.array([[1.0, 2, 3], [0, 5, 6]]), (2, 4),
                                                   {"right": True}),
               (np.array([1.0, 2, 2]), np.array([2.0, 1]), {"side": "right", "out_int32": True}),
               inputs=2, grad=False),
       error_samples=_errors(((np.ones((2, 3)), np.ones((1, 1))), RuntimeError)),
       doc="Indices where `values` would be inserted to keep `sorted_sequence` sorted."),
    op("bucketize", _bucketize, inputs=2, differentiable=False, no_complex="searchsorted_out_cpu",
       samples=sample_calls(
        ((3, 4), np.array([-1.0, 0, 1])), ((5,), np.array([0.0, 0.5]), {"right": True}),
        inputs=2, grad=False), error_samples=_errors(((np.ones(2), np.ones((1, 2))),
                                                      RuntimeError)),
       doc="The bucket of each element of `input` between sorted 1-D `boundaries`."),
]
