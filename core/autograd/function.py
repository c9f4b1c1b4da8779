"""`autograd.Function`: a differentiable operation written in Python by the user
(``loom.autograd.function``, as ``torch.autograd.function``).

Two forms, as in PyTorch: ``forward(ctx, *args)``, or ``forward(*args)`` plus
``setup_context(ctx, inputs, output)``. Forward runs with grad mode off; ``backward(ctx,
*grad_outputs)`` (or ``vjp``) returns one gradient (or None) per forward argument. The node is
named ``<ClassName>Backward``.

No reference cycles: the node holds the ctx, the ctx holds its node weakly, and a saved output
is kept as its array and version (re-wrapped as the node's output when unpacked), so a graph of
Functions is freed by reference counting as soon as backward is done with it.
"""
from __future__ import annotations

import functools
import weakref

from .. import grad_mode
from ..anomaly import note as note_forward, state as anomaly
from ..backends import backend_of
from ..recording import edge_of
from ..graph import SAVED_FREED_MESSAGE, Node, Packed, check_version, saved_hooks
from ..inplace import bump_version
from ..tensor import Tensor, wrap, wrap_output

__all__ = ["Function", "FunctionCtx", "once_differentiable", "BackwardCFunction",
           "InplaceFunction", "NestedIOFunction"]


def _version(t) -> int:
    box = t._vc
    return 0 if box is None else box[0]


class FunctionCtx:
    """The `ctx` of a custom Function: carries saved tensors and flags from forward to backward."""

    def __init__(self):
        self._saved = None
        self._versions = None
        self._freed = False
        self._node = None
        self.needs_input_grad = ()
        self.materialize_grads = True
        self._dirty = ()
        self._non_diff = ()
        self.saved_for_forward = ()

    def save_for_backward(self, *tensors):
        """Keep `tensors` (inputs, outputs or None) for backward; they are checked for in-place
        changes when used."""
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument {i} "
                                f"is of type {type(t).__name__}")
        self._saved = tensors
        self._versions = [None if t is None else _version(t) for t in tensors]

    def save_for_forward(self, *tensors):
        """Keep `tensors` for a forward-mode rule (loom has no forward-mode AD: only kept)."""
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_forward expects all arguments to be tensors; but "
                                f"got {type(t).__name__} at index {i}")
        self.saved_for_forward = tensors

    @property
    def saved_tensors(self):
        """The tensors given to `save_for_backward`, after checking they were not modified in
        place since; a saved output comes back as the node's output."""
        if self._freed:
            raise RuntimeError(SAVED_FREED_MESSAGE)
        if self._saved is None:
            return ()
        out = []
        for s, v in zip(self._saved, self._versions):
            if type(s) is Packed:
                u = s.unpack(s.obj)
                if not isinstance(u, Tensor):
                    raise TypeError(f"Output of saved tensor unpack_hook expected to be a Tensor "
                                    f"but got result of type {type(u).__name__}")
                out.append(u)
            elif type(s) is tuple:  # an output of this Function: (array, version box, index)
                arr, box, k = s
                node = self._node() if self._node is not None else None
                if box[0] != v:
                    check_version(node, None, box[0], v, arr)
                t = wrap_output(node, arr, k) if node is not None else wrap(arr)
                t._vc = box
                out.append(t)
            elif s is not None:
                cur = _version(s)
                if cur != v:
                    node = self._node() if self._node is not None else None
                    check_version(node, s, cur, v, s._data)
                out.append(s)
            else:
                out.append(None)
        return tuple(out)

    saved_variables = saved_tensors

    def mark_dirty(self, *tensors):
        """Declare the inputs that forward modified in place (and returns)."""
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors):
        """Declare outputs that need no gradient (they get ``requires_grad=False``)."""
        self._non_diff = tensors

    def set_materialize_grads(self, value: bool):
        """Whether undefined output gradients reach backward as zeros (default) or None."""
        self.materialize_grads = bool(value)


class FunctionNode(Node):
    """Graph node of a custom Function application (its `ctx` carries what backward needs)."""

    __slots__ = ("ctx", "cls", "n_out", "out_meta")

    def name(self) -> str:
        return f"{self.cls.__name__}Backward"

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.{self.name()} object at {hex(id(self))}>"

    @property
    def saved_tensors(self):
        return self.ctx.saved_tensors

    def apply(self, grads, create_graph, retain_graph):
        ctx = self.ctx
        if ctx._freed:
            raise RuntimeError(SAVED_FREED_MESSAGE)
        gts = []
        for i in range(self.n_out):
            g = grads[i] if i < len(grads) else None
            if g is None:
                if ctx.materialize_grads:
                    shape, np_dtype, xp = self.out_meta[i]
                    gts.append(wrap(xp.zeros(shape, np_dtype)) if xp is not None else None)
                else:
                    gts.append(None)
            else:
                gts.append(g if create_graph else wrap(g))
        cls = self.cls
        user_fn = cls.backward
        vjp = cls.vjp
        if user_fn is not Function.backward and vjp is not Function.vjp:
            raise RuntimeError("Implementing both 'backward' and 'vjp' for a custom Function is "
                               "not allowed. You should only implement one of them.")
        if vjp is not Function.vjp:
            user_fn = vjp
        with grad_mode.set_grad_enabled(create_graph):
            res = user_fn(ctx, *gts)
        if not isinstance(res, tuple):
            res = (res,)
        n_in = len(self.next)
        if len(res) > n_in and all(r is None for r in res[n_in:]):
            res = res[:n_in]
        if len(res) != n_in:
            raise RuntimeError(f"function {self.name()} returned an incorrect number of "
                               f"gradients (expected {n_in}, got {len(res)})")
        if not retain_graph and ctx._saved:
            ctx._saved = None
            ctx._freed = True
        out = []
        for i, (r, e) in enumerate(zip(res, self.next)):
            if r is not None and not isinstance(r, Tensor):
                raise TypeError(f"function {self.name()} returned a gradient of type "
                                f"{type(r).__name__} at position {i}; expected a Tensor or None")
            if e is None:
                if r is not None and self.in_kinds[i] != "tensor":
                    raise RuntimeError(
                        f"function {self.name()} returned a gradient different than None at "
                        f"position {i + 1}, but the corresponding forward input was not a "
                        f"Variable")
                out.append(None)
                continue
            if r is None:
                out.append(None)
                continue
            shape = self.in_shapes[i]
            if r._data.shape != shape:
                try:
                    import numpy as _np
                    ok = _np.broadcast_shapes(r._data.shape, shape) == shape and \
                        r._data.size == _np.prod(shape, dtype=int)
                except ValueError:
                    ok = False
                if not ok:
                    raise RuntimeError(f"Function {self.name()} returned an invalid gradient at "
                                       f"index {i} - got {list(r._data.shape)} but expected "
                                       f"shape compatible with {list(shape)}")
                r = r.reshape(shape)
            out.append(r if create_graph else r._data)
        return out

    @property
    def in_kinds(self):
        return self.out_meta[-1][0]

    @property
    def in_shapes(self):
        return self.out_meta[-1][1]


class _FunctionMeta(type):
    """Gives each Function subclass its own node class, named ``<Name>Backward`` (printed with
    PyTorch's module, so that printed graphs match PyTorch's)."""

    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        cls._node_cls = type(f"{name}Backward", (FunctionNode,),
                             {"__slots__": (), "__module__": "torch.autograd.function"})


class Function(metaclass=_FunctionMeta):
    """Base class of custom differentiable operations; call them with ``MyFn.apply(*args)``."""

    @staticmethod
    def forward(*args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward mode "
                                  "AD.")

    @staticmethod
    def vjp(ctx, *grad_outputs):
        """Alias of `backward`: a Function may define either."""
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward mode "
                                  "AD.")

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError("You must implement the jvp function for custom "
                                  "autograd.Function to use it with forward mode AD.")

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run forward on `args` and, when some tensor argument requires grad (and grad mode is
        on), record a node whose backward is this class's `backward`."""
        ctx = FunctionCtx()
        needs = tuple(isinstance(a, Tensor) and a._rg for a in args)
        ctx.needs_input_grad = needs
        separate = cls.setup_context is not Function.setup_context
        with grad_mode.no_grad():
            if separate:
                out = cls.forward(*args, **kwargs)
            else:
                out = cls.forward(ctx, *args, **kwargs)
        if separate:
            cls.setup_context(ctx, args, out)
        record = grad_mode.state.enabled and any(needs)
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        dirty = {id(t) for t in ctx._dirty}
        for t in ctx._dirty:
            if record and t.grad_fn is None and t._rg:
                raise RuntimeError("a leaf Variable that requires grad has been used in an "
                                   "in-place operation.")
            bump_version(t)  # makes graphs that saved the old value refuse a stale backward
        ids = {id(a) for a in args if isinstance(a, Tensor)}
        results = []
        for o in outs:
            if isinstance(o, Tensor) and id(o) in ids and id(o) not in dirty:
                # an input returned as is becomes a new output sharing its memory and version
                t = wrap(o._data)
                box = o._vc
                if box is None:
                    box = o._vc = [0]
                t._vc = box
                o = t
            results.append(o)
        if record:
            node = object.__new__(cls._node_cls)
            node.ctx = ctx
            node.cls = cls
            node.next = tuple(edge_of(a) if isinstance(a, Tensor) else None for a in args)
            node.n_out = len(results)
            meta = []
            ctx._node = weakref.ref(node)
            non_diff = {id(t) for t in ctx._non_diff}
            where = {}
            for i, o in enumerate(results):
                if isinstance(o, Tensor):
                    meta.append((o._data.shape, o._data.dtype, backend_of(o._data).xp))
                    where[id(o)] = i
                    if id(o) in non_diff or o._data.dtype.kind not in "fcV":
                        continue
                    o.grad_fn = node
                    o._edge = (node, i)
                    o._rg = True
                else:
                    meta.append(((), None, None))
            # what backward checks its gradients against, after the outputs' metadata
            meta.append((tuple("tensor" if isinstance(a, Tensor) else "other" for a in args),
                         tuple(a._data.shape if isinstance(a, Tensor) else None for a in args)))
            node.out_meta = meta
            if ctx._saved:
                _keep_outputs_weakly(ctx, where)
                if saved_hooks:
                    _pack(ctx)
            if anomaly.enabled:
                note_forward(node)
        ctx._dirty = ctx._non_diff = ()  # they may be outputs, which hold the node
        return results[0] if single else tuple(results)


def _keep_outputs_weakly(ctx, where):
    """A saved output would make node -> ctx -> output -> node a cycle: keep its array and
    version box instead, re-wrapped as the node's output when backward unpacks it."""
    saved = list(ctx._saved)
    for k, t in enumerate(saved):
        if t is not None and id(t) in where and t.grad_fn is not None:
            box = t._vc
            if box is None:
                box = t._vc = [0]
            saved[k] = (t._data, box, where[id(t)])
    ctx._saved = tuple(saved)


def _pack(ctx):
    """Inside saved_tensors_hooks: keep what the pack hook makes of each saved tensor (an output
    as a tensor without history, so that no cycle forms)."""
    pack, unpack = saved_hooks[-1]
    hooks = saved_hooks[:]
    saved_hooks.clear()  # operations inside the pack hook save without it
    try:
        ctx._saved = tuple(
            s if s is None else
            Packed(pack(wrap(s[0]) if type(s) is tuple else s), unpack) for s in ctx._saved)
    finally:
        saved_hooks[:] = hooks


class BackwardCFunction(FunctionCtx):
    """The ctx class's name in PyTorch; kept for code that refers to it."""


InplaceFunction = Function
NestedIOFunction = Function


class _DelayedError(Function):
    """The node a once_differentiable backward's results get under create_graph: reaching it
    in a second backward raises."""

    @staticmethod
    def forward(ctx, *grads):
        return tuple(g.detach() if isinstance(g, Tensor) else g for g in grads)

    @staticmethod
    def backward(ctx, *grads):
        raise RuntimeError("trying to differentiate twice a function that was marked with "
                           "@once_differentiable")


class _ErrorNode(FunctionNode):
    __slots__ = ()

    def name(self) -> str:
        return "torch::autograd::Error"

    def __repr__(self) -> str:
        return f"<Error object at {hex(id(self))}>"


_DelayedError._node_cls = _ErrorNode


def once_differentiable(fn):
    """Decorate a Function's backward that is not itself differentiable: it runs without
    recording, and under ``create_graph=True`` its results raise if differentiated again."""

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with grad_mode.no_grad():
            outputs = fn(ctx, *args)
        if not grad_mode.is_grad_enabled():
            return outputs
        requires_grad = any(isinstance(a, Tensor) and a._rg for a in args)
        if not requires_grad:
            return outputs
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        # inputs that require grad, so that the error node is recorded
        err = _DelayedError.apply(*(o.detach().requires_grad_(True)
                                    if isinstance(o, Tensor) and o._data.dtype.kind in "fcV"
                                    else o for o in outs))
        err = (err,) if not isinstance(err, tuple) else err
        err = tuple(e if isinstance(o, Tensor) else o for e, o in zip(err, outs))
        return err[0] if single else err
    return wrapper
