"""`autograd.Function`: a differentiable operation written in Python by the user.

``forward(ctx, *args)`` runs with grad mode off; ``backward(ctx, *grad_outputs)`` receives
tensors and returns one gradient (or None) per forward argument. Its node is named
``<ClassName>Backward``.
"""
from __future__ import annotations

from .. import grad_mode
from ..dispatch import edge_of
from ..graph import SAVED_FREED_MESSAGE, Node, check_version
from ..tensor import Tensor, wrap

__all__ = ["Function", "FunctionCtx", "once_differentiable"]


class FunctionCtx:
    """The `ctx` of a custom Function: carries saved tensors and flags from forward to backward."""

    def __init__(self):
        self._saved = None
        self._versions = None
        self._freed = False
        self.needs_input_grad = ()
        self.materialize_grads = True
        self._dirty = ()
        self._non_diff = ()

    def save_for_backward(self, *tensors):
        """Keep `tensors` for backward; they are checked for in-place changes when used."""
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError("save_for_backward can only save variables, but argument "
                                f"{tensors.index(t)} is of type {type(t).__name__}")
        self._saved = tensors
        self._versions = [None if t is None else (0 if t._vc is None else t._vc[0])
                          for t in tensors]

    @property
    def saved_tensors(self):
        if self._freed:
            raise RuntimeError(SAVED_FREED_MESSAGE)
        if self._saved is None:
            return ()
        for t, v in zip(self._saved, self._versions):
            if t is not None:
                cur = 0 if t._vc is None else t._vc[0]
                if cur != v:
                    check_version(self._node, t, cur, v, t._data)
        return tuple(self._saved)

    saved_variables = saved_tensors

    def mark_dirty(self, *tensors):
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors):
        self._non_diff = tensors

    def set_materialize_grads(self, value: bool):
        self.materialize_grads = bool(value)


class FunctionNode(Node):
    """Graph node of a custom Function application."""

    __slots__ = ("ctx", "cls", "n_out", "out_meta")

    def name(self) -> str:
        return f"{self.cls.__name__}Backward"

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.{self.name()} object at {hex(id(self))}>"

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
                    g = xp.zeros(shape, np_dtype)
                    gts.append(wrap(g) if not create_graph else wrap(g))
                else:
                    gts.append(None)
            else:
                gts.append(g if create_graph else wrap(g))
        with grad_mode.set_grad_enabled(create_graph):
            res = self.cls.backward(ctx, *gts)
        if not isinstance(res, tuple):
            res = (res,)
        n_in = len(self.next)
        if len(res) < n_in:
            raise RuntimeError(f"function {self.name()} returned an incorrect number of "
                               f"gradients (expected {n_in}, got {len(res)})")
        res = res[:n_in] if all(r is None for r in res[n_in:]) else res
        if len(res) != n_in:
            raise RuntimeError(f"function {self.name()} returned an incorrect number of "
                               f"gradients (expected {n_in}, got {len(res)})")
        if not retain_graph and ctx._saved:
            ctx._saved = None
            ctx._freed = True
        out = []
        for r, e in zip(res, self.next):
            if r is None or e is None:
                out.append(None)
            elif create_graph:
                out.append(r if isinstance(r, Tensor) else wrap(r))
            else:
                out.append(r._data if isinstance(r, Tensor) else r)
        return out


class Function:
    """Base class of custom differentiable operations; call them with ``MyFn.apply(*args)``."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward mode "
                                  "AD.")

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = FunctionCtx()
        needs = tuple(isinstance(a, Tensor) and a._rg for a in args)
        ctx.needs_input_grad = needs
        with grad_mode.no_grad():
            out = cls.forward(ctx, *args, **kwargs)
        record = grad_mode.state.enabled and any(needs)
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        results = []
        ids = {id(a) for a in args if isinstance(a, Tensor)}
        for o in outs:
            if isinstance(o, Tensor) and id(o) in ids and o not in ctx._dirty:
                o = wrap(o._data)  # an input returned as is becomes a new output alias
            results.append(o)
        if record:
            node_cls = cls.__dict__.get("_node_cls")
            if node_cls is None:
                # PyTorch prints these nodes with their module (and loom prints dtypes as
                # `torch.float32` too), so printed output matches the oracle's
                node_cls = type(f"{cls.__name__}Backward", (FunctionNode,),
                                {"__slots__": (), "__module__": "torch.autograd.function"})
                cls._node_cls = node_cls
            node = object.__new__(node_cls)
            node.ctx = ctx
            node.cls = cls
            node.next = tuple(edge_of(a) if isinstance(a, Tensor) else None for a in args)
            node.n_out = len(results)
            node.out_meta = []
            ctx._node = node
            non_diff = {id(t) for t in ctx._non_diff}
            from ..backends import backend_of
            for i, o in enumerate(results):
                if isinstance(o, Tensor):
                    node.out_meta.append((o._data.shape, o._data.dtype, backend_of(o._data).xp))
                    if id(o) in non_diff or o._data.dtype.kind not in "fcV":
                        continue
                    o.grad_fn = node
                    o._edge = (node, i)
                    o._rg = True
                else:
                    node.out_meta.append(((), None, None))
        return results[0] if single else tuple(results)


def once_differentiable(fn):
    """Decorator for a backward that is not itself differentiable (accepted for compatibility)."""
    return fn
