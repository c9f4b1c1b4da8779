"""The per-call path: from an operator call to a kernel call and, when needed, a graph node.

Each registered operator gets a callable built once here (`install`). Its hot path is: check
operand types, one dictionary lookup for the kernel of the operands' array type, the kernel
call, a bare `Tensor` built without `__init__`, and a node only when grad mode is on and some
input requires grad. Everything unusual (Python scalars, mixed dtypes, mixed devices, errors)
leaves the fast path for `prepare_binary`, which applies PyTorch's promotion once.
"""
from __future__ import annotations

import numpy as np

from . import dtypes as _dt
from . import grad_mode
from .backends import _by_array_type, available as _available, backends, bind, resolve_device
from .anomaly import note as _note_forward, state as _anomaly
from .graph import AccumulateGrad, track_view
from .parsing import make_parser, param_names
from .recording import _FIRST, _SECOND, _node_type, _save, name_node, node_class, record
from .promotion import broadcast_error, device_error, prepare_binary
from .registry import OpEntry, registry
from .spec import Kind, Promote, View
from .tensor import Tensor, require_grad_at_creation, wrap

__all__ = ["install", "takes_keywords"]

_new = object.__new__
_gs = grad_mode.state
_go = grad_mode.counts

# ----------------------------------------------------------------------------- binary

def _build_binary(op: OpEntry, dunder: bool = False):
    """The op's callable; `dunder`: the Python operators' form (``a + b``, ``a == b``), which
    returns NotImplemented for an operand it cannot take, as PyTorch's do, so that Python tries
    the other operand (``t == None`` is then False, ``t + "s"`` Python's TypeError)."""
    kernels = op.kernels
    same_dtype_ok = op.promote is Promote.SAME
    result_bool = op.returns_bool
    save = op.save
    node_inputs = op.differentiable
    node_cls = node_class(op)
    scalars_ok = op.scalars
    cpu_kernel = kernels.get(np.ndarray)
    scalar_cls = _node_type(op.scalar_node_name, op.spec) if op.scalar_node_name else None
    scalar_node_cls = scalar_cls or node_cls
    nd = np.ndarray
    asarray = np.asarray
    np_scalar = np.generic

    def slow(a, b, params=None):
        try:
            k, x, y, out_dt, in_dtypes = prepare_binary(op, a, b, params is not None)
        except TypeError:
            if dunder:
                return NotImplemented
            raise
        try:
            out = k(x, y) if params is None else k(x, y, **params)
        except ValueError:
            err = broadcast_error(op, np.shape(x), np.shape(y))
            if err is None:
                raise
            raise err from None
        if isinstance(out, np_scalar):  # 0-dim NumPy arithmetic gives a NumPy scalar
            out = asarray(out)
        if out.dtype != out_dt.np:
            out = out.astype(out_dt.np)
        r = wrap(out)
        if node_inputs and (not _go.off or _gs.enabled) and (
                (type(a) is Tensor and a._rg) or (type(b) is Tensor and b._rg)):
            mixed = in_dtypes if (in_dtypes[0] not in (None, out.dtype) or
                                  in_dtypes[1] not in (None, out.dtype)) else None
            node = record(op, r, (a, b), save, mixed,
                          scalar_cls if (scalar_cls is not None and
                                         (type(a) is not Tensor or type(b) is not Tensor)) else None)
            node.params = params
            if type(node.op.node_name) is not str:
                name_node(node)
        return r

    def scalar(t, v, swapped):
        # Fast path for a floating tensor with a Python int or float: PyTorch keeps the
        # tensor's dtype, and NumPy's weak Python scalars (NEP 50) give the same result.
        ad = t._data
        k = kernels.get(type(ad))
        if k is None:
            return slow(v, t) if swapped else slow(t, v)
        out = k(v, ad) if swapped else k(ad, v)
        if type(out) is not type(ad) and isinstance(out, np_scalar):
            out = asarray(out)
        r = _new(Tensor)
        r._data = out
        r._rg = False
        r.grad_fn = None
        r._vc = None
        r._grad = None
        r._base = None
        if node_inputs and t._rg and (not _go.off or _gs.enabled):
            # record() unrolled for one tensor and one Python number
            node = _new(scalar_node_cls)
            if t.grad_fn is not None:
                e = t._edge
            else:
                e = t._accum
                if e is None:
                    e = t._accum = (AccumulateGrad(t), 0)
            if swapped:
                node.next = (None, e)
                node.needs_input_grad = _SECOND
                node.shapes = (None, ad.shape)
            else:
                node.next = (e, None)
                node.needs_input_grad = _FIRST
                node.shapes = (ad.shape, None)
            node.dtypes = node.params = None
            if save:
                _save(node, r, (v, t) if swapped else (t, v), save)
            else:
                node._saved = None
            r.grad_fn = node
            r._edge = (node, 0)
            r._rg = True
            if _anomaly.enabled:
                _note_forward(node)
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
        if ad.dtype is not bd.dtype:
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
        if type(out) is not type(ad) and isinstance(out, np_scalar):
            out = asarray(out)
        if out.dtype is not ad.dtype and not result_bool:
            return slow(a, b)  # NumPy changed the dtype (bool ** bool): PyTorch's rule decides
        r = _new(Tensor)
        r._data = out
        r._vc = None
        r._grad = None
        r._base = None
        if not (node_inputs and (a._rg or b._rg) and (not _go.off or _gs.enabled)):
            r._rg = False
            r.grad_fn = None
        else:
            # record() unrolled for two tensors: this is the per-op cost of training loops
            node = _new(node_cls)
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
            node.dtypes = node.params = None
            if save:
                _save(node, r, (a, b), save)
            else:
                node._saved = None
            r.grad_fn = node
            r._edge = (node, 0)
            r._rg = True
            if _anomaly.enabled:
                _note_forward(node)
        return r

    call.__doc__ = op.doc
    if not dunder:
        op.slow = slow
    if takes_keywords(op) and not dunder:
        # keyword parameters select an overload (div's rounding_mode): off the fast path, and
        # only for the ops whose kernel takes them, so `a + b` pays nothing for it
        fast = call if same_dtype_ok else _promoting(call, scalar, slow, scalars_ok)

        def with_keywords(a, b, **kw):
            for v in kw.values():
                if v is not None:
                    return slow(a, b, kw)
            return fast(a, b)
        with_keywords.__doc__ = op.doc
        with_keywords.without_keywords = fast  # what `a / b` calls
        return with_keywords
    if not same_dtype_ok:
        return _promoting(call, scalar, slow, scalars_ok)
    return call


def _promoting(same, scalar, slow, scalars_ok):
    # the op changes dtypes (int / int is float): every call takes the promoting path, after
    # the float-tensor-and-Python-number shortcut (for ops that take Python numbers)
    def promoting(a, b):
        tb = type(b)
        if type(a) is Tensor and (tb is Tensor and a._data.dtype is b._data.dtype or
                                  scalars_ok and (tb is float or tb is int)) and \
                a._data.dtype.kind in "fc":
            return scalar(a, b, False) if tb is not Tensor else same(a, b)
        ta = type(a)
        if scalars_ok and tb is Tensor and (ta is float or ta is int) and \
                b._data.dtype.kind in "fc":
            return scalar(b, a, True)
        return slow(a, b)
    promoting.__doc__ = same.__doc__
    return promoting


def takes_keywords(op) -> bool:
    """Whether a binary op's kernel takes keyword parameters besides its two operands
    (``kernel(xp, a, b, rounding_mode=None)``); its forms then accept them."""
    code = getattr(op.spec.kernel, "__code__", None)
    return code is not None and code.co_argcount + code.co_kwonlyargcount > 3




# ----------------------------------------------------------------------------- unary

def _build_unary(op: OpEntry):
    kernels = op.kernels
    to_float = op.promote is Promote.INT_TO_FLOAT
    save = op.save
    diff = op.differentiable
    asarray = np.asarray
    np_scalar = np.generic

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
        if type(out) is not type(ad) and isinstance(out, np_scalar):
            out = asarray(out)
        r = _new(Tensor)
        r._data = out
        r._rg = False
        r.grad_fn = None
        r._vc = None
        r._grad = None
        r._base = None
        if diff and a._rg and (not _go.off or _gs.enabled):
            record(op, r, (a,), save)
        return r

    return call


# ----------------------------------------------------------------------------- generic

def _build_generic(op: OpEntry):
    if op.spec.parse is not None:
        custom = op.spec.parse

        def parse(rest, kw):
            return custom(*rest, **kw)
    else:
        # Built on first use: reading signatures of every op at import would cost `inspect`.
        state = []

        def parse(rest, kw):
            if not state:
                state.extend(make_parser(op))
            return state[0](rest, kw)
    op.parser = parse
    call = _generic_call(op, op.prepare, parse)
    # `apply_op` on tensors: the kernel's argument order (tensor inputs first), as on arrays
    op.direct = call if op.prepare is None else _generic_call(op, None, parse)
    return call


def _generic_call(op: OpEntry, prepare, parse):
    """The callable of a generic op; `prepare` (the spec's, or None) rewrites its arguments."""
    kernels = op.kernels
    n_fixed = n = op.inputs
    save = op.save
    diff = op.differentiable
    # True: always a view; "maybe": a view when the kernel returned one
    is_view = True if op.view is View.ALWAYS else "maybe" if op.view is View.MAYBE else False
    defaults = None

    def defaults_of():
        nonlocal defaults
        defaults = parse((), {})
        return dict(defaults)

    asarray = np.asarray
    np_scalar = np.generic
    redirect = op.spec.redirect
    ops = registry.ops
    # keywords naming a parameter of `prepare` (clamp's min=, ``x.gather(1, index=i)``) are
    # passed to it, the others to the parser
    prepare_kw = param_names(prepare)

    variadic = op.variadic
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
                    if isinstance(out, np_scalar):  # a NumPy scalar from a full reduction
                        out = asarray(out)
                    elif type(out) is tuple:
                        return _finish_multi(op, out, (a,), p, a._rg and diff, save, is_view)
                    return _finish(op, out, (a,), p, a._rg and diff, save, is_view)
        if redirect is not None:
            other = redirect(*args, **kw)
            if other is not None:  # another overload serves this call (max(a, b): maximum)
                return ops[other].call(*args, **kw)
        if prepare is not None:
            if kw and not prepare_kw.isdisjoint(kw):
                kw = dict(kw)
                args = prepare(*args, **{k: kw.pop(k) for k in prepare_kw.intersection(kw)})
            else:
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
                raise device_error(op, _by_array_type[type(ad)].device_of(ad),
                                    _by_array_type[type(bd)].device_of(bd))
            arrays = (ad, bd)
            inputs = (a, b)
            k = kernels.get(type(ad))
            rg = a._rg or b._rg
        else:
            inputs = args[:n]
            # plain loops: a generator expression costs a frame per call (F.linear's three
            # inputs are on the training-loop path)
            arrays = []
            rg = False
            t0 = None
            for i, t in enumerate(inputs):
                if not isinstance(t, Tensor):
                    raise TypeError(f"{op.name}(): argument {i + 1} must be Tensor, not "
                                    f"{type(t).__name__}")
                arr = t._data
                if t0 is None:
                    t0 = type(arr)
                elif type(arr) is not t0:
                    raise device_error(op, _by_array_type[t0].device_of(arrays[0]),
                                       _by_array_type[type(arr)].device_of(arr))
                arrays.append(arr)
                if t._rg:
                    rg = True
            k = kernels.get(t0)
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
            return _finish_multi(op, out, inputs, p, rg and diff, save, is_view)
        if isinstance(out, np_scalar):
            out = asarray(out)
        return _finish(op, out, inputs, p, rg and diff, save, is_view)

    if op.python_result:
        tensor_call = call

        def call(*args, **kw):  # `equal`, `allclose`: a Python bool, as in PyTorch
            return tensor_call(*args, **kw).item()
    return call


def _may_share(a, b) -> bool:
    """Whether arrays `a` and `b` may share memory, asked of their own library (NumPy cannot
    look into a CuPy array)."""
    if isinstance(a, np.ndarray):
        return np.may_share_memory(a, b)
    return bool(_by_array_type[type(a)].xp.may_share_memory(a, b))


def _finish(op, out, inputs, p, rec, save, is_view):
    """The result tensor of a generic op: a view shares its base's version counter."""
    r = wrap(out)
    if is_view and (is_view is True or _may_share(out, inputs[0]._data)):
        _as_view(r, inputs[0])
    if rec and (not _go.off or _gs.enabled) and out.dtype.kind in "fcV":
        node = record(op, r, inputs, save)
        node.params = p
        if type(node.op.node_name) is not str:
            name_node(node)
    return r


def _finish_multi(op, outs, inputs, p, rec, save, is_view):
    """The results of a kernel returning a tuple, every output recorded on one node (output i
    on edge (node, i)): the named tuple of an op with `outputs`, else a plain tuple of as many
    tensors as the call made (``split``), views of the input as `_finish` makes them."""
    asarray = np.asarray
    rs = [_finish(op, asarray(o) if isinstance(o, np.generic) else o, inputs, p, False, save,
                  is_view) for o in outs]
    if rec and (not _go.off or _gs.enabled) and any(r._data.dtype.kind in "fcV" for r in rs):
        node = record(op, rs[0], inputs, save, cls=_sized(node_class(op), len(rs)), outputs=rs)
        node.params = p
        if type(node.op.node_name) is not str:
            name_node(node)
    return op.result_type(rs) if op.outputs else tuple(rs)


def _sized(cls, n_out):
    """`cls`, or, for a kernel returning a plain tuple, its subclass for a call that made
    `n_out` outputs (``split`` makes one per piece); made once per count."""
    if cls.multi:
        return cls
    sized = cls.__dict__.get("_sized")
    if sized is None:
        sized = cls._sized = {}
    sub = sized.get(n_out)
    if sub is None:
        sub = sized[n_out] = type(cls.__name__, (cls,), {"__slots__": (), "n_out": n_out,
                                                         "multi": True})
    return sub


def _as_view(r, base):
    root = base._base
    if root is None:
        root = base
    box = root._vc
    if box is None:
        box = root._vc = [0]
    r._vc = box
    r._base = root
    if root.grad_fn is not None or not root._rg:
        # a later in-place write may give the root new history; a leaf that requires grad
        # cannot be written in place while recording, so its views need no tracking
        track_view(root, r)


# ----------------------------------------------------------------------------- factory
def _build_factory(op: OpEntry):
    kernels = op.kernels  # bound per backend (a device's own factory kernel included)

    def call(*args, dtype=None, device=None, requires_grad=False, **kw):
        be, index = resolve_device(device)
        out = kernels[be.array_type](*args, dtype=dtype, index=index, **kw)
        if type(out) is not be.array_type:
            raise RuntimeError(
                f"{op.name}(): asked for device '{be.type}' but the kernel of plugin "
                f"'{op.plugin}' returned {type(out).__module__}.{type(out).__name__}, not an "
                f"array of that device ({be.array_type.__module__}."
                f"{be.array_type.__name__}); a factory must allocate with the backend it is "
                f"given")
        r = wrap(out)
        if requires_grad:
            require_grad_at_creation(r)
        return r

    return call


def install(op: OpEntry) -> None:
    """Build `op.call` (and its kernels for every known backend)."""
    op.kernels.clear()
    for be in backends.values():
        if _available(be):
            bind(op, be)
    kind = op.kind
    if kind is Kind.BINARY:
        op.call = _build_binary(op)
        op.dunder = _build_binary(op, dunder=True)
    elif kind is Kind.UNARY:
        op.call = _build_unary(op)
    elif kind is Kind.FACTORY:
        op.call = _build_factory(op)
    else:
        op.call = _build_generic(op)
