"""The per-call path: from an operator call to a kernel call and, when needed, a graph node.

Each registered operator gets a callable built once here (`install`). Its hot path is: check
operand types, one dictionary lookup for the kernel of the operands' array type, the kernel
call, a bare `Tensor` built without `__init__`, and a node only when grad mode is on and some
input requires grad. Everything unusual (Python scalars, mixed dtypes, mixed devices, errors)
leaves the fast path for `_prepare_binary`, which applies PyTorch's promotion once.
"""
from __future__ import annotations

import functools
import inspect

import numpy as np

from . import dtypes as _dt
from . import grad_mode
from .config import get as _config_get
from .device import device as _device
from .graph import AccumulateGrad, OpNode
from .registry import OpDef, registry

__all__ = ["install", "register_backend", "backends", "backend_of", "Tensor"]

Tensor = None  # bound by the tensor module (it sits above dispatch)
_new = object.__new__
_gs = grad_mode.state
_go = grad_mode.counts
_FLOAT = 2

backends: dict = {}             # device type -> DeviceBackend
_by_array_type: dict = {}        # array class -> DeviceBackend
_SCALARS = (int, float, bool, complex, np.number, np.bool_)


def register_backend(backend) -> None:
    """Make a device backend known and build every operator's kernel for its array type."""
    backends[backend.type] = backend
    _placement.clear()
    if backend.is_available():
        _by_array_type[backend.array_type] = backend
        for op in registry.ops.values():
            _bind(op, backend)


def unregister_backend(device_type: str) -> None:
    """Forget a device backend (a plugin that registered it was rolled back)."""
    be = backends.pop(device_type, None)
    _placement.clear()
    if be is not None and _by_array_type.get(be.array_type) is be:
        del _by_array_type[be.array_type]
        for op in registry.ops.values():
            op.extra.get("kernels", {}).pop(be.array_type, None)


def backend_of(arr):
    return _by_array_type[type(arr)]


def _bind(op: OpDef, backend) -> None:
    kernels = op.extra.setdefault("kernels", {})
    xp = backend.xp
    k = op.device_kernels.get(backend.type)
    if k is not None:
        kernels[backend.array_type] = functools.partial(k, xp)
    elif op.ufunc is not None:
        kernels[backend.array_type] = getattr(xp, op.ufunc)
    elif op.kind == "factory":
        kernels[backend.array_type] = functools.partial(op.forward, backend)
    else:
        kernels[backend.array_type] = functools.partial(op.forward, xp)


# ----------------------------------------------------------------------------- errors

def _broadcast_error(op, a_shape, b_shape):
    a, b = list(a_shape), list(b_shape)
    n = max(len(a), len(b))
    a, b = [1] * (n - len(a)) + a, [1] * (n - len(b)) + b
    for i in range(n - 1, -1, -1):
        if a[i] != b[i] and a[i] != 1 and b[i] != 1:
            return RuntimeError(
                f"The size of tensor a ({a[i]}) must match the size of tensor b ({b[i]}) at "
                f"non-singleton dimension {i} ({op.name}: shapes {list(a_shape)} and "
                f"{list(b_shape)})")
    return None


def _device_error(op, da, db):
    return RuntimeError(
        f"Expected all tensors to be on the same device, but found at least two devices, "
        f"{da} and {db}! ({op.name})")


def _type_error(op, v, pos="input"):
    return TypeError(f"{op.name}(): argument '{pos}' must be Tensor or a number, not "
                     f"{type(v).__name__}")


# ----------------------------------------------------------------------------- recording

def _edge(t):
    fn = t.grad_fn
    if fn is not None:
        return t._edge
    if t._rg:
        e = t._accum
        if e is None:
            e = t._accum = (AccumulateGrad(t), 0)
        return e
    return None


def node_class(op):
    """The node class of `op`, named like PyTorch's (``MulBackward0``) so that
    ``type(t.grad_fn).__name__`` reads as it does there."""
    cls = op.extra.get("node_cls")
    if cls is None:
        name = op.node_name if type(op.node_name) is str else op.node_name(None)
        cls = op.extra["node_cls"] = type(name, (OpNode,), {"__slots__": ()})
    return cls


def record(op, r, inputs, save, in_dtypes=None, cls=None):
    """Attach a node for `op` to result `r`; `inputs` are the call's operands."""
    node = _new(cls or node_class(op))
    node.op = op
    if len(inputs) == 2:
        # the common binary case, unrolled (no lists, no loops)
        a, b = inputs
        if type(a) is Tensor:
            ea = _edge(a)
            sa = a._data.shape
        else:
            ea = sa = None
        if type(b) is Tensor:
            eb = _edge(b)
            sb = b._data.shape
        else:
            eb = sb = None
        node.next = (ea, eb)
        node.needs_input_grad = (ea is not None, eb is not None)
        node.shapes = (sa, sb)
    else:
        nxt = []
        shapes = []
        for t in inputs:
            if type(t) is Tensor:
                nxt.append(_edge(t))
                shapes.append(t._data.shape)
            else:
                nxt.append(None)
                shapes.append(None)
        node.next = nxt = tuple(nxt)
        node.needs_input_grad = tuple([e is not None for e in nxt])
        node.shapes = shapes
    node.dtypes = in_dtypes
    if save:
        _save(node, r, inputs, save)
    else:
        node._saved = None
    r.grad_fn = node
    r._edge = (node, 0)
    r._rg = True
    return node


_BOTH = (0, 1)


def _save(node, r, inputs, save):
    """Keep what the backward rule needs, with the versions to check it against."""
    if save == _BOTH and type(inputs[0]) is Tensor and type(inputs[1]) is Tensor:
        a, b = inputs
        va = a._version
        vb = b._version
        node._saved = [a, b]
        node._versions = [0 if va is None else va[0], 0 if vb is None else vb[0]]
        return
    saved = []
    versions = []
    for i in save:
        if i == -1:
            box = r._version
            if box is None:
                box = r._version = [0]
            saved.append((r._data, box, box[0]))
            versions.append(None)
        else:
            t = inputs[i]
            saved.append(t)
            if type(t) is Tensor:
                v = t._version
                versions.append(0 if v is None else v[0])
            else:
                versions.append(None)
    node._saved = saved
    node._versions = versions


# ----------------------------------------------------------------------------- binary

def _operand(op, v):
    """(array or scalar, dtype, rank) of one operand of a binary op."""
    if type(v) is Tensor or isinstance(v, Tensor):
        d = v._data
        return d, _dt.from_numpy_dtype(d.dtype), 2 if d.ndim else 1
    if isinstance(v, _SCALARS):
        if isinstance(v, (np.number, np.bool_)):
            v = v.item()
        return v, _dt.scalar_dtype(v), 0
    raise _type_error(op, v)


def _prepare_binary(op, a, b):
    """Slow path: promotion, scalars, device checks. Returns (kernel, x, y, result dtype)."""
    x, da, ra = _operand(op, a)
    y, db, rb = _operand(op, b)
    if not op.scalars and not (ra and rb):
        v = b if ra else a
        raise TypeError(f"{op.name}(): argument '{'other' if ra else 'input'}' must be Tensor, "
                        f"not {type(v).__name__}")
    res = _dt.result_type_of(((da, ra), (db, rb)))
    if op.check is not None:
        op.check(da, db, res, ra, rb)
    comp = res
    if op.promote == "float" and res.category < _FLOAT:
        comp = _dt.get_default_dtype()
    elif op.promote == "int_or_bool" and res.category >= _FLOAT:
        raise RuntimeError(f"\"{op.name}\" not implemented for '{res.name}' "
                           f"(operands {da.name} and {db.name})")
    cnp = comp.np
    arr_type = None
    for v, r in ((x, ra), (y, rb)):
        if r:
            t = type(v)
            if arr_type is None:
                arr_type = t
            elif t is not arr_type:
                # a 0-dim CPU tensor may join a tensor of any device, as in PyTorch
                if not v.ndim and t is np.ndarray:
                    continue
                if arr_type is np.ndarray and not (x if v is y else y).ndim:
                    arr_type = t
                    continue
                raise _device_error(op, _by_array_type[arr_type].device_of(x if v is y else y),
                                    _by_array_type[t].device_of(v))
    if ra:
        if x.dtype != cnp:
            x = x.astype(cnp)
        if type(x) is not arr_type:
            x = x.item()
    if rb:
        if y.dtype != cnp:
            y = y.astype(cnp)
        if type(y) is not arr_type:
            y = y.item()
    if comp.category == 1:
        # PyTorch wraps a Python int into the tensor's integer type (uint8 + 300 == 45)
        if not ra and type(x) is int:
            x = _wrap_int(x, cnp)
        if not rb and type(y) is int:
            y = _wrap_int(y, cnp)
    if not ra and not rb:
        raise _type_error(op, a)
    k = op.extra["kernels"].get(arr_type)
    if k is None:
        raise RuntimeError(f"operator '{op.name}' has no kernel for device "
                           f"{_by_array_type[arr_type].type}")
    out_dt = _dt.bool if op.result == "bool" else comp
    in_dtypes = (da.np if ra else None, db.np if rb else None)
    return k, x, y, out_dt, in_dtypes


def _wrap_int(v, np_dtype):
    info = np.iinfo(np_dtype)
    if info.min <= v <= info.max:
        return v
    return int(np.array(v & 0xFFFFFFFFFFFFFFFF, dtype=np.uint64).astype(np_dtype))


def _build_binary(op: OpDef):
    kernels = op.extra.setdefault("kernels", {})
    same_dtype_ok = op.promote is None
    result_bool = op.result == "bool"
    save = tuple(op.save)
    node_inputs = op.differentiable
    node_cls = node_class(op)
    scalars_ok = op.scalars
    cpu_kernel = kernels.get(np.ndarray)
    scalar_cls = type(op.scalar_node_name, (OpNode,), {"__slots__": ()}) \
        if op.scalar_node_name else None
    nd = np.ndarray
    asarray = np.asarray

    def slow(a, b):
        k, x, y, out_dt, in_dtypes = _prepare_binary(op, a, b)
        try:
            out = k(x, y)
        except ValueError:
            err = _broadcast_error(op, np.shape(x), np.shape(y))
            if err is None:
                raise
            raise err from None
        if type(out) is not nd and not hasattr(out, "__cuda_array_interface__"):
            out = asarray(out)
        if out.dtype != out_dt.np:
            out = out.astype(out_dt.np)
        r = _new(Tensor)
        r._data = out
        r._rg = False
        r.grad_fn = None
        r._version = None
        r._grad = None
        r._base = None
        if node_inputs and (not _go.off or _gs.enabled) and (
                (type(a) is Tensor and a._rg) or (type(b) is Tensor and b._rg)):
            mixed = in_dtypes if (in_dtypes[0] not in (None, out.dtype) or
                                  in_dtypes[1] not in (None, out.dtype)) else None
            record(op, r, (a, b), save, mixed,
                   scalar_cls if (scalar_cls is not None and
                                  (type(a) is not Tensor or type(b) is not Tensor)) else None)
        return r

    def scalar(t, v, swapped):
        # Fast path for a floating tensor with a Python int or float: PyTorch keeps the
        # tensor's dtype, and NumPy's weak Python scalars (NEP 50) give the same result.
        ad = t._data
        k = kernels.get(type(ad))
        if k is None:
            return slow(v, t) if swapped else slow(t, v)
        out = k(v, ad) if swapped else k(ad, v)
        if type(out) is not type(ad):
            out = asarray(out)
        r = _new(Tensor)
        r._data = out
        r._rg = False
        r.grad_fn = None
        r._version = None
        r._grad = None
        r._base = None
        if node_inputs and t._rg and (not _go.off or _gs.enabled):
            record(op, r, (v, t) if swapped else (t, v), save, None, scalar_cls)
        return r

    def call(a, b):
        # Fast path: two tensors of one dtype on one backend, op that keeps the dtype.
        if type(a) is not Tensor or type(b) is not Tensor:
            if not scalars_ok:
                return slow(a, b)
            tb = type(b)
            if type(a) is Tensor and (tb is float or tb is int) and a._data.dtype.kind in "fc":
                return scalar(a, b, False)
            ta = type(a)
            if tb is Tensor and (ta is float or ta is int) and b._data.dtype.kind in "fc":
                return scalar(b, a, True)
            return slow(a, b)
        ad = a._data
        bd = b._data
        if ad.dtype is not bd.dtype or not same_dtype_ok:
            return slow(a, b)
        if type(ad) is nd and type(bd) is nd:
            k = cpu_kernel
        else:
            k = kernels.get(type(ad))
            if k is None or type(bd) is not type(ad):
                return slow(a, b)
        try:
            out = k(ad, bd)
        except (ValueError, TypeError):
            return slow(a, b)  # to raise PyTorch's error
        if type(out) is not type(ad):
            out = asarray(out)
        if out.dtype is not ad.dtype and not result_bool:
            return slow(a, b)  # NumPy changed the dtype (bool ** bool): PyTorch's rule decides
        r = _new(Tensor)
        r._data = out
        r._rg = False
        r.grad_fn = None
        r._version = None
        r._grad = None
        r._base = None
        if node_inputs and (a._rg or b._rg) and (not _go.off or _gs.enabled):
            # record() unrolled for two tensors: this is the per-op cost of training loops
            node = _new(node_cls)
            node.op = op
            fn = a.grad_fn
            if fn is not None:
                ea = a._edge
            elif a._rg:
                ea = a._accum
                if ea is None:
                    ea = a._accum = (AccumulateGrad(a), 0)
            else:
                ea = None
            fn = b.grad_fn
            if fn is not None:
                eb = b._edge
            elif b._rg:
                eb = b._accum
                if eb is None:
                    eb = b._accum = (AccumulateGrad(b), 0)
            else:
                eb = None
            node.next = (ea, eb)
            node.needs_input_grad = (ea is not None, eb is not None)
            node.shapes = (ad.shape, bd.shape)
            node.dtypes = None
            if save:
                _save(node, r, (a, b), save)
            else:
                node._saved = None
            r.grad_fn = node
            r._edge = (node, 0)
            r._rg = True
        return r

    if result_bool:
        call.__doc__ = op.doc
    op.extra["slow"] = slow
    return call


# ----------------------------------------------------------------------------- unary

def _build_unary(op: OpDef):
    kernels = op.extra.setdefault("kernels", {})
    to_float = op.promote == "float"
    save = tuple(op.save)
    diff = op.differentiable
    asarray = np.asarray

    def call(a):
        if type(a) is not Tensor:
            if isinstance(a, Tensor):
                pass
            else:
                raise TypeError(f"{op.name}(): argument 'input' (position 1) must be Tensor, "
                                f"not {type(a).__name__}")
        ad = a._data
        k = kernels.get(type(ad))
        if k is None:
            raise RuntimeError(f"operator '{op.name}' has no kernel for device {a.device}")
        if to_float and ad.dtype.kind in "biu":
            ad = ad.astype(_dt.get_default_dtype().np)
        out = k(ad)
        if type(out) is not type(ad):
            out = asarray(out)
        r = _new(Tensor)
        r._data = out
        r._rg = False
        r.grad_fn = None
        r._version = None
        r._grad = None
        r._base = None
        if diff and a._rg and (not _go.off or _gs.enabled):
            record(op, r, (a,), save)
        return r

    return call


# ----------------------------------------------------------------------------- generic

_ALIASES = {"axis": "dim", "keepdims": "keepdim"}


def _make_parser(op: OpDef):
    """A function (rest_args, kwargs) -> params dict, from the forward kernel's signature."""
    sig = inspect.signature(op.forward)
    params = list(sig.parameters.values())[1 + op.n_inputs:]
    psig = sig.replace(parameters=params)
    names = {p.name for p in params}
    defaults = {p.name: p.default for p in params
                if p.default is not inspect.Parameter.empty and
                p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}

    def parse(rest, kw):
        if kw:
            for k in list(kw):
                alias = _ALIASES.get(k)
                if alias is not None and k not in names and alias in names:
                    kw[alias] = kw.pop(k)
        try:
            bound = psig.bind(*rest, **kw)
        except TypeError as e:
            raise TypeError(f"{op.name}(): {e}") from None
        bound.apply_defaults()
        return bound.arguments

    return parse, defaults


def _build_generic(op: OpDef):
    kernels = op.extra.setdefault("kernels", {})
    n_fixed = n = op.n_inputs
    save = tuple(op.save)
    diff = op.differentiable
    is_view = op.view
    if op.parse is not None:
        custom = op.parse

        def parse(rest, kw):
            return custom(*rest, **kw)
        defaults = None
    else:
        # Built on first use: reading signatures of every op at import would cost `inspect`.
        state = []

        def parse(rest, kw):
            if not state:
                state.extend(_make_parser(op))
            return state[0](rest, kw)
        defaults = None
    op.extra["parse"] = parse

    def defaults_of():
        nonlocal defaults
        defaults = parse((), {})
        return dict(defaults)

    asarray = np.asarray
    prepare = op.prepare

    variadic = n < 0
    simple = n == 1 and prepare is None

    def call(*args, **kw):
        if simple and len(args) == 1 and not kw:
            # `x.sum()`, `x.t()`, `x.exp()`-style calls: one tensor, default parameters
            a = args[0]
            if type(a) is Tensor:
                ad = a._data
                k = kernels.get(type(ad))
                if k is not None:
                    p = defaults
                    if p is None:
                        p = defaults_of()
                    out = k(ad, **p)
                    if type(out) is not type(ad) and \
                            not hasattr(out, "__cuda_array_interface__"):
                        out = asarray(out)
                    return _finish(op, out, (a,), p, a._rg and diff, save, is_view)
        if prepare is not None:
            args = prepare(*args)
        if variadic:
            n = 0
            for a in args:
                if not isinstance(a, Tensor):
                    break
                n += 1
            if n == 0:
                raise TypeError(f"{op.name}(): expected a non-empty sequence of Tensors")
        else:
            n = n_fixed
        if len(args) < n:
            raise TypeError(f"{op.name}() missing required tensor argument(s): expected {n}, "
                            f"got {len(args)}")
        if n == 1:
            a = args[0]
            if not isinstance(a, Tensor):
                raise TypeError(f"{op.name}(): argument 'input' (position 1) must be Tensor, "
                                f"not {type(a).__name__}")
            arrays = (a._data,)
            inputs = (a,)
            k = kernels.get(type(a._data))
            rg = a._rg
        elif n == 2 and type(args[0]) is Tensor and type(args[1]) is Tensor:
            a = args[0]
            b = args[1]
            ad = a._data
            bd = b._data
            if type(ad) is not type(bd):
                raise _device_error(op, _by_array_type[type(ad)].device_of(ad),
                                    _by_array_type[type(bd)].device_of(bd))
            arrays = (ad, bd)
            inputs = (a, b)
            k = kernels.get(type(ad))
            rg = a._rg or b._rg
        else:
            inputs = args[:n]
            for i, t in enumerate(inputs):
                if not isinstance(t, Tensor):
                    raise TypeError(f"{op.name}(): argument {i + 1} must be Tensor, not "
                                    f"{type(t).__name__}")
            arrays = tuple(t._data for t in inputs)
            t0 = type(arrays[0])
            for arr in arrays[1:]:
                if type(arr) is not t0:
                    raise _device_error(op, _by_array_type[t0].device_of(arrays[0]),
                                        _by_array_type[type(arr)].device_of(arr))
            k = kernels.get(t0)
            rg = any(t._rg for t in inputs)
        if k is None:
            raise RuntimeError(f"operator '{op.name}' has no kernel for device "
                               f"{inputs[0].device}")
        if len(args) == n and not kw:
            p = defaults
            if p is None:
                p = defaults_of()
        else:
            p = parse(args[n:], kw)
        out = k(*arrays, **p)
        if type(out) is tuple:
            return tuple(_finish(op, o, inputs, p, rg and diff, save, is_view) for o in out)
        if type(out) is not type(arrays[0]) and not hasattr(out, "__cuda_array_interface__"):
            out = asarray(out)
        return _finish(op, out, inputs, p, rg and diff, save, is_view)

    return call


def _finish(op, out, inputs, p, rec, save, is_view):
    r = _new(Tensor)
    r._data = out
    r._rg = False
    r.grad_fn = None
    r._grad = None
    r._base = None
    if is_view and (is_view is True or np.may_share_memory(out, inputs[0]._data)):
        base = inputs[0]
        root = base._base
        if root is None:
            root = base
        box = root._version
        if box is None:
            box = root._version = [0]
        r._version = box
        r._base = root
    else:
        r._version = None
    if rec and (not _go.off or _gs.enabled) and out.dtype.kind in "fcV":
        node = record(op, r, inputs, save)
        node.params = p
    return r


# ----------------------------------------------------------------------------- factory

_placement: dict = {}  # device spec -> (backend, index), for available backends


def resolve_device(spec):
    """(backend, index) for a device spec (str, `loom.device`, or None for the default);
    RuntimeError naming the plugin and extra when no loaded backend can serve it."""
    if spec is None:
        spec = _config_get("default_device")
    hit = _placement.get(spec)
    if hit is not None:
        return hit
    dev = _device(spec)
    be = backends.get(dev.type)
    if be is None or not be.is_available():
        from .tensor import device_unavailable
        raise device_unavailable(dev)
    hit = _placement[spec] = (be, dev.index)
    return hit


def _build_factory(op: OpDef):
    forward = op.forward

    def call(*args, dtype=None, device=None, requires_grad=False, **kw):
        be, index = resolve_device(device)
        out = forward(be, *args, dtype=dtype, index=index, **kw)
        r = _new(Tensor)
        r._data = out
        r._rg = False
        r.grad_fn = None
        r._version = None
        r._grad = None
        r._base = None
        if requires_grad:
            from .tensor import _require_grad_at_creation
            _require_grad_at_creation(r)
        return r

    return call


def install(op: OpDef) -> None:
    """Build `op.call` (and its kernels for every known backend)."""
    op.extra["kernels"] = {}
    for be in backends.values():
        if be.is_available():
            _bind(op, be)
    if op.kind == "binary":
        op.call = _build_binary(op)
    elif op.kind == "unary":
        op.call = _build_unary(op)
    elif op.kind == "factory":
        op.call = _build_factory(op)
    else:
        op.call = _build_generic(op)


# ----------------------------------------------------------------------------- in-place

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
    if rec and a._base is not None and a._base._rg:
        raise NotImplementedError(
            f"{op.inplace}: in-place operations on a view of a tensor that requires grad are "
            "not supported yet; use the out-of-place form")


def bump_version(a) -> None:
    box = a._version
    if box is None:
        a._version = [1]
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


def build_inplace(op: OpDef):
    """``a.<op>_(...)``: compute, write into `a`'s memory, bump its version, and when
    recording make `a` the output of the new node (its old value is cloned for the rule)."""
    call = op.call
    differentiable = op.differentiable
    fill = op.extra.get("fill", False)
    ufunc_kernels = op.extra["kernels"] if op.ufunc is not None and op.kind == "binary" else None

    def inplace(a, *args, **kw):
        if not isinstance(a, Tensor):
            raise TypeError(f"{op.inplace}(): self must be a Tensor")
        rec = False
        if (not _go.off or _gs.enabled):
            if differentiable:
                rec = a._rg
                if not rec:
                    for x in args:
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
                        ufunc_kernels[type(ad)](ad, bd, out=ad)
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
        prev._version = None
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
                node._saved = [(a._data, _box(a), a._version[0]) if type(s) is tuple else s
                               for s in node._saved]
            a.grad_fn = node
            a._edge = (node, 0)
            a._rg = True
        return a

    return inplace


def _box(a):
    if a._version is None:
        a._version = [0]
    return a._version
