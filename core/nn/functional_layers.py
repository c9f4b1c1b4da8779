"""More layer functionals of `loom.nn.functional`: rms_norm, instance_norm, adaptive pooling
beyond 2-d average (adaptive_avg_pool1d, adaptive_max_pool1d/2d), pixel_shuffle and
pixel_unshuffle, and the ranking/embedding losses (margin_ranking, hinge_embedding,
cosine_embedding, triplet_margin, soft_margin, multilabel_soft_margin, poisson_nll,
gaussian_nll). Compositions of loom operators; `functional` re-exports them."""
from __future__ import annotations

import math

import loom

__all__ = ["rms_norm", "instance_norm", "adaptive_avg_pool1d", "adaptive_max_pool1d",
           "adaptive_max_pool2d", "pixel_shuffle", "pixel_unshuffle", "margin_ranking_loss",
           "hinge_embedding_loss", "cosine_embedding_loss", "triplet_margin_loss",
           "soft_margin_loss", "multilabel_soft_margin_loss", "poisson_nll_loss",
           "gaussian_nll_loss"]


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction")


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """``x / sqrt(mean(x^2) + eps) * weight`` over the trailing `normalized_shape` (`eps`
    None: the dtype's machine epsilon)."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else \
        tuple(normalized_shape)
    if tuple(input.shape[input.ndim - len(shape):]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, shape))}], but got input of size"
                           f"{list(input.shape)}")
    if eps is None:
        eps = loom.finfo(input.dtype).eps
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    out = input * loom.rsqrt((input * input).mean(dims, keepdim=True) + eps)
    return out * weight if weight is not None else out


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats: bool = True, momentum: float = 0.1, eps: float = 1e-5):
    """Normalise each (sample, channel) over its spatial dims; running statistics, when kept,
    average the instances' (PyTorch's batch_norm over ``(1, N*C, ...)``)."""
    n, c = input.shape[0], input.shape[1]
    dims = tuple(range(2, input.ndim))
    shape = (1, -1) + (1,) * (input.ndim - 2)
    if use_input_stats:
        mean = input.mean(dims, keepdim=True)
        d = input - mean
        var = (d * d).mean(dims, keepdim=True)
        out = d * loom.rsqrt(var + eps)
        if running_mean is not None or running_var is not None:
            count = input.numel() // (n * c)
            with loom.no_grad():
                if running_mean is not None:
                    running_mean.mul_(1 - momentum).add_(
                        mean.detach().reshape(n, c).mean(0) * momentum)
                if running_var is not None:
                    unbiased = var.detach().reshape(n, c) * (count / max(count - 1, 1))
                    running_var.mul_(1 - momentum).add_(unbiased.mean(0) * momentum)
    else:
        out = (input - running_mean.reshape(shape)) * \
            loom.rsqrt(running_var + eps).reshape(shape)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def _bins(n_in, n_out):
    return [(math.floor(i * n_in / n_out), math.ceil((i + 1) * n_in / n_out))
            for i in range(n_out)]


def _adaptive(input, output_size, k, reduce):
    sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * k
    if len(sizes) != k:
        raise ValueError(f"adaptive pool: output_size must be {k} values, got {sizes}")
    out = input
    for j, size in enumerate(sizes):
        dim = input.ndim - k + j
        n_in = out.shape[dim]
        size = n_in if size is None else size
        parts = [reduce(out.narrow(dim, a, b - a), dim) for a, b in _bins(n_in, size)]
        out = loom.stack(parts, dim)
    return out


def adaptive_avg_pool1d(input, output_size):
    """Average over `output_size` near-equal windows of the last dim."""
    return _adaptive(input, output_size, 1, lambda t, d: t.mean(d))


def adaptive_max_pool1d(input, output_size, return_indices: bool = False):
    """Maximum over `output_size` near-equal windows of the last dim."""
    if return_indices:
        raise NotImplementedError("adaptive_max_pool1d: return_indices=True is not available "
                                  "in loom")
    return _adaptive(input, output_size, 1, lambda t, d: t.max(d).values)


def adaptive_max_pool2d(input, output_size, return_indices: bool = False):
    """Maximum over near-equal windows of the last two dims (`output_size` (H, W) or one)."""
    if return_indices:
        raise NotImplementedError("adaptive_max_pool2d: return_indices=True is not available "
                                  "in loom")
    return _adaptive(input, output_size, 2, lambda t, d: t.max(d).values)


def pixel_shuffle(input, upscale_factor: int):
    """(*, C r^2, H, W) -> (*, C, H r, W r)."""
    r = upscale_factor
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={c} "
                           f"is not divisible by {r * r}")
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    n = len(lead)
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return x.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor: int):
    """(*, C, H r, W r) -> (*, C r^2, H, W)."""
    r = downscale_factor
    *lead, c, h, w = input.shape
    if h % r or w % r:
        raise RuntimeError(f"pixel_unshuffle expects height to be divisible by "
                           f"downscale_factor, but input.size(-2)={h} is not divisible by {r}"
                           if h % r else
                           f"pixel_unshuffle expects width to be divisible by "
                           f"downscale_factor, but input.size(-1)={w} is not divisible by {r}")
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    n = len(lead)
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return x.reshape(*lead, c * r * r, h // r, w // r)


def margin_ranking_loss(input1, input2, target, margin: float = 0.0, size_average=None,
                        reduce=None, reduction: str = "mean"):
    """``max(0, -target * (x1 - x2) + margin)``."""
    return _reduce(loom.clamp(-target * (input1 - input2) + margin, min=0), reduction)


def hinge_embedding_loss(input, target, margin: float = 1.0, size_average=None, reduce=None,
                         reduction: str = "mean"):
    """``x`` where the target is 1, ``max(0, margin - x)`` where it is -1."""
    zeros = input * 0
    pos = loom.where(target == 1, input, zeros)
    neg = loom.where(target == -1, loom.clamp(margin - input, min=0), zeros)
    return _reduce(pos + neg, reduction)


def cosine_embedding_loss(input1, input2, target, margin: float = 0.0, size_average=None,
                          reduce=None, reduction: str = "mean"):
    """``1 - cos(x1, x2)`` for target 1, ``max(0, cos(x1, x2) - margin)`` for -1."""
    eps = 1e-12
    dim = input1.ndim - 1
    prod = (input1 * input2).sum(dim)
    mag1 = (input1 * input1).sum(dim) + eps
    mag2 = (input2 * input2).sum(dim) + eps
    cos = prod / loom.sqrt(mag1 * mag2)
    zeros = cos * 0
    pos = loom.where(target == 1, 1 - cos, zeros)
    neg = loom.where(target == -1, loom.clamp(cos - margin, min=0), zeros)
    return _reduce(pos + neg, reduction)


def triplet_margin_loss(anchor, positive, negative, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean"):
    """``max(d(a, p) - d(a, n) + margin, 0)`` with the pairwise p-norm distance."""
    def dist(x, y):
        return loom.linalg.vector_norm(x - y + eps, ord=p, dim=-1)
    d_pos, d_neg = dist(anchor, positive), dist(anchor, negative)
    if swap:
        d_neg = loom.minimum(d_neg, dist(positive, negative))
    return _reduce(loom.clamp(margin + d_pos - d_neg, min=0), reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction: str = "mean"):
    """``log(1 + exp(-target * x))``."""
    z = -target * input
    return _reduce(loom.logaddexp(z * 0, z), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction: str = "mean"):
    """Binary cross entropy with logits per class, averaged over the classes."""
    logsig = -loom.logaddexp(input * 0, -input)        # log sigmoid(x)
    logsig_neg = -loom.logaddexp(input * 0, input)     # log sigmoid(-x)
    loss = -(target * logsig + (1 - target) * logsig_neg)
    if weight is not None:
        loss = loss * weight
    loss = loss.sum(loss.ndim - 1) / input.shape[-1]
    return _reduce(loss, reduction)


def poisson_nll_loss(input, target, log_input: bool = True, full: bool = False,
                     size_average=None, eps: float = 1e-8, reduce=None,
                     reduction: str = "mean"):
    """Negative log likelihood of `target` under Poisson(`input`) (its log with
    `log_input`); `full` adds Stirling's term for targets above 1."""
    if log_input:
        loss = loom.exp(input) - target * input
    else:
        loss = input - target * loom.log(input + eps)
    if full:
        big = target > 1
        t = loom.where(big, target, loom.ones_like(target))  # no log of 0 where unused
        stirling = t * loom.log(t) - t + 0.5 * loom.log(2 * math.pi * t)
        loss = loss + loom.where(big, stirling, t * 0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean"):
    """``0.5 * (log(max(var, eps)) + (input - target)^2 / max(var, eps))`` (plus
    ``0.5 log(2 pi)`` with `full`)."""
    if var.ndim == input.ndim - 1 and tuple(var.shape) == tuple(input.shape[:-1]):
        var = var.unsqueeze(-1)
    if bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    var = loom.clamp(var.clone(), min=eps)
    loss = 0.5 * (loom.log(var) + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)
