"""Normalisations and dropouts of ``torch.nn.functional`` beyond those in `functional`:
instance, local-response and RMS normalisation; channel-wise dropout (1d/2d/3d) and the alpha
dropouts of self-normalising networks. Compositions of loom operators; `functional`
re-exports them."""
from __future__ import annotations

import warnings

import loom

from .activation_functional import in_place

__all__ = ["instance_norm", "local_response_norm", "rms_norm", "dropout1d", "dropout2d",
           "dropout3d", "alpha_dropout", "feature_alpha_dropout"]


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats: bool = True, momentum: float = 0.1, eps: float = 1e-5):
    """Normalise each channel of each sample over its spatial positions; with running
    statistics, update them (averaged over the batch) or use them instead."""
    if input.dim() < 2:
        raise ValueError(f"expected 2D or higher input (got {input.dim()}D input)")
    shape = (1, -1) + (1,) * (input.dim() - 2)
    if use_input_stats:
        spatial = 1
        for s in input.shape[2:]:
            spatial *= s
        if spatial <= 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input "
                             f"size {loom.Size(input.shape)}")
        dims = tuple(range(2, input.dim()))
        mean = input.mean(dims, keepdim=True)
        d = input - mean
        var = (d * d).mean(dims, keepdim=True)
        if running_mean is not None or running_var is not None:
            with loom.no_grad():
                n = spatial
                if running_mean is not None:
                    running_mean.mul_(1 - momentum).add_(
                        mean.detach().reshape(input.shape[0], -1).mean(0) * momentum)
                if running_var is not None:
                    unbiased = var.detach().reshape(input.shape[0], -1).mean(0) * (n / (n - 1))
                    running_var.mul_(1 - momentum).add_(unbiased * momentum)
        out = d * loom.rsqrt(var + eps)
    else:
        out = (input - running_mean.reshape(shape)) * \
            loom.rsqrt(running_var + eps).reshape(shape)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def local_response_norm(input, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0):
    """Divide each element by ``(k + alpha / size * sum of squares over `size` neighbouring
    channels) ** beta`` (the window centred, zero-padded at the edges)."""
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          "
                         f"input (got {dim} dimensions)")
    if input.numel() == 0:
        return input
    sq = (input * input).unsqueeze(1)  # (N, 1, C, ...)
    c = input.shape[1]
    pad_front, pad_back = size // 2, (size - 1) // 2
    zeros = [loom.zeros_like(sq.narrow(2, 0, 1)).expand(*sq.shape[:2], n, *sq.shape[3:])
             for n in (pad_front, pad_back)]
    padded = loom.cat([zeros[0], sq, zeros[1]], 2)
    window = padded.narrow(2, 0, c)
    for i in range(1, size):
        window = window + padded.narrow(2, i, c)
    div = (window / size).squeeze(1) * alpha + k
    return input / div ** beta


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """Divide by the root mean square over the trailing `normalized_shape` dims (plus `eps`,
    by default the dtype's machine epsilon), then scale by `weight`."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[input.dim() - len(shape):]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*{', '.join(map(str, shape))}], but got input of size"
                           f"{list(input.shape)}")
    if eps is None:
        eps = loom.finfo(input.dtype).eps
    dims = tuple(range(-len(shape), 0))
    out = input * loom.rsqrt((input * input).mean(dims, keepdim=True) + eps)
    return out if weight is None else out * weight


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _channel_dropout(input, p, training, inplace, batched):
    """Zero whole channels (dim 1 of a batched input, dim 0 of an unbatched one)."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    lead = 2 if batched else 1
    mask_shape = tuple(input.shape[:lead]) + (1,) * (input.dim() - lead)
    if p == 1.0:
        fn = lambda x: x * 0  # noqa: E731
    else:
        mask = loom.empty(mask_shape, dtype=input.dtype, device=input.device).bernoulli_(1 - p)
        fn = lambda x: x * mask.div_(1 - p)  # noqa: E731  (PyTorch's: one product)
    return in_place(input, fn) if inplace else fn(input)


def dropout1d(input, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels of (N, C, L) or (C, L) input with probability `p`."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.dim()}D "
                           f"input. Note that dropout1d exists to provide channel-wise dropout "
                           f"on inputs with 1 spatial dimension, a channel dimension, and an "
                           f"optional batch dimension (i.e. 2D or 3D inputs).")
    return _channel_dropout(input, p, training, inplace, input.dim() == 3)


def dropout2d(input, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels of (N, C, H, W) or (C, H, W) input with probability `p`."""
    dim = input.dim()
    if dim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {dim}-D input to dropout2d, which is deprecated "
                      f"and will result in an error in a future release. To retain the "
                      f"behavior and silence this warning, please use dropout instead. Note "
                      f"that dropout2d exists to provide channel-wise dropout on inputs with 2 "
                      f"spatial dimensions, a channel dimension, and an optional batch "
                      f"dimension (i.e. 3D or 4D inputs).", stacklevel=2)
    if dim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that "
                      "channel-wise 1D dropout behavior is desired - input is interpreted as "
                      "shape (N, C, L), where C is the channel dim. This behavior will change "
                      "in a future release to interpret the input as one without a batch "
                      "dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout "
                      "behavior, please switch to using dropout1d instead.", stacklevel=2)
    return _channel_dropout(input, p, training, inplace, dim >= 3 or dim == 2)


def dropout3d(input, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input with probability `p`."""
    dim = input.dim()
    if dim not in (4, 5):
        warnings.warn(f"dropout3d: Received a {dim}-D input to dropout3d, which is deprecated "
                      f"and will result in an error in a future release. To retain the "
                      f"behavior and silence this warning, please use dropout instead. Note "
                      f"that dropout3d exists to provide channel-wise dropout on inputs with 3 "
                      f"spatial dimensions, a channel dimension, and an optional batch "
                      f"dimension (i.e. 4D or 5D inputs).", stacklevel=2)
    return _channel_dropout(input, p, training, inplace, dim != 4)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _alpha_dropout(input, p, training, inplace, feature):
    _check_p(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return in_place(input, lambda x: x * 0) if inplace else input * 0
    keep = 1 - p
    alpha_p = -_SELU_ALPHA * _SELU_SCALE  # the value a dropped unit takes
    a = (keep + alpha_p * alpha_p * keep * p) ** -0.5
    b = -a * alpha_p * p
    shape = tuple(input.shape[:2]) + (1,) * (input.dim() - 2) if feature else input.shape
    mask = loom.empty(shape, dtype=input.dtype, device=input.device).bernoulli_(keep)
    fn = lambda x: (x * mask + alpha_p * (1 - mask)) * a + b  # noqa: E731
    return in_place(input, fn) if inplace else fn(input)


def alpha_dropout(input, p: float = 0.5, training: bool = False, inplace: bool = False):
    """Dropout that keeps a SELU network's mean and variance: dropped units take SELU's
    negative saturation value, then an affine map restores the statistics."""
    return _alpha_dropout(input, p, training, inplace, False)


def feature_alpha_dropout(input, p: float = 0.5, training: bool = False, inplace: bool = False):
    """`alpha_dropout` of whole channels."""
    return _alpha_dropout(input, p, training, inplace, True)
