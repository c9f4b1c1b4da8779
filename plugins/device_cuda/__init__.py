"""loom_device_cuda: the "cuda" device on CuPy.

Loads without CuPy or a GPU: the backend then reports itself unavailable, saying why, so that
`loom info` and the error `.cuda()` raises can explain what to install.
"""
from __future__ import annotations

import numpy as np

from loom.plugin import DeviceBackend, hookimpl
import loom


class CudaBackend(DeviceBackend):
    """CUDA devices through CuPy; kernels run against `cupy` as their `xp`."""

    type = "cuda"

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
        self._seeded = {}

    def is_available(self) -> bool:
        return self.xp is not None

    def unavailable_reason(self) -> str:
        return self._reason

    def device_count(self) -> int:
        return self._count if self.xp is not None else 0

    def device_of(self, array):
        return loom.device("cuda", array.device.id)

    def asarray(self, host_array, index=None):
        with self.xp.cuda.Device(index or 0):
            return self.xp.asarray(host_array)

    def to_host(self, array):
        return self.xp.asnumpy(array)

    def manual_seed(self, seed):
        self.xp.random.seed(seed)

    def new_generator(self, index=None):
        return _CupyGenerator(self.xp, index or 0)

    def rand(self, shape, np_dtype, index=None, generator=None):
        with self.xp.cuda.Device(index or 0):
            rs = generator.state if generator is not None else self.xp.random
            return rs.random_sample(shape, dtype=np.dtype(np_dtype) if np.dtype(np_dtype)
                                         != np.float16 else np.float32).astype(np_dtype)

    def randn(self, shape, np_dtype, index=None, generator=None):
        with self.xp.cuda.Device(index or 0):
            dt = np.dtype(np_dtype)
            rs = generator.state if generator is not None else self.xp.random
            return rs.standard_normal(
                shape, dtype=dt if dt != np.float16 else np.float32).astype(dt)

    def synchronize(self, index=None):
        self.xp.cuda.Device(index or 0).synchronize()

    def data_ptr(self, array):
        return array.data.ptr


class _CupyGenerator:
    """A CUDA generator: a CuPy RandomState of its own (its stream is CuPy's, not PyTorch's)."""

    def __init__(self, cupy, index):
        self._cupy, self._index, self._seed = cupy, index, 67280421310721
        with cupy.cuda.Device(index):
            self.state = cupy.random.RandomState(self._seed)

    def manual_seed(self, seed):
        self._seed = int(seed) % (1 << 64)
        with self._cupy.cuda.Device(self._index):
            self.state = self._cupy.random.RandomState(self._seed)

    def initial_seed(self):
        return self._seed

    def get_state(self):
        raise NotImplementedError("get_state() of a CUDA generator is not supported yet")

    def set_state(self, state):
        raise NotImplementedError("set_state() of a CUDA generator is not supported yet")


@hookimpl
def loom_register_devices():
    return [CudaBackend()]
