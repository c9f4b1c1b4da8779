"""Scans along `dim`: cumulative sums, products, extremes (with their indices) and logsumexp."""
import numpy as np

import loom

from loom.plugin import ErrorInput, SampleInput, normalize_dims, op, sample_calls, xp_of

from .reductions import _picked_bwd, _pretty, _through


def _scan(xp, a, dim, how, dtype=None):
    """`how` (an xp function or ufunc accumulation) along `dim`, a 0-dim input as one element."""
    d = normalize_dims(dim, a.ndim)[0]
    b = a.astype(dtype.np) if dtype is not None else a.astype(xp.int64) if \
        a.dtype.kind in "biu" and how in ("cumsum", "cumprod") else a
    b = b.reshape(1) if a.ndim == 0 else b
    return d, b, (getattr(xp, how)(b, axis=d) if isinstance(how, str) else how.accumulate(b, d))


def _flip(x, d):
    return x[(slice(None),) * d + (slice(None, None, -1),)]


def _rev_cumsum(g, d):  # sum over j >= i: the backward of cumsum
    return _flip(xp_of(g).cumsum(_flip(g, d), d), d)


def _dim(ctx):
    return normalize_dims(ctx.params["dim"], len(ctx.shapes[0]))[0]


def _cumprod_bwd(ctx, g):
    (x, y), shape = ctx.saved, ctx.shapes[0]
    if not shape:
        return (g,)
    d, xp = _dim(ctx), xp_of(x)
    if not (x == 0).any():
        return (_rev_cumsum(g * y, d) / x,)
    # with zeros: dy_j/dx_i is the product of x_k over k <= j, k != i (n x n, only then)
    r = xp.arange(shape[d]).reshape((-1, 1))
    c = xp.cumprod(xp.where(r == r.reshape(-1), 1.0, x.swapaxes(d, -1)[..., None, :]), -1)
    return ((c * (r <= r.reshape(-1)) * g.swapaxes(d, -1)[..., None, :]).sum(-1)
            .swapaxes(d, -1),)


def _cumext(ufunc):
    def kernel(xp, a, dim):  # the index is the latest one reaching the running extreme
        d, b, v = _scan(xp, a, dim, getattr(xp, ufunc))
        pos = xp.arange(b.shape[d]).reshape((-1,) + (1,) * (b.ndim - 1 - d))
        i = xp.maximum.accumulate(xp.where((b == v) | (b != b), pos, 0), d)
        return v.reshape(a.shape), i.reshape(a.shape)
    return kernel


def _logcumsumexp(xp, a, dim):
    if a.dtype.kind not in "fc":
        raise NotImplementedError(f"\"logcumsumexp_out_cpu\" not implemented for '{_pretty(a)}'")
    return _scan(xp, a, dim, xp.logaddexp)[2].reshape(a.shape)


def _logcumsumexp_bwd(ctx, g):  # sum_{j >= i} g_j exp(x_i - y_j), shifted by the slice's total
    (x, y), shape = ctx.saved, ctx.shapes[0]
    if not shape:
        return (g,)
    d, xp = _dim(ctx), xp_of(x)
    top = y[(slice(None),) * d + (slice(-1, None),)]
    return (xp.exp(x - top) * _rev_cumsum(g * xp.exp(top - y), d),)


_SAMPLES = sample_calls(((3, 4), 1), ((2, 3, 4), 0), ((3, 4), -1), ((), 0), ((0, 3), 1))
_ZEROS = SampleInput((np.array([[0.5, 0.0, 2.0, 3.0], [0.0, 1.5, 0.0, 2.0]]), 1))


OPS = [
    op("cumsum", lambda xp, a, dim, *, dtype=None: _scan(xp, a, dim, "cumsum", dtype)[2].reshape(
        a.shape), backward=lambda ctx, g: (_rev_cumsum(g, _dim(ctx)) if g.ndim else g,),
       inplace="cumsum_", samples=lambda rng, dt: _SAMPLES(rng, dt) + [
           SampleInput((rng.standard_normal((3, 4)).astype(dt), 0), {"dtype": loom.from_numpy(np.zeros(0, dt)).dtype})],
       doc="Cumulative sum along `dim` (integers and bool give int64)."),
    op("cumprod", lambda xp, a, dim, *, dtype=None: _scan(xp, a, dim, "cumprod", dtype)[2]
       .reshape(a.shape), backward=_cumprod_bwd, save_inputs=(0,), save_output=True,
       inplace="cumprod_", samples=lambda rng, dt: _SAMPLES(rng, dt) + [
           SampleInput((_ZEROS.args[0].astype(dt), 1))],
       doc="Cumulative product along `dim`; zeros get the right gradient."),
    *(op(name, _cumext(uf), backward=_picked_bwd,
        save_output=True, outputs=("values", "indices"), holomorphic=False, samples=_SAMPLES,
        doc=f"Running {name[3:]}imum along `dim`, with the index where it was reached.")
      for name, uf in (("cummax", "maximum"), ("cummin", "minimum"))),
    op("logcumsumexp", _logcumsumexp, backward=_logcumsumexp_bwd, save_inputs=(0,),
       save_output=True, samples=_SAMPLES, doc="log(cumsum(exp(input))) along `dim`, stably.",
       error_samples=lambda rng: [ErrorInput((np.arange(3), 0), error=NotImplementedError)]),
]
