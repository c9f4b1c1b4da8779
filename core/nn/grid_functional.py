"""Spatial sampling of ``torch.nn.functional``: `affine_grid` (the sampling grid of a batch of
2-D affine maps) and `grid_sample` (an image read at the grid's points, bilinear or nearest,
with zero, border or reflection padding). Compositions of loom operators: the gradient reaches
the input through the gathers and the grid through the interpolation weights."""
from __future__ import annotations

import warnings

import loom

__all__ = ["affine_grid", "grid_sample"]

_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to "
                  "align_corners=False since 1.3.0. Please specify align_corners=True if the "
                  "old behavior is desired. See the documentation of grid_sample for details.")


def _linspace(n, align_corners, like):
    """The normalised coordinates of `n` pixel centres (or corners, with align_corners)."""
    if n <= 1:
        return loom.zeros(n, dtype=like.dtype, device=like.device)
    if align_corners:
        return loom.linspace(-1.0, 1.0, n, dtype=like.dtype, device=like.device)
    return (loom.arange(n, dtype=like.dtype, device=like.device) * 2 + 1) / n - 1


def affine_grid(theta, size, align_corners=None):
    """For each of N affine maps `theta` (N, 2, 3), the (N, H, W, 2) grid of source points
    that output pixel (h, w) of an image of `size` (N, C, H, W) reads."""
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    if len(size) != 4:
        if len(size) == 5:
            raise NotImplementedError("affine_grid: 3-D affine transforms (5-D sizes) are not "
                                      "supported")
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {tuple(size)}.")
    if theta.dim() != 3 or tuple(theta.shape[-2:]) != (2, 3):
        raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size "
                         f"{tuple(size)}. Got {theta.shape}.")
    n, _, h, w = size
    if theta.shape[0] != n:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{n}, 3] but got: [{theta.shape[0]}, 3].")
    xs = _linspace(w, align_corners, theta).reshape(1, w).expand(h, w)
    ys = _linspace(h, align_corners, theta).reshape(h, 1).expand(h, w)
    base = loom.stack([xs, ys, loom.ones_like(xs)], -1).reshape(1, h * w, 3)
    return (base @ theta.transpose(1, 2)).reshape(n, h, w, 2)


def _unnormalize(coord, size, align_corners):
    if align_corners:
        return (coord + 1) / 2 * (size - 1)
    return ((coord + 1) * size - 1) / 2


def _reflect(coord, lo, hi):
    """`coord` reflected into [lo, hi] (PyTorch's reflect_coordinates, on twice the units)."""
    if lo == hi:
        return loom.zeros_like(coord)
    span = (hi - lo) / 2
    c = loom.abs(coord - lo / 2)
    flips = loom.floor(c / span)
    extra = c - flips * span
    even = loom.remainder(flips, 2) == 0
    return loom.where(even, extra + lo / 2, span - extra + lo / 2)


def _source(coord, size, padding_mode, align_corners):
    c = _unnormalize(coord, size, align_corners)
    if padding_mode == "border":
        c = loom.clamp(c, 0, size - 1)
    elif padding_mode == "reflection":
        c = _reflect(c, 0, 2 * (size - 1)) if align_corners else \
            _reflect(c, -1, 2 * size - 1)
        c = loom.clamp(c, 0, size - 1)
    return c


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """The (N, C, Ho, Wo) values of `input` (N, C, H, W) at the points of `grid` (N, Ho, Wo, 2;
    x then y, normalised to [-1, 1])."""
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    if input.dim() != 4:
        raise NotImplementedError(f"grid_sample: only 4-D input (N, C, H, W) is supported, got "
                                  f"{input.dim()}-D")
    if grid.dim() != 4 or grid.shape[-1] != 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size 2 in last dimension, "
                           f"but got grid with sizes {list(grid.shape)}")
    if grid.shape[0] != input.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, "
                           f"but got input with sizes {list(input.shape)} and grid with sizes "
                           f"{list(grid.shape)}")
    if mode == "bicubic":
        raise NotImplementedError("grid_sample: mode='bicubic' is not supported; use "
                                  "'bilinear' or 'nearest'")
    n, c, h, w = input.shape
    ho, wo = grid.shape[1], grid.shape[2]
    x = _source(grid[..., 0], w, padding_mode, align_corners).reshape(n, ho * wo)
    y = _source(grid[..., 1], h, padding_mode, align_corners).reshape(n, ho * wo)
    flat = input.reshape(n, c, h * w)

    def tap(ix, iy):
        """input at integer points (ix, iy) (N, L) as (N, C, L); zero outside the image."""
        inside = (ix >= 0) & (ix <= w - 1) & (iy >= 0) & (iy <= h - 1)
        xi = loom.clamp(ix, 0, w - 1).to(loom.int64)
        yi = loom.clamp(iy, 0, h - 1).to(loom.int64)
        idx = (yi * w + xi).unsqueeze(1).expand(n, c, ho * wo)
        vals = loom.gather(flat, 2, idx)
        return vals * inside.unsqueeze(1).to(input.dtype)

    if mode == "nearest":
        out = tap(loom.round(x), loom.round(y))  # half to even, as PyTorch's nearbyint
    else:
        x0, y0 = loom.floor(x), loom.floor(y)
        x1, y1 = x0 + 1, y0 + 1
        wx1, wy1 = (x - x0).unsqueeze(1), (y - y0).unsqueeze(1)
        wx0, wy0 = 1 - wx1, 1 - wy1
        out = (tap(x0, y0) * wx0 * wy0 + tap(x1, y0) * wx1 * wy0 +
               tap(x0, y1) * wx0 * wy1 + tap(x1, y1) * wx1 * wy1)
    return out.reshape(n, c, ho, wo)
