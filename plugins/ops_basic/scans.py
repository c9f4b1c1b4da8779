"""Scans along `dim`: cumulative sums, products, extremes (with their indices) and logsumexp."""
import numpy as np

import loom
from loom.plugin import ErrorInput, normalize_dims, op, sample_calls, xp_of

from .reductions import _picked_bwd, _pretty


def _scan(xp, a, dim, how, dtype=None):  # ufunc `how` accumulated along `dim`
    if how is xp.logaddexp and a.dtype.kind not in "fc":
        raise NotImplementedError(f"\"logcumsumexp_out_cpu\" not implemented for '{_pretty(a)}'")
    b = a.astype(dtype.np) if dtype is not None else a.astype(xp.int64) if \
        a.dtype.kind in "biu" and how is not xp.logaddexp else a
    return how.accumulate(b.reshape(-1) if a.ndim == 0 else b, normalize_dims(dim, a.ndim)[0]
                          ).reshape(a.shape)


def _rev_cumsum(g, d):  # sums over j >= i: the backward of cumsum (a 0-dim g is its own)
    xp = xp_of(g)  # flip, not a negative step: tensors refuse one, as PyTorch's do
    return xp.flip(xp.cumsum(xp.flip(g, (d,)), d), (d,)) if g.ndim else g


def _dim(ctx):
    return normalize_dims(ctx.params["dim"], len(ctx.shapes[0]))[0]


def _cumprod_bwd(ctx, g):
    (x, y), shape, d = ctx.saved, ctx.shapes[0], _dim(ctx)
    if not shape or not (x == 0).any():
        return (_rev_cumsum(g * y, d) / x,)
    # with zeros: dy_j/dx_i is the product of x_k over k <= j, k != i (n x n, only then)
    xp, r = xp_of(x), xp_of(x).arange(shape[d]).reshape((-1, 1))
    c = xp.cumprod(xp.where(r == r.reshape(-1), 1.0, x.swapaxes(d, -1)[..., None, :]), -1)
    return ((c * (r <= r.reshape(-1)) * g.swapaxes(d, -1)[..., None, :]).sum(-1)
            .swapaxes(d, -1),)


def _cumext(ufunc):  # running extreme and the latest index reaching it (a NaN counts)
    def kernel(xp, a, dim):
        b, d = a.reshape(-1) if a.ndim == 0 else a, normalize_dims(dim, a.ndim)[0]
        v = getattr(xp, ufunc).accumulate(b, d)
        pos = xp.arange(b.shape[d]).reshape((-1,) + (1,) * (b.ndim - 1 - d))
        return v.reshape(a.shape), xp.maximum.accumulate(xp.where((b == v) | (b != b), pos, 0),
                                                         d).reshape(a.shape)
    return kernel


def _logcumsumexp_bwd(ctx, g):  # sum_{j >= i} g_j exp(x_i - y_j), shifted by the slice's total
    (x, y), d = ctx.saved, _dim(ctx)
    top = y[(slice(None),) * d + (slice(-1, None),)] if y.ndim else y
    return (xp_of(x).exp(x - top) * _rev_cumsum(g * xp_of(x).exp(top - y), d),)


_SAMPLES = sample_calls(((3, 4), 1), ((2, 3, 4), 0), ((3, 4), -1), ((), 0), ((0, 3), 1))
_MORE = sample_calls((np.array([[0.5, 0, 2, 3], [0, 1.5, 0, 2]]), 1),  # zeros
                     (np.array([[1, 2], [3, 4]]), 1, {"dtype": loom.float64}))

OPS = [
    op("cumsum", lambda xp, a, dim, *, dtype=None: _scan(xp, a, dim, xp.add, dtype),
       backward=lambda ctx, g: (_rev_cumsum(g, _dim(ctx)),), inplace="cumsum_",
       samples=lambda rng, dt: _SAMPLES(rng, dt) + _MORE(rng, dt),
       doc="Cumulative sum along `dim` (integers and bool give int64)."),
    op("cumprod", lambda xp, a, dim, *, dtype=None: _scan(xp, a, dim, xp.multiply, dtype),
       backward=_cumprod_bwd, save_inputs=(0,), save_output=True, inplace="cumprod_",
       samples=lambda rng, dt: _SAMPLES(rng, dt) + _MORE(rng, dt),
       doc="Cumulative product along `dim`; zeros get the right gradient."),
    *(op(name, _cumext(uf), backward=_picked_bwd, save_output=True, holomorphic=False,
         no_complex=f"{name}_cpu",
         outputs=("values", "indices"), samples=_SAMPLES,
         doc=f"Running {name[3:]}imum along `dim`, with the index where it was reached.")
      for name, uf in (("cummax", "maximum"), ("cummin", "minimum"))),
    op("logcumsumexp", lambda xp, a, dim: _scan(xp, a, dim, xp.logaddexp),
       backward=_logcumsumexp_bwd, save_inputs=(0,), save_output=True, samples=_SAMPLES,
       error_samples=lambda rng: [ErrorInput((np.arange(3), 0), error=NotImplementedError)],
       doc="log(cumsum(exp(input))) along `dim`, computed stably."),
]
