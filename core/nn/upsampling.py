"""Resampling: `F.interpolate` (modes ``nearest``, ``nearest-exact``, ``linear``,
``bilinear``, ``bicubic``, ``trilinear``, ``area``; ``antialias`` for ``bilinear``,
``bicubic`` and ``lanczos``), `F.pixel_shuffle`/`pixel_unshuffle`, and
their modules `Upsample`, `UpsamplingNearest2d`, `UpsamplingBilinear2d`, `PixelShuffle`,
`PixelUnshuffle`.

Every mode is separable: along each spatial dim the output gathers a few input positions
(`index_select`) and weighs them, with PyTorch's source indices and weights (computed in the
precision PyTorch computes them in: float32 for nearest and for float32 inputs), so the
gradient is the adjoint of the gathers, as PyTorch's upsampling backward."""
from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

import loom

from .module import Module

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "pixel_shuffle",
           "pixel_unshuffle", "Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d",
           "PixelShuffle", "PixelUnshuffle"]

_LINEAR = {"linear": 3, "bilinear": 4, "trilinear": 5, "bicubic": 4}


def _is_integer(x) -> bool:
    if isinstance(x, loom.Tensor):
        return not x.is_floating_point() and not x.is_complex()
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool) or \
        isinstance(x, numbers.Integral)


def _scale(in_size, out_size, align_corners, scale, ftype):
    """PyTorch's area_pixel_compute_scale (in the kernel's compute type `ftype`)."""
    if align_corners:
        return ftype(in_size - 1) / ftype(out_size - 1) if out_size > 1 else ftype(0)
    if scale is not None and scale > 0:
        return ftype(1.0 / scale)
    return ftype(ftype(in_size) / ftype(out_size))


def _nearest_index(in_size, out_size, scale, exact):
    s = np.float32(1.0 / scale) if scale is not None and scale > 0 else \
        np.float32(in_size) / np.float32(out_size)
    if exact:  # (dst + 0.5) * scale in double, then floorf
        src = ((np.arange(out_size) + 0.5) * np.float64(s)).astype(np.float32)
    else:
        src = np.arange(out_size, dtype=np.float32) * s
    return np.minimum(np.floor(src).astype(np.int64), in_size - 1)


def _linear_taps(in_size, out_size, align_corners, scale, ftype):
    s = _scale(in_size, out_size, align_corners, scale, ftype)
    dst = np.arange(out_size, dtype=ftype)
    src = s * dst if align_corners else s * (dst + ftype(0.5)) - ftype(0.5)
    src = np.maximum(src, ftype(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    lam = np.clip(src - i0.astype(ftype), 0, 1).astype(ftype)
    i1 = i0 + (i0 < in_size - 1)
    return [(i0, ftype(1) - lam), (i1, lam)]


def _cubic_taps(in_size, out_size, align_corners, scale, ftype):
    s = _scale(in_size, out_size, align_corners, scale, ftype)
    dst = np.arange(out_size, dtype=ftype)
    src = s * dst if align_corners else s * (dst + ftype(0.5)) - ftype(0.5)
    base = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    t = np.clip(src - base.astype(ftype), 0, 1).astype(ftype)
    a = ftype(-0.75)

    def cc1(x):
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def cc2(x):
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    ws = [cc2(t + 1), cc1(t), cc1(1 - t), cc2(2 - t)]
    return [(np.clip(base + k - 1, 0, in_size - 1), w.astype(ftype)) for k, w in enumerate(ws)]


def _resample_dim(x, dim, taps, ndim):
    """``sum_k x.index_select(dim, idx_k) * w_k`` with each weight broadcast along `dim`."""
    out = None
    shape = [1] * ndim
    shape[dim] = -1
    for idx, w in taps:
        g = x.index_select(dim, loom.from_numpy(idx).to(x.device))
        if w is not None:
            g = g * loom.from_numpy(np.ascontiguousarray(w)).to(device=x.device,
                                                             dtype=x.dtype).reshape(shape)
        out = g if out is None else out + g
    return out


def _output_size(input, size, scale_factor, mode, recompute_scale_factor):
    """(output sizes, scale factors or None) after PyTorch's argument checks."""
    dim = input.dim() - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        scale_factors = None
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got "
                    f"input with spatial dimensions of {list(input.shape[2:])} and output size "
                    f"of {size}. Please provide input tensor in (N, C, d1, d2, ...,dK) format "
                    "and output size in (o1, o2, ...,oK) format.")
            if not all(_is_integer(x) for x in size):
                raise TypeError("expected size to be one of int or Tuple[int] or Tuple[int, "
                                "int] or Tuple[int, int, int], but got size with types "
                                f"{[type(x) for x in size]}")
            output_size = [int(s) for s in size]
        else:
            output_size = [int(size)] * dim
    elif scale_factor is not None:
        output_size = None
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(
                    "Input and scale_factor must have the same number of spatial dimensions, "
                    f"but got input with spatial dimensions of {list(input.shape[2:])} and "
                    f"scale_factor of shape {scale_factor}. Please provide input tensor in "
                    "(N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format.")
            scale_factors = [float(s) for s in scale_factor]
        else:
            scale_factors = [float(scale_factor)] * dim
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and output_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor:
        output_size = [math.floor(input.shape[i + 2] * scale_factors[i]) for i in range(dim)]
        scale_factors = None
    if output_size is None:
        output_size = [math.floor(input.shape[i + 2] * s) for i, s in enumerate(scale_factors)]
    return output_size, scale_factors


def _adaptive_avg(input, output_size):
    """``area`` mode: adaptive average pooling, each output cell the mean of its window
    (PyTorch's start ``floor(i * in / out)`` and end ``ceil((i + 1) * in / out)``), one
    averaging matrix per dim."""
    x = input
    for d, out in enumerate(output_size):
        axis = d + 2
        n = input.shape[axis]
        m = np.zeros((out, n))
        for i in range(out):
            s, e = (i * n) // out, -((-(i + 1) * n) // out)
            m[i, s:e] = 1.0 / (e - s)
        mat = loom.from_numpy(m).to(device=x.device, dtype=x.dtype)
        x = loom.tensordot(x, mat, dims=([axis], [1])).movedim(-1, axis)
    return x


def _aa_matrix(in_size, out_size, align_corners, scale, mode, ftype, antialias=True):
    """The (out, in) weights of PyTorch's separable resampling along one dim (PIL's filters:
    the triangle for bilinear, Keys' cubic with a = -0.5 for bicubic, Lanczos-3), the filter
    stretched by the downscaling factor when antialiasing, each row normalised. Without
    `antialias` it is PyTorch's uint8 path (corners aligned half a pixel off)."""
    s = _scale(in_size, out_size, align_corners, scale, ftype)
    interp = {"bilinear": 2, "bicubic": 4, "lanczos": 6}[mode]
    stretch = antialias and s >= 1.0
    support = ftype(interp * 0.5) * s if stretch else ftype(interp * 0.5)
    invscale = ftype(1.0) / s if stretch else ftype(1.0)
    delta = ftype(0.5) if (align_corners and not antialias) else ftype(0.0)
    a = ftype(-0.5)

    def filt(x):
        x = np.abs(x)
        if mode == "bilinear":
            return np.where(x < 1, 1 - x, 0).astype(ftype)
        if mode == "lanczos":   # Lanczos-3: sinc(x) sinc(x / 3) on |x| < 3
            with np.errstate(invalid="ignore", divide="ignore"):
                px = ftype(np.pi) * x
                v = np.where(x == 0, 1, np.sin(px) / px * np.sin(px / 3) / (px / 3))
            return np.where(x < 3, v, 0).astype(ftype)
        c1 = ((a + 2) * x - (a + 3)) * x * x + 1
        c2 = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
        return np.where(x < 1, c1, np.where(x < 2, c2, 0)).astype(ftype)

    m = np.zeros((out_size, in_size), ftype)
    for i in range(out_size):
        center = ftype(s * ftype(i + 0.5 - delta))
        lo = max(int(center - support + ftype(0.5) + delta), 0)
        hi = min(int(center + support + ftype(0.5) + delta), in_size)
        j = np.arange(lo, hi)
        w = filt((j.astype(ftype) - center + ftype(0.5) - delta) * invscale)
        total = w.sum(dtype=ftype)
        m[i, lo:hi] = w / total if total != 0 else w
    return m


def _antialiased(input, output_size, scales, mode, align_corners, antialias=True,
                 as_uint8=False):
    """The separable filters, one product per dim (width first, as PyTorch's passes);
    `as_uint8` rounds and clamps to 0..255 after each pass, as PyTorch's uint8 kernels store
    each pass."""
    ftype = np.float64 if input.dtype == loom.float64 else np.float32
    x = input
    scales = scales or [None] * len(output_size)
    for d in range(len(output_size) - 1, -1, -1):
        axis = d + 2
        if as_uint8 and input.shape[axis] == output_size[d]:
            continue
        m = _aa_matrix(input.shape[axis], output_size[d], align_corners, scales[d], mode,
                       ftype, antialias)
        mat = loom.from_numpy(m).to(device=x.device, dtype=x.dtype)
        x = loom.tensordot(x, mat, dims=([axis], [1])).movedim(-1, axis)
        if as_uint8:
            x = loom.clamp(loom.round(x), 0, 255)
    return x


_KERNEL_NAMES = {  # PyTorch's CPU kernel named in its error for an unsupported dtype
    (3, "nearest"): "compute_indices_weights_nearest", (5, "nearest"):
    "compute_indices_weights_nearest", (4, "nearest"): "upsample_nearest2d_channels_last",
    (3, "linear"): "compute_indices_weights_linear", (5, "trilinear"):
    "compute_indices_weights_linear", (4, "bilinear"): "upsample_bilinear2d_channels_last",
    (4, "bicubic"): "compute_indices_weights_cubic", (3, "area"): "adaptive_avg_pool2d",
    (4, "area"): "adaptive_avg_pool2d", (5, "area"): "adaptive_avg_pool3d"}


_CPP_NAMES = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
              "uint8": "Byte", "bool": "Bool"}


def _check_dtype(input, mode, nd) -> None:
    if input.is_floating_point() or (input.dtype == loom.uint8 and mode != "area"):
        return
    name = _CPP_NAMES.get(str(input.dtype).replace("torch.", ""), str(input.dtype))
    kernel = _KERNEL_NAMES.get((nd, mode.replace("nearest-exact", "nearest")),
                               "upsample_" + mode)
    raise NotImplementedError(f'"{kernel}" not implemented for \'{name}\'')


def interpolate(input, size=None, scale_factor=None, mode: str = "nearest",
                align_corners=None, recompute_scale_factor=None, antialias: bool = False):
    """Down/up-sample `input` (N, C, *spatial) to `size` or by `scale_factor`, as
    ``torch.nn.functional.interpolate``."""
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    output_size, scales = _output_size(input, size, scale_factor, mode, recompute_scale_factor)
    nd = input.dim()
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and nd == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos "
                         "modes and requires a 4-D tensor as input")
    if mode == "lanczos" and nd == 4:
        if align_corners:
            raise ValueError("Lanczos mode does not support align_corners=True")
        if not antialias:
            raise ValueError("Lanczos mode requires antialias=True")
    if mode in ("linear", "bilinear", "trilinear") and nd in (3, 4, 5) and nd != _LINEAR[mode]:
        raise NotImplementedError(f"Got {nd}D input, but {mode} mode needs {_LINEAR[mode]}D "
                                  "input")
    if nd not in (3, 4, 5) or mode not in ("nearest", "nearest-exact", "area", "linear",
                                           "bilinear", "trilinear") and \
            not (mode in ("bicubic", "lanczos") and nd == 4):
        raise NotImplementedError(
            "Input Error: Only 3D, 4D and 5D input Tensors supported"
            f" (got {nd}D) for the modes: nearest | linear | bilinear | bicubic | trilinear | "
            f"lanczos | area | nearest-exact (got {mode})")
    if any(s <= 0 for s in output_size) or any(s <= 0 for s in input.shape[2:]):
        names = ["D", "H", "W"][3 - len(output_size):]
        fin = ", ".join(f"{a}: {b}" for a, b in zip(names, input.shape[2:]))
        fout = ", ".join(f"{a}: {b}" for a, b in zip(names, output_size))
        sep = " and" if len(output_size) == 1 else ""
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                           f"({fin}){sep} output ({fout})")
    _check_dtype(input, mode, nd)
    low = input.dtype in (loom.float16, loom.bfloat16)
    if low or (input.dtype == loom.uint8 and mode not in ("nearest", "nearest-exact")):
        # computed in float32, as PyTorch's kernels accumulate; uint8 rounded back (PyTorch's
        # fixed-point uint8 kernels can differ by one there)
        if not low and nd == 4 and (mode == "bilinear" or antialias):
            # PyTorch's uint8 kernels: the separable filters, stored after each pass
            out = _antialiased(input.float(), output_size, scales, mode, align_corners,
                               antialias, as_uint8=True)
        elif not low and nd == 4 and mode == "bicubic":
            # PyTorch's uint8 bicubic: Keys' a = -0.75 taps, width pass first, each stored
            out = input.float()
            for d in (1, 0):
                if input.shape[d + 2] == output_size[d]:
                    continue
                taps = _cubic_taps(input.shape[d + 2], output_size[d], align_corners,
                                   (scales or [None, None])[d], np.float32)
                out = loom.clamp(loom.round(_resample_dim(out, d + 2, taps, nd)), 0, 255)
        else:
            out = interpolate(input.float(), output_size if scales is None else None,
                              None if scales is None else tuple(scales), mode, align_corners,
                              None if scales is None else False, antialias)
        if low:
            return out.to(input.dtype)
        return loom.clamp(loom.round(out), 0, 255).to(loom.uint8)
    if mode == "area":
        return _adaptive_avg(input, output_size)
    if antialias:
        return _antialiased(input, output_size, scales, mode, align_corners)
    scales = scales or [None] * len(output_size)
    ftype = np.float64 if input.dtype == loom.float64 else np.float32
    x = input
    for d, (out, sc) in enumerate(zip(output_size, scales)):
        axis, n = d + 2, input.shape[d + 2]
        if mode in ("nearest", "nearest-exact"):
            taps = [(_nearest_index(n, out, sc, mode == "nearest-exact"), None)]
        elif mode == "bicubic":
            taps = _cubic_taps(n, out, align_corners, sc, ftype)
        else:
            taps = _linear_taps(n, out, align_corners, sc, ftype)
        x = _resample_dim(x, axis, taps, nd)
    return x


def upsample(input, size=None, scale_factor=None, mode: str = "nearest", align_corners=None):
    """The deprecated name of `interpolate`."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def pixel_shuffle(input, upscale_factor: int):
    """(*, C r^2, H, W) -> (*, C, H r, W r)."""
    r = int(upscale_factor)
    if input.dim() < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got "
                           f"input with {input.dim()} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    c, h, w = input.shape[-3:]
    if c % (r * r):
        raise RuntimeError("pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={c} "
                           f"is not divisible by {r * r}")
    lead = tuple(input.shape[:-3])
    k = len(lead)
    x = input.reshape(lead + (c // (r * r), r, r, h, w))
    x = x.permute(*range(k), k, k + 3, k + 1, k + 4, k + 2)
    return x.reshape(lead + (c // (r * r), h * r, w * r))


def pixel_unshuffle(input, downscale_factor: int):
    """(*, C, H r, W r) -> (*, C r^2, H, W)."""
    r = int(downscale_factor)
    if input.dim() < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but "
                           f"got input with {input.dim()} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    c, h, w = input.shape[-3:]
    if h % r:
        raise RuntimeError("pixel_unshuffle expects height to be divisible by "
                           f"downscale_factor, but input.size(-2)={h} is not divisible by {r}")
    if w % r:
        raise RuntimeError("pixel_unshuffle expects width to be divisible by "
                           f"downscale_factor, but input.size(-1)={w} is not divisible by {r}")
    lead = tuple(input.shape[:-3])
    k = len(lead)
    x = input.reshape(lead + (c, h // r, r, w // r, r))
    x = x.permute(*range(k), k, k + 2, k + 4, k + 1, k + 3)
    return x.reshape(lead + (c * r * r, h // r, w // r))


class Upsample(Module):
    """`interpolate` as a module."""

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest", align_corners=None,
                 recompute_scale_factor=None) -> None:
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

    def __setstate__(self, state) -> None:
        if "recompute_scale_factor" not in state:
            state["recompute_scale_factor"] = True
        self.__dict__.update(state)

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            info = "scale_factor=" + repr(self.scale_factor)
        else:
            info = "size=" + repr(self.size)
        return info + ", mode=" + repr(self.mode)


class UpsamplingNearest2d(Upsample):
    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


class PixelShuffle(Module):
    """Rearrange (*, C r^2, H, W) into (*, C, H r, W r)."""

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):
        return pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """Rearrange (*, C, H r, W r) into (*, C r^2, H, W)."""

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):
        return pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"
