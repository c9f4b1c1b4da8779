"""loom_device_cuda: the "cuda" device on CuPy.

Loads without CuPy or a GPU: the backend then reports itself unavailable, saying why, so that
`loom info` and the error `.cuda()` raises can explain what to install
(``pip install 'loom-tensor[cuda]'``).
"""
from __future__ import annotations

from loom.plugin import hookimpl

from .backend import CudaBackend, CudaGenerator

__all__ = ["CudaBackend", "CudaGenerator", "loom_register_devices"]


@hookimpl
def loom_register_devices():
    """The "cuda" backend (unavailable, saying why, without CuPy or a GPU)."""
    return [CudaBackend()]
