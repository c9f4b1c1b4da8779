"""`loom.layout` and `loom.memory_format`: the objects PyTorch code passes as ``layout=`` and
``memory_format=`` (``torch.strided``, ``torch.contiguous_format``). loom's tensors are
strided and dense; the formats are accepted where PyTorch takes them."""
from __future__ import annotations

__all__ = ["layout", "memory_format", "strided", "contiguous_format", "preserve_format",
           "channels_last", "channels_last_3d"]


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
