"""`PReLU`, a ReLU with a learned negative slope (one, or one per channel), and its functional
form `F.prelu`."""
from __future__ import annotations

import loom

from . import init
from .module import Module
from .parameter import Parameter

__all__ = ["prelu", "PReLU"]


def prelu(input, weight):
    """``x`` where positive, ``weight * x`` elsewhere; a weight of several elements is one per
    channel (dim 1)."""
    n = weight.numel()
    if n != 1:
        if input.dim() == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        channels = input.shape[1] if input.dim() > 1 else 1
        if channels != n:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found "
                               f"parameter numbers = {n} and channel size = {channels}.")
    if weight.dim() > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {weight.dim()}")
    w = weight
    if input.dim() != weight.dim():
        shape = [1] * input.dim()
        if input.dim() > 1:
            shape[1] = n
        w = weight.reshape(shape)
    return loom.where(input > 0, input, w * input)


class PReLU(Module):
    """`prelu` with a learned slope: `num_parameters` of them (1, or the channel count),
    each starting at `init`."""

    __constants__ = ["num_parameters"]

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None,
                 dtype=None) -> None:
        self.num_parameters = num_parameters
        super().__init__()
        self.init = init
        self.weight = Parameter(loom.empty(num_parameters, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.constant_(self.weight, self.init)

    def forward(self, input):
        return prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"
