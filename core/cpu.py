"""The built-in CPU backend (NumPy), registered through the same hook as any device plugin.

It is an essential plugin: loaded first and never blocked, so loom can always make tensors.
"""
from __future__ import annotations

import numpy as np

from . import config
from .device import DeviceBackend, device
from .hookspecs import hookimpl

__all__ = ["CPUBackend"]

_CPU = device("cpu")


def _keep_freed_memory() -> None:
    """Allocation policy of the CPU backend: keep freed large blocks in the heap for reuse.

    Autograd frees and reallocates arrays of the same sizes on every step. With glibc's
    defaults, large blocks go back to the OS when freed and every new one page-faults on first
    touch, which costs more than the arithmetic on a 10**6-element array; raising the mmap and
    trim thresholds makes malloc reuse them, as a caching allocator would. Only glibc has
    `mallopt`; elsewhere this does nothing. The `malloc_tuning` setting turns it off."""
    import sys
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
    mallopt(M_MMAP_THRESHOLD, 1 << 28)
    mallopt(M_TRIM_THRESHOLD, 1 << 30)


class CPUBackend(DeviceBackend):
    """NumPy arrays in host memory; random numbers follow PyTorch's CPU generator."""

    type = "cpu"
    xp = np
    array_type = np.ndarray

    def __init__(self):
        self._gen = None
        if config.get("malloc_tuning"):
            _keep_freed_memory()

    @property
    def generator(self):
        if self._gen is None:
            from .cpu_random import TorchCompatibleGenerator
            self._gen = TorchCompatibleGenerator()
        return self._gen

    def device_of(self, array):
        return _CPU

    def asarray(self, host_array, index=None):
        return np.asarray(host_array)

    def to_host(self, array):
        return array

    def manual_seed(self, seed):
        self.generator.manual_seed(seed)

    def new_generator(self, index=None):
        from .cpu_random import TorchCompatibleGenerator
        return TorchCompatibleGenerator()

    def rand(self, shape, np_dtype, index=None, generator=None):
        return (generator or self._gen or self.generator).rand(shape, np_dtype)

    def randn(self, shape, np_dtype, index=None, generator=None):
        return (generator or self._gen or self.generator).randn(shape, np_dtype)

    def randint(self, low, high, shape, np_dtype, index=None, generator=None):
        return (generator or self.generator).randint(low, high, shape, np_dtype)

    def randperm(self, n, np_dtype, index=None, generator=None):
        return (generator or self.generator).randperm(n, np_dtype)

    def data_ptr(self, array):
        return array.__array_interface__["data"][0]


@hookimpl
def loom_register_devices():
    return [CPUBackend()]
