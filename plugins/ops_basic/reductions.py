"""Reductions: sum, mean, norm, amax/amin, all/any, with dim/keepdim as in PyTorch."""
from __future__ import annotations

from loom.plugin import OpDef, SampleInput, normalize_dims, unreduce, xp_of


def _axis(a, dim):
    d = normalize_dims(dim, a.ndim)
    if d is not None and a.ndim == 0:
        return None
    return d


def _red_samples(positive=False, ints=False):
    def samples(rng, dt):
        def arr(*shape):
            if ints:
                return rng.integers(-3, 4, size=shape).astype(dt)
            lo = 0.5 if positive else -2.0
            return rng.uniform(lo, 2.0, size=shape).astype(dt)
        return [SampleInput((arr(3, 4),)),
                SampleInput((arr(2, 3, 4),), {"dim": 1}),
                SampleInput((arr(2, 3, 4),), {"dim": (0, 2), "keepdim": True}),
                SampleInput((arr(3, 4),), {"dim": -1}),
                SampleInput((arr(),),)]
    return samples


def _sum_fwd(xp, a, dim=None, keepdim=False, *, dtype=None):
    np_dt = None if dtype is None else dtype.np
    if np_dt is None and a.dtype.kind in "biu":
        np_dt = xp.int64
    return a.sum(axis=_axis(a, dim), keepdims=keepdim, dtype=np_dt)


def _sum_bwd(ctx, g):
    p = ctx.params
    shape = ctx.shapes[0]
    return (unreduce(g, shape, normalize_dims(p["dim"], len(shape)), p["keepdim"]),)


def _mean_fwd(xp, a, dim=None, keepdim=False, *, dtype=None):
    if dtype is None and a.dtype.kind not in "fc":
        from loom.dtypes import from_numpy_dtype
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {_pretty(from_numpy_dtype(a.dtype))}")
    out = a.mean(axis=_axis(a, dim), keepdims=keepdim,
                 dtype=None if dtype is None else dtype.np)
    return out.astype(a.dtype if dtype is None else dtype.np, copy=False)


def _pretty(d):
    return {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool"}.get(d.name, d.name)


def _mean_bwd(ctx, g):
    p = ctx.params
    shape = ctx.shapes[0]
    dims = normalize_dims(p["dim"], len(shape))
    n = 1
    for i, s in enumerate(shape):
        if dims is None or i in dims:
            n *= s
    return (unreduce(g / max(n, 1) if n else g * float("nan"), shape, dims, p["keepdim"]),)


def _norm_fwd(xp, a, p="fro", dim=None, keepdim=False, *, dtype=None):
    if a.dtype.kind not in "fc":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {_pretty_dtype(a)}")
    ax = _axis(a, dim)
    order = 2.0 if p in ("fro", None) else float(p)
    x = xp.abs(a)
    if order == float("inf"):
        r = x.max(axis=ax, keepdims=keepdim, initial=0)
    elif order == 2.0:
        r = xp.sqrt((x * x).sum(axis=ax, keepdims=keepdim))
    elif order == 1.0:
        r = x.sum(axis=ax, keepdims=keepdim)
    elif order == 0.0:
        r = (x != 0).sum(axis=ax, keepdims=keepdim).astype(x.dtype)
    else:
        r = (x ** order).sum(axis=ax, keepdims=keepdim) ** (1.0 / order)
    return r if r.dtype == x.dtype else r.astype(x.dtype)


def _pretty_dtype(a):
    from loom.dtypes import from_numpy_dtype
    return _pretty(from_numpy_dtype(a.dtype))


def _norm_bwd(ctx, g):
    a, out = ctx.saved
    prm = ctx.params
    shape = ctx.shapes[0]
    dims = normalize_dims(prm["dim"], len(shape))
    order = 2.0 if prm["p"] in ("fro", None) else float(prm["p"])
    xp = xp_of(a)
    g = unreduce(g, shape, dims, prm["keepdim"])
    out = unreduce(out, shape, dims, prm["keepdim"])
    if order == 2.0:
        safe = xp.where(out == 0, 1.0, out)
        return (xp.where(out == 0, 0.0, g * a / safe),)
    if order == 1.0:
        return (g * xp.sign(a),)
    if order == float("inf"):
        mask = xp.abs(a) == out
        count = unreduce(mask.sum(dim=dims, keepdim=True) if hasattr(mask, "grad_fn") else
                         mask.sum(axis=dims, keepdims=True), shape, dims, True)
        return (g * xp.sign(a) * mask / count,)
    safe = xp.where(out == 0, 1.0, out)
    return (xp.where(out == 0, 0.0,
                     g * xp.sign(a) * xp.abs(a) ** (order - 1) / safe ** (order - 1)),)


def _amax_fwd(xp, a, dim=(), keepdim=False):
    return a.max(axis=_axis(a, dim if dim != () else None), keepdims=keepdim)


def _amin_fwd(xp, a, dim=(), keepdim=False):
    return a.min(axis=_axis(a, dim if dim != () else None), keepdims=keepdim)


def _amaxmin_bwd(ctx, g):
    a, out = ctx.saved
    prm = ctx.params
    shape = ctx.shapes[0]
    dims = normalize_dims(prm["dim"] if prm["dim"] != () else None, len(shape))
    out = unreduce(out, shape, dims, prm["keepdim"])
    g = unreduce(g, shape, dims, prm["keepdim"])
    mask = a == out
    if hasattr(mask, "grad_fn"):
        count = mask.sum(dim=dims, keepdim=True)
    else:
        count = mask.sum(axis=dims, keepdims=True)
    return (g * mask / count,)


def _all_fwd(xp, a, dim=None, keepdim=False):
    return a.all(axis=_axis(a, dim), keepdims=keepdim)  # dispatch makes a NumPy scalar 0-dim


def _any_fwd(xp, a, dim=None, keepdim=False):
    return a.any(axis=_axis(a, dim), keepdims=keepdim)


def _bool_samples(rng, dt):
    a = rng.integers(0, 2, size=(3, 4)).astype(dt)
    return [SampleInput((a,), grad=False), SampleInput((a,), {"dim": 1}, grad=False),
            SampleInput((a.astype(bool),), grad=False)]


def _dim_name(base):
    return lambda p: f"{base}Backward0" if p is None or p.get("dim") is None else \
        f"{base}Backward1"


OPS = [
    OpDef("sum", _sum_fwd, backward=_sum_bwd, methods=("sum",), functions=("sum",),
          supports_out=True, samples=_red_samples(), node_name=_dim_name("Sum"),
          doc="Sum of all elements, or over `dim` (keepdim to keep it as size 1)."),
    OpDef("mean", _mean_fwd, backward=_mean_bwd, methods=("mean",), functions=("mean",),
          supports_out=True, samples=_red_samples(), node_name=_dim_name("Mean"),
          doc="Mean of all elements, or over `dim`; floating or complex input."),
    OpDef("norm", _norm_fwd, holomorphic=False, backward=_norm_bwd, save=(0, -1), methods=("norm",),
          functions=("norm",), samples=_red_samples(positive=True),
          node_name=_dim_name("Norm"), doc="Vector p-norm (2 by default) of all elements or "
                                           "over `dim`."),
    OpDef("amax", _amax_fwd, holomorphic=False, backward=_amaxmin_bwd, save=(0, -1), methods=("amax",),
          functions=("amax",), samples=_red_samples(), doc="Maximum over `dim` (all if empty); "
                                                          "ties share the gradient."),
    OpDef("amin", _amin_fwd, holomorphic=False, backward=_amaxmin_bwd, save=(0, -1), methods=("amin",),
          functions=("amin",), samples=_red_samples(), doc="Minimum over `dim` (all if empty); "
                                                          "ties share the gradient."),
    OpDef("all", _all_fwd, methods=("all",), functions=("all",), samples=_bool_samples,
          doc="True if all elements (over `dim`) are non-zero."),
    OpDef("any", _any_fwd, methods=("any",), functions=("any",), samples=_bool_samples,
          doc="True if any element (over `dim`) is non-zero."),
]

# The PyTorch counterpart (torch.<name> or Tensor.<name>) the operator tests compare with: the
# operator's own name unless set above (None there, with a NumPy `reference`, means none).
for _op in OPS:
    if _op.torch_name is None and _op.reference is None:
        _op.torch_name = _op.name
