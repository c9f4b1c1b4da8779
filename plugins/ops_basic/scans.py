"""Scans along `dim`: cumulative sums, products, extremes (with their indices) and logsumexp
(of real and complex inputs)."""
import numpy as np

import loom
from loom.plugin import (ErrorInput, apply_op, is_tensor, normalize_dims, op, result_type,
                         sample_calls, xp_of)

from .arguments import int_arg, one_dim
from .indexing import _calls, _tname
from .reductions import _picked_bwd, _pretty


def _scan(xp, a, dim, how, dtype=None, who="cumsum"):  # ufunc `how` accumulated along `dim`
    d = one_dim(dim, a.ndim, who)
    if how is xp.logaddexp and a.dtype.kind not in "fc":
        raise NotImplementedError(f"\"logcumsumexp_out_cpu\" not implemented for '{_pretty(a)}'")
    b = a.astype(dtype.np) if dtype is not None else a.astype(xp.int64) if \
        a.dtype.kind in "biu" and how is not xp.logaddexp else a
    b = b.reshape(-1) if a.ndim == 0 else b
    with np.errstate(all="ignore"):  # 0 * inf and the like: NaN, silently, as in PyTorch
        if how is xp.logaddexp and a.dtype.kind == "c":
            return _logcumsumexp_complex(xp, b, d).reshape(a.shape)
        if b.dtype.kind == "f" and b.dtype.itemsize == 2:  # PyTorch accumulates half in float
            return how.accumulate(b.astype(xp.float32), d).astype(b.dtype).reshape(a.shape)
        return how.accumulate(b, d).reshape(a.shape)


def _logaddexp_complex(xp, x, y):  # PyTorch's complex log(exp(x) + exp(y)), its special cases
    xn, yn = xp.isnan(x.real) | xp.isnan(x.imag), xp.isnan(y.real) | xp.isnan(y.imag)
    lo = xp.where(yn, y, xp.where(xn, x, xp.where(x.real < y.real, x, y)))
    hi = xp.where(yn, y, xp.where(xn, x, xp.where(x.real < y.real, y, x)))
    with np.errstate(all="ignore"):
        same_inf = ~xp.isfinite(lo.real) & (lo.real == hi.real)
        r = xp.where(same_inf, xp.where(lo.real < 0, lo, xp.log(xp.exp(lo) + xp.exp(hi))),
                     xp.log1p(xp.exp(lo - hi)) + hi)
    return xp.where(xp.isnan(lo.real) | xp.isnan(lo.imag), complex(np.nan, np.nan), r
                    ).astype(x.dtype)


def _logcumsumexp_complex(xp, b, d):  # one step per position along d, as PyTorch's scan does
    out = b.copy()
    for k in range(1, b.shape[d]):
        at, before = (slice(None),) * d + (k,), (slice(None),) * d + (k - 1,)
        out[at] = _logaddexp_complex(xp, out[before], b[at])
    return out


def _rev_cumsum(g, d):  # sums over j >= i: the backward of cumsum (a 0-dim g is its own)
    xp = xp_of(g)  # flip, not a negative step: tensors refuse one, as PyTorch's do
    return xp.flip(apply_op("cumsum", xp.flip(g, (d,)), d), (d,)) if g.ndim else g


def _dim(ctx):
    return normalize_dims(ctx.params["dim"], len(ctx.shapes[0]))[0]


def _cumprod_bwd(ctx, g):  # PyTorch's three ways, so that zeros and infinities agree
    (x, y), shape = ctx.saved, ctx.shapes[0]
    d = _dim(ctx) if shape else 0
    if not shape or shape[d] <= 1:  # one element along dim: the identity
        return (g,)
    xp = xp_of(x)
    zero = x == 0
    if not zero.any():
        return (_rev_cumsum(g * y, d) / x,)
    if not is_tensor(g):  # arrays (no create_graph): PyTorch's O(n) rule, exact at one zero
        with np.errstate(all="ignore"):
            seen = xp.cumsum(zero, d)
            before, at_z = seen == 0, seen == 1  # before the first zero; from it to the second
            first = at_z & (xp.cumsum(at_z, d) == 1)
            between = at_z & ~first
            upto = xp.where(before, _rev_cumsum(xp.where(before, g * y, 0), d) / x, 0)
            beyond = (xp.cumprod(xp.where(between, x, 1), d) * xp.where(at_z, g, 0)).sum(
                d, keepdims=True) * xp.where(before, x, 1).prod(d, keepdims=True)
            return (upto + xp.where(first, beyond, 0).astype(g.dtype),)
    # tensors (create_graph): dy_j/dx_i is the product of x_k over k <= j, k != i (n x n), a
    # rule whose own derivative is the second derivative, as PyTorch's grad-mode rule is
    r = xp.arange(shape[d]).reshape((-1, 1))
    c = xp.cumprod(xp.where(r == r.reshape(-1), 1.0, x.swapaxes(d, -1)[..., None, :]), -1)
    return ((c * (r <= r.reshape(-1)) * g.swapaxes(d, -1)[..., None, :]).sum(-1)
            .swapaxes(d, -1),)


def _cumext(ufunc):  # running extreme and the latest index reaching it (a NaN counts)
    name = "cummax" if ufunc == "maximum" else "cummin"

    def kernel(xp, a, dim):
        # PyTorch's order: an empty input is returned whatever the dim, a 0-dim one (complex
        # too) is its own extreme, and only then is the dtype refused
        if a.size == 0 or a.ndim == 0:
            int_arg(dim, name, "dim", 2)
            a.size and one_dim(dim, 0, name)
            return a.copy(), xp.zeros(a.shape, xp.int64)
        b, d = a, one_dim(dim, a.ndim, name)
        if a.dtype.kind == "c":
            raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{_tname(a)}'")
        v = getattr(xp, ufunc).accumulate(b, d)
        pos = xp.arange(b.shape[d]).reshape((-1,) + (1,) * (b.ndim - 1 - d))
        return v.reshape(a.shape), xp.maximum.accumulate(xp.where((b == v) | (b != b), pos, 0),
                                                         d).reshape(a.shape)
    return kernel


def _logcumsumexp_bwd(ctx, g):
    """sum_{j >= i} g_j exp(x_i - y_j), as PyTorch computes it: exp(x_i + the reversed
    logcumsumexp of log(g) - y), the positive and negative parts of a real g apart."""
    (x, y), xp = ctx.saved, xp_of(g)
    if not g.ndim or not g.size:
        return (g,)
    d = _dim(ctx)

    def rev(v):
        return xp.flip(apply_op("logcumsumexp", xp.flip(v, (d,)), d), (d,))
    if "complex" in str(g.dtype):  # the engine conjugates around a holomorphic rule
        return (xp.exp(rev(xp.log(g) - y) + x),)
    # the dtype's lowest value, not -inf, fills: the nested scan's own backward then never
    # meets -inf - -inf (a NaN in the second derivative)
    with np.errstate(all="ignore"):  # log(0), inf - inf: values PyTorch computes silently
        low, log_g = loom.finfo(result_type(g)).min, xp.log(xp.abs(g))
        pos, neg = (xp.where(c, log_g, low) for c in (g > 0, g < 0))
        return (xp.exp(rev(pos - y) + x) - xp.exp(rev(neg - y) + x),)


_SAMPLES = sample_calls(((3, 4), 1), ((2, 3, 4), 0), ((3, 4), -1), ((), 0), ((0, 3), 1))
_COMPLEX = _calls(sample_calls((np.array([[1 + 1j, 2 - 1j, -1 + 3j], [0.5j, -2, 1 - 1j]]), 1)),
                  sample_calls((np.array([1 + 1j, np.inf, -1 + 3j, np.nan, 2j]), 0), grad=False))
_MORE = sample_calls((np.array([[0.5, 0, 2, 3], [0, 1.5, 0, 2]]), 1),  # zeros
                     (np.array([[1, 2], [3, 4]]), 1, {"dtype": loom.float64}))

OPS = [
    op("cumsum", lambda xp, a, dim, *, dtype=None: _scan(xp, a, dim, xp.add, dtype),
       backward=lambda ctx, g: (_rev_cumsum(g, _dim(ctx)),), inplace="cumsum_",
       samples=lambda rng, dt: _SAMPLES(rng, dt) + _MORE(rng, dt),
       doc="Cumulative sum along `dim` (integers and bool give int64)."),
    op("cumprod", lambda xp, a, dim, *, dtype=None: _scan(xp, a, dim, xp.multiply, dtype,
                                                           "cumprod"),
       backward=_cumprod_bwd, save_inputs=(0,), save_output=True, inplace="cumprod_",
       samples=lambda rng, dt: _SAMPLES(rng, dt) + _MORE(rng, dt),
       doc="Cumulative product along `dim`; zeros get the right gradient."),
    *(op(name, _cumext(uf), backward=_picked_bwd, save_output=True, holomorphic=False,
         outputs=("values", "indices"), samples=_SAMPLES, error_samples=lambda rng: [
             ErrorInput((np.ones(2, np.complex64), 0), error=NotImplementedError),
             ErrorInput((np.ones(2), [0]), error=TypeError)],
         doc=f"Running {name[3:]}imum along `dim`, with the index where it was reached.")
      for name, uf in (("cummax", "maximum"), ("cummin", "minimum"))),
    op("logcumsumexp", lambda xp, a, dim: _scan(xp, a, dim, xp.logaddexp, who="logcumsumexp"),
       backward=_logcumsumexp_bwd, save_inputs=(0,), save_output=True,
       samples=_calls(_SAMPLES, _COMPLEX),
       error_samples=lambda rng: [ErrorInput((np.arange(3), 0), error=NotImplementedError)],
       doc="log(cumsum(exp(input))) along `dim`, computed stably."),
]
