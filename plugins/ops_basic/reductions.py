"""Reductions: sum, mean, norm, amax/amin, all/any, with dim/keepdim as in PyTorch."""
import math

from loom.plugin import (SampleInput, dtype_of, normalize_dims, reduction, reduction_samples,
                         unreduce, xp_of)


def _axis(a, dim):
    """`dim` as a NumPy axis of `a` (checked; None for all, and for a 0-dim `a`)."""
    d = normalize_dims(dim, a.ndim, unique=True)
    return None if a.ndim == 0 else d


def _pretty(a):  # PyTorch's name of an integer or bool dtype in messages (LongTensor: Long)
    d = dtype_of(a)
    return d.name if d.is_floating_point else d.legacy.removesuffix("Tensor")


def _unreduced(ctx, *xs):
    """The call's reduced dims, and each of `xs` (gradient, output) as the input's shape."""
    p, shape = ctx.params, ctx.shapes[0]
    dims = normalize_dims(p["dim"], len(shape))
    return (dims, *(unreduce(x, shape, dims, p["keepdim"]) for x in xs))


def _sum(xp, a, dim=None, keepdim=False, *, dtype=None):
    np_dt = dtype.np if dtype is not None else xp.int64 if a.dtype.kind in "biu" else None
    return a.sum(axis=_axis(a, dim), keepdims=keepdim, dtype=np_dt)


def _sum_bwd(ctx, g):  # written out (not `_unreduced`): sum is on the training-loop path
    p, shape = ctx.params, ctx.shapes[0]
    return (unreduce(g, shape, normalize_dims(p["dim"], len(shape)), p["keepdim"]),)


def _mean(xp, a, dim=None, keepdim=False, *, dtype=None):
    if dtype is None and a.dtype.kind not in "fc":
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {_pretty(a)}")
    out = a.mean(axis=_axis(a, dim), keepdims=keepdim, dtype=None if dtype is None else dtype.np)
    return out.astype(a.dtype if dtype is None else dtype.np, copy=False)


def _mean_bwd(ctx, g):
    p, shape = ctx.params, ctx.shapes[0]
    dims = normalize_dims(p["dim"], len(shape))
    n = math.prod(s for i, s in enumerate(shape) if dims is None or i in dims)
    return (unreduce(g / n if n else g * float("nan"), shape, dims, p["keepdim"]),)


def _order(p):
    return 2.0 if p in ("fro", None) else float(p)


def _norm(xp, a, p="fro", dim=None, keepdim=False, *, dtype=None):
    if a.dtype.kind not in "fc":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {_pretty(a)}")
    ax, order, x = _axis(a, dim), _order(p), xp.abs(a)
    r = (x.max(axis=ax, keepdims=keepdim, initial=0) if order == math.inf else
         xp.sqrt((x * x).sum(axis=ax, keepdims=keepdim)) if order == 2.0 else
         x.sum(axis=ax, keepdims=keepdim) if order == 1.0 else
         (x != 0).sum(axis=ax, keepdims=keepdim).astype(x.dtype) if order == 0.0 else
         (x ** order).sum(axis=ax, keepdims=keepdim) ** (1.0 / order))
    return r if r.dtype == x.dtype else r.astype(x.dtype)


def _norm_bwd(ctx, g):
    a, out = ctx.saved
    dims, g, out = _unreduced(ctx, g, out)
    order, xp = _order(ctx.params["p"]), xp_of(a)
    if order == 1.0:
        return (g * xp.sign(a),)
    if order == math.inf:  # ties share the gradient
        mask = xp.abs(a) == out
        return (g * xp.sign(a) * mask / unreduce(mask.sum(axis=dims, keepdims=True),
                                                 ctx.shapes[0], dims, True),)
    safe = xp.where(out == 0, 1.0, out)
    return (xp.where(out == 0, 0.0, g * a / safe if order == 2.0 else
                     g * xp.sign(a) * xp.abs(a) ** (order - 1) / safe ** (order - 1)),)


def _over(method, dim_default):
    """A kernel running the array's reduction `method` over `dim`, with `keepdim`."""
    return lambda xp, a, dim=dim_default, keepdim=False: getattr(a, method)(
        axis=_axis(a, dim), keepdims=keepdim)  # dispatch makes a NumPy scalar 0-dim


def _extreme_bwd(ctx, g):  # ties share the gradient
    a, out = ctx.saved
    dims, g, out = _unreduced(ctx, g, out)
    mask = a == out
    return (g * mask / mask.sum(axis=dims, keepdims=True),)


def _bool_samples(rng, dt):
    a = rng.integers(0, 2, size=(3, 4)).astype(dt)
    return [SampleInput((a,), grad=False), SampleInput((a,), {"dim": 1}, grad=False),
            SampleInput((a.astype(bool),), grad=False)]


def _dim_name(base):  # PyTorch's node: Backward0 over all elements, Backward1 over `dim`
    return lambda p: f"{base}Backward{0 if p is None or p.get('dim') is None else 1}"


OPS = [
    reduction("sum", _sum, _sum_bwd, supports_out=True, node_name=_dim_name("Sum"),
              doc="Sum of all elements, or over `dim` (keepdim to keep it as size 1)."),
    reduction("mean", _mean, _mean_bwd, supports_out=True, node_name=_dim_name("Mean"),
              doc="Mean of all elements, or over `dim`; floating or complex input."),
    reduction("norm", _norm, _norm_bwd, save_inputs=(0,), save_output=True,
              holomorphic=False, samples=reduction_samples(0.5, 2.0), node_name=_dim_name("Norm"),
              doc="Vector p-norm (2 by default) of all elements or over `dim`."),
    reduction("amax", _over("max", ()), _extreme_bwd, save_inputs=(0,), save_output=True,
              holomorphic=False, doc="Maximum over `dim` (all if empty); ties share the gradient."),
    reduction("amin", _over("min", ()), _extreme_bwd, save_inputs=(0,), save_output=True,
              holomorphic=False, doc="Minimum over `dim` (all if empty); ties share the gradient."),
    reduction("all", _over("all", None), differentiable=False, samples=_bool_samples,
              doc="True if all elements (over `dim`) are non-zero."),
    reduction("any", _over("any", None), differentiable=False, samples=_bool_samples,
              doc="True if any element (over `dim`) is non-zero."),
]
