"""`loom.nn.functional`: the stateless forms of the layers and losses, as
``torch.nn.functional``. Activations and normalisations are compositions of loom operators
(so autograd differentiates them to any order); convolution, pooling, embedding and the
losses call the operators of the bundled ``ops_nn`` plugin."""
from __future__ import annotations

import math
from typing import Optional

import loom
from loom.plugin import registry as _registry

from .padding import pad  # noqa: F401  (F.pad: constant, reflect, replicate, circular)
from .activation_functional import *  # noqa: F401,F403  (selu, glu, softmin, threshold, ...)
from .activation_functional import __all__ as _activations
from .normalization_functional import *  # noqa: F401,F403  (instance_norm, dropout2d, ...)
from .normalization_functional import __all__ as _normalizations
from .pooling_functional import *  # noqa: F401,F403  (adaptive max pooling, unfold, ...)
from .pooling_functional import __all__ as _poolings
from .grid_functional import affine_grid, grid_sample  # noqa: F401
from .activation_functional import in_place

__all__ = [
    "linear", "bilinear", "relu", "relu_", "leaky_relu", "gelu", "silu", "elu", "softplus",
    "tanh", "sigmoid", "softmax", "log_softmax", "hardtanh", "relu6", "mish", "softsign",
    "dropout", "layer_norm", "batch_norm", "group_norm", "embedding", "one_hot",
    "conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "max_pool1d", "max_pool2d",
    "max_pool1d_with_indices", "max_pool2d_with_indices", "avg_pool1d", "avg_pool2d",
    "adaptive_avg_pool2d", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "nll_loss",
    "cross_entropy", "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
    "scaled_dot_product_attention", "normalize", "pad", "multi_head_attention_forward",
    *_activations, *_normalizations, *_poolings, "affine_grid", "grid_sample",
    "cosine_similarity", "pairwise_distance", "pdist",
]


def _op(name):
    """The callable of registered operator `name` (from ops_nn; the registry names the plugin
    that would provide it when it is missing)."""
    return _registry.get(name).call


# ----------------------------------------------------------------------------- linear

def linear(input, weight, bias=None):
    """``input @ weight.T + bias``: one operator (ops_nn's `linear`), as PyTorch's addmm; a
    1-D weight without a bias is a matrix-vector product."""
    if bias is None and getattr(weight, "ndim", 2) == 1 and getattr(input, "ndim", 0) > 0:
        return input @ weight
    return _op("linear")(input, weight, bias)


def bilinear(input1, input2, weight, bias=None):
    """``x1^T A x2 + b`` for each output feature: weight (out, in1, in2)."""
    out = loom.einsum("...i,oij,...j->...o", input1, weight, input2)
    return out if bias is None else out + bias


# ----------------------------------------------------------------------------- activations

def relu(input, inplace: bool = False):
    return input.relu_() if inplace else loom.relu(input)


def relu_(input):
    return input.relu_()


def leaky_relu(input, negative_slope: float = 0.01, inplace: bool = False):
    if inplace:
        return in_place(input, lambda x: loom.where(x > 0, x, x * negative_slope))
    return loom.where(input > 0, input, input * negative_slope)


def gelu(input, approximate: str = "none"):
    """GELU: ``x * Phi(x)``, or its tanh approximation with ``approximate='tanh'``."""
    if approximate == "tanh":
        c = math.sqrt(2.0 / math.pi)
        return 0.5 * input * (1 + loom.tanh(c * (input + 0.044715 * input * input * input)))
    if approximate != "none":
        raise RuntimeError(f"approximate argument must be either none or tanh.")
    return 0.5 * input * (1 + loom.erf(input * (1 / math.sqrt(2.0))))


def silu(input, inplace: bool = False):
    if inplace:
        return in_place(input, lambda x: x * loom.sigmoid(x))
    return input * loom.sigmoid(input)


def mish(input, inplace: bool = False):
    if inplace:
        return in_place(input, lambda x: x * loom.tanh(softplus(x)))
    return input * loom.tanh(softplus(input))


def elu(input, alpha: float = 1.0, inplace: bool = False):
    if inplace:
        return in_place(input, lambda x: loom.where(x > 0, x,
                                                    alpha * loom.expm1(loom.clamp(x, max=0))))
    return loom.where(input > 0, input, alpha * loom.expm1(loom.clamp(input, max=0)))


def softplus(input, beta: float = 1.0, threshold: float = 20.0):
    """``log(1 + exp(beta x)) / beta``, linear where ``beta x > threshold``."""
    bx = input * beta
    soft = loom.logaddexp(bx * 0, bx) / beta
    return loom.where(bx > threshold, input, soft)


def softsign(input):
    return input / (1 + loom.abs(input))


def hardtanh(input, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
    if inplace:
        return in_place(input, lambda x: loom.clamp(x, min_val, max_val))
    return loom.clamp(input, min_val, max_val)


def relu6(input, inplace: bool = False):
    return hardtanh(input, 0.0, 6.0, inplace)


def tanh(input):
    return loom.tanh(input)


def sigmoid(input):
    return loom.sigmoid(input)


def _softmax_dim(ndim: int) -> int:
    # PyTorch's legacy choice of dim when none is given (it warns)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim: Optional[int] = None, _stacklevel: int = 3, dtype=None):
    if dim is None:
        dim = _softmax_dim(input.ndim)
    return loom.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim: Optional[int] = None, _stacklevel: int = 3, dtype=None):
    if dim is None:
        dim = _softmax_dim(input.ndim)
    return loom.log_softmax(input, dim, dtype=dtype)


# ----------------------------------------------------------------------------- dropout

def dropout(input, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero each element with probability `p` and scale the rest by ``1 / (1 - p)``."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        fn = lambda x: x * 0  # noqa: E731
    else:
        # PyTorch's: the mask scaled first, then one product (MulBackward0)
        mask = loom.empty_like(input).bernoulli_(1 - p).div_(1 - p)
        fn = lambda x: x * mask  # noqa: E731
    return in_place(input, fn) if inplace else fn(input)


# ----------------------------------------------------------------------------- normalization

def layer_norm(input, normalized_shape, weight=None, bias=None, eps: float = 1e-5):
    """Normalise over the trailing `normalized_shape` dims (biased variance)."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[input.ndim - len(shape):]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, shape))}], but got input of size"
                           f"{list(input.shape)}")
    dims = tuple(range(-len(shape), 0))
    mean = input.mean(dims, keepdim=True)
    d = input - mean
    var = (d * d).mean(dims, keepdim=True)
    out = d * loom.rsqrt(var + eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def batch_norm(input, running_mean, running_var, weight=None, bias=None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5):
    """Normalise each channel (dim 1) by the batch's statistics in training (updating the
    running ones with the unbiased variance) or by the running statistics."""
    if input.ndim < 2:
        raise ValueError(f"expected 2D or 3D input (got {input.ndim}D input)")
    dims = (0,) + tuple(range(2, input.ndim))
    shape = (1, -1) + (1,) * (input.ndim - 2)
    if training:
        n = input.numel() // input.shape[1]
        if n <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {list(input.shape)}")
        mean = input.mean(dims)
        d = input - mean.reshape(shape)
        var = (d * d).mean(dims)
        if running_mean is not None:
            with loom.no_grad():
                running_mean.mul_(1 - momentum).add_(mean.detach() * momentum)
        if running_var is not None:
            with loom.no_grad():
                running_var.mul_(1 - momentum).add_(var.detach() * (momentum * n / (n - 1)))
        out = d * loom.rsqrt(var + eps).reshape(shape)
    else:
        out = (input - running_mean.reshape(shape)) * loom.rsqrt(running_var + eps).reshape(shape)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def group_norm(input, num_groups: int, weight=None, bias=None, eps: float = 1e-5):
    """Normalise over groups of channels (and all spatial positions) per sample."""
    n, c = input.shape[0], input.shape[1]
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {list(input.shape)} and "
                           f"num_groups={num_groups}")
    x = input.reshape(n, num_groups, -1)
    mean = x.mean(-1, keepdim=True)
    d = x - mean
    var = (d * d).mean(-1, keepdim=True)
    out = (d * loom.rsqrt(var + eps)).reshape(input.shape)
    shape = (1, -1) + (1,) * (input.ndim - 2)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def normalize(input, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None):
    """`input` divided by its `p`-norm along `dim` (at least `eps`)."""
    norm = loom.linalg.vector_norm(input, p, dim, keepdim=True)
    return input / loom.clamp(norm, min=eps).expand_as(input)


# ----------------------------------------------------------------------------- distances

def cosine_similarity(x1, x2, dim: int = 1, eps: float = 1e-8):
    """The cosine of the angle between `x1` and `x2` along `dim` (broadcasting)."""
    return loom.cosine_similarity(x1, x2, dim, eps)


def pairwise_distance(x1, x2, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
    """The p-norm of ``x1 - x2 + eps`` over the last dimension."""
    return loom.pairwise_distance(x1, x2, p, eps, keepdim)


def pdist(input, p: float = 2.0):
    """The p-norm distances between the rows of a matrix, each pair once."""
    return loom.pdist(input, p)


# ----------------------------------------------------------------------------- embedding

def embedding(input, weight, padding_idx=None, max_norm=None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False):
    """Rows of `weight` picked by integer `input`; the `padding_idx` row gets no gradient."""
    if padding_idx is not None:
        n = weight.shape[0]
        if not -n <= padding_idx < n:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx %= n
    if max_norm is not None:
        with loom.no_grad():
            rows = weight[input.reshape(-1).unique()]
            norms = loom.linalg.vector_norm(rows, norm_type, -1, keepdim=True)
            scale = loom.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
            weight[input.reshape(-1).unique()] = rows * scale
    if sparse:
        raise NotImplementedError("embedding: sparse gradients are not supported (loom has no "
                                  "sparse tensors)")
    out = _op("embedding")(weight, input, padding_idx=padding_idx)
    if scale_grad_by_freq and out.requires_grad:
        # each row's gradient divided by how often its index occurs in `input`: the gradient
        # reaching each looked-up row is scaled before the embedding's backward sums it
        counts = loom.bincount(input.reshape(-1), minlength=weight.shape[0])[input]
        scale = (1.0 / counts.to(out.dtype)).unsqueeze(-1)
        out.register_hook(lambda g: g * scale)
    return out


def one_hot(tensor, num_classes: int = -1):
    """Class indices as one-hot int64 rows."""
    if tensor.dtype != loom.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        num_classes = int(tensor.max()) + 1 if tensor.numel() else 0
    return (tensor.unsqueeze(-1) == loom.arange(num_classes, device=tensor.device)).long()


# ----------------------------------------------------------------------------- conv, pooling

def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _op("conv1d")(input, weight, bias, stride=stride, padding=padding,
                         dilation=dilation, groups=groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _op("conv2d")(input, weight, bias, stride=stride, padding=padding,
                         dilation=dilation, groups=groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    return _op("conv_transpose1d")(input, weight, bias, stride=stride, padding=padding,
                                   output_padding=output_padding, groups=groups,
                                   dilation=dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    return _op("conv_transpose2d")(input, weight, bias, stride=stride, padding=padding,
                                   output_padding=output_padding, groups=groups,
                                   dilation=dilation)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    return _op("max_pool1d_with_indices")(input, kernel_size, stride, padding, dilation,
                                          ceil_mode)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    return _op("max_pool2d_with_indices")(input, kernel_size, stride, padding, dilation,
                                          ceil_mode)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    out, idx = max_pool1d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (out, idx) if return_indices else out


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    out, idx = max_pool2d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (out, idx) if return_indices else out


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    return _op("avg_pool1d")(input, kernel_size, stride, padding, ceil_mode, count_include_pad)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    return _op("avg_pool2d")(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                             divisor_override)


def adaptive_avg_pool2d(input, output_size):
    return _op("adaptive_avg_pool2d")(input, output_size)


# ----------------------------------------------------------------------------- losses

def _reduction(size_average, reduce, reduction):
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return ("mean" if size_average else "sum") if reduce else "none"


def _check_same(name, input, target):
    if tuple(input.shape) != tuple(target.shape):
        import warnings
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input "
                      f"size ({input.shape}). This will likely lead to incorrect results due "
                      f"to broadcasting. Please ensure they have the same size.", stacklevel=3)
        input, target = loom.broadcast_tensors(input, target)
    return input, target


def mse_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
             weight=None):
    input, target = _check_same("mse_loss", input, target)
    return _op("mse_loss")(input, target, reduction=_reduction(size_average, reduce, reduction))


def l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean"):
    input, target = _check_same("l1_loss", input, target)
    return _op("l1_loss")(input, target, reduction=_reduction(size_average, reduce, reduction))


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0):
    input, target = _check_same("smooth_l1_loss", input, target)
    return _op("smooth_l1_loss")(input, target,
                                 reduction=_reduction(size_average, reduce, reduction), beta=beta)


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0, weight=None):
    input, target = _check_same("huber_loss", input, target)
    return _op("huber_loss")(input, target, reduction=reduction, delta=delta)


_UNIT_WEIGHTS: dict = {}  # (classes, dtype, device) -> ones, read by the loss operators only


def _class_weight(name, input, weight):
    if weight is None:
        c = input.shape[0 if input.ndim == 1 else 1] if input.ndim else 1
        key = (c, input.dtype, input.device)
        ones = _UNIT_WEIGHTS.get(key)
        if ones is None:
            if len(_UNIT_WEIGHTS) > 64:
                _UNIT_WEIGHTS.clear()
            ones = _UNIT_WEIGHTS[key] = loom.ones(c, dtype=input.dtype, device=input.device)
        return ones
    if weight.requires_grad:
        raise RuntimeError(f"The function '{name}_forward' is not differentiable with respect "
                           f"to argument 'weight'. This input cannot have requires_grad True.")
    return weight


def nll_loss(input, target, weight=None, size_average=None, ignore_index: int = -100,
             reduce=None, reduction: str = "mean"):
    """Negative log-likelihood of class indices `target` under log-probabilities `input`."""
    return _op("nll_loss")(input, target, _class_weight("nll_loss", input, weight),
                           ignore_index=ignore_index,
                           reduction=_reduction(size_average, reduce, reduction))


def cross_entropy(input, target, weight=None, size_average=None, ignore_index: int = -100,
                  reduce=None, reduction: str = "mean", label_smoothing: float = 0.0):
    """Cross entropy of logits `input` against class indices or class probabilities."""
    return _op("cross_entropy")(input, target, _class_weight("nll_loss", input, weight),
                                ignore_index=ignore_index,
                                reduction=_reduction(size_average, reduce, reduction),
                                label_smoothing=label_smoothing)


def _weighted(loss_fn, input, target, weight, reduction):
    if weight is None:
        return loss_fn(input, target, reduction)
    loss = loss_fn(input, target, "none") * weight
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction: str = "mean"):
    op = _op("binary_cross_entropy")
    return _weighted(lambda x, t, r: op(x, t, reduction=r), input, target, weight,
                     _reduction(size_average, reduce, reduction))


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction: str = "mean", pos_weight=None):
    reduction = _reduction(size_average, reduce, reduction)
    if pos_weight is not None:
        if tuple(input.shape) != tuple(target.shape):
            raise ValueError(f"Target size ({target.shape}) must be the same as input size "
                             f"({input.shape})")
        # -(pw t log s(x) + (1 - t) log s(-x)), with log s(x) = -softplus(-x)
        lsp = loom.logaddexp(input * 0, -input)
        loss = (1 - target) * input + (1 + (pos_weight - 1) * target) * lsp
        if weight is not None:
            loss = loss * weight
        return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" \
            else loss
    op = _op("binary_cross_entropy_with_logits")
    return _weighted(lambda x, t, r: op(x, t, reduction=r), input, target, weight, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False):
    if reduction == "mean" and size_average is None and reduce is None:
        import warnings
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", UserWarning, stacklevel=2)
    return _op("kl_div")(input, target, reduction=_reduction(size_average, reduce, reduction),
                         log_target=log_target)


# ----------------------------------------------------------------------------- attention

def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: Optional[float] = None):
    """``softmax(q k^T * scale + mask) v``; a bool mask marks the positions that take part."""
    l, s = query.shape[-2], key.shape[-2]
    scale = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = query @ key.transpose(-2, -1) * scale
    if is_causal:
        keep = loom.ones(l, s, dtype=loom.bool, device=query.device).tril()
        scores = scores.masked_fill(~keep, -math.inf)
    if attn_mask is not None:
        if attn_mask.dtype == loom.bool:
            scores = scores.masked_fill(~attn_mask, -math.inf)
        else:
            scores = scores + attn_mask
    w = loom.softmax(scores, -1)
    if dropout_p > 0:
        w = dropout(w, dropout_p)
    return w @ value
