"""`F.interpolate` and the upsampling modules (`Upsample`, `UpsamplingNearest2d`,
`UpsamplingBilinear2d`): nearest, nearest-exact, linear, bilinear and trilinear resizing with
PyTorch's source coordinates, composed of `index_select` and weighted sums (so autograd
differentiates them)."""
from __future__ import annotations

import math

import numpy as np

import loom

from .module import Module

__all__ = ["interpolate", "upsample", "Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"]

_LINEAR = {"linear": 1, "bilinear": 2, "trilinear": 3}
_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")


def _sizes(input, size, scale_factor, k, recompute):
    """Output sizes and the scale each dim's source coordinate uses (None: in / out)."""
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        sizes = list(size) if isinstance(size, (list, tuple)) else [size] * k
        if len(sizes) != k:
            raise ValueError(f"Input and output must have the same number of spatial "
                             f"dimensions, but got input with spatial dimensions of "
                             f"{list(input.shape[2:])} and output size of {sizes}. Please "
                             f"provide input tensor in (N, C, d1, d2, ...,dK) format and "
                             f"output size in (o1, o2, ...,oK) format.")
        return [int(s) for s in sizes], [None] * k
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    scales = list(scale_factor) if isinstance(scale_factor, (list, tuple)) else \
        [scale_factor] * k
    if len(scales) != k:
        raise ValueError(f"Input and scale_factor must have the same number of spatial "
                         f"dimensions, but got input with spatial dimensions of "
                         f"{list(input.shape[2:])} and scale_factor of shape {scales}. Please "
                         f"provide input tensor in (N, C, d1, d2, ...,dK) format and "
                         f"scale_factor in (s1, s2, ...,sK) format.")
    sizes = [int(math.floor(float(n) * s)) for n, s in zip(input.shape[2:], scales)]
    return sizes, [None if recompute else s for s in scales]


def _ratio(n_in, n_out, scale, align_corners):
    if align_corners:
        return (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    return 1.0 / scale if scale is not None and scale > 0 else n_in / n_out


def _nearest(x, dim, n_out, scale, exact):
    n_in = x.shape[dim]
    r = _ratio(n_in, n_out, scale, False)
    dst = np.arange(n_out, dtype=np.float64)
    src = np.floor((dst + 0.5) * r if exact else dst * np.float32(r)).astype(np.int64)
    idx = np.minimum(src, n_in - 1)
    return x.index_select(dim, loom.tensor(idx, device=x.device))


def _linear(x, dim, n_out, scale, align_corners):
    n_in = x.shape[dim]
    r = _ratio(n_in, n_out, scale, align_corners)
    dst = np.arange(n_out, dtype=np.float64)
    src = dst * r if align_corners else np.maximum((dst + 0.5) * r - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    lam = src - i0
    shape = [1] * x.ndim
    shape[dim] = n_out
    l1 = loom.tensor(lam.reshape(shape), dtype=x.dtype, device=x.device)
    l0 = loom.tensor((1.0 - lam).reshape(shape), dtype=x.dtype, device=x.device)
    x0 = x.index_select(dim, loom.tensor(i0, device=x.device))
    x1 = x.index_select(dim, loom.tensor(i1, device=x.device))
    return l0 * x0 + l1 * x1


def interpolate(input, size=None, scale_factor=None, mode: str = "nearest",
                align_corners=None, recompute_scale_factor=None, antialias: bool = False):
    """Resize the spatial dims of `input` (N, C, *spatial) to `size`, or by `scale_factor`."""
    if mode not in _MODES:
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported "
                                  f"(got {input.dim()}D) for the modes: nearest | linear | "
                                  f"bilinear | bicubic | trilinear | area | nearest-exact "
                                  f"(got {mode})")
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    k = input.dim() - 2
    if mode in _LINEAR and _LINEAR[mode] != k:
        need = _LINEAR[mode] + 2
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs {need}D "
                                  f"input")
    if mode in ("bicubic", "area") or antialias:
        raise NotImplementedError(f"interpolate: mode '{mode}'"
                                  f"{' with antialias' if antialias else ''} is not "
                                  f"available in loom")
    if k < 1 or k > 3:
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported "
                                  f"(got {input.dim()}D) for the modes: nearest | linear | "
                                  f"bilinear | bicubic | trilinear | area | nearest-exact "
                                  f"(got {mode})")
    sizes, scales = _sizes(input, size, scale_factor, k, recompute_scale_factor)
    out = input
    for i, (n, s) in enumerate(zip(sizes, scales)):
        dim = 2 + i
        if mode in _LINEAR:
            out = _linear(out, dim, n, s, align_corners)
        else:
            out = _nearest(out, dim, n, s, mode == "nearest-exact")
    return out


def upsample(input, size=None, scale_factor=None, mode: str = "nearest", align_corners=None):
    """The deprecated name of `interpolate`."""
    return interpolate(input, size, scale_factor, mode, align_corners)


class Upsample(Module):
    """`interpolate` as a module."""

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest",
                 align_corners=None, recompute_scale_factor=None):
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self) -> str:
        info = (f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None
                else f"size={self.size!r}")
        return info + f", mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
