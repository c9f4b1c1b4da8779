"""The legacy typed tensor names (`FloatTensor`, `LongTensor`, ...) and `loom.cuda`.

``loom.FloatTensor([1, 2])`` makes a float32 tensor, ``loom.FloatTensor(2, 3)`` an
uninitialised (here zero) one, and ``isinstance(t, loom.FloatTensor)`` tests the dtype, as in
PyTorch.
"""
from __future__ import annotations

from . import backends
from .backends import available as _available
from . import dtypes as _dt
from .tensor import Tensor

__all__ = ["make_legacy_types", "cuda"]


class _LegacyMeta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype is cls.dtype and \
            (obj.device.type == "cuda") == cls.is_cuda

    def __repr__(cls):
        return f"<class 'torch.{'cuda.' if cls.is_cuda else ''}{cls.__name__}'>"


def _legacy_type(dt, is_cuda):
    def __new__(cls, *args, device=None):
        dev = "cuda" if is_cuda else device
        return Tensor(*args, dtype=dt, device=dev)
    return _LegacyMeta(dt.legacy, (), {"__new__": __new__, "dtype": dt, "is_cuda": is_cuda,
                                       "__doc__": f"Legacy constructor of {dt.name} tensors."})


def make_legacy_types(is_cuda=False) -> dict:
    return {d.legacy: _legacy_type(d, is_cuda) for d in _dt.ALL if d.legacy}


class _Cuda:
    """`loom.cuda`: availability and control of the CUDA device, served by a device plugin."""

    def __init__(self):
        self.__dict__.update(make_legacy_types(is_cuda=True))

    def _backend(self):
        return backends.backends.get("cuda")

    def is_available(self) -> bool:
        be = self._backend()
        return be is not None and _available(be)

    def device_count(self) -> int:
        be = self._backend()
        return be.device_count() if be is not None and _available(be) else 0

    def current_device(self) -> int:
        return 0

    def synchronize(self, device=None) -> None:
        be = self._backend()
        if be is not None and _available(be):
            be.synchronize(device)

    def manual_seed(self, seed: int) -> None:
        be = self._backend()
        if be is not None and _available(be):
            be.manual_seed(seed)

    manual_seed_all = manual_seed


cuda = _Cuda()
