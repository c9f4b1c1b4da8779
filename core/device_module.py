"""`loom.cuda` and `loom.get_device_module(type)`: a device type's module, as `torch.cuda`.

One class serves every device type: availability, device indices, synchronisation, random
seeds, memory statistics, streams and events, each answered by the backend that serves the type
(whichever plugin that is: configuration's `device_providers` chooses). Without a backend, or
with one that cannot run here, the queries PyTorch answers lazily answer so (``is_available()``
False, ``device_count()`` 0, no memory in use, seeding does nothing) and the calls that need
the device raise the error that says what to install.
"""
from __future__ import annotations

import contextlib

from . import backends as _backends
from .backends import available as _available, device_unavailable
from .config import get as _config_get
from .device import device as _device
from .legacy import make_legacy_types

__all__ = ["DeviceModule", "get_device_module", "cuda"]


class DeviceModule:
    """The module of one device type (`loom.cuda` is ``DeviceModule("cuda")``)."""

    def __init__(self, device_type: str):
        self.type = device_type
        self.__name__ = f"loom.{device_type}"

    def __repr__(self) -> str:
        return f"<module '{self.__name__}'>"

    # ---------------------------------------------------------------- the backend
    def _backend_or_none(self):
        be = _backends.backends.get(self.type)
        return be if be is not None and _available(be) else None

    def _backend(self):
        be = self._backend_or_none()
        if be is None:
            raise device_unavailable(_device(self.type))
        return be

    def _index(self, device=None) -> int:
        """The device index a `device` argument means (None: the current device), checked."""
        be = self._backend()
        if device is None:
            return be.current_device()
        if isinstance(device, int) and not isinstance(device, bool):
            index = device
        else:
            d = _device(device)
            if d.type != self.type:
                raise ValueError(f"Expected a {self.type} device, but got: {d}")
            index = be.current_device() if d.index is None else d.index
        n = be.device_count()
        if not 0 <= index < n:
            raise RuntimeError(f"invalid device ordinal: device '{self.type}:{index}' was "
                               f"requested, but device type '{self.type}' has {n} device(s)")
        return index

    # ---------------------------------------------------------------- devices
    def is_available(self) -> bool:
        """Whether a loaded backend can run this device type here."""
        return self._backend_or_none() is not None

    def device_count(self) -> int:
        """The number of devices of this type (0 when none can be used)."""
        be = self._backend_or_none()
        return be.device_count() if be is not None else 0

    def current_device(self) -> int:
        """Index of the current device (where ``device="cuda"`` puts tensors)."""
        return self._backend().current_device()

    def set_device(self, device) -> None:
        """Make `device` (an index, ``"cuda:1"`` or a `loom.device`) the current one."""
        self._backend().set_device(self._index(device))

    @contextlib.contextmanager
    def device(self, device):
        """A context in which `device` is the current device."""
        be = self._backend()
        before = be.current_device()
        self.set_device(device)
        try:
            yield
        finally:
            be.set_device(before)
    
    def get_device_name(self, device=None) -> str:
        """A name for the device (the backend's `device_name`, or the device string)."""
        index = self._index(device)
        be = self._backend()
        name = getattr(be, "device_name", None)
        return name(index) if callable(name) else f"{self.type}:{index}"

    def synchronize(self, device=None) -> None:
        """Wait for all queued work on `device` (None: the current one)."""
        self._backend().synchronize(self._index(device))

    # ---------------------------------------------------------------- random numbers
    def manual_seed(self, seed: int) -> None:
        """Seed the default generators of this type's devices (nothing when none is usable;
        the backend seeds every device, as `manual_seed_all`)."""
        be = self._backend_or_none()
        if be is not None:
            be.manual_seed(int(seed))

    manual_seed_all = manual_seed

    # ---------------------------------------------------------------- memory statistics
    def memory_allocated(self, device=None) -> int:
        """Bytes held by tensors on `device` (0 when the device cannot be used)."""
        be = self._backend_or_none()
        return be.memory_allocated(self._index(device)) if be is not None else 0

    def max_memory_allocated(self, device=None) -> int:
        """The peak of `memory_allocated` since the start or the last reset."""
        be = self._backend_or_none()
        return be.max_memory_allocated(self._index(device)) if be is not None else 0

    def reset_peak_memory_stats(self, device=None) -> None:
        """Restart `max_memory_allocated` from the current allocation."""
        be = self._backend_or_none()
        if be is not None:
            be.reset_peak_memory_stats(self._index(device))

    def memory_reserved(self, device=None) -> int:
        """Bytes the device's allocator holds, in use or cached."""
        be = self._backend_or_none()
        return be.memory_reserved(self._index(device)) if be is not None else 0

    def empty_cache(self) -> None:
        """Give the allocator's cached, unused blocks back to the device."""
        be = self._backend_or_none()
        if be is not None:
            be.empty_cache()

    # ---------------------------------------------------------------- streams and events
    def Stream(self, device=None, priority: int = 0):  # noqa: N802 (PyTorch's name)
        """A new stream on `device` (the backend's stream object)."""
        return self._backend().new_stream(self._index(device), priority)

    def Event(self, enable_timing: bool = False, blocking: bool = False,  # noqa: N802
              interprocess: bool = False):
        """A new event (``record``, ``query``, ``synchronize``, ``elapsed_time``)."""
        return self._backend().new_event(enable_timing)

    def current_stream(self, device=None):
        """The stream work on `device` is queued to."""
        return self._backend().current_stream(self._index(device))

    default_stream = current_stream

    def stream(self, stream):
        """A context in which `stream` is current (None: a context that changes nothing)."""
        return contextlib.nullcontext() if stream is None else stream


class _CudaModule(DeviceModule):
    """`loom.cuda`: the "cuda" device type's module, with the legacy typed tensor names
    (``loom.cuda.FloatTensor``, ...)."""

    def __init__(self):
        super().__init__("cuda")
        self.__dict__.update(make_legacy_types(is_cuda=True))

    def __getattr__(self, name):
        # `loom.cuda.amp` (PyTorch's deprecated torch.cuda.amp) is written over the public API,
        # above this module: found by name on first use, as the package finds `loom.optim`
        if name == "amp":
            import importlib
            mod = importlib.import_module("loom.amp.cuda")
            self.__dict__["amp"] = mod
            return mod
        raise AttributeError(f"module 'loom.cuda' has no attribute '{name}'")


cuda = _CudaModule()
_modules: dict = {"cuda": cuda}


def get_device_module(device=None) -> DeviceModule:
    """The module of a device type (``get_device_module("cuda") is loom.cuda``); None: the
    default device's."""
    if device is None:
        device = _config_get("default_device")
    t = device if isinstance(device, str) and ":" not in device else _device(device).type
    mod = _modules.get(t)
    if mod is None:
        mod = _modules[t] = DeviceModule(t)
    return mod
