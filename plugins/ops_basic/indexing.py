"""Indexing as PyTorch does it: `t[key]` (a view unless a tensor index copies), `t[key] = value`,
`index_put`, masks (`masked_fill`, `masked_scatter`, `masked_select`), flat positions (`take`,
`put`), `nonzero`/`argwhere` and `where`.

A key is first brought to one form (`_key`): a tuple of ints, slices, None, Ellipsis and integer
or bool arrays (a Python bool is a 0-dim bool array, as PyTorch treats it). `_index` applies it
as PyTorch does: ints, slices and None first, as a view, then the tensor indices on the dimensions
they stand at (``t[0, :, [0, 1]]`` has PyTorch's shape, not NumPy's). Backward rules index with
`_at`, which keeps that meaning on raw arrays too.
"""
import warnings

import numpy as np

import loom
from loom.plugin import (ErrorInput, SampleInput, apply_op, dtype_of, is_tensor as _is_t, op,
                         sample_calls, sum_to_shape, xp_of)

_BAD = ("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
        "valid indices (got {})")
_SEQ = ("Using a non-tuple sequence for multidimensional indexing is deprecated and will be "
        "changed in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be "
        "interpreted as tensor index, x[torch.tensor(seq)], which will result either in an error "
        "or a different result")
_CTYPE = dict(uint8="unsigned char", int8="signed char", int16="short int", int32="int",
              int64="long int", float16="c10::Half", float32="float", float64="double")


def _tname(a):  # PyTorch's name of an array's dtype in messages: Float, Long, ComplexFloat
    d = dtype_of(a)
    return d.legacy.removesuffix("Tensor") if d.legacy else \
        {"complex64": "ComplexFloat", "complex128": "ComplexDouble"}.get(d.name, d.name)


def _errs(*calls):  # ErrorInputs from (args, exception type) pairs; a last dict is keywords
    return lambda rng: [ErrorInput(a[:-1], a[-1], error=e) if type(a[-1]) is dict else
                        ErrorInput(a, error=e) for a, e in calls]


def _calls(*tables):  # samples from several `sample_calls` tables
    return lambda rng, dt: [s for t in tables for s in t(rng, dt)]


def _i(*values):
    return np.array(values, dtype=np.int64)


def _seq(k):
    return isinstance(k, (list, tuple, range, str))


class _BareSlice(tuple):
    """The key of ``t[a:b]``: a slice not inside a tuple (PyTorch records a slice step for it
    even over the whole dim, where ``t[(slice(None),)]`` is an alias)."""

    __slots__ = ()


def _key(key):
    """PyTorch's index `key` as a tuple of ints, slices, None, Ellipsis and arrays."""
    t = type(key)
    if t is slice:
        return _BareSlice((key,))
    if t is int:
        return (key,)
    if t is not tuple:  # a short list holding sequences, slices, ... is a tuple
        tup = _seq(key) and len(key) < 32 and any(
            _is_t(k) or _seq(k) or k is None or k is Ellipsis or type(k) is slice for k in key)
        if tup:
            warnings.warn(_SEQ, UserWarning, stacklevel=5)  # the caller of t[key]
        key = tuple(key) if tup else (key,)
    return tuple(k if k is None or k is Ellipsis or type(k) in (int, slice) else _item(k)
                 for k in key)


def _item(k):
    if _is_t(k):
        k = k._data
    elif isinstance(k, (bool, np.bool_)):
        return np.array(bool(k))
    elif isinstance(k, (int, np.integer)):
        return int(k)
    elif isinstance(k, str) or _seq(k) and any(isinstance(e, str) for e in k):
        raise TypeError("new(): invalid data type 'str'")
    elif _seq(k):
        k = np.asarray([e.item() if _is_t(e) else e for e in k]) if len(k) else _i()
    elif not hasattr(k, "ndim"):
        raise IndexError(_BAD.format(type(k).__name__))
    kind, size = k.dtype.kind, k.dtype.itemsize
    if k.ndim == 0 and (kind == "i" or kind == "u" and size > 1):
        return int(k)  # a 0-dim integer tensor selects, as an int does
    if kind == "u" and size == 1:
        warnings.warn("indexing with dtype torch.uint8 is now deprecated, please use a dtype "
                      "torch.bool instead.", UserWarning, stacklevel=7)
        return k.astype(bool)
    if kind != "b" and (kind != "i" or size < 4):
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    return k


def _index(a, key):
    """`a` indexed by `key` (in `_key`'s form) as PyTorch does: (the view of `a` that the ints,
    slices and None make, the NumPy index of the tensor indices into it or None)."""
    late = ell = False  # late: after a None, where an int or slice changes PyTorch's strides
    for k in key:
        if k is None or k is Ellipsis:
            late, ell = late or k is None, ell or k is Ellipsis
        elif not (type(k) is int and not late or type(k) is slice and (
                k.step is None or k.step > 0) and (not late or k == slice(None))):
            break
    else:  # ints, slices, None and Ellipsis (the usual keys) mean the same to NumPy
        try:
            return a[key if ell else (*key, Ellipsis)], None
        except IndexError:
            pass  # PyTorch's message below
    k = key[0]
    if len(key) == 1 and hasattr(k, "ndim") and k.ndim and (
            k.dtype.kind == "i" or k.shape == a.shape[:k.ndim]):
        return a, key  # one integer tensor, or a mask of a's leading shape
    nd = a.ndim
    used = sum(1 if type(k) in (int, slice) else k.ndim if k.dtype == bool else 1
               for k in key if k is not None and k is not Ellipsis)
    if used > nd:
        raise IndexError(f"too many indices for tensor of dimension {nd}")
    basic, adv, axes, shape = [], [], [], []  # shape: the partial result's (as PyTorch builds it)
    o, restride, ell = 0, False, False  # o: the dimension of `a` the next item indexes
    for pos, k in enumerate(key):
        if type(k) is int:
            if not -a.shape[o] <= k < a.shape[o]:
                raise IndexError(f"index {k} is out of bounds for dimension {pos} with size "
                                 f"{a.shape[o]}")
            basic.append(k)
            o, restride = o + 1, restride or bool(axes)
        elif type(k) is slice:
            if k.step is not None and k.step <= 0:
                raise ValueError("step must be greater than zero" if k.step else
                                 "slice step cannot be zero")
            basic.append(k)
            shape.append(len(range(*k.indices(a.shape[o]))))
            o, restride = o + 1, restride or bool(axes) and k != slice(None)
        elif k is None:  # PyTorch strides a new axis as the dimension it is put before
            axes.append((len(shape), a.strides[o] * a.shape[o] if o < nd else a.itemsize))
            basic.append(None)
            shape.append(1)
        elif k is Ellipsis:
            n, ell = 0 if ell else nd - used, True  # a second one stands for nothing
            basic += [slice(None)] * n
            shape += a.shape[o:o + n]
            o += n
        else:
            m = k.ndim if k.dtype == bool else 1
            if k.dtype == bool and k.shape != a.shape[o:o + m]:
                part = shape + list(a.shape[o:])
                j = next(i for i, s in enumerate(k.shape) if s != part[len(shape) + i])
                raise IndexError(f"The shape of the mask {list(k.shape)} at index {j} does not "
                                 f"match the shape of the indexed tensor {part} at index "
                                 f"{len(shape) + j}")
            adv.append((len(shape), k.reshape(1) if m == 0 else k))
            basic += [slice(None)] * m if m else [None]  # a bool is a new axis of size 1 or 0
            shape += a.shape[o:o + m] if m else [1]
            o += m
    view = a[(*basic, Ellipsis)]
    if not adv:
        return _strided(view, axes) if restride and type(view) is np.ndarray else view, None
    out = [slice(None)] * view.ndim
    for d, k in reversed(adv):  # from the last: a mask replaces as many dims as it has
        out[d:d + k.ndim if k.dtype == bool else d + 1] = [k]
    return view, tuple(out)


def _advanced(view, adv, fn):
    """`fn()`, which indexes `view` with `adv`; NumPy's IndexError as PyTorch words it."""
    try:
        return fn()
    except IndexError:
        pass
    arrays, d, k = [], 0, 0  # d: the dim of `view` indexed; k: of the index tensors
    for x in adv:
        m = 1 if type(x) is slice or x.dtype != bool else x.ndim  # a mask stands for its nonzero
        if type(x) is not slice:
            n, arrays = view.shape[d], arrays + (list(x.nonzero()) if m != 1 or x.dtype == bool
                                                 else [x])
            bad = x[(x < -n) | (x >= n)] if x.dtype != bool else x[:0]
            if bad.size:
                raise IndexError(f"index {int(bad[0])} is out of bounds for dimension {k} with "
                                 f"size {n}") from None
            k += m
        d += m
    raise IndexError(f"shape mismatch: indexing tensors could not be broadcast together with "
                     f"shapes {', '.join(str(list(x.shape)) for x in arrays)}") from None


def _strided(view, axes):
    """`view` with PyTorch's strides on its new axes (NumPy gives them 0), over the same
    memory (its root array's buffer)."""
    root, strides = view, list(view.strides)
    while isinstance(root.base, np.ndarray):
        root = root.base
    for d, s in axes:
        strides[d] = s
    try:
        out = np.ndarray(view.shape, view.dtype, root, view.__array_interface__["data"][0] -
                         root.__array_interface__["data"][0], strides)
    except (TypeError, ValueError, BufferError):  # memory exporting no buffer: NumPy's strides
        return view
    out.flags.writeable = view.flags.writeable
    return out


def _getitem(xp, a, index):
    view, adv = _index(a, index)
    if adv is None:
        return view
    out = _advanced(view, adv, lambda: view[adv])
    if out.flags.c_contiguous and 1 not in out.shape:
        return out
    step, c = out.itemsize, []  # PyTorch's copy is C-ordered; NumPy's may not be
    for n in reversed(out.shape):
        c, step = [step] + c, step * max(n, 1)
    return out if out.strides == tuple(c) else out.copy()


def _at(g, key):  # `g[key]` with PyTorch's meaning on raw arrays too
    return apply_op("getitem", g, key)


def _zero_at(g, key):  # `g` with zeros where `key` points: the gradient of overwritten input
    return apply_op("index_put", g, _at(g, key) * 0, key)


def _scatter(xp, g, shape, index):
    out = xp.zeros(shape, g.dtype)
    view, adv = _index(out, index)
    if adv is None:
        view[...] = g  # basic indexing: no position is written twice
    else:
        _advanced(view, adv, lambda: xp.add.at(view, adv, g))
    return out


def _setitem_prepare(a, key=None, value=None):  # `a[key] = value`: index_put(a, value, key)
    if not _is_t(value):
        if not isinstance(value, (bool, int, float, complex, np.number)):
            raise TypeError(f"can't assign a {type(value).__name__} to a {a.type()}")
        if isinstance(value, complex) and not a.is_complex():
            raise RuntimeError(f"value cannot be converted to type {_CTYPE[a.dtype.name]} "
                               f"without overflow")
        value = loom.tensor(value, dtype=a.dtype, device=a.device)
    return (a, value, key)


def _index_put_prepare(input, indices=None, values=None, accumulate=False):
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"index_put(): argument 'indices' (position 2) must be tuple of Tensors, "
                        f"not {type(indices).__name__}")
    for i, t in enumerate(indices):
        if not _is_t(t):
            raise TypeError(f"expected Tensor as element {i} in argument 1, but got "
                            f"{type(t).__name__}")
    if len(indices) > input.ndim:
        raise IndexError(f"too many indices for tensor of dimension {input.ndim} (got "
                         f"{len(indices)})")
    if _is_t(values) and values.dtype != input.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{_tname(input._data)} for the destination and "
                           f"{_tname(values._data)} for the source.")
    return (input, values, tuple(indices), accumulate)


def _index_put(xp, a, value, key, accumulate=False):
    out = a.copy()
    view, adv = _index(out, key)
    target = view if adv is None else _advanced(view, adv, lambda: view[adv])
    while value.ndim > target.ndim and value.shape[0] == 1:  # PyTorch drops leading 1s
        value = value[0]
    if adv is None:
        try:
            view[...] = value
        except ValueError:  # PyTorch expands the value: expand's error
            apply_op("expand", value, view.shape)
        return out
    try:
        value = xp.broadcast_to(value, target.shape)
    except ValueError:
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(value.shape)} cannot be "
                           f"broadcast to indexing result of shape {list(target.shape)}") from None
    if accumulate:
        xp.add.at(view, adv, value)
    else:
        view[adv] = value
    return out


def _index_put_bwd(ctx, g):
    (na, nv), key, vs = ctx.needs_input_grad, ctx.params["key"], ctx.shapes[1]
    gv = _at(g, key) if nv else None
    if nv and gv.ndim < len(vs):  # the leading 1s the value had
        gv = gv.reshape((1,) * (len(vs) - gv.ndim) + tuple(gv.shape))
    return ((g if ctx.params["accumulate"] else _zero_at(g, key)) if na else None,
            sum_to_shape(gv, vs) if nv else None)


def _where_prepare(condition, input=None, other=None):
    if not _is_t(condition):
        raise TypeError(f"where(): argument 'condition' must be Tensor, not "
                        f"{type(condition).__name__}")
    if input is None and other is None:
        return (condition,)
    if input is None or other is None:
        raise TypeError(f"where() received an invalid combination of arguments - got (Tensor, "
                        f"{type(input).__name__}, {type(other).__name__})")
    a, b = input, other
    if not (_is_t(a) and _is_t(b) and a.dtype == b.dtype):  # PyTorch's promotion, as `+` has it
        a0, b0 = (loom.empty(0 if x.ndim else (), dtype=x.dtype) if _is_t(x) else x
                  for x in (a, b))
        dt = (a0 + b0).dtype if _is_t(a0) or _is_t(b0) else loom.promote_types(
            loom.tensor(a0).dtype, loom.tensor(b0).dtype)
        a, b = (x.to(dt) if _is_t(x) else loom.tensor(x, dtype=dt, device=condition.device)
                for x in (a, b))
    return (condition, a, b)


def _where(xp, cond, *ab):
    if not ab:  # where(condition) is nonzero(condition, as_tuple=True)
        return _nonzero(xp, cond, as_tuple=True)
    if cond.dtype == np.uint8:
        warnings.warn("where received a uint8 condition tensor. This behavior is deprecated and "
                      "will be removed in a future version of PyTorch. Use a boolean condition "
                      "instead.", UserWarning, stacklevel=3)
        cond = cond.astype(bool)
    if cond.dtype != bool:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {_tname(cond)}")
    return xp.where(cond, *ab)


def _where_bwd(ctx, g):
    cond, (_, na, nb) = ctx.saved[0] != 0, ctx.needs_input_grad  # a uint8 condition as bool
    xp, zero = xp_of(g), g * 0
    return (None, sum_to_shape(xp.where(cond, g, zero), ctx.shapes[1]) if na else None,
            sum_to_shape(xp.where(cond, zero, g), ctx.shapes[2]) if nb else None)


def _where_samples(rng, dt):
    a, b = (rng.standard_normal((3, 4)).astype(dt) for _ in range(2))
    c = rng.standard_normal((3, 4)) > 0
    return [SampleInput((c, a, b)), SampleInput((c, a, b[:1])), SampleInput((c[0], a, 0.5)),
            SampleInput((a,), grad=False, note="one argument: nonzero(as_tuple=True)")]


def _nonzero(xp, a, *, as_tuple=False):
    return tuple(xp.ascontiguousarray(i) for i in xp.nonzero(a.reshape(1) if a.ndim == 0 else a)
                 ) if as_tuple else xp.argwhere(a)


def _broadcast(xp, *arrays):
    try:
        return xp.broadcast_arrays(*arrays)
    except ValueError:
        n = max(x.ndim for x in arrays)
        a, b = ([1] * (n - x.ndim) + list(x.shape) for x in arrays)
        d = max(i for i in range(n) if a[i] != b[i] and 1 not in (a[i], b[i]))
        raise RuntimeError(f"The size of tensor a ({a[d]}) must match the size of tensor b "
                           f"({b[d]}) at non-singleton dimension {d}") from None


def _masked_fill(xp, a, mask, *v, value=None):  # `value` a number, or the 0-dim tensor `v`
    if mask.dtype != bool or v and v[0].ndim:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{_CTYPE.get(mask.dtype.name, mask.dtype.name)}" if mask.dtype !=
                           bool else f"masked_fill_ only supports a 0-dimensional value tensor, "
                           f"but got tensor with {v[0].ndim} dimension(s).")
    mask, a = _broadcast(xp, mask, a)
    return xp.where(mask, xp.asarray(v[0] if v else value).astype(a.dtype), a)


def _masked_fill_bwd(ctx, g):
    (mask,), need, xp, zero = ctx.saved, ctx.needs_input_grad, xp_of(g), g * 0
    return (sum_to_shape(xp.where(mask, zero, g), ctx.shapes[0]) if need[0] else None, None,
            sum_to_shape(xp.where(mask, g, zero), ()) if need[2:] == (True,) else None)


def _masked_scatter(xp, a, mask, source):
    if mask.dtype != bool or source.dtype != a.dtype:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype "
                           f"{_tname(mask)}" if mask.dtype != bool else f"masked_scatter: expected"
                           f" self and source to have same dtypes but got{_tname(a)} and "
                           f"{_tname(source)}")
    out, m = (x.copy() for x in _broadcast(xp, a, mask))
    if m.sum() > source.size:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    out[m] = source.reshape(-1)[:int(m.sum())]
    return out


def _masked_scatter_bwd(ctx, g):  # the source's first mask.sum() elements got g; zeros after
    (mask,), (na, _, ns), xp = ctx.saved, ctx.needs_input_grad, xp_of(g)
    m = xp.broadcast_to(mask, tuple(g.shape))
    return (sum_to_shape(xp.where(m, g * 0, g), ctx.shapes[0]) if na else None, None,
            apply_op("ops_index_backward", g[m], (int(np.prod(ctx.shapes[2])),), slice(
                0, int(m.sum()))).reshape(ctx.shapes[2]) if ns else None)


def _masked_select(xp, a, mask):
    if mask.dtype != bool:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    a, mask = _broadcast(xp, a, mask)
    return a[mask]


def _masked_select_bwd(ctx, g):
    (mask,), shape = ctx.saved, np.broadcast_shapes(*ctx.shapes)
    m = xp_of(mask).broadcast_to(mask, shape)
    return (sum_to_shape(apply_op("ops_index_backward", g, shape, m), ctx.shapes[0]), None)


def _flat(a, index, who):  # PyTorch's checks of a flat index into `a`
    if index.dtype != np.int64:
        raise RuntimeError(f"{who}(): Expected a long tensor for index, but got {_tname(index)}")
    bad = index[(index < -a.size) | (index >= a.size)]
    if bad.size:
        raise IndexError(f"out of range: tried to access index {int(bad[0])} on a tensor of "
                         f"{a.size} elements.")


def _take(xp, a, index):
    if a.size == 0 and index.size:
        raise IndexError("take(): tried to take from an empty tensor")
    _flat(a, index, "take")
    return a.reshape(-1)[index]


def _put(xp, a, index, source, accumulate=False):  # PyTorch's checks, in its order
    if index.dtype != np.int64 or source.dtype != a.dtype:
        raise RuntimeError(f"put_(): Expected a long tensor for index, but got {_tname(index)}"
                           if index.dtype != np.int64 else f"put_(): self and source expected to "
                           f"have the same dtype, but got self.dtype = {_tname(a)} and "
                           f"source.dtype = {_tname(source)}")
    if source.size != index.size or a.size == 0 and index.size:
        raise IndexError(f"put_(): Expected source and index to have the same number of elements,"
                         f" but got source.numel() = {source.size}, index.numel() = {index.size}"
                         if source.size != index.size else
                         "put_(): Tried to put elements into an empty tensor")
    _flat(a, index, "put_")
    out = a.copy()
    (xp.add.at if accumulate else xp.put)(out.reshape(-1), index.reshape(-1), source.reshape(-1))
    return out


def _put_bwd(ctx, g):
    (index,), (na, _, ns), flat = ctx.saved, ctx.needs_input_grad, g.reshape(-1)
    return ((g if ctx.params["accumulate"] else _zero_at(flat, (index.reshape(-1),)).reshape(
        ctx.shapes[0])) if na else None, None, flat[index.reshape(-1)].reshape(ctx.shapes[2])
        if ns else None)


def _setitem_samples(rng, dt):
    def x():
        return rng.standard_normal((4, 3)).astype(dt)
    return [SampleInput((x(), k, v)) for k, v in (
        (1, x()[0]), ((slice(None), 0), x()[:, 0]), ((slice(1, 3), slice(None)), x()[0, 0]),
        (_i(0, 2), x()[:1]), ((None, 1, slice(0, 2)), x()[:1, :2]),
        (np.eye(4, 3, dtype=bool), x()[0, 0]), ((0, _i(2, 0)), x()[0, :2]))]


def _getitem_node(p):
    """PyTorch's node for ``t[key]``: IndexBackward0 with an index tensor, else that of the
    last view applied (select for an int, slice, unsqueeze for None), whole-dimension slices
    of a tuple key skipped; a key applying none is an alias. A bare slice always slices."""
    if not p:
        return "IndexBackward0"
    key, last = p["index"], "AliasBackward0"
    if type(key) is _BareSlice:
        return "SliceBackward0"
    for k in key:
        if k is None:
            last = "UnsqueezeBackward0"
        elif type(k) is int:
            last = "SelectBackward0"
        elif type(k) is slice:
            if not (k.start in (None, 0) and k.stop is None and k.step in (None, 1)):
                last = "SliceBackward0"
        elif k is not Ellipsis:
            return "IndexBackward0"
    return last


_M, _V, _W = np.eye(3, 4, dtype=bool), np.ones(3), np.ones((3, 4))
_PUT = dict(backward=_index_put_bwd, inputs=2, parse=lambda key, accumulate=False: dict(
    key=_key(key), accumulate=accumulate), node_name="IndexPutBackward0")

OPS = [
    op("getitem", _getitem, backward=lambda ctx, g: (
        apply_op("ops_index_backward", g, ctx.shapes[0], ctx.params["index"]),),
       view="maybe", methods=("__getitem__",), parse=lambda key: {"index": _key(key)},
       functions=(), torch_name="__getitem__", node_name=_getitem_node, samples=sample_calls(
           ((4, 3), 0), ((4, 3), (slice(None), 1)), ((4, 3), (slice(1, 3),)), ((4, 3), True),
           ((4, 3), _i(0, 2, 2)), ((4, 3), np.eye(4, 3, dtype=bool)), ((4, 3), [1, -1]),
           ((4, 3), (None, Ellipsis, -1)), ((2, 3, 4), (0, slice(None), _i(0, 1))),
           ((2, 3, 4), (_i(1, 0), slice(None), _i(3, 3))),
           ((2, 3, 4), (slice(None), None, 1, slice(0, 4, 2))),
           ((2, 3, 4), (np.array([True, False]), Ellipsis, _i(0, 2)))),
       error_samples=_errs(((_V, 5), IndexError), ((_V, "a"), TypeError), ((_V, 1.5), IndexError),
                           ((_V, slice(None, None, -1)), ValueError), ((_V, (0, 0)), IndexError),
                           ((_V, _i(3)), IndexError), ((_V, np.ones(1)), IndexError),
                           ((_V, np.ones(2, bool)), IndexError)),
       doc="Indexing as PyTorch: ints, slices, None, Ellipsis, bools, integer and bool tensors "
           "(and lists of them); ints, slices and None give a view."),
    op("setitem", _index_put, **_PUT, prepare=_setitem_prepare, methods=(), functions=(),
       inplace="__setitem__", reference=lambda a, key, value: _index_put(
           np, a, np.asarray(value, a.dtype), _key(key)), samples=_setitem_samples,
       error_samples=_errs(((_V, 5, 1.0), IndexError), ((_V, 1, "a"), TypeError),
                           ((_V, 0, np.ones(2)), RuntimeError)),
       doc="``t[key] = value``: `value` (a tensor or a number) written where `key` points."),
    op("index_put", _index_put, **_PUT, prepare=_index_put_prepare, inplace="index_put_",
       inplace_function=True,
       samples=sample_calls(((4, 3), (_i(0, 2),), (2, 3)), ((4, 3), (_i(0, 2), _i(1, 1)), (2,)),
                            ((4, 3), (_i(0, 0, 3), _i(1, 1, 2)), (3,), True),
                            ((4, 3), (_i(1, 1),), (3,), {"accumulate": True}),
                            ((4, 3), [np.eye(4, 3, dtype=bool)], ()), inputs=(0, 2)),
       error_samples=_errs(((_V, (_i(5),), _V[:1]), IndexError), ((_V, _i(1), _V[:1]), TypeError),
                           ((_V, (_i(0, 1),), _V), RuntimeError),
                           ((_V, (_i(1),), np.ones((), np.float32)), RuntimeError)),
       doc="A copy of `input` with `values` written (or, with `accumulate`, added) where the "
           "tuple of tensors `indices` points."),
    op("ops_index_backward", _scatter, backward=lambda ctx, g: (_at(g, ctx.params["index"]),),
       parse=lambda shape, index: {"shape": tuple(shape), "index": _key(index)}, methods=(),
       reference=lambda g, shape, index: _scatter(np, g, shape, _key(index)),
       samples=sample_calls(((3, 3), (4, 3), _i(0, 2, 2)), ((3,), (4, 3), 1)),
       doc="Gradient of indexing: zeros of `shape` with `g` added where `index` points."),
    op("where", _where, backward=_where_bwd, variadic=True, save_inputs=(0,),
       prepare=_where_prepare, parse=lambda: {}, methods=(), samples=_where_samples,
       doc="Elements of `input` where `condition`, else of `other`; with the condition alone, "
           "``nonzero(condition, as_tuple=True)``."),
    op("where_method", _where, backward=_where_bwd, inputs=3, save_inputs=(0,),
       prepare=lambda self, condition=None, other=None: _where_prepare(condition, self, other),
       methods=("where",), functions=(), reference=lambda a, c, b: np.where(c, a, b),
       samples=lambda rng, dt: [SampleInput((s.args[1], s.args[0], *s.args[2:]))
                                for s in _where_samples(rng, dt)[:3]], node_name="WhereBackward0",
       doc="``self.where(condition, other)`` is ``torch.where(condition, self, other)``."),
    op("nonzero", _nonzero, aliases=("argwhere",), differentiable=False,
       supports_out=True,
       samples=lambda rng, dt: [SampleInput((np.array(x, dt),), kw, grad=False) for x, kw in (
           ([[1, 0, 2], [0, 0, 3]], {}), ([[1, 0], [0, 3]], {"as_tuple": True}), (2, {}),
           (0, {"as_tuple": True}))],
       doc="Indices of the non-zero elements: a row each, or (`as_tuple`) a tensor per dim."),
    op("masked_fill", _masked_fill, backward=_masked_fill_bwd, variadic=True, save_inputs=(1,),
       prepare=lambda input, mask=None, value=None: (input, mask, value),
       parse=lambda value=None: {"value": value}, inplace="masked_fill_",
       samples=_calls(sample_calls(((3, 4), _M, -1.5), ((3, 4), _M[0], 2)),
                      sample_calls(((3, 4), _M, ()), inputs=(0, 2))),
       error_samples=_errs(((_W, _M.astype(np.uint8), 1.0), RuntimeError),
                           ((_W, _M, _V[:1]), RuntimeError), ((_W, _M[0, :3], 1.0), RuntimeError)),
       doc="`input` with `value` (a number or a 0-dim tensor) where `mask` is True."),
    op("masked_scatter", _masked_scatter, backward=_masked_scatter_bwd, inputs=3,
       save_inputs=(1,), inplace="masked_scatter_",
       samples=sample_calls(((3, 4), _M, (12,)), ((3, 4), _M[0], (2, 5)), inputs=(0, 2)),
       error_samples=_errs(((_W, _W, np.ones(12)), RuntimeError),
                           ((_W, np.ones((3, 4), bool), np.ones(3)), RuntimeError),
                           ((_V, np.ones(3, bool), np.ones(3, np.float32)), RuntimeError)),
       doc="`input` with the elements of `source`, in order, where `mask` is True."),
    op("masked_select", _masked_select, backward=_masked_select_bwd, inputs=2, save_inputs=(1,),
       supports_out=True, samples=sample_calls(((3, 4), _M), ((3, 4), _M[0]), ((4,), _M)),
       error_samples=_errs(((_W, _M.astype(np.uint8)), RuntimeError), ((_W, _M[0, :3]),
                                                                        RuntimeError)),
       doc="The elements of `input` where `mask` (broadcast) is True, as a 1-D tensor."),
    op("take", _take, backward=lambda ctx, g: (apply_op(
        "ops_index_backward", g, (int(np.prod(ctx.shapes[0])),), ctx.saved[0]).reshape(
            ctx.shapes[0]), None), inputs=2, save_inputs=(1,), supports_out=True,
       samples=sample_calls(((3, 4), _i(0, 11, -1, 5, 5)), ((3, 4), _i(0, 1, 2, 2).reshape(2, 2)),
                            ((), _i(0, 0))),
       error_samples=_errs(((_V, _i(3)), IndexError), ((_V[:0], _i(0)), IndexError),
                           ((_V, _i(1).astype(np.int32)), RuntimeError)),
       doc="The elements of `input`, as if flattened, at `index`; the result has its shape."),
    op("put", _put, backward=_put_bwd, inputs=3, save_inputs=(1,), inplace="put_",
       samples=sample_calls(((3, 4), _i(0, 10, -1), (3,)), ((3, 4), _i(0, 0, 5), (3,), True),
                            ((3, 4), _i(1, 2).reshape(1, 2), (2,), {"accumulate": False}),
                            inputs=(0, 2)),
       error_samples=_errs(((_V, _i(3), _V[:1]), IndexError), ((_V, _i(1, 2), _V[:1]), IndexError),
                           ((_V, _i(1), np.ones(1, np.float32)), RuntimeError),
                           ((np.ones(()), _i(0, 1, 2), np.ones(3, np.float32)), RuntimeError),
                           ((np.ones(0), _i(0), np.ones(1)), IndexError)),
       doc="A copy of `input` with `source` written (or, with `accumulate`, added) at the flat "
           "positions `index`."),
]
