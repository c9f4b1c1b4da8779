"""`loom.autograd.graph`: the graph's public face, as `torch.autograd.graph`.

`Node` is the base class of every `grad_fn` (``isinstance(y.grad_fn, Node)``), with `name()`,
`next_functions`, `metadata`, `register_hook` and `register_prehook`; `saved_tensors_hooks`
passes the tensors that operations save for backward through a pack and an unpack function.
"""
from __future__ import annotations

from typing import Any, Callable

from ..graph import Node, _Handle as RemovableHandle, saved_hooks
from ..tensor import Tensor

__all__ = ["Node", "RemovableHandle", "saved_tensors_hooks", "disable_saved_tensors_hooks",
           "save_on_cpu", "get_gradient_edge", "GradientEdge", "increment_version"]


class saved_tensors_hooks:
    """Inside the block, every tensor an operation saves for backward is stored as
    ``pack_hook(tensor)`` and handed back to backward as ``unpack_hook(packed)``."""

    def __init__(self, pack_hook: Callable[[Tensor], Any],
                 unpack_hook: Callable[[Any], Tensor]):
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self):
        if _disabled:
            raise RuntimeError(_disabled[-1])
        saved_hooks.append((self.pack_hook, self.unpack_hook))
        return self

    def __exit__(self, *exc):
        saved_hooks.pop()
        return False


class save_on_cpu(saved_tensors_hooks):
    """Saved tensors go to the CPU and come back to their device for backward."""

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda"):
        def pack(t):
            return (t.device, t.cpu())

        def unpack(packed):
            device, t = packed
            return t.to(device)
        super().__init__(pack, unpack)


_disabled: list = []


class disable_saved_tensors_hooks:
    """Inside the block, entering saved_tensors_hooks raises RuntimeError(`error_message`)."""

    def __init__(self, error_message: str):
        self.error_message = error_message

    def __enter__(self):
        _disabled.append(self.error_message)
        return self

    def __exit__(self, *exc):
        _disabled.pop()
        return False


class GradientEdge(tuple):
    """``(node, output_nr)``: where a tensor's gradient flows in the graph."""

    def __new__(cls, node, output_nr):
        return super().__new__(cls, (node, output_nr))

    @property
    def node(self):
        return self[0]

    @property
    def output_nr(self):
        return self[1]


def get_gradient_edge(tensor: Tensor) -> GradientEdge:
    """The edge that `tensor`'s gradient flows into (its grad_fn, or its AccumulateGrad)."""
    from ..recording import edge_of
    if not tensor.requires_grad:
        raise RuntimeError("It is not possible to get the gradient edge for a Tensor that does "
                           "not require gradients")
    e = edge_of(tensor)
    return GradientEdge(e[0], e[1])


def increment_version(tensor) -> None:
    """Bump the version counter of `tensor` (or each tensor of a sequence), as an in-place
    write would."""
    from ..inplace import bump_version
    for t in (tensor if isinstance(tensor, (list, tuple)) else (tensor,)):
        bump_version(t)
