"""Indexing operators: `t[key]` (views for basic indexing), `t[key] = value`, the gradient of
indexing, and `where`."""
from __future__ import annotations

import numpy as np

import loom
from loom.plugin import (SampleInput, View, apply_op, is_tensor as _is_t, op, sum_to_shape,
                         xp_of)


# --------------------------------------------------------------------------- indexing

def _index_key(key):
    """A NumPy index from a PyTorch one (tensors become arrays)."""
    if isinstance(key, tuple):
        return tuple(_index_key(k) for k in key)
    if _is_t(key):
        arr = key.numpy() if key.device.type == "cpu" else key._data
        if arr.dtype.kind not in "biu":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return arr
    if isinstance(key, list):
        return np.asarray([k.item() if _is_t(k) else k for k in key])
    return key


def _index_parse(key):
    return {"index": _index_key(key)}


def _check_bounds(a, idx):
    items = idx if isinstance(idx, tuple) else (idx,)
    dim = 0
    for k in items:
        if k is None:
            continue
        if k is Ellipsis:
            dim = a.ndim - sum(1 for x in items if x is not None and x is not Ellipsis) + \
                  items.index(Ellipsis) + 1
            continue
        if isinstance(k, (int, np.integer)) and not isinstance(k, bool):
            if dim >= a.ndim:
                raise IndexError(f"too many indices for tensor of dimension {a.ndim}")
            n = a.shape[dim]
            if not -n <= k < n:
                raise IndexError(f"index {k} is out of bounds for dimension {dim} with size {n}")
        dim += 1


def _getitem(xp, a, index):
    try:
        out = a[index]
    except IndexError:
        _check_bounds(a, index)
        raise
    if not isinstance(out, type(a)):
        # an int on every dimension gives a NumPy scalar; PyTorch gives a 0-dim view
        key = index if isinstance(index, tuple) else (index,)
        out = a[key + (Ellipsis,)]
    return out


def _getitem_bwd(ctx, g):
    return (apply_op("ops_index_backward", g, ctx.shapes[0], ctx.params["index"]),)


def _scatter(xp, g, shape, index):
    out = xp.zeros(shape, g.dtype)
    if _basic(index):
        out[index] = g
    else:
        xp.add.at(out, index, g)
    return out


def _basic(index):
    items = index if isinstance(index, tuple) else (index,)
    return all(k is None or k is Ellipsis or isinstance(k, (int, slice, np.integer))
               for k in items)


def _index_backward(xp, g, shape, index):
    return _scatter(xp, g, shape, index)


def _index_backward_bwd(ctx, g):
    return (g[ctx.params["index"]],)


def _getitem_samples(rng, dt):
    a = rng.standard_normal((4, 3)).astype(dt)
    return [SampleInput((a, 0)), SampleInput((a, (slice(None), 1))),
            SampleInput((a, (slice(1, 3),))), SampleInput((a, np.array([0, 2, 2]))),
            SampleInput((a, a > 0)), SampleInput((a, (None, Ellipsis, -1)))]


def _index_bwd_samples(rng, dt):
    g = rng.standard_normal((3, 3)).astype(dt)
    return [SampleInput((g, (4, 3), np.array([0, 2, 2])), grad=True),
            SampleInput((g[0], (4, 3), 1))]


def _index_bwd_parse(shape, index):
    # `index` as getitem records it: tensors (as in the samples) become NumPy indices
    return {"shape": shape, "index": _index_key(index)}


def _index_bwd_reference(g, shape, index):
    return _scatter(np, g, shape, index)


def _setitem_prepare(a, key=None, value=None):
    if not _is_t(value):
        value = loom.tensor(value, dtype=a.dtype, device=a.device)
    return (a, value, key)


def _index_put(xp, a, value, key):
    out = a.copy()
    try:
        out[_index_key(key)] = value
    except ValueError:
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(value.shape)} cannot "
                           f"be broadcast to indexing result of shape "
                           f"{list(np.shape(a[_index_key(key)]))}") from None
    return out


def _index_put_bwd(ctx, g):
    na, nv = ctx.needs_input_grad
    key = _index_key(ctx.params["key"])
    ga = gv = None
    if na:  # the written positions get no gradient
        xp = xp_of(g)
        hit = apply_op("ops_index_backward", xp.ones_like(g[key]), ctx.shapes[0], key) > 0
        ga = xp.where(hit, 0.0, g)
    if nv:
        gv = sum_to_shape(g[key], ctx.shapes[1])
    return ga, gv


def _index_put_samples(rng, dt):
    # the call is ``index_put(a, key, value)``, the order of ``a[key] = value``
    a = rng.standard_normal((4, 3)).astype(dt)
    return [SampleInput((a, 1, rng.standard_normal((3,)).astype(dt))),
            SampleInput((a, (slice(None), 0), rng.standard_normal((4,)).astype(dt))),
            SampleInput((a, (slice(1, 3), slice(None)), rng.standard_normal(()).astype(dt))),
            SampleInput((a, np.array([0, 2]), rng.standard_normal((1, 3)).astype(dt)))]


def _index_put_reference(a, key, value):
    out = a.copy()
    out[key] = value
    return out


# --------------------------------------------------------------------------- where

def _where_prepare(cond, a=None, b=None):
    if a is None:
        raise NotImplementedError("where(condition) with one argument: use nonzero()")
    ref = a if _is_t(a) else b if _is_t(b) else None
    if not _is_t(cond):
        raise TypeError(f"where(): argument 'condition' must be Tensor, not "
                        f"{type(cond).__name__}")
    if not _is_t(a) or not _is_t(b):
        dt = ref.dtype if ref is not None else loom.get_default_dtype()
        if ref is not None and isinstance(a if ref is b else b, float) and \
                not dt.is_floating_point:
            dt = loom.get_default_dtype()
        a = a if _is_t(a) else loom.tensor(a, dtype=dt, device=cond.device)
        b = b if _is_t(b) else loom.tensor(b, dtype=dt, device=cond.device)
    return (cond, a, b)


def _where(xp, cond, a, b):
    if cond.dtype != bool:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {cond.dtype}")
    out = xp.where(cond, a, b)
    return out


def _where_bwd(ctx, g):
    cond, = ctx.saved
    _, na, nb = ctx.needs_input_grad
    xp = xp_of(g)
    zero = g * 0
    return (None, sum_to_shape(xp.where(cond, g, zero), ctx.shapes[1]) if na else None,
            sum_to_shape(xp.where(cond, zero, g), ctx.shapes[2]) if nb else None)


def _where_samples(rng, dt):
    a = rng.standard_normal((3, 4)).astype(dt)
    b = rng.standard_normal((3, 4)).astype(dt)
    c = rng.standard_normal((3, 4)) > 0
    return [SampleInput((c, a, b)), SampleInput((c, a, b[:1])), SampleInput((c[0], a, 0.5))]


OPS = [
    op("getitem", _getitem, backward=_getitem_bwd, view=View.MAYBE, parse=_index_parse,
       methods=("__getitem__",), functions=(), samples=_getitem_samples,
       torch_name="__getitem__", node_name="IndexBackward0",
       doc="Indexing: ints, slices, None, Ellipsis, bool and integer tensors; basic indexing "
           "returns a view."),
    op("index_put", _index_put, backward=_index_put_bwd, inputs=2, prepare=_setitem_prepare,
       methods=(), functions=(), inplace="__setitem__", samples=_index_put_samples,
       torch_name=None, reference=_index_put_reference, node_name="IndexPutBackward0",
       doc="A copy of `input` with `value` written at `key`; in place it is "
           "``t[key] = value``."),
    op("ops_index_backward", _index_backward, backward=_index_backward_bwd, methods=(),
       samples=_index_bwd_samples, torch_name=None, parse=_index_bwd_parse,
       reference=_index_bwd_reference,
       doc="Gradient of indexing: zeros of `shape` with `g` added at `index`."),
    op("where", _where, backward=_where_bwd, inputs=3, save_inputs=(0,), prepare=_where_prepare,
       methods=(), samples=_where_samples,
       doc="Elements of `input` where `condition`, else of `other`."),
]
