"""Parameters as one flat vector and back (``nn.utils.parameters_to_vector`` and
``vector_to_parameters``, in PyTorch's ``convert_parameters`` module)."""
from __future__ import annotations

import loom

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters):
    """The parameters flattened and concatenated into one vector."""
    if isinstance(parameters, loom.Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(parameters).__name__}")
    return loom.cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec, parameters) -> None:
    """Copy slices of `vec` into `parameters` (their data is replaced)."""
    if not isinstance(vec, loom.Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    offset = 0
    for p in parameters:
        n = p.numel()
        p.data = vec[offset:offset + n].view_as(p).data
        offset += n
