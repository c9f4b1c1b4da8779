"""`loom.accelerator`, as `torch.accelerator`: the device type (other than the CPU) that a
loaded backend serves here, if any -- what ``device = torch.accelerator.current_accelerator()``
scripts pick."""
from __future__ import annotations

from .backends import available as _available, backends as _backends
from .device import device as _device
from .device_module import get_device_module

__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index",
           "set_device_index", "synchronize"]


def _accelerator_type():
    for t, be in _backends.items():
        if t != "cpu" and _available(be):
            return t
    return None


def is_available() -> bool:
    """Whether an accelerator (a device type other than the CPU) can be used here."""
    return _accelerator_type() is not None


def current_accelerator(check_available: bool = False):
    """The accelerator's device type as a `loom.device`, or None when there is none."""
    t = _accelerator_type()
    return None if t is None else _device(t)


def device_count() -> int:
    """The number of accelerator devices (0 without one)."""
    t = _accelerator_type()
    return 0 if t is None else get_device_module(t).device_count()


def _module():
    t = _accelerator_type()
    if t is None:
        raise RuntimeError("Accelerator is not available.")
    return get_device_module(t)


def current_device_index() -> int:
    """Index of the accelerator's current device."""
    return _module().current_device()


def set_device_index(device) -> None:
    """Make `device` the accelerator's current device."""
    _module().set_device(device)


def synchronize(device=None) -> None:
    """Wait for the work queued on the accelerator."""
    _module().synchronize(device)
