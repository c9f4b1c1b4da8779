"""Making tensors from data: `loom.tensor` (copies, PyTorch's dtype inference) and
`loom.from_numpy` (shares memory). Factories such as `zeros` are operators a plugin provides."""
from __future__ import annotations

import warnings

import numpy as np

from . import dtypes as _dt
from .backends import resolve_device
from .backends import host_array as _host
from .tensor import Tensor, require_grad_at_creation, wrap

__all__ = ["tensor", "from_numpy"]


def _infer_array(data, dtype):
    """NumPy array from nested Python data, with PyTorch's dtype inference."""
    if isinstance(data, Tensor):
        return _host(data._data)
    if isinstance(data, np.ndarray):
        arr = data
    else:
        if isinstance(data, (list, tuple)) and _contains_tensor(data):
            data = _tensors_to_lists(data)
        arr = np.asarray(data)
        if arr.dtype == object:
            raise TypeError(f"Could not infer dtype of {type(data).__name__}")
    if dtype is not None:
        return arr.astype(dtype.np, copy=False)
    k = arr.dtype.kind
    if k == "f":
        if not isinstance(data, np.ndarray):
            arr = arr.astype(_dt.get_default_dtype().np)
    elif k == "c":
        if not isinstance(data, np.ndarray):
            arr = arr.astype(np.complex128 if _dt.get_default_dtype() is _dt.float64
                             else np.complex64)
    elif k in "iu":
        if not isinstance(data, np.ndarray):
            arr = arr.astype(np.int64)
    elif k == "b":
        pass
    elif k in "US":
        raise TypeError(f"new(): invalid data type '{arr.dtype.kind == 'U' and 'str'}'")
    if isinstance(data, np.ndarray):
        _dt.from_numpy_dtype(arr.dtype)
    return arr


def _contains_tensor(seq):
    for x in seq:
        if isinstance(x, Tensor):
            return True
        if isinstance(x, (list, tuple)) and _contains_tensor(x):
            return True
    return False


def _tensors_to_lists(x):
    if isinstance(x, Tensor):
        return x.tolist()
    if isinstance(x, (list, tuple)):
        return [_tensors_to_lists(v) for v in x]
    return x


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """A new tensor copying `data` (nested lists, scalars, NumPy arrays, tensors)."""
    if isinstance(data, Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use sourceTensor.detach()."
            "clone() or sourceTensor.detach().clone().requires_grad_(True), rather than "
            "torch.tensor(sourceTensor).", UserWarning, stacklevel=2)
    arr = np.array(_infer_array(data, dtype), copy=True, order="C")
    if type(arr) is not np.ndarray:
        arr = arr.view(np.ndarray)
    t = _place(arr, device)
    if requires_grad:
        require_grad_at_creation(t)
    return t


def _place(arr, device):
    be, index = resolve_device(device)
    return wrap(arr if be.type == "cpu" else be.asarray(arr, index))


def from_numpy(arr: np.ndarray) -> Tensor:
    """A CPU tensor sharing memory with NumPy array `arr`."""
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(arr).__name__})")
    _dt.from_numpy_dtype(arr.dtype)
    if any(s < 0 for s in arr.strides):
        raise ValueError("At least one stride in the given numpy array is negative, and tensors "
                         "with negative strides are not currently supported. (You can probably "
                         "work around this by making a copy of your array  with array.copy().) ")
    if type(arr) is not np.ndarray:
        arr = arr.view(np.ndarray)
    return wrap(arr)
