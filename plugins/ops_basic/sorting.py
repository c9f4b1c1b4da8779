"""Sorting and order statistics: sort, argsort, msort, topk, kthvalue, median, nanmedian, mode,
quantile and nanquantile. Gradients of selected values go back through their indices.

Where PyTorch's answer for tied values depends on its selection algorithm (topk's libstdc++
selection, kthvalue's quick select), the rows holding ties run that algorithm itself
(`selection`), so the indices agree too."""
import numpy as np

import loom
from loom.plugin import (apply_op, cast_like, is_tensor, normalize_dims, op, reduction,
                         sample_calls, xp_of)

from .arguments import int_arg, invalid_combination, one_dim
from .indexing import _tname
from .reductions import _dim_name, _errors, _picked, _picked_bwd, _through
from .selection import mode_row, quick_select, topk_row


def _argsort(xp, b, d, descending=False):  # stable; descending keeps equal elements in order
    if not descending:
        return xp.argsort(b, axis=d, kind="stable")
    return b.shape[d] - 1 - xp.flip(xp.argsort(xp.flip(b, d), axis=d, kind="stable"), d)


def _sort(xp, a, dim=-1, descending=False, *, stable=False, who="sort"):
    if isinstance(dim, bool) or not hasattr(dim, "__index__"):  # sort(x, (0, 0)), sort(x, None)
        raise invalid_combination(who, dim)
    d, b = normalize_dims(dim, a.ndim)[0], a.reshape(1) if a.ndim == 0 else a
    i = _argsort(xp, b, d, descending)
    return xp.take_along_axis(b, i, d).reshape(a.shape), i.reshape(a.shape)


def _topk(xp, a, k, dim=-1, largest=True, sorted=True):
    if isinstance(k, bool) or not isinstance(k, int):
        raise TypeError(f"topk(): argument 'k' (position 2) must be int, not {type(k).__name__}")
    if a.dtype == bool:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    d = one_dim(dim, a.ndim, "topk", 3)
    if not 0 <= k <= (a.shape[d] if a.ndim else 1):
        raise RuntimeError("selected index k out of range")
    v, i = (r[(slice(None),) * d + (slice(0, k),) if a.ndim else ()].copy()
            for r in _sort(xp, a, dim, largest))
    if a.ndim and k and (_ties(xp, a, d) or not sorted):
        # PyTorch's order of equal values (and of an unsorted result) is its algorithm's
        rows, out = xp.moveaxis(a, d, -1), xp.moveaxis(i, d, -1).copy()
        flat, idx = rows.reshape(-1, rows.shape[-1]), out.reshape(-1, k)
        for r in range(flat.shape[0]) if not sorted else _ties(xp, a, d):
            idx[r] = topk_row(flat[r].tolist(), k, largest, sorted)
        i = xp.moveaxis(out, -1, d)
        v = xp.take_along_axis(a, i, d)
    return v, i


def _ties(xp, a, d):  # the rows (along d, flattened) holding equal values or several NaN
    s = xp.sort(xp.moveaxis(a, d, -1).reshape(-1, a.shape[d]), axis=-1)
    nan = s != s
    return xp.flatnonzero(((s[:, 1:] == s[:, :-1]) | nan[:, 1:] & nan[:, :-1]).any(-1)).tolist()


def _kthvalue(xp, a, k, dim=-1, keepdim=False):  # PyTorch's checks, in its order
    k = int_arg(k, "kthvalue", "k", 2)
    d = one_dim(dim, a.ndim, "kthvalue", 3)
    if a.ndim and not a.shape[d]:
        raise IndexError(f"kthvalue(): Expected reduction dim {d} to have non-zero size.")
    if not 1 <= k <= (a.shape[d] if a.ndim else 1):
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    if a.ndim == 0:
        return a.copy(), xp.zeros((), xp.int64)
    if a.dtype.kind in "bc":
        raise NotImplementedError(f"\"kthvalue_cpu\" not implemented for '{_tname(a)}'")
    if a.size == 0:
        return _picked(xp, a, dim, keepdim, "kthvalue", lambda xp, b, d: xp.zeros(
            b.shape[:d] + (1,) + b.shape[d + 1:], xp.int64))
    return _picked(xp, a, dim, keepdim, "kthvalue", lambda xp, b, d: _selected(xp, b, d, k - 1))


def _selected(xp, b, d, k):
    """The index of the k-th smallest along d (keepdims), as PyTorch's quick select finds it:
    rows without ties have one answer (a stable argsort gives it); rows with ties run the
    quick select itself, since which of the equal values it lands on is its own."""
    rows = xp.moveaxis(b, d, -1)
    flat = rows.reshape(-1, rows.shape[-1])
    i = xp.take(xp.argsort(flat, axis=-1, kind="stable"), [k], axis=-1)
    for r in _ties(xp, b, d):
        i[r, 0] = quick_select(flat[r].tolist(), k)
    return xp.moveaxis(i.reshape(rows.shape[:-1] + (1,)), -1, d)


def _median(skip_nan):
    def index(xp, b, d):  # the lower median; NaN wins unless skipped
        nan = b != b
        k = xp.maximum((b.shape[d] - skip_nan * nan.sum(d, keepdims=True) - 1) // 2, 0)
        i = xp.take_along_axis(xp.argsort(b, axis=d, kind="stable"), k, d)
        return i if skip_nan else xp.where(nan.any(d, keepdims=True), nan.argmax(d, keepdims=True),
                                           i)

    name = "nanmedian" if skip_nan else "median"

    def kernel(xp, a, dim=None, keepdim=False):  # PyTorch's order: empty, dim, then dtype
        if dim is None and a.size == 0:  # NaN, as the dtype holds it (bool: True)
            return xp.asarray(xp.nan).astype(a.dtype)
        if dim is not None:
            d = one_dim(dim, a.ndim, name)
            if a.ndim and not a.shape[d]:
                raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
        if a.dtype.kind in "bc":
            raise NotImplementedError(f"\"{'median_cpu' if dim is None else 'median_out'}\" not "
                                      f"implemented for '{_tname(a)}'")
        r = _picked(xp, a.reshape(-1) if dim is None else a, 0 if dim is None else dim, keepdim,
                    "nanmedian" if skip_nan else "median", index)
        return r[0] if dim is None else r
    return kernel


def _median_parse(name):  # no dim: over all elements; a dim given must be an int (not None)
    def parse(*args, **kw):
        if len(args) > 2 or set(kw) - {"dim", "keepdim"}:
            raise TypeError(f"{name}() received an invalid combination of arguments")
        p = dict(zip(("dim", "keepdim"), args), **kw)
        if "dim" in p:
            int_arg(p["dim"], name, "dim", 2 if args else None)
        if type(p.get("keepdim", False)) is not bool:
            raise TypeError(f"{name}(): argument 'keepdim' must be bool, not "
                            f"{type(p['keepdim']).__name__}")
        return dict(dim=p.get("dim"), keepdim=p.get("keepdim", False))
    return parse


def _mode_index(xp, b, d):  # the most frequent value (the smallest of ties), its last index
    r = xp.moveaxis(b, d, -1)
    s, pos = xp.sort(r, -1), xp.arange(r.shape[-1])
    new = xp.concatenate([xp.ones(s.shape[:-1] + (1,), bool), s[..., 1:] != s[..., :-1]], -1)
    v = xp.take_along_axis(s, (pos - xp.maximum.accumulate(xp.where(new, pos, 0), -1)).argmax(
        -1, keepdims=True), -1)
    i = r.shape[-1] - 1 - xp.flip(r == v, -1).argmax(-1, keepdims=True)
    # a NaN, or ties in a row long enough for introsort to reorder them: PyTorch's own loop
    flat, out = r.reshape(-1, r.shape[-1]), i.reshape(-1)
    odd = (flat != flat).any(-1) | ((s[..., 1:] == s[..., :-1]).any(-1).reshape(-1) &
                                    (r.shape[-1] > 16))
    for k in xp.flatnonzero(odd).tolist():
        out[k] = mode_row(flat[k].tolist())
    return xp.moveaxis(out.reshape(i.shape), -1, d)


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
        ax = normalize_dims(dim, a.ndim)[0] if dim is not None else None
        ax = ax if a.ndim else None
        with np.errstate(invalid="ignore"):  # inf - inf is NaN, silently as in PyTorch
            return _quantiles(xp, a, q, ax, keepdim, interpolation, nan)
    return kernel


def _quantiles(xp, a, q, ax, keepdim, method, nan):
    """PyTorch's algorithm, not NumPy's: the sorted neighbours at floor and ceil of
    ``q * (n - 1)`` blended by PyTorch's lerp (so a quantile landing on a value is that value
    even beside an infinity); NaN for a slice holding NaN (quantile) or only NaN
    (nanquantile)."""
    v = a.reshape(-1) if ax is None else xp.moveaxis(a, ax, -1)
    s, isnan = xp.sort(v, axis=-1), xp.isnan(v)
    n = (~isnan).sum(-1, keepdims=True) if nan else \
        xp.full(v.shape[:-1] + (1,), v.shape[-1], dtype=xp.int64)
    bad = (n == 0) if nan else isnan.any(-1, keepdims=True)
    outs = []
    for qq in (q if isinstance(q, list) else [q]):
        pos = (n - 1) * qq
        lo = xp.maximum(xp.floor(pos), 0).astype(xp.int64)
        hi = xp.maximum(xp.ceil(pos), 0).astype(xp.int64)

        def at(i):
            return xp.take_along_axis(s, i, -1)
        if method in ("lower", "higher", "nearest"):
            r = at(lo if method == "lower" else hi if method == "higher" else
                   xp.maximum(xp.round(pos), 0).astype(xp.int64))
        else:
            x0, x1 = at(lo), at(hi)
            w = (pos - lo).astype(a.dtype) if method == "linear" else a.dtype.type(0.5)
            r = xp.where(w < 0.5, x0 + w * (x1 - x0), x1 - (x1 - x0) * (1 - w))
        outs.append(xp.where(bad, xp.nan, r)[..., 0])
    out = xp.stack(outs) if isinstance(q, list) else outs[0]
    if keepdim:
        lead = out.shape[:1] if isinstance(q, list) else ()
        out = out.reshape(lead + (tuple(1 for _ in a.shape) if ax is None else
                                  tuple(1 if d == ax else n_ for d, n_ in enumerate(a.shape))))
    return out.astype(a.dtype, copy=False)


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


_TIES = np.array([[1., 3, 3, 0, 3], [2, 2, 1, 1, 5], [0, 4, 4, 0, 1]])
_NANS = np.array([[1, np.nan, 3, 0], [np.nan, np.nan, 2, 5]])
_TIED = sample_calls((_TIES,), (_TIES, 0, True), grad=False)  # ties: no finite differences
_TIED_K = sample_calls(*((_TIES, k) for k in (1, 2, 3, 5)), (_TIES, 2, 0), (_NANS, 3), grad=False)
_SORT_COMPLEX = (RuntimeError, " Sort does not support complex dtypes on CPU")
_SEL = dict(backward=_picked_bwd, save_output=True, outputs=("values", "indices"),
            holomorphic=False)
_SORTS = sample_calls(((3, 5),), ((2, 3, 4), 1), ((3, 4), -1, True), ((),), ((0, 3), 1),
                      ((3, 4), {"dim": 0, "descending": True, "stable": True}))

OPS = [
    op("sort", _sort, **_SEL, samples=_SORTS, no_complex=_SORT_COMPLEX, node_name="SortBackward0",
       doc="(values, indices) sorted along `dim` (ascending, or `descending`; stable)."),
    op("argsort", lambda xp, a, dim=-1, descending=False, *, stable=False: _sort(
        xp, a, dim, descending, who="argsort")[1], differentiable=False, samples=_SORTS,
       no_complex=_SORT_COMPLEX, error_samples=_errors(((np.ones((3, 4)), (0, 0)), TypeError)),
       doc="The indices that sort `input` along `dim` (stable)."),
    op("msort", lambda xp, a: _sort(xp, a, 0)[0], backward=lambda ctx, g: (_through(
        g, apply_op("argsort", ctx.saved[0], 0), ctx.shapes[0], 0),), save_inputs=(0,),
       samples=sample_calls(((4, 3),), ((5,),), ((),)), doc="Sorted along the first dim.",
       no_complex=_SORT_COMPLEX),
    op("topk", _topk, **_SEL, no_complex=(RuntimeError, " topk does not support complex dtypes "
                                                          "on CPU"), samples=sample_calls(
        ((3, 5), 2), ((2, 3, 4), 3, 1), ((3, 4), 2, {"largest": False}), ((), 1), ((4,), 0)),
       error_samples=_errors(((np.ones(3), 4), RuntimeError)),
       doc="The `k` largest (or smallest) values along `dim`, with their indices."),
    op("kthvalue", _kthvalue, **_SEL, samples=lambda rng, dt: sample_calls(
        ((3, 5), 2), ((2, 3, 4), 3, 1, True), ((3, 4), 1, 0), ((), 1))(rng, dt) + _TIED_K(
            rng, dt),
       error_samples=_errors(((np.ones(3), 4), RuntimeError), ((np.ones(0), 1), IndexError),
                             ((np.ones(3), 1.5), TypeError),
                             ((np.ones((0, 3)), 5, 1), RuntimeError),
                             ((np.ones(3, bool), 1), NotImplementedError),
                             ((np.ones(3, np.complex64), 1), NotImplementedError)),
       doc="The `k`-th smallest value along `dim`, with its index."),
    *(reduction(n, _median(n == "nanmedian"), **_SEL, save_inputs=(0,), parse=_median_parse(n),
                node_name=_dim_name(n.capitalize()), error_samples=_errors(
                    ((np.ones((3, 4)), None, True), TypeError),
                    ((np.ones(3, np.complex64),), NotImplementedError),
                    ((np.ones(0, bool), 0), IndexError)), samples=lambda rng, dt: sample_calls(
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
]
