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

    def rand(self, shape, np_dtype, index=None):
        with self.xp.cuda.Device(index or 0):
            return self.xp.random.random(shape, dtype=np.dtype(np_dtype) if np.dtype(np_dtype)
                                         != np.float16 else np.float32).astype(np_dtype)

    def randn(self, shape, np_dtype, index=None):
        with self.xp.cuda.Device(index or 0):
            dt = np.dtype(np_dtype)
            return self.xp.random.standard_normal(
                shape, dtype=dt if dt != np.float16 else np.float32).astype(dt)

    def synchronize(self, index=None):
        self.xp.cuda.Device(index or 0).synchronize()

    def data_ptr(self, array):
        return array.data.ptr


@hookimpl
def loom_register_devices():
    return [CudaBackend()]
