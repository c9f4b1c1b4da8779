"""Making tensors from data: `loom.tensor` (copies, PyTorch's dtype inference) and
`loom.from_numpy` (shares memory). Factories such as `zeros` are operators a plugin provides."""
from __future__ import annotations

import warnings

import numpy as np

from . import dtypes as _dt
from .backends import resolve_device
from .config import get as _config_get
from .backends import host_array as _host
from .tensor import Tensor, require_grad_at_creation, wrap

__all__ = ["tensor", "from_numpy", "as_tensor", "asarray", "from_dlpack"]


def _infer_array(data, dtype):
    """NumPy array from nested Python data, with PyTorch's dtype inference."""
    if isinstance(data, Tensor):
        return _host(data._data)
    if isinstance(data, np.generic):  # a NumPy scalar keeps its dtype, as an array does
        data = np.asarray(data)
    if isinstance(data, np.ndarray):
        arr = data
    elif dtype is None and isinstance(data, (list, tuple)) and _first_leaf_numpy(data):
        # NumPy scalars keep their dtypes, Python numbers take PyTorch's: the promotion of all
        arr = np.asarray(data)
        if arr.dtype == object:
            raise TypeError(f"Could not infer dtype of {type(data).__name__}")
        return arr.astype(_leaves_dtype(data).np, copy=False)
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


def _first_leaf_numpy(seq):
    while isinstance(seq, (list, tuple)) and seq:
        seq = seq[0]
    return isinstance(seq, np.generic)


def _leaves_dtype(seq):
    """PyTorch's dtype of nested data holding NumPy scalars: each NumPy scalar's own dtype and
    each Python number's default one, promoted."""
    found = None
    stack = [seq]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
            continue
        d = _dt.from_numpy_dtype(x.dtype) if isinstance(x, np.generic) else _dt.scalar_dtype(x)
        found = d if found is None else _dt.promote_types(found, d)
    return found


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
    if pin_memory:
        t = _pinned(t)
    if requires_grad:
        require_grad_at_creation(t)
    return t


def _pinned(t):
    """`t` copied into page-locked memory by the accelerator's backend (`Tensor.pin_memory`)."""
    if t.device.type != "cpu":
        raise RuntimeError(f"Only dense CPU tensors can be pinned, got a tensor on {t.device}")
    try:
        return t.pin_memory()
    except RuntimeError:
        raise RuntimeError("pin_memory=True requires a CUDA or other accelerator backend; no "
                           "pinned memory allocator is available on this system.") from None


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


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """`data` as a tensor, sharing memory when it already is one (or a NumPy array) of that
    dtype and device; a copy otherwise."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype) if (dtype or device) is not None else data
    if device is None:  # the default device, as PyTorch's as_tensor (NumPy arrays included)
        device = _config_get("default_device")
    if isinstance(data, np.ndarray) and str(device).split(":")[0] == "cpu":
        t = from_numpy(data) if data.dtype != object else tensor(data)
        return t if dtype is None or t.dtype is dtype else t.to(dtype)
    return tensor(data, dtype=dtype, device=device)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False) -> Tensor:
    """`obj` as a tensor (a tensor, NumPy array, DLPack capsule holder, scalar or sequence):
    memory is shared when possible unless ``copy=True``; ``copy=False`` raises when a copy
    is needed."""
    if copy:
        t = obj.detach().clone().to(device=device, dtype=dtype) if isinstance(obj, Tensor) \
            else tensor(obj, dtype=dtype, device=device)
    else:
        shareable = isinstance(obj, (Tensor, np.ndarray)) or hasattr(obj, "__dlpack__")
        if copy is False and not shareable:
            raise ValueError(f"can't alias {type(obj).__name__} without a copy (copy=False)")
        if not isinstance(obj, (Tensor, np.ndarray)) and hasattr(obj, "__dlpack__"):
            obj = from_dlpack(obj)
        t = as_tensor(obj, dtype=dtype, device=device)
        if copy is False and isinstance(obj, (Tensor, np.ndarray)):
            src = obj._data if isinstance(obj, Tensor) else obj
            if not np.shares_memory(_host(t._data), src) if t.device.type == "cpu" else False:
                raise ValueError("asarray(): copy=False, but a copy is needed to change the "
                                 "dtype or device")
    if requires_grad:
        require_grad_at_creation(t)
    return t


def from_dlpack(ext) -> Tensor:
    """A tensor sharing memory with any object that speaks DLPack (NumPy, CuPy, PyTorch)."""
    if not hasattr(ext, "__dlpack__"):
        raise TypeError(f"from_dlpack(): expected an object with __dlpack__, got "
                        f"{type(ext).__name__}")
    if isinstance(ext, Tensor):
        return ext
    kind, _ = ext.__dlpack_device__()
    if int(kind) == 1:  # kDLCPU: host memory is the CPU's
        arr = np.from_dlpack(ext)
        return wrap(arr if type(arr) is np.ndarray else arr.view(np.ndarray))
    from .backends import available, backends
    for be in backends.values():
        if be.type != "cpu" and be.dlpack_device_type == int(kind) and available(be):
            return wrap(be.from_dlpack(ext))
    raise RuntimeError(f"from_dlpack(): no loaded device backend can import DLPack device "
                       f"type {int(kind)} (backends declare theirs in `dlpack_device_type`)")
