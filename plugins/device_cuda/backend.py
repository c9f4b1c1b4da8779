"""`CudaBackend`: the "cuda" device on CuPy.

Kernels run against `cupy` as their `xp`; this class adds what the backend contract asks beyond
the namespace (docs/backends.md): device indices, transfers, pinned host memory, DLPack, one
random-number generator per device, streams and events, and memory statistics from CuPy's
memory pool. Without CuPy, or without a GPU, the backend still loads and says why it is
unavailable.
"""
from __future__ import annotations

import numpy as np

import loom
from loom.plugin import DeviceBackend

from .kernels import KERNELS
from .streams import CudaEvent, CudaStream

__all__ = ["CudaBackend", "CudaGenerator"]

_DEFAULT_SEED = 67280421310721  # PyTorch's default seed


class CudaBackend(DeviceBackend):
    """CUDA devices through CuPy."""

    type = "cuda"
    dlpack_device_type = 2  # kDLCUDA
    kernels = KERNELS

    def __init__(self):
        self._reason = ""
        self.xp = None
        self.array_type = type(None)
        try:
            import cupy
        except Exception as e:  # ImportError, or a CuPy that cannot find its CUDA libraries
            self._reason = (f"CuPy is not installed ({type(e).__name__}: {e})"
                            if isinstance(e, ImportError) else f"CuPy failed to import: {e}")
            return
        try:
            n = cupy.cuda.runtime.getDeviceCount()
        except Exception as e:
            self._reason = f"CuPy found no usable CUDA device ({e})"
            return
        if n == 0:
            self._reason = "CuPy found no CUDA device"
            return
        self.xp = cupy
        self.array_type = cupy.ndarray
        self._count = n
        self._generators = {}  # device index -> default generator
        self._peak = {}        # device index -> peak bytes in use
        self._pool = cupy.get_default_memory_pool()
        # Allocate through the default pool as CuPy does, noting the peak of the bytes in use
        # after each allocation: CuPy's pool keeps the current figure, not its maximum.
        cupy.cuda.set_allocator(self._malloc)

    def _malloc(self, size):
        mem = self._pool.malloc(size)
        used = self._pool.used_bytes()
        dev = mem.device_id
        if used > self._peak.get(dev, 0):
            self._peak[dev] = used
        return mem

    # ---------------------------------------------------------------- devices
    def is_available(self) -> bool:
        return self.xp is not None

    def unavailable_reason(self) -> str:
        return self._reason

    def device_count(self) -> int:
        return self._count if self.xp is not None else 0

    def current_device(self) -> int:
        return self.xp.cuda.runtime.getDevice()

    def set_device(self, index):
        self.xp.cuda.Device(index).use()

    def device_name(self, index):
        name = self.xp.cuda.runtime.getDeviceProperties(index)["name"]
        return name.decode() if isinstance(name, bytes) else str(name)

    def device_of(self, array):
        return loom.device("cuda", array.device.id)

    def _device(self, index):
        return self.xp.cuda.Device(self.current_device() if index is None else index)

    # ---------------------------------------------------------------- transfers
    def asarray(self, host_array, index=None):
        with self._device(index):
            try:
                # synchronous: the host array may be a temporary freed when this returns
                return self.xp.asarray(host_array, blocking=True)
            except TypeError:  # a CuPy older than the `blocking` keyword copies synchronously
                return self.xp.asarray(host_array)

    def to_host(self, array):
        return self.xp.asnumpy(array)

    def to_device(self, array, index=None):
        with self._device(index):
            return self.xp.array(array, copy=True)

    def pin_memory(self, host_array):
        import cupyx
        out = cupyx.empty_pinned(host_array.shape, host_array.dtype)
        out[...] = host_array
        return out

    def is_pinned(self, host_array) -> bool:
        try:
            ptr = host_array.__array_interface__["data"][0]
            attrs = self.xp.cuda.runtime.pointerGetAttributes(ptr)
        except Exception:  # memory CUDA does not know
            return False
        return getattr(attrs, "type", 0) == 1  # cudaMemoryTypeHost: page-locked host memory

    def from_dlpack(self, obj):
        return self.xp.from_dlpack(obj)

    def data_ptr(self, array):
        return array.data.ptr

    # ---------------------------------------------------------------- random numbers
    def _generator(self, index, generator):
        if generator is not None:
            return generator
        index = self.current_device() if index is None else index
        g = self._generators.get(index)
        if g is None:
            g = self._generators[index] = CudaGenerator(self.xp, index)
        return g

    def manual_seed(self, seed):
        for index in range(self.device_count()):
            self._generator(index, None).manual_seed(seed)

    def new_generator(self, index=None):
        return CudaGenerator(self.xp, self.current_device() if index is None else index)

    def _draw(self, method, shape, np_dtype, index, generator):
        g = self._generator(index, generator)
        dt = np.dtype(np_dtype)
        with self.xp.cuda.Device(g.index):
            # CuPy draws float32 and float64; float16 is drawn in float32 and rounded
            out = getattr(g.state, method)(size=tuple(shape), dtype=dt if dt in (
                np.float32, np.float64) else np.float32)
            return out if out.dtype == dt else out.astype(dt)

    def rand(self, shape, np_dtype, index=None, generator=None):
        return self._draw("random_sample", shape, np_dtype, index, generator)

    def randn(self, shape, np_dtype, index=None, generator=None):
        return self._draw("standard_normal", shape, np_dtype, index, generator)

    def randint(self, low, high, shape, np_dtype, index=None, generator=None):
        g = self._generator(index, generator)
        with self.xp.cuda.Device(g.index):
            return g.state.randint(low, high, size=tuple(shape), dtype=np.int64).astype(np_dtype)

    def randperm(self, n, np_dtype, index=None, generator=None):
        g = self._generator(index, generator)
        with self.xp.cuda.Device(g.index):
            return g.state.permutation(n).astype(np_dtype)

    # ---------------------------------------------------------------- streams
    def synchronize(self, index=None):
        self._device(index).synchronize()

    def new_stream(self, index=None, priority=0):
        with self._device(index):
            return CudaStream(self.xp, self.xp.cuda.Stream(non_blocking=True),
                              self.current_device())

    def current_stream(self, index=None):
        with self._device(index):
            return CudaStream(self.xp, self.xp.cuda.get_current_stream(), self.current_device())

    def new_event(self, enable_timing=False):
        return CudaEvent(self.xp, enable_timing)

    # ---------------------------------------------------------------- memory statistics
    def memory_allocated(self, index=None):
        with self._device(index):
            return self._pool.used_bytes()

    def max_memory_allocated(self, index=None):
        index = self.current_device() if index is None else index
        return max(self._peak.get(index, 0), self.memory_allocated(index))

    def reset_peak_memory_stats(self, index=None):
        index = self.current_device() if index is None else index
        self._peak[index] = self.memory_allocated(index)

    def memory_reserved(self, index=None):
        with self._device(index):
            return self._pool.total_bytes()

    def empty_cache(self):
        self._pool.free_all_blocks()
        self.xp.get_default_pinned_memory_pool().free_all_blocks()


class CudaGenerator:
    """A generator of one CUDA device: a CuPy `RandomState` of its own (CuPy's stream of
    numbers, not PyTorch's)."""

    def __init__(self, cupy, index, seed=_DEFAULT_SEED):
        self._cupy, self.index = cupy, index
        self.manual_seed(seed)

    def manual_seed(self, seed):
        self._seed = int(seed) % (1 << 64)
        with self._cupy.cuda.Device(self.index):
            self.state = self._cupy.random.RandomState(self._seed)

    def initial_seed(self):
        return self._seed

    def get_state(self):
        raise NotImplementedError("get_state() of a CUDA generator is not supported: CuPy's "
                                  "RandomState does not expose its state; reseed it with "
                                  "manual_seed() to repeat a sequence")

    def set_state(self, state):
        raise NotImplementedError("set_state() of a CUDA generator is not supported: CuPy's "
                                  "RandomState does not expose its state; reseed it with "
                                  "manual_seed() to repeat a sequence")
