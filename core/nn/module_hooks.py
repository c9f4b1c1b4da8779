"""Module backward hooks (`register_full_backward_hook`, `register_full_backward_pre_hook`),
as PyTorch runs them: the module's tensor inputs and outputs pass through identity functions
whose backward sees the gradients; the pre-hooks get the gradients of the outputs (and may
replace them), the hooks get those of the inputs and of the outputs (and may replace the
inputs')."""
from __future__ import annotations

import warnings

import loom

__all__ = ["wrap_call"]


class _State:
    __slots__ = ("module", "n_inputs", "grad_outputs", "inputs_need")

    def __init__(self, module, n_inputs):
        self.module, self.n_inputs = module, n_inputs
        self.grad_outputs = None
        self.inputs_need = False


def _call_hooks(state, grad_inputs):
    m = state.module
    for hook in list(m._backward_hooks.values()):
        res = hook(m, grad_inputs, state.grad_outputs)
        if res is not None:
            res = tuple(res) if isinstance(res, (tuple, list)) else (res,)
            if len(res) != len(grad_inputs):
                raise RuntimeError(f"Backward hook returned an invalid number of grad_input, "
                                   f"got {len(res)}, but expected {len(grad_inputs)}")
            grad_inputs = res
    return grad_inputs


class _Outputs(loom.autograd.Function):
    @staticmethod
    def forward(ctx, state, *tensors):
        ctx.state = state
        return tuple(t.clone() for t in tensors)

    @staticmethod
    def backward(ctx, *grads):
        state = ctx.state
        m = state.module
        for hook in list(getattr(m, "_backward_pre_hooks", {}).values()):
            res = hook(m, grads)
            if res is not None:
                grads = tuple(res) if isinstance(res, (tuple, list)) else (res,)
        state.grad_outputs = grads
        if not state.inputs_need and m._backward_hooks:  # no input takes a gradient: the
            # hooks run here, with PyTorch's warning
            warnings.warn("Full backward hook is firing when gradients are computed with "
                          "respect to module outputs since no inputs require gradients. See "
                          "https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html"
                          "#torch.nn.Module.register_full_backward_hook for more details.",
                          UserWarning, stacklevel=2)
            _call_hooks(state, (None,) * state.n_inputs)
        return (None,) + tuple(grads)


class _Inputs(loom.autograd.Function):
    @staticmethod
    def forward(ctx, state, *tensors):
        ctx.state = state
        return tuple(t.clone() for t in tensors)

    @staticmethod
    def backward(ctx, *grads):
        state = ctx.state
        if not state.module._backward_hooks:
            return (None,) + tuple(grads)
        return (None,) + tuple(_call_hooks(state, tuple(grads)))


def _through(fn, state, values):
    """`values` with the tensors that take part in autograd replaced by fn's outputs."""
    pos = [i for i, v in enumerate(values) if isinstance(v, loom.Tensor) and v.requires_grad]
    if not pos or not loom.is_grad_enabled():
        return values, False
    outs = fn.apply(state, *[values[i] for i in pos])
    values = list(values)
    for i, o in zip(pos, outs):
        values[i] = o
    return values, True


def wrap_call(module, forward, args, kwargs):
    """Run ``forward(*args, **kwargs)`` with `module`'s backward hooks attached."""
    tensor_args = [a for a in args if isinstance(a, loom.Tensor)]
    state = _State(module, len(tensor_args))
    if module._backward_hooks:
        new_args, state.inputs_need = _through(_Inputs, state, list(args))
        args = tuple(new_args)
    out = forward(*args, **kwargs)
    single = isinstance(out, loom.Tensor)
    outs = [out] if single else list(out) if isinstance(out, (tuple, list)) else None
    if outs is None:
        return out
    wrapped, _ = _through(_Outputs, state, outs)
    if single:
        return wrapped[0]
    return type(out)(wrapped) if isinstance(out, tuple) and type(out) is tuple else \
        (wrapped if isinstance(out, list) else type(out)(*wrapped))
