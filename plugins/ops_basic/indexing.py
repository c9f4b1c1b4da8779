"""Indexing operators: `t[key]` (views for basic indexing), `t[key] = value`, the gradient of
indexing, and `where`."""
import numpy as np

import loom
from loom.plugin import (SampleInput, View, apply_op, is_tensor as _is_t, op, sample_calls,
                         sum_to_shape, xp_of)


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


def _getitem(xp, a, index):
    try:
        out = a[index]
    except IndexError as e:  # NumPy's words for an index out of range, in PyTorch's
        msg = str(e)
        raise IndexError(f"too many indices for tensor of dimension {a.ndim}"
                         if msg.startswith("too many indices") else
                         msg.replace(" for axis ", " for dimension ")) from None
    # an int on every dimension gives a NumPy scalar; PyTorch gives a 0-dim view
    return out if isinstance(out, type(a)) else \
        a[(index if isinstance(index, tuple) else (index,)) + (Ellipsis,)]


def _getitem_bwd(ctx, g):
    return (apply_op("ops_index_backward", g, ctx.shapes[0], ctx.params["index"]),)


def _scatter(xp, g, shape, index):
    out = xp.zeros(shape, g.dtype)
    items = index if isinstance(index, tuple) else (index,)
    if all(k is None or k is Ellipsis or isinstance(k, (int, slice, np.integer)) for k in items):
        out[index] = g  # basic indexing: no position is written twice
    else:
        xp.add.at(out, index, g)
    return out


def _setitem_prepare(a, key=None, value=None):  # `a[key] = value`: index_put(a, value, key)
    return (a, value if _is_t(value) else loom.tensor(value, dtype=a.dtype, device=a.device), key)


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
    key, xp = _index_key(ctx.params["key"]), xp_of(g)
    hit = na and apply_op("ops_index_backward", xp.ones_like(g[key]), ctx.shapes[0], key) > 0
    return (xp.where(hit, 0.0, g) if na else None,  # the written positions get no gradient
            sum_to_shape(g[key], ctx.shapes[1]) if nv else None)


def _where_prepare(cond, a=None, b=None):
    if a is None:
        raise NotImplementedError("where(condition) with one argument: use nonzero()")
    if not _is_t(cond):
        raise TypeError(f"where(): argument 'condition' must be Tensor, not "
                        f"{type(cond).__name__}")
    if not _is_t(a) or not _is_t(b):  # a number becomes a tensor of the result dtype
        dt = loom.result_type(a, b)
        a, b = (x if _is_t(x) else loom.tensor(x, dtype=dt, device=cond.device) for x in (a, b))
    return (cond, a, b)


def _where(xp, cond, a, b):
    if cond.dtype != bool:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {cond.dtype}")
    return xp.where(cond, *loom.plugin.promote_arrays(a, b))


def _where_bwd(ctx, g):
    cond, = ctx.saved
    _, na, nb = ctx.needs_input_grad
    xp, zero = xp_of(g), g * 0
    return (None, sum_to_shape(xp.where(cond, g, zero), ctx.shapes[1]) if na else None,
            sum_to_shape(xp.where(cond, zero, g), ctx.shapes[2]) if nb else None)


def _where_samples(rng, dt):
    a, b = (rng.standard_normal((3, 4)).astype(dt) for _ in range(2))
    c = rng.standard_normal((3, 4)) > 0
    return [SampleInput((c, a, b)), SampleInput((c, a, b[:1])), SampleInput((c[0], a, 0.5))]


OPS = [
    op("getitem", _getitem, backward=_getitem_bwd, view=View.MAYBE, methods=("__getitem__",),
       parse=lambda key: {"index": _index_key(key)}, functions=(),
       samples=sample_calls(((4, 3), 0), ((4, 3), (slice(None), 1)), ((4, 3), (slice(1, 3),)),
                            ((4, 3), np.array([0, 2, 2])), ((4, 3), np.eye(4, 3, dtype=bool)),
                            ((4, 3), (None, Ellipsis, -1))),
       torch_name="__getitem__", node_name="IndexBackward0",
       doc="Indexing: ints, slices, None, Ellipsis, bool and integer tensors; basic indexing "
           "returns a view."),
    op("index_put", _index_put, backward=_index_put_bwd, inputs=2, prepare=_setitem_prepare,
       methods=(), functions=(), inplace="__setitem__", node_name="IndexPutBackward0",
       reference=lambda a, key, value: _index_put(np, a, value, key),
       samples=sample_calls(((4, 3), 1, (3,)), ((4, 3), (slice(None), 0), (4,)),
                            ((4, 3), (slice(1, 3), slice(None)), ()),
                            ((4, 3), np.array([0, 2]), (1, 3)), inputs=(0, 2)),
       doc="A copy of `input` with `value` written at `key`; in place it is "
           "``t[key] = value``."),
    op("ops_index_backward", _scatter, backward=lambda ctx, g: (g[ctx.params["index"]],),
       # `index` as getitem records it: tensors (as in the samples) become NumPy indices
       parse=lambda shape, index: {"shape": shape, "index": _index_key(index)}, methods=(),
       reference=lambda g, shape, index: _scatter(np, g, shape, index),
       samples=sample_calls(((3, 3), (4, 3), np.array([0, 2, 2])), ((3,), (4, 3), 1)),
       doc="Gradient of indexing: zeros of `shape` with `g` added at `index`."),
    op("where", _where, backward=_where_bwd, inputs=3, save_inputs=(0,), prepare=_where_prepare,
       methods=(), samples=_where_samples,
       doc="Elements of `input` where `condition`, else of `other`."),
]
