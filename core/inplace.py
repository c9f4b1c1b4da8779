"""In-place operations and writes into existing tensors (`add_`, `zero_`, `t[i] = v`, `out=`).

A write bumps the tensor's version counter (shared with its views), refuses a leaf that
requires grad, and, when autograd records it, makes the tensor the output of the new node.
NumPy's read-only error for a write into an expanded tensor becomes PyTorch's RuntimeError.
"""
from __future__ import annotations

import numpy as np

from . import dtypes as _dt
from . import grad_mode
from .promotion import scaled_by_alpha
from .registry import OpEntry
from .spec import Kind
from .graph import Node, live_views
from .storage import storage_offset, strides_in_elements
from .tensor import Tensor, wrap

__all__ = ["build_inplace", "write_into", "bump_version", "rebase_view"]

_new = object.__new__
_gs = grad_mode.state
_go = grad_mode.counts

_READ_ONLY = ("unsupported operation: more than one element of the written-to tensor refers to a "
              "single memory location. Please clone() the tensor before performing the operation.")


def _check_inplace_target(op, a, rec):
    if (not _go.off or _gs.enabled):
        if a.grad_fn is None and a._rg:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                               "operation.")
        base = a._base
        if base is not None and base.grad_fn is None and base._rg:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in "
                               "an in-place operation.")


def bump_version(a) -> None:
    box = a._vc
    if box is None:
        a._vc = [1]
    else:
        box[0] += 1


def write_into(op_name, a, value_arr, allow_overlap=False):
    """Copy `value_arr` into `a`'s memory with PyTorch's cast and aliasing errors."""
    ad = a._data
    if value_arr.dtype != ad.dtype:
        src = _dt.from_numpy_dtype(value_arr.dtype)
        if not _dt.can_cast(src, _dt.from_numpy_dtype(ad.dtype)):
            raise RuntimeError(f"result type {_type_name(src)} can't be cast to the desired "
                               f"output type {_type_name(_dt.from_numpy_dtype(ad.dtype))}")
    if value_arr.shape != ad.shape:
        try:
            np.broadcast_shapes(value_arr.shape, ad.shape)
        except ValueError:
            raise RuntimeError(f"output with shape {list(ad.shape)} doesn't match the broadcast "
                               f"shape {list(value_arr.shape)} ({op_name})") from None
        if np.broadcast_shapes(value_arr.shape, ad.shape) != ad.shape:
            raise RuntimeError(f"output with shape {list(ad.shape)} doesn't match the broadcast "
                               f"shape {list(np.broadcast_shapes(value_arr.shape, ad.shape))} "
                               f"({op_name})")
    if not ad.flags.writeable:
        ad = _writable_alias(ad) if allow_overlap else None
        if ad is None:
            raise RuntimeError(_READ_ONLY)
    ad[...] = value_arr


def _writable_alias(ad):
    """A writable array over the same memory as the read-only (expanded) NumPy view `ad`, for
    fill_/zero_, which PyTorch allows on expanded tensors; None when there is none."""
    from .storage import data_ptr, root_of
    root = root_of(ad)
    if type(ad) is not np.ndarray or not root.flags.writeable:
        return None
    return np.ndarray(ad.shape, ad.dtype, buffer=root, offset=data_ptr(ad) - data_ptr(root),
                      strides=ad.strides)


def _type_name(d):
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
            "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
            "complex64": "ComplexFloat", "complex128": "ComplexDouble",
            "bfloat16": "BFloat16"}[d.name]


def build_inplace(op: OpEntry):
    """``a.<op>_(...)``: compute, write into `a`'s memory, bump its version, and when
    recording make `a` the output of the new node (its old value is cloned for the rule)."""
    call = op.call
    differentiable = op.differentiable
    fill = op.inplace_fill
    # the fast path writes with the ufunc's `out=`; ops that take no Python numbers
    # (logical_and) refuse them on the general path
    ufunc_kernels = op.kernels if (op.ufunc is not None and op.kind is Kind.BINARY and
                                   op.scalars) else None
    scaled_ok = ufunc_kernels is not None and op.alpha  # add_/sub_ with alpha=

    def inplace(a, *args, **kw):
        if ufunc_kernels is not None and _go.off and not kw and len(args) == 1 and \
                type(a) is Tensor and not _gs.enabled:
            # an optimizer's update under no_grad (``p.sub_(lr * g)``): the ufunc into `a`, as
            # NumPy's ``p -= lr * g``, when the operand matches `a` (the general path below
            # otherwise)
            b = args[0]
            ad = a._data
            if type(b) is Tensor:
                bd = b._data
                if bd.dtype is ad.dtype and type(bd) is type(ad) and bd.shape == ad.shape and \
                        ad.flags.writeable:
                    try:
                        ufunc_kernels[type(ad)](ad, bd, out=ad)
                    except TypeError:
                        pass  # NumPy cannot write it into `a`: PyTorch's error, below
                    else:
                        box = a._vc
                        if box is None:
                            a._vc = [1]
                        else:
                            box[0] += 1
                        return a
        if not isinstance(a, Tensor):
            raise TypeError(f"{op.inplace}(): self must be a Tensor")
        if fill and kw:  # zero_() and fill_(value) take no keywords, as in PyTorch
            raise TypeError(f"Tensor.{op.inplace}() takes no keyword arguments")
        if kw and "alpha" in kw and len(args) == 1:  # add_(b, alpha=2)
            if scaled_ok and _go.off and not _gs.enabled and len(kw) == 1:
                # an optimizer's update under no_grad (``p.add_(g, alpha=-lr)``): one scaled
                # temporary and the ufunc into `a`, as NumPy's ``p -= lr * g``
                b, alpha = args[0], kw["alpha"]
                ad = a._data
                if type(b) is Tensor and (type(alpha) is float or type(alpha) is int) and \
                        ad.dtype.kind == "f" and b._data.dtype is ad.dtype and \
                        type(b._data) is type(ad) and b._data.shape == ad.shape and \
                        ad.flags.writeable:
                    ufunc_kernels[type(ad)](ad, b._data * alpha, out=ad)
                    bump_version(a)
                    return a
            kw = dict(kw)
            args = (scaled_by_alpha(op, a, args[0], kw.pop("alpha")),)
        rec = False
        if (not _go.off or _gs.enabled):
            if differentiable:
                rec = a._rg
                if not rec:
                    for x in (*args, *kw.values()) if kw else args:
                        if type(x) is Tensor and x._rg:
                            rec = True
                            break
            _check_inplace_target(op, a, rec)
        if not rec:
            ad = a._data
            if fill and len(args) <= 1 and not kw:
                # zero_ / fill_: one store, no temporary
                v = args[-1] if args else 0
                if isinstance(v, Tensor):
                    if v._data.ndim:
                        raise RuntimeError(f"fill_ only supports 0-dimension value tensor but "
                                           f"got tensor with {v._data.ndim} dimensions.")
                    v = v.item()
                if not ad.flags.writeable:
                    ad = _writable_alias(ad)
                    if ad is None:
                        raise RuntimeError(_READ_ONLY)
                ad[...] = v
                bump_version(a)
                return a
            if ufunc_kernels is not None and not kw:
                b = args[0]
                if type(b) is Tensor and b._data.dtype is ad.dtype and type(b._data) is type(ad) \
                        or type(b) in (int, float) and ad.dtype.kind == "f":
                    if not ad.flags.writeable:
                        raise RuntimeError(_READ_ONLY)
                    bd = b._data if type(b) is Tensor else b
                    if type(b) is not Tensor or bd.shape == ad.shape:
                        try:
                            ufunc_kernels[type(ad)](ad, bd, out=ad)
                        except TypeError:
                            # NumPy cannot write the result into `a` (int.div_(int), bool
                            # operands): the general path raises PyTorch's error
                            pass
                        else:
                            bump_version(a)
                            return a
            r = call(a, *args, **kw)
            write_into(op.inplace, a, r._data, fill)
            bump_version(a)
            return a
        prev = _new(Tensor)
        prev._data = a._data.copy()
        prev._rg = a._rg
        prev.grad_fn = a.grad_fn
        prev._vc = None
        prev._grad = None
        prev._base = None
        if a.grad_fn is not None:
            prev._edge = a._edge
        r = call(prev, *args, **kw)
        write_into(op.inplace, a, r._data)
        bump_version(a)
        node = r.grad_fn
        if node is not None:
            # saved references to the result must see `a`'s storage and version
            if node._saved:
                node._saved = [(a._data, _box(a), a._vc[0]) if type(s) is tuple else s
                               for s in node._saved]
            a.grad_fn = node
            a._edge = (node, 0)
            a._rg = True
            if a._base is not None:
                rebase_view(a, node)
            elif a._vc is not None:  # views taken before the write now view the new value
                _regenerate_views(a, None)
        return a

    return inplace


def _box(a):
    if a._vc is None:
        a._vc = [0]
    return a._vc


# ----------------------------------------------------------------------------- views

def _offsets(arr) -> np.ndarray:
    """The storage offset (in elements) of every element of `arr`, as a host int array."""
    off = np.full(arr.shape, storage_offset(arr), np.int64)
    nd = arr.ndim
    for k, (n, st) in enumerate(zip(arr.shape, strides_in_elements(arr))):
        off = off + (np.arange(n, dtype=np.int64) * st).reshape(
            [n if j == k else 1 for j in range(nd)])
    return off


def _positions(view, base) -> np.ndarray:
    """For each element of `view`, the flat (C-order) index of the same memory in `base`."""
    bo = _offsets(base).ravel()
    order = np.argsort(bo, kind="stable")
    return order[np.searchsorted(bo[order], _offsets(view).ravel())].reshape(view.shape)


class CopySlices(Node):
    """The base's node after an in-place operation on one of its views: the gradient of the
    base's region the view covers goes to the operation's node (whose first input is the
    view's old value, so it flows on to the base's old history through the view's node); the
    rest goes straight to the base's old history."""

    __slots__ = ("pos", "keep", "shape")

    def name(self) -> str:
        return "torch::autograd::CopySlices"

    def __repr__(self) -> str:
        return f"<CopySlices object at {hex(id(self))}>"

    def apply(self, grads, create_graph, retain_graph):
        g = grads[0]
        if g is None:
            return None
        pos, keep = self.pos, self.keep
        if create_graph:
            region = g.reshape(-1)[wrap(pos)]
            outside = g * wrap(keep)
        else:
            region = g.reshape(-1)[pos]
            outside = g * keep
        return [outside, region]


class AsStridedBackward0(Node):
    """The view's node after the in-place operation: the view is now a region of the base's
    new value, so its gradient is scattered into a zero gradient of the base's shape."""

    __slots__ = ("pos", "shape", "dtype")

    def apply(self, grads, create_graph, retain_graph):
        g = grads[0]
        if g is None:
            return None
        if create_graph:
            flat = wrap(_xp(g._data).zeros(int(np.prod(self.shape, dtype=np.int64)),
                                           g._data.dtype))
            flat = flat.index_add(0, wrap(self.pos.reshape(-1)), g.reshape(-1))
            return [flat.reshape(self.shape)]
        out = _xp(g).zeros(self.shape, g.dtype)
        out.reshape(-1)[self.pos.reshape(-1)] = g.reshape(-1)
        return [out]


def _xp(arr):
    from .backends import backend_of
    return backend_of(arr).xp


def rebase_view(view, node) -> None:
    """`view` was just written in place by `node` (whose input 0 is the view's old value):
    give its base the history PyTorch gives it (CopySlices) and regenerate the view's own node
    from the base's new one."""
    base = view._base
    xp = _xp(base._data)
    pos = _positions(view._data, base._data)
    keep = np.ones(base._data.shape, base._data.dtype if base._data.dtype.kind in "fc"
                   else np.float64)
    keep.reshape(-1)[pos.reshape(-1)] = 0
    if xp is not np:
        pos, keep = xp.asarray(pos), xp.asarray(keep)
    # a leaf base that requires grad was refused before the write, so the base's old history
    # is its node or nothing
    old = base._edge if base.grad_fn is not None else None
    cs = object.__new__(CopySlices)
    cs.next = (old, (node, 0))
    cs.pos, cs.keep, cs.shape = pos, keep, base._data.shape
    base.grad_fn = cs
    base._edge = (cs, 0)
    base._rg = True
    vn = object.__new__(AsStridedBackward0)
    vn.next = ((cs, 0),)
    vn.pos, vn.shape = pos, base._data.shape
    view.grad_fn = vn
    view._edge = (vn, 0)
    _regenerate_views(base, view)


def _regenerate_views(base, skip) -> None:
    """Give every other live view of `base` a node reading from the base's new history (PyTorch
    regenerates a view's grad_fn when its base's version changed)."""
    for v in live_views(base):
        if v is skip:
            continue
        vn = object.__new__(AsStridedBackward0)
        vn.next = (base._edge,)
        vn.pos = _positions(v._data, base._data)
        if _xp(base._data) is not np:
            vn.pos = _xp(base._data).asarray(vn.pos)
        vn.shape = base._data.shape
        v.grad_fn = vn
        v._edge = (vn, 0)
        v._rg = True


def build_inplace_view(op: OpEntry):
    """``a.unsqueeze_(0)``, ``a.t_()``: the view op's result becomes `a`'s own header (shape and
    strides over the same memory), its version is bumped, and when recorded `a` becomes the
    output of the view's node, as PyTorch's in-place view operations do."""
    call = op.call

    def inplace(a, *args, **kw):
        if not isinstance(a, Tensor):
            raise TypeError(f"{op.inplace}(): self must be a Tensor")
        if (not _go.off or _gs.enabled) and a.grad_fn is None and a._rg:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                               "operation.")
        r = call(a, *args, **kw)
        a._data = r._data
        bump_version(a)
        if r.grad_fn is not None:
            a.grad_fn = r.grad_fn
            a._edge = r._edge
        return a

    return inplace
