"""More of `loom.nn.functional`: the activations and channel dropouts that training scripts
use beyond the basic set (selu, celu, prelu, logsigmoid, softmin, glu, hardswish,
hardsigmoid, threshold, shrinks, cosine_similarity, pairwise_distance, dropout1d/2d/3d).
Compositions of loom operators; `functional` re-exports them."""
from __future__ import annotations

import warnings

import loom

__all__ = ["selu", "celu", "prelu", "logsigmoid", "softmin", "glu", "hardswish", "hardsigmoid",
           "threshold", "tanhshrink", "softshrink", "hardshrink", "cosine_similarity",
           "pairwise_distance", "dropout1d", "dropout2d", "dropout3d"]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _apply(input, fn, inplace):
    """``fn(input)``, or written into `input` (through a copy when autograd records, so
    that nothing `fn`'s backward saved is overwritten)."""
    if not inplace:
        return fn(input)
    src = input.clone() if input.requires_grad and loom.is_grad_enabled() else input
    return input.copy_(fn(src))


def selu(input, inplace: bool = False):
    """``scale * elu(x, alpha)`` with the self-normalising constants."""
    return _apply(input, lambda x: _SELU_SCALE * loom.where(
        x > 0, x, _SELU_ALPHA * loom.expm1(loom.clamp(x, max=0))), inplace)


def celu(input, alpha: float = 1.0, inplace: bool = False):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    return _apply(input, lambda x: loom.where(
        x > 0, x, alpha * loom.expm1(loom.clamp(x, max=0) / alpha)), inplace)


def prelu(input, weight):
    """``x`` where positive, ``weight * x`` elsewhere; `weight` is one value or one per
    channel (dim 1)."""
    w = weight
    if weight.numel() != 1:
        if input.ndim < 2 or input.shape[1] != weight.numel():
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found "
                               f"parameter numbers = {weight.numel()} and channel size = "
                               f"{input.shape[1] if input.ndim >= 2 else 1}.")
        w = weight.reshape((-1,) + (1,) * (input.ndim - 2))
    return loom.where(input > 0, input, w * input)


def logsigmoid(input):
    """``log(sigmoid(x))``, computed stably as ``-softplus(-x)``."""
    return -loom.logaddexp(input * 0, -input)


def softmin(input, dim=None, _stacklevel: int = 3, dtype=None):
    """``softmax(-x)`` along `dim`."""
    return loom.softmax(-input if dtype is None else -input.to(dtype), dim)


def glu(input, dim: int = -1):
    """Gated linear unit: the first half of `dim` times the sigmoid of the second."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    if input.shape[dim] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension "
                           f"{dim % input.ndim} is size {input.shape[dim]}")
    a, b = input.chunk(2, dim)
    return a * loom.sigmoid(b)


def hardsigmoid(input, inplace: bool = False):
    """``clamp(x / 6 + 1 / 2, 0, 1)``."""
    return _apply(input, lambda x: loom.clamp(x + 3, 0, 6) / 6, inplace)


def hardswish(input, inplace: bool = False):
    """``x * hardsigmoid(x)``."""
    return _apply(input, lambda x: x * loom.clamp(x + 3, 0, 6) / 6, inplace)


def threshold(input, threshold: float, value: float, inplace: bool = False):
    """``x`` where ``x > threshold``, `value` elsewhere."""
    return _apply(input, lambda x: loom.where(x > threshold, x, loom.full_like(x, value)),
                  inplace)


def tanhshrink(input):
    return input - loom.tanh(input)


def softshrink(input, lambd: float = 0.5):
    """``x - lambd`` above `lambd`, ``x + lambd`` below ``-lambd``, 0 between."""
    zero = input * 0
    return loom.where(input > lambd, input - lambd, loom.where(input < -lambd, input + lambd,
                                                               zero))


def hardshrink(input, lambd: float = 0.5):
    """``x`` where ``|x| > lambd``, 0 elsewhere."""
    return loom.where(loom.abs(input) > lambd, input, input * 0)


def cosine_similarity(x1, x2, dim: int = 1, eps: float = 1e-8):
    """``x1 . x2 / max(|x1| |x2|, eps)`` along `dim` (each norm clamped to `eps`, as
    PyTorch)."""
    n1 = loom.clamp(loom.linalg.vector_norm(x1, dim=dim, keepdim=True), min=eps)
    n2 = loom.clamp(loom.linalg.vector_norm(x2, dim=dim, keepdim=True), min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1, x2, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
    """``||x1 - x2 + eps||_p`` along the last dim."""
    return loom.linalg.vector_norm(x1 - x2 + eps, ord=p, dim=-1, keepdim=keepdim)


def _feature_dropout(input, p, training, inplace, batched_ndim, name):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    # one draw per channel: (N, C, 1, ...) for a batched input, (C, 1, ...) for one sample
    lead = 2 if input.ndim == batched_ndim else 1
    shape = tuple(input.shape[:lead]) + (1,) * (input.ndim - lead)
    if p == 1.0:
        out = input * loom.zeros(shape, dtype=input.dtype, device=input.device)
    else:
        noise = loom.empty(shape, dtype=input.dtype, device=input.device).bernoulli_(1 - p)
        out = input * noise.div_(1 - p)
    return input.copy_(out) if inplace else out


def dropout1d(input, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels of (N, C, L) or (C, L) with probability `p`."""
    if input.ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a "
                           f"{input.ndim}D input. Note that dropout1d exists to provide "
                           f"channel-wise dropout on inputs with 1 spatial dimension, a channel "
                           f"dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _feature_dropout(input, p, training, inplace, 3, "dropout1d")


def dropout2d(input, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels of (N, C, H, W) with probability `p` (a 3-D input is taken as
    batched 1-D, with PyTorch's warning)."""
    if input.ndim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is "
                      f"deprecated and will result in an error in a future release. To retain "
                      f"the behavior and silence this warning, please use dropout instead. Note "
                      f"that dropout2d exists to provide channel-wise dropout on inputs with 2 "
                      f"spatial dimensions, a channel dimension, and an optional batch dimension "
                      f"(i.e. 3D or 4D inputs).", UserWarning, stacklevel=2)
    if input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that "
                      "channel-wise 1D dropout behavior is desired - input is interpreted as "
                      "shape (N, C, L), where C is the channel dim. This behavior will change "
                      "in a future release to interpret the input as one without a batch "
                      "dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout "
                      "behavior, please switch to using dropout1d instead.", UserWarning,
                      stacklevel=2)
        return _feature_dropout(input, p, training, inplace, 3, "dropout2d")
    return _feature_dropout(input, p, training, inplace, 4, "dropout2d")


def dropout3d(input, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) with probability `p`."""
    return _feature_dropout(input, p, training, inplace, 5, "dropout3d")
