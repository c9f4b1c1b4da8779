"""Pooling-like functions of ``torch.nn.functional`` beyond the operators of ``ops_nn``:
adaptive average pooling in 1-d, adaptive max pooling (with PyTorch's flat indices), power
average (LP) pooling, max unpooling, the sliding-block `unfold`/`fold`, and `embedding_bag`.
Each is a composition of loom operators (differentiable through them); `functional` re-exports
them."""
from __future__ import annotations

import math

import loom

__all__ = ["adaptive_avg_pool1d", "adaptive_max_pool1d", "adaptive_max_pool1d_with_indices",
           "adaptive_max_pool2d", "adaptive_max_pool2d_with_indices", "lp_pool1d", "lp_pool2d",
           "max_unpool1d", "max_unpool2d", "unfold", "fold", "embedding_bag"]


def _pair(v, n=2):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


def adaptive_avg_pool1d(input, output_size):
    """Average pooling of (N, C, L) or (C, L) input to `output_size` positions."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional "
                           f"tensor for argument #1 'self' (while checking arguments for "
                           f"adaptive_avg_pool1d)")
    size = _pair(output_size, 1)[0]
    out = loom.nn.functional.adaptive_avg_pool2d(input.unsqueeze(-2), (1, size))
    return out.squeeze(-2)


def _bounds(n_in, n_out):
    """PyTorch's adaptive windows: [floor(i n_in / n_out), ceil((i + 1) n_in / n_out))."""
    return [(i * n_in // n_out, -((-(i + 1) * n_in) // n_out)) for i in range(n_out)]


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    """The maximum of each adaptive window of (N, C, H, W) or (C, H, W) input, and its flat
    index in the H x W plane."""
    if input.dim() not in (3, 4):
        raise RuntimeError(f"adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: "
                           f"{list(input.shape)}")
    h, w = input.shape[-2], input.shape[-1]
    oh, ow = _pair(output_size)
    oh, ow = h if oh is None else oh, w if ow is None else ow
    values, indices = [], []
    for h0, h1 in _bounds(h, oh):
        for w0, w1 in _bounds(w, ow):
            win = input[..., h0:h1, w0:w1].flatten(-2)
            v, i = win.max(-1)
            values.append(v)
            width = w1 - w0
            indices.append((h0 + i // width) * w + w0 + i % width)
    lead = tuple(input.shape[:-2])
    return (loom.stack(values, -1).reshape(lead + (oh, ow)),
            loom.stack(indices, -1).reshape(lead + (oh, ow)))


def adaptive_max_pool2d(input, output_size, return_indices=False):
    out, idx = adaptive_max_pool2d_with_indices(input, output_size)
    return (out, idx) if return_indices else out


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    """Adaptive max pooling of (N, C, L) or (C, L) input; indices along L."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"adaptive_max_pool1d(): Expected 2D or 3D tensor, but got: "
                           f"{list(input.shape)}")
    out, idx = adaptive_max_pool2d_with_indices(input.unsqueeze(-2),
                                                (1, _pair(output_size, 1)[0]))
    return out.squeeze(-2), idx.squeeze(-2)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    out, idx = adaptive_max_pool1d_with_indices(input, output_size)
    return (out, idx) if return_indices else out


def _lp(avg, input, norm_type, kernel_size, stride, ceil_mode, taps):
    out = avg(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return (loom.sign(out) * loom.relu(loom.abs(out))).mul(taps).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """``(sum of x ** p over each window) ** (1 / p)``."""
    k = _pair(kernel_size, 1)[0]
    return _lp(loom.nn.functional.avg_pool1d, input, norm_type, kernel_size, stride,
               ceil_mode, k)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """``(sum of x ** p over each window) ** (1 / p)``."""
    kh, kw = _pair(kernel_size)
    return _lp(loom.nn.functional.avg_pool2d, input, norm_type, kernel_size, stride,
               ceil_mode, kh * kw)


def _unpool(input, indices, kernel_size, stride, padding, output_size, n):
    k = _pair(kernel_size, n)
    s = k if stride is None else _pair(stride, n)
    p = _pair(padding, n)
    spatial = tuple(input.shape[-n:])
    default = tuple((spatial[i] - 1) * s[i] - 2 * p[i] + k[i] for i in range(n))
    if output_size is None:
        size = default
    else:
        size = tuple(output_size)[-n:]
        for i in range(n):
            lo, hi = default[i] - s[i], default[i] + s[i]
            if not lo < size[i] < hi:
                raise ValueError(f"invalid output_size \"{list(output_size)}\" (dim {i} must "
                                 f"be between {lo} and {hi})")
    lead = tuple(input.shape[:-n])
    if indices.numel() and int(indices.max()) >= math.prod(size):
        raise RuntimeError(f"Found an invalid max index: {int(indices.max())} (output volumes "
                           f"are of size {'x'.join(map(str, size))})")
    flat = input.reshape(lead + (-1,))
    out = loom.zeros(lead + (math.prod(size),), dtype=input.dtype, device=input.device)
    out = out.scatter(-1, indices.reshape(lead + (-1,)), flat)
    return out.reshape(lead + size)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The inverse of `max_pool1d`: each value back at its index, zeros elsewhere."""
    return _unpool(input, indices, kernel_size, stride, padding, output_size, 1)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The inverse of `max_pool2d`: each value back at its flat index, zeros elsewhere."""
    return _unpool(input, indices, kernel_size, stride, padding, output_size, 2)


def _blocks(size, k, d, p, s):
    return [(size[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(2)]


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """The sliding blocks of (N, C, H, W) or (C, H, W) input as columns: (N, C * kh * kw, L),
    rows ordered channel first, then the taps row by row."""
    if input.dim() not in (3, 4):
        raise NotImplementedError(f"Input Error: Only 3D or 4D input Tensors are supported "
                                  f"(got {input.dim()}D)")
    k, d, p, s = (_pair(v) for v in (kernel_size, dilation, padding, stride))
    batched = input.dim() == 4
    x = input if batched else input.unsqueeze(0)
    n, c = x.shape[0], x.shape[1]
    oh, ow = _blocks(tuple(x.shape[2:]), k, d, p, s)
    if p != (0, 0):
        x = loom.nn.functional.pad(x, (p[1], p[1], p[0], p[0]))
    taps = [x[:, :, i * d[0]: i * d[0] + s[0] * (oh - 1) + 1: s[0],
              j * d[1]: j * d[1] + s[1] * (ow - 1) + 1: s[1]]
            for i in range(k[0]) for j in range(k[1])]
    cols = loom.stack(taps, 2).reshape(n, c * k[0] * k[1], oh * ow)
    return cols if batched else cols.squeeze(0)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """The adjoint of `unfold`: columns (N, C * kh * kw, L) summed back into (N, C, H, W)
    (overlapping blocks add up)."""
    if input.dim() not in (2, 3):
        raise NotImplementedError(f"Input Error: Only unbatched (2D) or batched (3D) input "
                                  f"Tensors are supported (got {input.dim()}D)")
    size, k, d, p, s = (_pair(v) for v in (output_size, kernel_size, dilation, padding, stride))
    batched = input.dim() == 3
    x = input if batched else input.unsqueeze(0)
    taps = k[0] * k[1]
    if x.shape[1] % taps:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the "
                           f"product of kernel_size, but got input.size(1)={x.shape[1]} and "
                           f"kernel_size={k}.")
    oh, ow = _blocks(size, k, d, p, s)
    if x.shape[2] != oh * ow:
        raise RuntimeError(f"Given output_size={size}, kernel_size={k}, dilation={d}, "
                           f"padding={p}, stride={s}, expected size of input's dimension 2 to "
                           f"match the calculated number of sliding blocks {oh} * {ow} = "
                           f"{oh * ow}, but got input.size(2)={x.shape[2]}.")
    n, c = x.shape[0], x.shape[1] // taps
    cols = x.reshape(n, c, taps, oh, ow)
    out = loom.zeros((n, c, size[0] + 2 * p[0], size[1] + 2 * p[1]), dtype=x.dtype,
                     device=x.device)
    t = 0
    for i in range(k[0]):
        for j in range(k[1]):
            out[:, :, i * d[0]: i * d[0] + s[0] * (oh - 1) + 1: s[0],
                j * d[1]: j * d[1] + s[1] * (ow - 1) + 1: s[1]] += cols[:, :, t]
            t += 1
    out = out[:, :, p[0]: p[0] + size[0], p[1]: p[1] + size[1]]
    return out if batched else out.squeeze(0)


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2,
                  scale_grad_by_freq=False, mode="mean", sparse=False, per_sample_weights=None,
                  include_last_offset=False, padding_idx=None):
    """The sum, mean or max of the embeddings of each bag: the rows of a 2-D `input`, or the
    runs of a 1-D `input` starting at `offsets`. Entries equal to `padding_idx` are left out
    (an empty bag gives zeros); `per_sample_weights` scale the rows (mode ``sum`` only)."""
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"mode has to be one of sum, mean or max, got {mode}")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. "
                                  f"per_sample_weights is only supported for mode='sum' (got "
                                  f"mode='{mode}'). Please open a feature request on GitHub.")
    beyond = None
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError(f"if input is 2D, then offsets has to be None, as input is "
                             f"treated is a mini-batch of fixed length sequences. However, "
                             f"found offsets of type {type(offsets).__name__}")
        n_bags, length = input.shape
        flat = input.reshape(-1)
        bag = loom.arange(n_bags, device=input.device).repeat_interleave(length)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        flat = input
        starts = offsets[:-1] if include_last_offset else offsets
        n_bags = starts.shape[0]
        bag = loom.searchsorted(starts, loom.arange(flat.shape[0], device=input.device),
                                right=True) - 1
        if include_last_offset:
            # the last offset is documented to be the input's length; entries past a smaller
            # one (where PyTorch's kernels disagree among themselves) stay in the count of
            # `mean` and in `max`, and add nothing to a sum
            beyond = loom.arange(flat.shape[0], device=input.device) >= offsets[-1]
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{input.dim()}")
    emb = loom.nn.functional.embedding(flat, weight, None, max_norm, norm_type,
                                       scale_grad_by_freq)
    d = weight.shape[1]
    used = (flat != padding_idx) if padding_idx is not None else \
        loom.ones(flat.shape, dtype=loom.bool, device=flat.device)
    if padding_idx is not None and padding_idx < 0:
        used = flat != weight.shape[0] + padding_idx
    counted = used.to(weight.dtype)
    w = counted if beyond is None else counted * (~beyond).to(weight.dtype)
    w = w.unsqueeze(1)
    if per_sample_weights is not None:
        w = w * per_sample_weights.unsqueeze(1)
    zeros = loom.zeros((n_bags, d), dtype=weight.dtype, device=weight.device)
    count = loom.zeros(n_bags, dtype=weight.dtype, device=weight.device).index_add(
        0, bag, counted)
    if mode == "max":
        # left-out entries take the dtype's lowest value (not -inf, whose gradient would be
        # NaN); a bag with nothing in it gives zeros
        low = loom.full_like(emb, loom.finfo(emb.dtype).min)
        masked = loom.where(used.unsqueeze(1), emb, low)
        out = zeros.scatter_reduce(0, bag.unsqueeze(1).expand(-1, d), masked, "amax",
                                   include_self=False)
        return loom.where((count == 0).unsqueeze(1), zeros, out)
    out = zeros.index_add(0, bag, emb * w)
    if mode == "sum":
        return out
    return out / loom.clamp(count, min=1).unsqueeze(1)
