"""Module hooks: the handle every ``register_*_hook`` returns, and a module's backward hooks
(`register_full_backward_hook`, `register_full_backward_pre_hook`), run as PyTorch runs them:
the module's tensor inputs and outputs pass through identity `autograd.Function`s, whose
backward rules see the gradients of the outputs (the pre-hooks run there, and may replace
them) and then of the inputs (the hooks run there, with both, and may replace the input
gradients)."""
from __future__ import annotations

import warnings
from collections import OrderedDict

import loom
from loom.autograd import Function

__all__ = ["BackwardHook", "BackwardHooks", "RemovableHandle"]


class RemovableHandle:
    """Returned by the ``register_*_hook`` methods: ``remove()`` unregisters the hook."""
    _next_id = 0

    def __init__(self, hooks: dict):
        self._hooks = hooks
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class BackwardHooks:
    """The backward-hook half of `Module`'s hook API (a base class of `Module`)."""

    def register_full_backward_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """``hook(module, grad_input, grad_output)`` runs once the gradients of the module's
        positional tensor inputs are computed (None for the others); a non-None result
        replaces `grad_input`."""
        return self._add_backward_hook(self.__dict__.setdefault("_backward_hooks",
                                                                OrderedDict()), hook, prepend)

    def register_backward_hook(self, hook) -> RemovableHandle:
        """The older name: here the same as `register_full_backward_hook` (PyTorch's older
        hook saw the gradients of the module's last operation instead)."""
        return self.register_full_backward_hook(hook)

    def register_full_backward_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """``hook(module, grad_output)`` runs before the gradients of the inputs are
        computed; a non-None result replaces `grad_output`."""
        return self._add_backward_hook(self.__dict__.setdefault("_backward_pre_hooks",
                                                                OrderedDict()), hook, prepend)

    @staticmethod
    def _add_backward_hook(hooks, hook, prepend):
        h = RemovableHandle(hooks)
        hooks[h.id] = hook
        if prepend:
            hooks.move_to_end(h.id, last=False)
        return h

    def _call_with_backward_hooks(self, args, kwargs):
        d = self.__dict__
        return self._call_with_hooks(args, kwargs, BackwardHook(
            self, d.get("_backward_hooks") or {}, d.get("_backward_pre_hooks") or {}))


def _is_tensor(x):
    return isinstance(x, loom.Tensor)


class _Identity(Function):
    """The identity on some tensors; its backward hands their gradients to `hook_state`."""

    @staticmethod
    def forward(ctx, state, on_grads, *tensors):
        ctx.state, ctx.on_grads = state, on_grads
        return tuple(t.view_as(t) for t in tensors)

    @staticmethod
    def backward(ctx, *grads):
        return (None, None, *ctx.on_grads(ctx.state, grads))


class BackwardHook:
    """One forward call's backward hooks: `setup_input` wraps the positional tensor inputs,
    `setup_output` the outputs (a tensor, or the tensors of a tuple or list)."""

    def __init__(self, module, hooks, pre_hooks):
        self.module, self.hooks, self.pre_hooks = module, hooks, pre_hooks
        self.n_args = 0
        self.input_positions = ()
        self.grad_output = None

    def setup_input(self, args):
        # the tensors that require grad pass through the identity; the hooks see zeros for the
        # other tensor arguments and None for the rest, as PyTorch's do
        self.n_args = len(args)
        self.zeros_at = tuple((i, a) for i, a in enumerate(args)
                              if _is_tensor(a) and not a.requires_grad)
        pos = tuple(i for i, a in enumerate(args) if _is_tensor(a) and a.requires_grad)
        self.input_positions = pos
        if not pos or not loom.is_grad_enabled():
            self.input_positions = ()
            return args
        wrapped = _Identity.apply(self, BackwardHook._on_input_grads, *(args[i] for i in pos))
        out = list(args)
        for i, t in zip(pos, wrapped):
            out[i] = t
        return tuple(out)

    def setup_output(self, result):
        if not loom.is_grad_enabled():
            return result
        single = _is_tensor(result)
        items = [result] if single else list(result) if isinstance(result, (tuple, list)) \
            else None
        if items is None:
            return result
        pos = [i for i, t in enumerate(items) if _is_tensor(t) and t.requires_grad]
        if not pos:
            return result
        self.n_outputs = len(items)
        self.output_positions = pos
        wrapped = _Identity.apply(self, BackwardHook._on_output_grads, *(items[i] for i in pos))
        for i, t in zip(pos, wrapped):
            items[i] = t
        return items[0] if single else type(result)(items)

    def _on_output_grads(self, grads):
        full = [None] * self.n_outputs
        for i, g in zip(self.output_positions, grads):
            full[i] = g
        grad_output = tuple(full)
        for hook in list(self.pre_hooks.values()):
            res = hook(self.module, grad_output)
            if res is not None:
                res = tuple(res) if isinstance(res, (tuple, list)) else (res,)
                if len(res) != len(grad_output):
                    raise RuntimeError(f"Backward pre hook returned an invalid number of grad "
                                       f"output, got {len(res)}, but expected "
                                       f"{len(grad_output)}")
                grad_output = res
        self.grad_output = grad_output
        if not self.input_positions:  # nothing flows on to the inputs: the hooks run here
            if self.hooks:
                warnings.warn("Full backward hook is firing when gradients are computed with "
                              "respect to module outputs since no inputs require gradients.",
                              stacklevel=2)
            self._run_hooks((None,) * self.n_args)
        return tuple(grad_output[i] for i in self.output_positions)

    def _on_input_grads(self, grads):
        full = [None] * self.n_args
        for i, g in zip(self.input_positions, grads):
            full[i] = g
        for i, a in self.zeros_at:
            full[i] = loom.zeros_like(a)
        grad_input = self._run_hooks(tuple(full))
        return tuple(grad_input[i] for i in self.input_positions)

    def _run_hooks(self, grad_input):
        grad_output = self.grad_output if self.grad_output is not None else ()
        for hook in list(self.hooks.values()):
            res = hook(self.module, grad_input, grad_output)
            if res is not None:
                res = tuple(res) if isinstance(res, (tuple, list)) else (res,)
                if len(res) != len(grad_input):
                    raise RuntimeError(f"Backward hook returned an invalid number of grad_input, "
                                       f"got {len(res)}, but expected {len(grad_input)}")
                grad_input = res
        return grad_input
