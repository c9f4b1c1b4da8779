"""Reductions: sum, mean, norm, amax/amin, all/any, with dim/keepdim as in PyTorch."""
from __future__ import annotations

from loom.plugin import (SampleInput, dtype_of, normalize_dims, reduction, reduction_samples,
                         unreduce, xp_of)


def _axis(a, dim):
    d = normalize_dims(dim, a.ndim)
    if d is not None and a.ndim == 0:
        return None
    return d


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
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {_pretty(dtype_of(a))}")
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
    return _pretty(dtype_of(a))


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
        count = unreduce(mask.sum(axis=dims, keepdims=True), shape, dims, True)
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
    return (g * mask / mask.sum(axis=dims, keepdims=True),)


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
    reduction("sum", _sum_fwd, _sum_bwd, supports_out=True, node_name=_dim_name("Sum"),
              doc="Sum of all elements, or over `dim` (keepdim to keep it as size 1)."),
    reduction("mean", _mean_fwd, _mean_bwd, supports_out=True, node_name=_dim_name("Mean"),
              doc="Mean of all elements, or over `dim`; floating or complex input."),
    reduction("norm", _norm_fwd, _norm_bwd, save_inputs=(0,), save_output=True,
              holomorphic=False, samples=reduction_samples(0.5, 2.0), node_name=_dim_name("Norm"),
              doc="Vector p-norm (2 by default) of all elements or over `dim`."),
    reduction("amax", _amax_fwd, _amaxmin_bwd, save_inputs=(0,), save_output=True,
              holomorphic=False, doc="Maximum over `dim` (all if empty); ties share the gradient."),
    reduction("amin", _amin_fwd, _amaxmin_bwd, save_inputs=(0,), save_output=True,
              holomorphic=False, doc="Minimum over `dim` (all if empty); ties share the gradient."),
    reduction("all", _all_fwd, differentiable=False, samples=_bool_samples,
              doc="True if all elements (over `dim`) are non-zero."),
    reduction("any", _any_fwd, differentiable=False, samples=_bool_samples,
              doc="True if any element (over `dim`) is non-zero."),
]
