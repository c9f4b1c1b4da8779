"""The activations of ``torch.nn.functional`` beyond the common ones in `functional`: SELU,
CELU, GLU, the shrinks, the hard sigmoid and swish, log-sigmoid, softmin, threshold and
RReLU. Each is a composition of loom operators, so autograd differentiates it to any order;
`functional` re-exports them."""
from __future__ import annotations

import warnings

import loom

__all__ = ["selu", "selu_", "celu", "celu_", "glu", "hardshrink", "softshrink", "tanhshrink",
           "hardsigmoid", "hardswish", "logsigmoid", "softmin", "threshold", "threshold_",
           "rrelu", "rrelu_", "gumbel_softmax"]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def in_place(input, fn):
    """``input.copy_(fn(input))``, PyTorch's in-place activation: when autograd records, `fn`
    reads a copy, so that what its backward saved is not the tensor being overwritten."""
    src = input.clone() if input.requires_grad and loom.is_grad_enabled() else input
    return input.copy_(fn(src))


def _apply(input, fn, inplace):
    return in_place(input, fn) if inplace else fn(input)


def _elu_like(input, alpha, scale, inner=1.0):
    neg = alpha * loom.expm1(loom.clamp(input, max=0) * inner)
    return scale * loom.where(input > 0, input, neg)


def selu(input, inplace: bool = False):
    """``scale * (max(0, x) + min(0, alpha * (exp(x) - 1)))`` with SELU's constants."""
    return _apply(input, lambda x: _elu_like(x, _SELU_ALPHA, _SELU_SCALE), inplace)


def selu_(input):
    return selu(input, inplace=True)


def celu(input, alpha: float = 1.0, inplace: bool = False):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _apply(input, lambda x: _elu_like(x, alpha, 1.0, 1.0 / alpha), inplace)


def celu_(input, alpha: float = 1.0):
    return celu(input, alpha, inplace=True)


def glu(input, dim: int = -1):
    """The gated linear unit: the first half of `dim` times the sigmoid of the second."""
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = dim % input.dim() if -input.dim() <= dim < input.dim() else dim
    size = input.shape[d]
    if size % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {size}")
    a, b = input.chunk(2, dim)
    return a * loom.sigmoid(b)


def hardshrink(input, lambd: float = 0.5):
    """`x` where ``|x| > lambd``, else 0."""
    return loom.where(loom.abs(input) > lambd, input, loom.zeros_like(input))


def softshrink(input, lambd: float = 0.5):
    """`x` moved `lambd` towards 0, and 0 within ``[-lambd, lambd]``."""
    if lambd < 0:
        raise RuntimeError(f"lambda must be in range [0, 3.40282e+38] for input dtype "
                           f"{_c_type(input)}, but found {lambd:g}")
    zero = loom.zeros_like(input)
    return loom.where(input > lambd, input - lambd,
                      loom.where(input < -lambd, input + lambd, zero))


def tanhshrink(input):
    return input - loom.tanh(input)


def hardsigmoid(input, inplace: bool = False):
    """``relu6(x + 3) / 6``."""
    return _apply(input, lambda x: loom.clamp(x + 3, 0, 6) / 6, inplace)


def hardswish(input, inplace: bool = False):
    """``x * relu6(x + 3) / 6``."""
    return _apply(input, lambda x: x * loom.clamp(x + 3, 0, 6) / 6, inplace)


def logsigmoid(input):
    """``log(sigmoid(x))``, computed stably as ``-softplus(-x)``."""
    return -loom.nn.functional.softplus(-input)


def softmin(input, dim=None, _stacklevel: int = 3, dtype=None):
    """``softmax(-x)`` along `dim` (with PyTorch's warning when `dim` is left implicit)."""
    if dim is None:
        warnings.warn("Implicit dimension choice for softmin has been deprecated. Change the "
                      "call to include dim=X as an argument.", stacklevel=_stacklevel)
        dim = 0 if input.dim() in (0, 1, 3) else 1
    return loom.softmax(-input if dtype is None else -input.to(dtype), dim)


def threshold(input, threshold: float, value: float, inplace: bool = False):
    """`x` where ``x > threshold``, else `value`."""
    return _apply(input, lambda x: loom.where(x > threshold, x, loom.full_like(x, value)),
                  inplace)


def threshold_(input, threshold: float, value: float):
    return globals()["threshold"](input, threshold, value, inplace=True)


def rrelu(input, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False):
    """A leaky ReLU whose negative slope is drawn uniformly from ``[lower, upper]`` per element
    in training, and is their mean otherwise."""
    if training:
        slope = loom.empty_like(input).uniform_(lower, upper)
    else:
        slope = (lower + upper) / 2
    return _apply(input, lambda x: loom.where(x >= 0, x, x * slope), inplace)


def rrelu_(input, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False):
    return rrelu(input, lower, upper, training, inplace=True)


def _c_type(t):
    return {"float32": "Float", "float64": "Double", "float16": "Half",
            "bfloat16": "BFloat16"}.get(str(t.dtype).split(".")[-1], str(t.dtype))


def gumbel_softmax(logits, tau: float = 1.0, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1):
    """A sample of the Gumbel-softmax distribution over `dim`: ``softmax((logits + g) / tau)``
    with Gumbel noise ``g``; with `hard`, the one-hot of its argmax in the forward pass and
    the soft sample's gradient (straight through)."""
    gumbels = -loom.empty_like(logits).exponential_().log()
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = loom.zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft
