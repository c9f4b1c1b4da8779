"""`Storage`: the flat buffer that a tensor and all its views share.

A tensor's header is its backend array (a NumPy or CuPy strided view); the storage is that
array's root buffer, found by following `.base`. Views made by `view`, `t`, slicing, `expand`,
... share the root, so `untyped_storage().data_ptr()` is equal across them, and
`storage_offset()` and `stride()` are computed from the view's address and byte strides.
"""
from __future__ import annotations

__all__ = ["UntypedStorage", "TypedStorage", "root_of", "data_ptr", "storage_offset",
           "strides_in_elements", "layout_strides"]


def root_of(arr):
    """The array that owns the memory `arr` views."""
    base = arr.base
    while base is not None and hasattr(base, "base") and hasattr(base, "dtype"):
        arr = base
        base = arr.base
    return arr


def data_ptr(arr) -> int:
    """Address of an array's first element (NumPy or CuPy)."""
    if hasattr(arr, "__array_interface__"):
        return arr.__array_interface__["data"][0]
    return arr.data.ptr  # CuPy


def storage_offset(arr) -> int:
    """Offset, in elements, of `arr`'s first element from the start of its storage."""
    return (data_ptr(arr) - data_ptr(root_of(arr))) // arr.itemsize if arr.itemsize else 0


def strides_in_elements(arr) -> tuple:
    """Byte strides divided by the item size, as `Tensor.stride()` reports them."""
    size = arr.itemsize
    return tuple(s // size for s in arr.strides)


class UntypedStorage:
    """A flat byte buffer on one device (what `Tensor.untyped_storage()` returns)."""

    __slots__ = ("_root", "device")

    def __init__(self, root, device):
        self._root = root
        self.device = device

    def data_ptr(self) -> int:
        return data_ptr(self._root)

    def nbytes(self) -> int:
        return self._root.nbytes

    def size(self) -> int:
        return self._root.nbytes

    def __len__(self) -> int:
        return self._root.nbytes

    def element_size(self) -> int:
        return 1

    def tolist(self):
        return list(self._root.reshape(-1).view("uint8").tolist())

    def __eq__(self, other):
        return isinstance(other, UntypedStorage) and self.data_ptr() == other.data_ptr()

    def __hash__(self):
        return hash(self.data_ptr())

    def __repr__(self) -> str:
        return f"UntypedStorage(nbytes={self.nbytes()}, device={self.device})"


class TypedStorage(UntypedStorage):
    """Legacy typed view of a storage (`Tensor.storage()`): elements, not bytes."""

    __slots__ = ()

    def size(self) -> int:
        return self._root.size

    def __len__(self) -> int:
        return self._root.size

    def element_size(self) -> int:
        return self._root.itemsize

    def tolist(self):
        return self._root.reshape(-1).tolist()

    def __getitem__(self, i):
        return self._root.reshape(-1)[i].item()

    def __repr__(self) -> str:
        body = "\n".join(" " + str(v) for v in self.tolist())
        return f"{body}\n[torch.storage.TypedStorage(dtype={self._root.dtype}, device={self.device}) of size {len(self)}]"


def layout_strides(a):
    """Strides as PyTorch reports them: NumPy's, except where NumPy gives 0 to a dimension of
    size 0 or 1 (a new axis, an empty array), which PyTorch lays out as contiguous."""
    s = list(strides_in_elements(a))
    shape = a.shape
    empty = a.size == 0
    for i in range(len(shape) - 1, -1, -1):
        if s[i] == 0 and (shape[i] <= 1 or empty):
            s[i] = s[i + 1] * max(shape[i + 1], 1) if i + 1 < len(shape) else 1
    return tuple(s)
