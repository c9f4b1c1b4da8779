"""`loom.layout` and `loom.memory_format`: the objects PyTorch code passes as ``layout=`` and
``memory_format=`` (``torch.strided``, ``torch.contiguous_format``). loom's tensors are
strided and dense; the formats are accepted where PyTorch takes them."""
from __future__ import annotations

__all__ = ["layout", "memory_format", "strided", "contiguous_format", "preserve_format",
           "channels_last", "channels_last_3d", "dims_outermost_first"]


class _Named:
    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"torch.{self.name}"

    def __reduce__(self):  # pickles as the module-level object of that name
        return self.name


class layout(_Named):
    """A tensor layout (``loom.strided``)."""

    __slots__ = ()


class memory_format(_Named):
    """A memory format (``loom.contiguous_format``, ``loom.preserve_format``, ...)."""

    __slots__ = ()


strided = layout("strided")
contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")


def dims_outermost_first(fmt, ndim: int) -> tuple:
    """The dimensions of an `ndim`-dim tensor in `fmt` from the largest stride to the smallest
    (``channels_last``: N, H, W, C), with PyTorch's error for a rank the format does not fit."""
    name = getattr(fmt, "name", None)
    if name == "channels_last" or name == "channels_last_3d":
        rank = 4 if name == "channels_last" else 5
        if ndim != rank:
            raise RuntimeError(f"required rank {rank} tensor to use {name} format")
        return (0, *range(2, rank), 1)
    return tuple(range(ndim))
