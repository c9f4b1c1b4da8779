"""`loom.accelerator`: the current accelerator, if any (``torch.accelerator``).

An accelerator is a device type besides the CPU whose backend is loaded and available (a
plugin's); with none, `current_accelerator()` is None and `is_available()` False, as in
PyTorch's CPU build.
"""
from __future__ import annotations

import loom

__all__ = ["current_accelerator", "current_device_index", "device_count", "is_available",
           "set_device_index", "synchronize"]


def _types() -> list:
    from loom.backends import available, backends
    return [t for t, be in backends.items() if t != "cpu" and available(be)]


def current_accelerator(check_available: bool = False):
    """The accelerator's device type as a `loom.device` (``device(type='cuda')``), or None."""
    types = _types()
    if not types:
        return None
    return loom.device("cuda" if "cuda" in types else types[0])


def is_available() -> bool:
    """Whether an accelerator is available."""
    return bool(_types())


def device_count() -> int:
    """The number of devices of the accelerator's type (0 without one)."""
    acc = current_accelerator()
    return 0 if acc is None else loom.get_device_module(acc.type).device_count()


def _module():
    acc = current_accelerator()
    if acc is None:
        raise RuntimeError("Cannot access accelerator device when none is available.")
    return loom.get_device_module(acc.type)


def current_device_index() -> int:
    """The index of the accelerator's current device."""
    return _module().current_device()


current_device_idx = current_device_index


def set_device_index(device) -> None:
    """Make `device` (an index or a device) the accelerator's current device."""
    _module().set_device(device)


set_device_idx = set_device_index


def synchronize(device=None) -> None:
    """Wait for the accelerator's work to finish."""
    _module().synchronize(device)
