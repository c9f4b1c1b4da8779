"""The legacy typed tensor names (`FloatTensor`, `LongTensor`, ...; `loom.cuda` has its own).

``loom.FloatTensor([1, 2])`` makes a float32 tensor, ``loom.FloatTensor(2, 3)`` an
uninitialised (here zero) one, and ``isinstance(t, loom.FloatTensor)`` tests the dtype, as in
PyTorch.
"""
from __future__ import annotations

from . import dtypes as _dt
from .tensor import Tensor

__all__ = ["make_legacy_types"]


class _LegacyMeta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype is cls.dtype and \
            obj.device.type == ("cuda" if cls.is_cuda else "cpu")

    def __repr__(cls):
        return f"<class 'torch.{'cuda.' if cls.is_cuda else ''}{cls.__name__}'>"


def _legacy_type(dt, is_cuda):
    def __new__(cls, *args, device=None):
        # the type names its device, as PyTorch's legacy constructors do: the default device
        # does not move a FloatTensor off the CPU
        dev = "cuda" if is_cuda else device if device is not None else "cpu"
        return Tensor(*args, dtype=dt, device=dev)
    return _LegacyMeta(dt.legacy, (), {"__new__": __new__, "dtype": dt, "is_cuda": is_cuda,
                                       "__doc__": f"Legacy constructor of {dt.name} tensors."})


def make_legacy_types(is_cuda=False) -> dict:
    """{legacy name: class} for every dtype that has one (``FloatTensor``, ...); with
    `is_cuda` the ``loom.cuda`` ones, making tensors on the "cuda" device."""
    return {d.legacy: _legacy_type(d, is_cuda) for d in _dt.ALL if d.legacy}
