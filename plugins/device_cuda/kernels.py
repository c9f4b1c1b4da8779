"""Kernels of the "cuda" device that replace an operator's shared `xp` kernel.

The shared kernels are written against the array namespace and run on CuPy unchanged; an entry
here exists where one CuPy call does the work of several (each CuPy call is a kernel launch and,
for every intermediate, an allocation). The kernels compile on first use; float16 and complex
inputs take the shared expression.
"""
from __future__ import annotations

__all__ = ["KERNELS"]

_compiled: dict = {}


def _elementwise(name, in_params, out_params, body):
    k = _compiled.get(name)
    if k is None:
        import cupy
        k = _compiled[name] = cupy.ElementwiseKernel(in_params, out_params, body, name)
    return k


def _sigmoid(xp, x):
    # 1 / (1 + exp(-x)) in one launch instead of three (and no two temporaries)
    if x.dtype.char in "fd":
        return _elementwise("loom_sigmoid", "T x", "T y", "y = 1 / (1 + exp(-x))")(x)
    return 1.0 / (1.0 + xp.exp(-x))


KERNELS = {"sigmoid": _sigmoid}
