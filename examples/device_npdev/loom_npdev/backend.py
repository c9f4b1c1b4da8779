"""`NpdevBackend`: the "npdev" device, a complete loom device backend over NumPy.

Every member of `loom.plugin.DeviceBackend` that a real accelerator backend implements is here,
in its simplest honest form: one device (index 0), host memory, work that runs when it is
called (so synchronisation and streams have nothing to wait for), a random-number generator
per device, memory statistics, copies to and from the host, and DLPack. Copy this file to
start a backend of your own, and replace NumPy with your library.
"""
from __future__ import annotations

import json

import numpy as np

import loom
from loom.plugin import DeviceBackend

from .arrays import NpArray, on_device, stats, xp

__all__ = ["NpdevBackend", "NpdevGenerator"]

_DEFAULT_SEED = 67280421310721  # PyTorch's default seed, so `initial_seed()` reads the same


class NpdevGenerator:
    """A random-number generator of one npdev device: NumPy's PCG64 (npdev's stream is its
    own; only the CPU reproduces PyTorch's numbers)."""

    def __init__(self, seed: int = _DEFAULT_SEED):
        self.manual_seed(seed)

    def manual_seed(self, seed: int) -> None:
        self._seed = int(seed) % (1 << 64)
        self.rng = np.random.Generator(np.random.PCG64(self._seed))

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> bytes:
        return json.dumps([self._seed, self.rng.bit_generator.state]).encode()

    def set_state(self, state: bytes) -> None:
        try:
            seed, bit_state = json.loads(bytes(state).decode())
            rng = np.random.Generator(np.random.PCG64())
            rng.bit_generator.state = bit_state
        except (ValueError, TypeError, KeyError) as e:
            raise RuntimeError(f"set_state(): not a state of an npdev generator ({e})") from None
        self._seed, self.rng = seed, rng


def _floating(np_dtype):
    """NumPy draws float32 and float64; a float16 sample is drawn in float32 and rounded."""
    dt = np.dtype(np_dtype)
    return dt if dt in (np.float32, np.float64) else np.dtype(np.float32)


def _sigmoid(xp, x):
    # 1 / (1 + exp(-x)) as exp(-log(1 + exp(-x))): NumPy's logaddexp never overflows, where
    # the shared kernel's exp(-x) does for x < -709 (and warns). An example of a backend's own
    # kernel for an operator, used on this device in place of the shared one.
    NpdevBackend.override_calls += 1
    return xp.exp(-xp.logaddexp(0.0, -x))


class NpdevBackend(DeviceBackend):
    """The "npdev" device: NumPy memory seen through `NpArray`."""

    type = "npdev"
    xp = xp
    array_type = NpArray
    dlpack_device_type = 1  # kDLCPU: its memory is host memory
    kernels = {"sigmoid": _sigmoid}
    #: how often the backend's own sigmoid kernel ran (the tests check that it is used)
    override_calls = 0

    def __init__(self):
        self._generators = {}  # device index -> the default generator of that device

    # ---------------------------------------------------------------- devices
    def is_available(self) -> bool:
        return True

    def device_count(self) -> int:
        return 1

    def device_of(self, array):
        return loom.device("npdev", 0)

    # ---------------------------------------------------------------- transfers
    def asarray(self, host_array, index=None):
        return np.array(host_array, copy=True).view(NpArray)

    def to_host(self, array):
        return np.array(array, copy=True, subok=False)

    def from_dlpack(self, obj):
        return np.from_dlpack(obj).view(NpArray)

    def data_ptr(self, array):
        return array.__array_interface__["data"][0]

    # ---------------------------------------------------------------- random numbers
    def _generator(self, index, generator):
        if generator is not None:
            return generator
        index = index or 0
        g = self._generators.get(index)
        if g is None:
            g = self._generators[index] = NpdevGenerator()
        return g

    def manual_seed(self, seed):
        for index in range(self.device_count()):
            self._generator(index, None).manual_seed(seed)

    def new_generator(self, index=None):
        return NpdevGenerator()

    def rand(self, shape, np_dtype, index=None, generator=None):
        rng = self._generator(index, generator).rng
        return on_device(rng.random(shape, dtype=_floating(np_dtype)).astype(np_dtype,
                                                                             copy=False))

    def randn(self, shape, np_dtype, index=None, generator=None):
        rng = self._generator(index, generator).rng
        return on_device(rng.standard_normal(shape, dtype=_floating(np_dtype))
                         .astype(np_dtype, copy=False))

    def randint(self, low, high, shape, np_dtype, index=None, generator=None):
        rng = self._generator(index, generator).rng
        return on_device(rng.integers(low, high, shape, dtype=np.int64)
                         .astype(np_dtype, copy=False))

    def randperm(self, n, np_dtype, index=None, generator=None):
        rng = self._generator(index, generator).rng
        return on_device(rng.permutation(n).astype(np_dtype, copy=False))

    # ---------------------------------------------------------------- memory statistics
    def memory_allocated(self, index=None):
        return stats.allocated

    def max_memory_allocated(self, index=None):
        return stats.peak

    def reset_peak_memory_stats(self, index=None):
        stats.peak = stats.allocated
