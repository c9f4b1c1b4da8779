"""Elementwise operators of one tensor: signs, powers, exponentials and logarithms, trigonometric
and hyperbolic functions, special functions, rounding, complex parts and predicates. Integer
inputs of float functions give the default float (``sqrt(int)`` is float32); the dtypes PyTorch
refuses are refused by the kernels, with its error."""
import math

import numpy as np

import loom
from loom.plugin import (ErrorInput, SampleInput, apply_op, cast_like, is_tensor, keep_where, op,
                         sample_calls, unary, unary_samples, view, xp_of)

from . import special
from .clamp import max0
from .indexing import _tname
from .elementwise import refuse

_LN2, _LN10, _SQRT_PI = math.log(2.0), math.log(10.0), math.sqrt(math.pi)
_SQRT1_2, _INV_SQRT_2PI = math.sqrt(0.5), 1 / math.sqrt(2 * math.pi)


def _no_bool(msg, fn):  # a kernel refusing bool tensors with PyTorch's RuntimeError
    def kernel(xp, x):
        if x.dtype.kind == "b":
            raise RuntimeError(msg)
        return fn(xp, x)
    return kernel


def _only(kinds, name, fn):  # a kernel for the dtype kinds in `kinds`, NotImplementedError else
    def kernel(xp, x):
        if x.dtype.kind not in kinds:
            raise refuse(name, x.dtype)
        return fn(xp, x)
    return kernel


def _entr(xp, x):
    x = x if x.dtype.kind == "f" else x.astype(loom.get_default_dtype().np)
    pos = xp.where(x > 0, x, 1)
    return xp.where(x > 0, -pos * xp.log(pos), xp.where(x == 0, 0, xp.where(x < 0, -xp.inf, x))
                    ).astype(x.dtype)


def _log10(xp, x):
    # NumPy's single-precision log10 is off by an ulp at powers of ten (log10(100) is
    # 2.0000002); through float64 it rounds right, as PyTorch's does
    if x.dtype.kind == "f" and x.dtype.itemsize < 8:
        return xp.log10(x.astype(xp.float64)).astype(x.dtype)
    return xp.log10(x)


def _log_ndtr(xp, x):
    """log(ndtr(x)) in float64: log1p of the small upper tail above 0, the log of ndtr down
    to -10, and below it the asymptotic series of the log of Mills' ratio."""
    upper, lower = x > 0, x < -10.0
    mid = xp.where(upper | lower, 0.0, x)
    out = xp.log(0.5 * special.erf_pair(xp, -mid * _SQRT1_2)[1])
    up = xp.where(upper, x, 0.0)
    out = xp.where(upper, xp.log1p(-0.5 * special.erf_pair(xp, up * _SQRT1_2)[1]), out)
    far = xp.where(lower, x, -10.0)
    inv2, term, series = 1.0 / (far * far), xp.ones_like(far), xp.ones_like(far)
    for k in range(1, 11):  # 1 - 1/x^2 + 3/x^4 - 15/x^6 + ...
        term = term * inv2 * -(2 * k - 1)
        series = series + term
    tail = -0.5 * far * far - xp.log(-far) - 0.5 * np.log(2 * np.pi) + xp.log(series)
    return xp.where(lower, tail, out)


def _float64(fn, name):  # a special function: computed in float64, returned in x's dtype
    return _only("f", name, lambda xp, x: fn(xp, special.f64(xp, x)).astype(x.dtype, copy=False))


def _sign(xp, x):
    if x.dtype.kind == "c":
        raise NotImplementedError("Unlike NumPy, torch.sign is not intended to support complex "
                                  "numbers. Please use torch.sgn instead.")
    return x.copy() if x.dtype.kind == "b" else xp.nan_to_num(xp.sign(x))  # sign(NaN) is 0


def _sgn(xp, x):
    a = xp.abs(x)
    return xp.where(a == 0, 0, x / xp.where(a == 0, 1, a)) if x.dtype.kind == "c" else \
        _sign(xp, x)


def _whole(ufunc):  # floor, ceil, trunc: integers are already whole, a copy of them
    def kernel(xp, x):
        if x.dtype.kind == "c":
            raise NotImplementedError(f"{ufunc} is not supported for complex inputs")
        return getattr(xp, ufunc)(x) if x.dtype.kind == "f" else x.copy()
    return _only("iufc", f"{ufunc}_vml_cpu", kernel)


def _round(xp, x, decimals=None):  # half to even, as PyTorch; integers take no decimals
    if x.dtype.kind in "iu" and decimals is None:
        return x.copy()
    if x.dtype.kind != "f":
        raise refuse("round_cpu", x.dtype)
    return xp.round(x, decimals or 0)


def _to_float(x):
    return x.astype(loom.get_default_dtype().np) if x.dtype.kind in "biu" else x


def _no_complex(name, kernel):  # deg2rad / rad2deg refuse complex input, as PyTorch
    def k(xp, x):
        if x.dtype.kind == "c":
            raise RuntimeError(f"{name} is not supported for complex tensors.")
        return kernel(xp, x)
    return k


def _sinc(xp, x):  # half precision computed in float32, as PyTorch
    return xp.sinc(x.astype(xp.float32) if x.dtype == xp.float16 else x).astype(x.dtype,
                                                                              copy=False)


def _sinc_dx(x):  # (cos(pi x) - sinc(x)) / x, 0 at 0
    if x.dtype in (np.float16, loom.float16):
        x = x.float() if is_tensor(x) else x.astype(np.float32)
    xp, px = xp_of(x), x * math.pi
    nz = x != 0
    safe = xp.where(nz, x, 1.0)
    return xp.where(nz, (xp.cos(safe * math.pi) - xp.sin(safe * math.pi) / (safe * math.pi)) /
                    safe, px * 0.0)


def _logit(xp, x, eps=None):
    if x.dtype.kind == "c":
        raise refuse("logit_cpu", x.dtype)
    x = _to_float(x) if eps is None else xp.clip(_to_float(x), eps, 1 - eps)
    return xp.log(x / (1 - x))


def _logit_bwd(ctx, g):  # 0 outside [eps, 1 - eps]; without eps NaN outside [0, 1]
    (x,), eps, xp = ctx.saved, ctx.params["eps"], xp_of(g)
    lo, hi, out = (0.0, 1.0, math.nan) if eps is None else (eps, 1 - eps, 0.0)
    return (xp.where(x < lo, out, xp.where(x > hi, out, g / (x * (1 - x)))),)


def _nan_to_num(xp, x, nan=0.0, posinf=None, neginf=None):
    return xp.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf) if x.dtype.kind in "fc" \
        else x.copy()


def _polygamma(xp, x, n):
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    if x.dtype.kind == "c":
        raise refuse("polygamma", x.dtype)
    x = _to_float(x)
    v = special.f64(xp, x)
    return (special.polygamma(xp, n, v) if n else special.digamma(xp, v)).astype(x.dtype)


def _angle(xp, x):  # pi for negative reals (not for -0.0), NaN kept
    return xp.angle(x) if x.dtype.kind == "c" else \
        xp.where(x != x, x, xp.where(x < 0, math.pi, 0.0)).astype(x.dtype, copy=False)


def _angle_dx(g, x):  # PyTorch's: 0 for real input; i z / |z|^2 for complex (0 at 0)
    if not str(x.dtype).removeprefix("torch.").startswith("complex"):
        return g * 0
    xp, a = xp_of(x), xp_of(x).abs(x)
    return xp.where(x == 0, 0.0, g * 1j * x / xp.where(x == 0, 1.0, a * a))


def _imag(xp, x):
    if x.dtype.kind != "c":
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return x.imag


def _is_inf(sign):  # isposinf / isneginf
    def kernel(xp, x):
        if x.dtype.kind == "c":
            raise RuntimeError(f"is{'pos' if sign > 0 else 'neg'}inf does not support complex "
                               f"inputs.")
        return x == sign * math.inf
    return kernel


def _view_as_real(xp, x):
    if x.dtype.kind != "c":
        raise RuntimeError("view_as_real is only supported for complex tensors")
    # a new last axis of size 1 is contiguous whatever the layout: it can be read as 2 floats
    return x[..., None].view(x.real.dtype)


def _view_as_complex(xp, x):
    if x.dtype not in (np.float32, np.float64):
        if x.dtype == np.float16:
            raise RuntimeError("view_as_complex of a float16 tensor needs complex32, which "
                               "loom does not provide")
        raise RuntimeError(f"view_as_complex is only supported for half, float and double "
                           f"tensors, but got a tensor of scalar type: "
                           f"{_tname(x)}")
    if x.ndim == 0 or x.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    if x.strides[-1] != x.itemsize:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    if any(st % (2 * x.itemsize) for st, n in zip(x.strides[:-1], x.shape[:-1]) if n > 1):
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last dimension")
    root = x
    while getattr(root, "base", None) is not None and hasattr(root.base, "__array_interface__"):
        root = root.base
    if isinstance(root, np.ndarray) and (x.__array_interface__["data"][0] -
                                         root.__array_interface__["data"][0]) % (2 * x.itemsize):
        raise RuntimeError("Tensor must have a storage_offset divisible by 2")
    return x.view(np.complex64 if x.dtype == np.float32 else np.complex128)[..., 0]


def _frexp(xp, x):
    if x.dtype.kind != "f":
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    m, e = xp.frexp(x)
    return m, xp.where(xp.isfinite(x), e, 0).astype(xp.int32)


def _frexp_bwd(ctx, grads):  # d mantissa / dx = 2 ** -exponent
    g, e = grads[0], ctx.saved[-1][1]
    if g is None:
        return (None,)
    scale = xp_of(g).exp2(e) if is_tensor(g) else cast_like(xp_of(g).exp2(e), g)
    return (g / scale,)


def _signbit(xp, x):
    if x.dtype.kind == "c":
        raise NotImplementedError("signbit is not implemented for complex tensors.")
    return xp.signbit(x) if x.dtype.kind != "b" else xp.zeros(x.shape, bool)


def _specials(rng, dt):  # NaN, infinities and signed zeros among ordinary values
    v = np.concatenate([[np.nan, np.inf, -np.inf, 0.0, -0.0, 1.5, -2.0, 3.25],
                        rng.uniform(-3, 3, 4)])
    return [SampleInput((rng.permutation(v).reshape(3, 4).astype(dt),), grad=False),
            SampleInput((np.array(np.nan, dt),), grad=False)]


def _complex(rng, dt):  # a complex sample, then the real ones
    z = rng.standard_normal((3, 4)) + 1j * rng.standard_normal((3, 4))
    return [SampleInput((z.astype(np.result_type(dt, np.complex64)),), grad=False),
            *unary_samples()(rng, dt)]


def _with(*calls, domain=(-2.0, 2.0)):  # unary samples plus calls with keyword arguments
    def samples(rng, dt):
        x = rng.uniform(*domain, (3, 4)).astype(dt)
        return unary_samples(*domain)(rng, dt) + [SampleInput((x,), kw) for kw in calls]
    return samples


def _errors(dtype, error):  # error samples: a string, and an array of a dtype PyTorch refuses
    return lambda rng: [ErrorInput(("text",), error=TypeError),
                        ErrorInput((rng.standard_normal(3).astype(dtype),), error=error)]


def _arc(name, ufunc, dx, domain=(-2.0, 2.0)):  # an inverse function, with PyTorch's arc* alias
    return unary(name, ufunc, dx=dx, domain=domain, aliases=(ufunc,), doc=f"Elementwise {ufunc}.")


def _is(name, kernel=None, samples=_specials, doc=""):  # a predicate: bool, no gradient
    return unary(name, kernel, differentiable=False, int_to_float=False, inplace=False,
                 samples=samples, doc=doc or f"True where ``{name}`` holds (a bool tensor).")


OPS = [
    unary("neg", _no_bool("Negation, the `-` operator, on a bool tensor is not supported. If you "
                          "are trying to invert a mask, use the `~` or `logical_not()` operator "
                          "instead.", lambda xp, x: xp.negative(x)),
          dx=-1, int_to_float=False, aliases=("negative",), dunder="neg",
          error_samples=_errors(bool, RuntimeError), doc="Elementwise negation."),
    view("positive", _no_bool("The `+` operator, on a bool tensor is not supported.",
                              lambda xp, x: x), lambda ctx, g: (g,),
         methods=("positive", "__pos__"), samples=unary_samples(),
         error_samples=_errors(bool, RuntimeError), doc="The input itself (``+x``)."),
    unary("abs", _only("iufc", "abs_cpu", lambda xp, x: xp.absolute(x)), aliases=("absolute",),
          inplace_function=("abs_",),
          dx=lambda x: apply_op("sgn", x), int_to_float=False, dunder="abs", holomorphic=False,
          error_samples=_errors(bool, NotImplementedError), doc="Elementwise absolute value."),
    unary("sign", _sign, dx=0, inplace_function=False, int_to_float=False, holomorphic=False,
          error_samples=_errors(np.complex64, NotImplementedError),
          doc="Sign of each element (-1, 0, 1; 0 for NaN); its gradient is zero."),
    unary("sgn", _sgn, dx=0, inplace_function=False, int_to_float=False, holomorphic=False, samples=_complex,
          doc="``x / abs(x)`` (0 at 0): the sign, extended to complex numbers."),
    unary("reciprocal", lambda xp, x: 1 / x, dx=lambda y: -y * y, domain=(0.5, 2), doc="1 / x."),
    unary("sqrt", dx=lambda g, y: g / (y * 2.0), domain=(0.2, 3.0), doc="Elementwise square root."),
    unary("rsqrt", lambda xp, x: 1 / xp.sqrt(x), dx=lambda y: -0.5 * y ** 3, domain=(0.2, 3),
          doc="``1 / sqrt(x)``."),
    unary("square", lambda xp, x: x.astype(xp.int64) ** 2 if x.dtype.kind == "b" else x * x,
          dx=lambda x: 2.0 * x, int_to_float=False, node_name="PowBackward0", doc="``x * x``."),
    unary("exp", dx=lambda y: y, doc="Elementwise exponential."),
    unary("exp2", dx=lambda y: y * _LN2, doc="Elementwise ``2 ** x``."),
    *(unary(n, _no_complex(n, lambda xp, x, f=f: x * f), dx=f, doc=doc) for n, f, doc in (
        ("deg2rad", math.pi / 180, "Degrees to radians."),
        ("rad2deg", 180 / math.pi, "Radians to degrees."))),
    unary("sinc", _sinc, dx=_sinc_dx, inplace_function=True,
          doc="Normalized sinc ``sin(pi x) / (pi x)``, 1 at 0."),
    unary("expm1", dx=lambda y: y + 1, doc="``exp(x) - 1``, accurate near 0."),
    unary("log", dx=lambda g, x: g / x, domain=(0.2, 3.0), doc="Natural logarithm."),
    unary("log2", dx=lambda g, x: g / (x * _LN2), domain=(0.2, 3.0), doc="Base-2 logarithm."),
    unary("log10", _log10, dx=lambda g, x: g / (x * _LN10), domain=(0.2, 3.0),
          doc="Base-10 logarithm (exact at powers of ten)."),
    unary("log1p", dx=lambda g, x: g / (x + 1), domain=(-0.5, 3.0), doc="``log(1 + x)``."),
    unary("sin", dx=lambda x: xp_of(x).cos(x), doc="Elementwise sine."),
    unary("cos", dx=lambda g, x: -g * xp_of(x).sin(x), doc="Elementwise cosine."),
    unary("tan", dx=lambda y: 1 + y * y, domain=(-1.2, 1.2), doc="Elementwise tangent."),
    _arc("asin", "arcsin", lambda x: 1 / xp_of(x).sqrt(1 - x * x), (-0.9, 0.9)),
    _arc("acos", "arccos", lambda x: -1 / xp_of(x).sqrt(1 - x * x), (-0.9, 0.9)),
    _arc("atan", "arctan", lambda x: 1 / (1 + x * x)),
    unary("sinh", dx=lambda x: xp_of(x).cosh(x), doc="Hyperbolic sine."),
    unary("cosh", dx=lambda x: xp_of(x).sinh(x), doc="Hyperbolic cosine."),
    unary("tanh", dx=lambda y: 1.0 - y * y, doc="Hyperbolic tangent."),
    _arc("asinh", "arcsinh", lambda x: 1 / xp_of(x).sqrt(x * x + 1)),
    _arc("acosh", "arccosh", lambda x: 1 / xp_of(x).sqrt(x * x - 1), (1.2, 3.0)),
    _arc("atanh", "arctanh", lambda x: 1 / (1 - x * x), (-0.9, 0.9)),
    unary("sigmoid", lambda xp, x: 1.0 / (1.0 + xp.exp(-x)), dx=lambda y: y * (1.0 - y),
          doc="Logistic sigmoid ``1 / (1 + exp(-x))``."),
    op("logit", _logit, backward=_logit_bwd, save_inputs=(0,), inplace="logit_",
       inplace_function=True,
       supports_out=True, samples=_with({"eps": 0.2}, {"eps": 0.0}, domain=(0.05, 0.95)),
       error_samples=_errors(np.complex64, NotImplementedError),
       doc="``log(x / (1 - x))``, `x` clamped to [eps, 1 - eps] when eps is given."),
    unary("relu", _no_bool("Boolean inputs not supported for relu",
                           _only("iuf", "clamp", max0)),
          dx=lambda g, y: keep_where(~(y <= 0), g), int_to_float=False, holomorphic=False,
          error_samples=_errors(bool, RuntimeError),
          doc="Rectified linear unit ``max(x, 0)`` (its gradient at NaN passes, as PyTorch's)."),
    unary("erf", _float64(lambda xp, x: special.erf_pair(xp, x)[0], "erf_vml_cpu"), doc="erf(x).",
          dx=lambda x: 2 / _SQRT_PI * xp_of(x).exp(-x * x),
          error_samples=_errors(np.complex64, NotImplementedError)),
    unary("erfc", _float64(lambda xp, x: special.erf_pair(xp, x)[1], "erfc_vml_cpu"),
          dx=lambda x: -2 / _SQRT_PI * xp_of(x).exp(-x * x), domain=(-2.0, 5.0),
          doc="Complementary error function ``1 - erf(x)``, accurate where it is small."),
    unary("special_ndtr", _float64(lambda xp, x: 0.5 * special.erf_pair(xp, -x * _SQRT1_2)[1],
                                   "ndtr"),
          dx=lambda x: _INV_SQRT_2PI * xp_of(x).exp(-0.5 * x * x), methods=(),
          functions=("special.ndtr",), torch_name="special.ndtr", inplace=False,
          error_samples=_errors(np.complex64, NotImplementedError),
          doc="The standard normal distribution function."),
    unary("special_log_ndtr", _float64(_log_ndtr, "log_ndtr"),
          dx=lambda x, y: _INV_SQRT_2PI * xp_of(x).exp(-0.5 * x * x - y), methods=(),
          functions=("special.log_ndtr",), torch_name="special.log_ndtr", inplace=False,
          error_samples=_errors(np.complex64, NotImplementedError),
          doc="The log of the standard normal distribution function, accurate in both tails "
              "(an asymptotic series below -10, where the function itself underflows)."),
    unary("special_entr", _only("biuf", "entr_cpu", _entr),
          dx=lambda g, x: -g * (xp_of(x).log(x) + 1), domain=(0.2, 3.0), methods=(),
          functions=("special.entr",), torch_name="special.entr", inplace=False,
          doc="``-x * log(x)`` elementwise: 0 at 0, -inf below."),
    unary("erfinv", _float64(special.erfinv, "erfinv_vml_cpu"), inplace_function=False, domain=(-0.95, 0.95),
          dx=lambda y: _SQRT_PI / 2 * xp_of(y).exp(y * y), doc="Inverse error function."),
    unary("lgamma", _float64(special.lgamma, "lgamma_vml_cpu"), inplace_function=False, domain=(0.2, 4.0),
          dx=lambda x: apply_op("digamma", x), doc="``log(abs(gamma(x)))``."),
    unary("digamma", _float64(special.digamma, "digamma"), inplace_function=False, domain=(0.2, 4.0),
          dx=lambda x: apply_op("polygamma", x, 1), doc="The derivative of lgamma."),
    op("polygamma", _polygamma, save_inputs=(0,), inplace="polygamma_", supports_out=True,
       prepare=lambda a, b: (b, a) if isinstance(b, loom.Tensor) else (a, b),  # n first or not
       backward=lambda ctx, g: (g * apply_op("polygamma", ctx.saved[0], ctx.params["n"] + 1),),
       samples=lambda rng, dt: [SampleInput((n, rng.uniform(0.3, 3, (3, 4)).astype(dt)))
                                for n in (0, 1, 2, 3)],
       error_samples=lambda rng: [ErrorInput((-1, rng.uniform(1, 2, 3)), error=RuntimeError)],
       signature="(n, input, *, out=None)",
       doc="The n-th derivative of digamma: ``torch.polygamma(n, x)``, ``x.polygamma(n)``."),
    unary("floor", _whole("floor"), dx=0, int_to_float=False, doc="The largest integer <= x.",
          error_samples=_errors(bool, NotImplementedError)),
    unary("ceil", _whole("ceil"), dx=0, int_to_float=False, doc="The smallest integer >= x."),
    unary("trunc", _whole("trunc"), dx=0, int_to_float=False, aliases=("fix",),
          doc="The integer part, rounded toward zero."),
    op("round", _round, backward=lambda ctx, g: (g * 0,), inplace="round_", inplace_function=True, supports_out=True,
       node_name=lambda p: f"RoundBackward{0 if p is None or p['decimals'] is None else 1}",
       signature="(input, *, decimals=0, out=None)",
       samples=_with({"decimals": 2}, {"decimals": -1}, domain=(-40.0, 40.0)),
       error_samples=_errors(bool, NotImplementedError),
       doc="Rounds half to even, to `decimals` decimal places (negative: tens, hundreds...)."),
    unary("frac", _only("f", "frac_cpu", lambda xp, x: x - xp.trunc(x)), dx=1, int_to_float=False,
          error_samples=_errors(np.int64, NotImplementedError),
          doc="The fractional part ``x - trunc(x)``, with the sign of x."),
    op("nan_to_num", _nan_to_num, save_inputs=(0,), inplace="nan_to_num_", inplace_function=True, supports_out=True,
       backward=lambda ctx, g: (xp_of(g).where(xp_of(g).isfinite(ctx.saved[0]), g, 0.0),),
       samples=lambda rng, dt: _with({"nan": 1.0, "posinf": 5.0, "neginf": -5.0})(rng, dt) + [
           SampleInput(s.args, {"nan": 2.0, "neginf": -1.0}, grad=False)
           for s in _specials(rng, dt)],
       doc="NaN, inf and -inf replaced by `nan`, `posinf`, `neginf` (default: 0, the extremes)."),
    view("real", lambda xp, x: x.real, lambda ctx, g: (cast_like(g, ctx.saved[0]),), methods=(),
         save_inputs=(0,), holomorphic=False, samples=_complex,
         doc="The real part (a view; the input itself when it is real)."),
    view("imag", _imag, lambda ctx, g: (cast_like(g, ctx.saved[0]) * 1j,), methods=(),
         save_inputs=(0,), takes_complex_grad=True,
         samples=lambda rng, dt: _complex(rng, dt)[:1], error_samples=_errors(float, RuntimeError),
         doc="The imaginary part of a complex tensor (a view)."),
    view("view_as_real", _view_as_real, lambda ctx, g: (g[..., 0] + g[..., 1] * 1j,),
         methods=(), takes_complex_grad=True, samples=lambda rng, dt: _complex(rng, dt)[:1],
         error_samples=_errors(float, RuntimeError),
         doc="A complex tensor's (real, imaginary) pairs along a new last dimension (a view)."),
    view("view_as_complex", _view_as_complex,
         lambda ctx, g: (apply_op("view_as_real", g if g.dtype.kind == "c" else g + 0j)
                         if not is_tensor(g) else apply_op("view_as_real", g.to(
                             g.dtype if g.is_complex() else g.dtype.to_complex())),),
         methods=(), takes_complex_grad=True,
         samples=lambda rng, dt: [
             SampleInput((rng.standard_normal((3, 2)).astype(dt),), grad=False),
             SampleInput((rng.standard_normal((2, 4, 2)).astype(dt),), grad=False)]
         if np.dtype(dt).kind == "f" and np.dtype(dt).itemsize >= 4 else [],
         error_samples=lambda rng: [ErrorInput((np.ones(3),), match="last dimension of size 2")],
         doc="A float tensor whose last dimension (size 2, stride 1) holds (real, imaginary) "
             "pairs, read as complex (a view)."),
    # d conj(z): PyTorch's gradient is the conjugate of the incoming one
    view("conj", lambda xp, x: xp.conj(x) if x.dtype.kind == "c" else x,
         lambda ctx, g: (apply_op("conj", g),), maybe=True, takes_complex_grad=True,
         samples=_complex,
         doc="The complex conjugate (the input itself when it is real)."),
    unary("angle", _angle, dx=_angle_dx, inplace=False, holomorphic=False, samples=_complex,
          doc="The argument of each element (pi for negative reals, else 0)."),
    _is("isnan"), _is("isinf"), _is("isfinite"),
    _is("isposinf", _is_inf(1)), _is("isneginf", _is_inf(-1)),
    _is("signbit", _signbit, doc="True where the sign bit is set (-0.0 included)."),
    op("frexp", _frexp, backward=_frexp_bwd, save_output=True, outputs=("mantissa", "exponent"),
       samples=sample_calls(((3, 4),), (np.array([0.3, 1.5, -3.0, 1e-3]),)),
       error_samples=_errors(np.int64, RuntimeError),
       doc="(mantissa, exponent): ``input == mantissa * 2 ** exponent``, the mantissa in "
           "[0.5, 1) in magnitude (an int32 exponent)."),
    _is("isreal", lambda xp, x: x.imag == 0 if x.dtype.kind == "c" else xp.ones_like(x, bool),
        samples=lambda rng, dt: _specials(rng, dt) + _complex(rng, dt)[:1]),
]
