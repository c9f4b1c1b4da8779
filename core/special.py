"""`loom.special`: PyTorch's ``torch.special`` namespace.

Most functions are loom's operators under their ``torch.special`` names (``expit`` is
`loom.sigmoid`, ``gammaln`` `loom.lgamma`, ``psi`` `loom.digamma`, ...), so they take the same
arguments, give the same dtypes and have the same gradients. ``ndtr``, ``log_ndtr``,
``entr``, ``xlog1py`` and ``multigammaln`` are composed of loom operators here, and are
differentiable through them. A ``torch.special`` function with no loom operator behind it
(the Bessel and orthogonal-polynomial families, ``i0``, ``zeta``, ...) raises loom's
missing-operator error naming it.
"""
from __future__ import annotations

import math

import loom

__all__ = ["digamma", "entr", "erf", "erfc", "erfinv", "exp2", "expit", "expm1", "gammaln",
           "log1p", "log_ndtr", "log_softmax", "logit", "logsumexp", "multigammaln", "ndtr",
           "polygamma", "psi", "round", "sinc", "softmax", "xlog1py", "xlogy"]

# torch.special name -> loom operator
_ALIASES = {"expit": "sigmoid", "logit": "logit", "erf": "erf", "erfc": "erfc",
            "erfinv": "erfinv", "gammaln": "lgamma", "digamma": "digamma", "psi": "digamma",
            "polygamma": "polygamma", "xlogy": "xlogy", "log_softmax": "log_softmax",
            "softmax": "softmax", "logsumexp": "logsumexp", "sinc": "sinc", "log1p": "log1p",
            "expm1": "expm1", "exp2": "exp2", "round": "round"}


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    target = _ALIASES.get(name)
    if target is not None:
        fn = getattr(loom, target)
        globals()[name] = fn
        return fn
    from loom.registry import missing_operator
    raise missing_operator(f"special_{name}")


def __dir__():
    return sorted(set(globals()) | set(__all__))


def ndtr(input):
    """The standard normal distribution's CDF: ``0.5 * erfc(-input / sqrt(2))``."""
    x = input if input.is_floating_point() else input.to(loom.get_default_dtype())
    return loom.erfc(x * (-1.0 / math.sqrt(2.0))) * 0.5


_LOG_NDTR_CUT = -10.0


def log_ndtr(input):
    """The log of `ndtr`, accurate far into the lower tail (an asymptotic series below
    -10, where the CDF itself underflows)."""
    x = input if input.is_floating_point() else input.to(loom.get_default_dtype())
    lower, upper = x < _LOG_NDTR_CUT, x > 0
    # each branch gets inputs where it is finite, so the others' gradients stay 0
    mid = loom.where(lower | upper, loom.zeros_like(x), x)
    direct = loom.log(loom.erfc(mid * (-1.0 / math.sqrt(2.0))) * 0.5)
    up = loom.where(upper, x, loom.zeros_like(x))
    direct = loom.where(upper, loom.log1p(loom.erfc(up * (1.0 / math.sqrt(2.0))) * -0.5),
                        direct)
    far = loom.where(lower, x, loom.full_like(x, _LOG_NDTR_CUT))
    inv2 = 1.0 / (far * far)
    series, term = loom.ones_like(far), loom.ones_like(far)
    for k in range(1, 11):  # 1 - 1/x^2 + 3/x^4 - 15/x^6 + ...
        term = term * inv2 * (-(2 * k - 1))
        series = series + term
    tail = (far * far) * -0.5 - loom.log(-far) - 0.5 * math.log(2 * math.pi) + loom.log(series)
    return loom.where(lower, tail, direct)


class _Entr(loom.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with loom.no_grad():
            pos = x > 0
            safe = loom.where(pos, x, loom.ones_like(x))
            inner = loom.where(x == 0, loom.zeros_like(x), loom.full_like(x, -math.inf))
            inner = loom.where(loom.isnan(x), x, inner)
            return loom.where(pos, -safe * loom.log(safe), inner)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * -(loom.log(x) + 1)  # PyTorch's rule: inf at 0, nan below


def entr(input):
    """Elementwise entropy: ``-x * ln(x)`` for x > 0, 0 at 0, -inf for x < 0; its gradient is
    ``-(1 + ln x)`` everywhere, as PyTorch's (inf at 0, NaN below)."""
    x = input if input.is_floating_point() else input.to(loom.get_default_dtype())
    return _Entr.apply(x)


def xlog1py(input, other):
    """``input * log1p(other)``, 0 where `input` is 0 (unless `other` is NaN), as xlogy."""
    if not isinstance(input, loom.Tensor):
        input = loom.tensor(input, dtype=other.dtype)
    if not isinstance(other, loom.Tensor):
        other = loom.tensor(other, dtype=input.dtype if input.is_floating_point()
                            else loom.get_default_dtype())
    if not (input.is_floating_point() or other.is_floating_point()):
        input = input.to(loom.get_default_dtype())
    zero = (input == 0) & ~loom.isnan(other)
    safe = loom.where(zero, loom.zeros_like(other), other)
    res = input * loom.log1p(safe)
    return loom.where(zero, loom.zeros_like(res), res)


def multigammaln(input, p: int):
    """The multivariate log-gamma of dimension `p`:
    ``p(p-1)/4 * ln(pi) + sum_{j<p} lgamma(input - j/2)``."""
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    res = loom.lgamma(input)
    for j in range(1, p):
        res = res + loom.lgamma(input - j / 2)
    return res + p * (p - 1) / 4 * math.log(math.pi)
