"""Elementwise operators of two or more operands: arithmetic with PyTorch's promotion and
broadcasting, and interpolation (clamping is `clamp.py`). Each op's kernel, derivative, names and
samples stand together; the dtypes PyTorch refuses are refused by the kernels or `check`s."""
import math

import numpy as np

import loom
from loom.plugin import (ErrorInput, SampleInput, binary, binary_samples, cast_like,
                         is_tensor, keep_where, op, result_type, sample_calls, sum_to_shape, xp_of)

TYPE_NAMES = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int",
              "int64": "Long", "float16": "Half", "bfloat16": "BFloat16", "float32": "Float",
              "float64": "Double", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def refuse(name, dt):
    """PyTorch's error for a dtype (NumPy's or loom's) that kernel `name` does not cover."""
    return NotImplementedError(f'"{name}" not implemented for \'{TYPE_NAMES[dt.name]}\'')


def kind(a, b=None):  # the dtype kind of a kernel's operands (a number stands beside an array)
    return (a if hasattr(a, "dtype") else b).dtype.kind


def broadcast(*arrays):
    """PyTorch's error for operands of a kernel whose shapes do not broadcast."""
    n = max(a.ndim for a in arrays)
    for d in range(1, n + 1):
        sizes = [a.shape[-d] for a in arrays if a.ndim >= d and a.shape[-d] != 1]
        for v in sizes:
            if v != sizes[0]:
                raise RuntimeError(f"The size of tensor a ({sizes[0]}) must match the size of "
                                   f"tensor b ({v}) at non-singleton dimension {n - d}")


def _no_bool_sub(da, db, res, ra, rb):
    if da is loom.bool and db is loom.bool and ra and rb:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if da is loom.bool or db is loom.bool:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")


def _no_bool_pow(da, db, res, ra, rb):
    if res is loom.bool and rb:  # a bool tensor ** a Python bool is allowed
        raise NotImplementedError("\"pow\" not implemented for 'Bool'")


_PY_NAMES = {"b": "bool", "f": "float", "c": "complex"}  # a number's type, from its dtype


def _only(kinds, name, tensor_first=None):
    """A `check`: NumPy refuses these dtypes or changes them (slow path); with `tensor_first`,
    a number as the first operand is refused first, as PyTorch's overloads do."""
    def check(da, db, res, ra, rb):
        if tensor_first and not ra:
            raise TypeError(f"{tensor_first}(): argument 'input' (position 1) must be Tensor, "
                            f"not {_PY_NAMES.get(da.np.kind, 'int')}")
        if res.np.kind not in kinds:
            raise refuse(name, res)
    return check


def _mul_bwd(ctx, g):  # written out (not da=/db=): mul is the hot op of training loops
    a, b = ctx.saved
    na, nb = ctx.needs_input_grad
    sa, sb = ctx.shapes
    ga = gb = None
    if na:
        ga = g * b
        if ga.shape != sa:
            ga = sum_to_shape(ga, sa)
    if nb:
        gb = g * a
        if gb.shape != sb:
            gb = sum_to_shape(gb, sb)
    return ga, gb


def _integral_division(name, xp, a, b):
    if kind(a, b) in "bc":
        raise refuse(name, (a if hasattr(a, "dtype") else b).dtype)
    if kind(a, b) in "iu" and bool(xp.any(b == 0)):
        raise RuntimeError("ZeroDivisionError")


def _quiet(fn, *args):  # NumPy's floating-point warnings silenced (PyTorch gives none)
    with np.errstate(all="ignore"):
        return fn(*args)


def _floor_divide(xp, a, b):  # Python's floor division, as PyTorch's
    _integral_division("div_floor_cpu", xp, a, b)
    return xp.floor_divide(a, b)


def _div(xp, a, b, rounding_mode=None):
    if rounding_mode is None:
        return xp.true_divide(a, b)
    if rounding_mode == "floor":
        return _floor_divide(xp, a, b)
    if rounding_mode != "trunc":
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                           f"but found '{rounding_mode}'")
    _integral_division("div_trunc_cpu", xp, a, b)
    return (a - xp.fmod(a, b)) // b if kind(a, b) in "iu" else xp.trunc(a / b)


def _div_bwd(ctx, g):  # a rounding division (ctx.params set) is piecewise constant: zeros
    a, b = ctx.saved
    (na, nb), (sa, sb), p = ctx.needs_input_grad, ctx.shapes, ctx.params
    mode = p and p.get("rounding_mode")
    return (sum_to_shape(g * 0 if mode else g / b, sa) if na else None,
            sum_to_shape(g * 0 if mode else -g * a / (b * b), sb) if nb else None)


def _tensor_first(name, ufunc, division=False):  # fmod(2, t) is refused, as in PyTorch
    def kernel(xp, a, b):
        if not hasattr(a, "dtype"):
            raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                            f"{type(a).__name__}")
        if kind(a, b) == "c":
            raise refuse(f"{name}_cpu", a.dtype if a.dtype.kind == "c" else b.dtype)
        if division:
            _integral_division(f"{name}_cpu", xp, a, b)
        return getattr(xp, ufunc)(a, b)
    return kernel


def _integers_only(name):  # gcd / lcm: integer kernels only
    def kernel(xp, a, b):
        if kind(a, b) not in "iu":
            raise refuse(f"{name}_cpu", (a if kind(a) not in "iu" else b).dtype)
        return getattr(xp, name)(a, b)
    return kernel


def _remainder(xp, a, b):
    _integral_division("remainder_cpu", xp, a, b)
    r = xp.remainder(a, b)
    if getattr(r, "dtype", None) is not None and r.dtype.kind == "f":
        # PyTorch's floating remainder is fmod corrected towards the divisor's sign: a zero
        # keeps the dividend's sign (-2 % 2 is -0.0, 3 % -1.5 is 0.0), where NumPy's takes
        # the divisor's
        zero = r == 0
        if zero.any():
            r = xp.where(zero, xp.copysign(r, xp.fmod(a, b)), r)
    return r


def _pow(xp, a, b):
    try:
        return xp.power(a, b)
    except ValueError as e:  # NumPy's integers to negative integer powers
        if "negative integer powers" not in str(e):
            raise
        if not hasattr(b, "dtype"):
            raise RuntimeError("Integers to negative integer powers are not allowed.") from None
    neg = b < 0  # PyTorch: 1 ** -n = 1, (-1) ** -n = +-1, any other integer ** -n = 0
    r = xp.power(a, xp.where(neg, 0, b))
    return xp.where(neg, xp.where(a == 1, 1, xp.where(a == -1, 1 - 2 * (b & 1), 0)), r).astype(
        r.dtype)


def _pow_da(g, a, b):  # PyTorch's special cases for a Python exponent: x**2 -> 2x, x**0 -> 0
    scalar = type(b) in (int, float)
    if scalar:
        return g * (a * 2.0) if b == 2 else g * 0.0 if b == 0 else g * (b * a ** (b - 1))
    # 0 where the exponent is 0 (not 0 * 0 ** -1), as PyTorch's rule
    return xp_of(g).where(b == 0, 0.0, g * (b * _quiet(lambda: a ** (b - 1))))


def _pow_db(g, a, b, y):
    """PyTorch's rule: y log(a), 0 where a == 0 and the exponent is >= 0 (-inf * y for a
    negative one), NaN where a < 0."""
    xp = xp_of(y)
    nonneg = (xp.real(b) >= 0) & (xp.imag(b) == 0) if _is_complex(b) else b >= 0
    if type(a) in (int, float, bool):
        if a > 0:
            return g * y * math.log(a)
        return g * (xp.where(nonneg, 0.0, y * -math.inf) if a == 0 else y * math.nan)
    return g * xp.where((a == 0) & nonneg, 0.0, y * _quiet(xp.log, a))


def _is_complex(x):
    return hasattr(x, "dtype") and (x.dtype.is_complex if is_tensor(x) else x.dtype.kind == "c")


def _float_power_prepare(input, exponent):  # PyTorch's composite: both operands to double
    ref = input if is_tensor(input) else exponent
    if not is_tensor(ref):
        raise TypeError(f"float_power(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    dt = loom.complex128 if result_type(input, exponent).is_complex else loom.float64
    return tuple(v.to(dt) if is_tensor(v) else loom.tensor(v, dtype=dt, device=ref.device)
                 for v in (input, exponent))


def _share(win):
    """maximum/minimum's derivatives, PyTorch's: an operand that loses gets nothing, a tie
    halves the gradient, and a NaN on either side passes it whole to both."""
    def mine(g, a, b):  # a's share: `a` loses where `b` wins
        xp = xp_of(g)
        return xp.where(win(b, a), 0.0, xp.where(a == b, g * 0.5, g))
    return dict(da=mine, db=lambda g, a, b: mine(g, b, a))


def _keep(cond, g, else_=None):
    return keep_where(cond, g) if else_ is None else xp_of(g).where(cond, g, else_)


def _first(keep):
    """fmax/fmin's derivatives: the first operand gets the gradient where it is kept (ties
    included) or the second is NaN; the second operand elsewhere."""
    def mine(g, a, b):
        return _keep(b != b, g, _keep(keep(a, b), g))
    return dict(da=mine, db=lambda g, a, b: g - mine(g, a, b))


def _real_only(name):
    def kernel(xp, a, b):
        if kind(a, b) == "c":
            raise RuntimeError(f"{name} not implemented for complex tensors.")
        return getattr(xp, name)(a, b)
    return kernel


def _logaddexp(xp, a, b):
    if kind(a, b) != "c":
        return xp.logaddexp(a, b)
    # complex, as PyTorch: the operand of larger real part plus log1p(exp(other - it)), so
    # the imaginary part follows that operand's rather than wrapping into (-pi, pi]
    first = xp.real(a) >= xp.real(b)
    big, small = xp.where(first, a, b), xp.where(first, b, a)
    return big + xp.log1p(xp.exp(small - big))


def _xlogy(xp, a, b):
    if kind(a, b) == "c":
        raise refuse("xlogy_cpu", (a if hasattr(a, "dtype") else b).dtype)
    r = xp.where(b != b, b, xp.where(a == 0, 0.0, a * xp.log(xp.where(a == 0, 1.0, b))))
    return r.astype(xp.result_type(a, b), copy=False)


def _xlog1py(xp, a, b):
    if kind(a, b) == "c":
        raise refuse("xlog1py_cpu", (a if hasattr(a, "dtype") else b).dtype)
    r = xp.where(b != b, b, xp.where(a == 0, 0.0, a * xp.log1p(xp.where(a == 0, 0.0, b))))
    return r.astype(xp.result_type(a, b), copy=False)


def _xlog1py_da(g, a, b):  # log1p(other), even where input is 0 (PyTorch's formula)
    b = b if hasattr(b, "shape") else xp_of(g).full_like(a, b)
    return g * xp_of(g).log1p(b)


def _xlogy_da(g, a, b):  # log(other), 0 where input is 0 (NaN where other is)
    b = b if hasattr(b, "shape") else xp_of(g).full_like(a, b)
    return _keep(b != b, g * b, g * _keep(a != 0, xp_of(g).log(b)))


def _copysign_da(g, a, y):  # PyTorch: result / input, 0 where input is 0
    return _keep(a != 0, g * y / xp_of(y).where(a == 0, 1.0, a))


def _fit(g, x, shape):  # a gradient summed back to an input's shape and dtype
    return cast_like(sum_to_shape(g, shape), x)


def _pointwise(name, kernel, *derivatives, inplace=True, **fields):
    """A generic op of broadcasting tensor inputs, all saved: input i's gradient is
    ``derivatives[i](g, *inputs, **params)``, summed back to its shape and dtype."""
    def backward(ctx, g):
        xs, p = ctx.saved, ctx.params
        return tuple(_fit(d(g, *xs, **p), x, s) if n else None for d, x, s, n in
                     zip(derivatives, xs, ctx.shapes, ctx.needs_input_grad))
    return op(name, kernel, inputs=len(derivatives), backward=backward, supports_out=True,
              save_inputs=tuple(range(len(derivatives))), inplace=f"{name}_" if inplace else None,
              **fields)


def _lerp_prepare(input, end, weight):
    for what, v in (("end", end), ("weight", weight)):  # a 0-dim weight may differ
        if is_tensor(input) and is_tensor(v) and v.dtype != input.dtype and (v.ndim or
                                                                            what == "end"):
            c = {"float32": "float", "float64": "double"}  # the C++ names PyTorch prints
            raise RuntimeError(f"expected dtype {c.get(input.dtype.name, input.dtype.name)} "
                               f"for `{what}` but got dtype {c.get(v.dtype.name, v.dtype.name)}")
    if is_tensor(input) and not is_tensor(weight):
        weight = loom.tensor(weight, dtype=input.dtype, device=input.device)
    return input, end, weight


def _lerp(xp, a, b, w):
    broadcast(a, b, w)
    if a.dtype.kind not in "fc":
        raise refuse("lerp_kernel_scalar", a.dtype)
    w = w.astype(a.dtype, copy=False)
    return xp.where(xp.abs(w) < 0.5, a + w * (b - a), b - (b - a) * (1 - w))


def _addc(divide):
    def kernel(xp, a, t1, t2, *, value=1):
        broadcast(a, t1, t2)
        if divide and kind(t1) in "biu" and kind(t2) in "biu":
            raise RuntimeError("Integer division with addcdiv is no longer supported, and in a "
                               "future  release addcdiv will perform a true division of tensor1 "
                               "and tensor2. Use (input + value * tensor1 / tensor2).")
        dt = result_type(a, t1, t2).np
        if dt == bool:
            raise refuse(f"addc{'div' if divide else 'mul'}_cpu_out", dt)
        v = value if dt.kind in "fc" else int(value)  # PyTorch casts value to the result type
        a, t1, t2 = (x.astype(dt, copy=False) for x in (a, t1, t2))
        return (a + v * (t1 / t2 if divide else t1 * t2)).astype(dt, copy=False)
    return kernel


def _three(domain=None):  # samples of a three-tensor op, with broadcasting and a keyword
    return sample_calls(((3, 4), (3, 4), (3, 4)), ((2, 3, 4), (3, 1), (4,)),
                        ((3, 4), (4,), (3, 4), {"value": 0.5}), inputs=3, domain=domain)


def _shape_errors(n):  # error samples of an op of n tensors: shapes, and a string
    def errors(rng):
        x, y = rng.uniform(1, 2, (3,)), rng.uniform(1, 2, (4,))
        return [ErrorInput((x,) * (n - 1) + (y,), error=RuntimeError, match="must match"),
                ErrorInput(("x",) + (x,) * (n - 1), error=TypeError)]
    return errors


OPS = [
    binary("add", da=1, db=1, dunder="add", alpha=True,
           doc="Elementwise ``input + alpha * other``."),
    binary("sub", "subtract", da=1, db=-1, dunder="sub", aliases=("subtract",), alpha=True,
           check=_no_bool_sub, doc="Elementwise ``input - alpha * other``."),
    binary("mul", "multiply", backward=_mul_bwd, save_inputs=(0, 1), dunder="mul",
           aliases=("multiply",), doc="Elementwise product."),
    binary("div", _div, backward=_div_bwd, save_inputs=(0, 1), dunder="truediv",
           aliases=("divide", "true_divide"), int_to_float=True,
           samples=lambda rng, dt: binary_samples(-2, 2, 0.5, 2)(rng, dt) + [
               SampleInput((rng.uniform(-4, 4, (3, 4)).astype(dt), 1.5), {"rounding_mode": m},
                           note=f"rounding_mode={m}") for m in ("trunc", "floor")],
           signature="(input, other, *, rounding_mode=None, out=None)",
           doc="Elementwise division: true division, or rounded toward zero (``rounding_mode="
               "'trunc'``) or down (``'floor'``), which keeps integer inputs integer."),
    binary("floor_divide", _floor_divide, dunder="floordiv", differentiable=False,
           doc="Elementwise division rounded down (Python's ``//``); integers stay integers."),
    binary("remainder", _remainder, dunder="mod", da=1,
           db=lambda g, a, b: -g * _quiet(xp_of(g).floor_divide, a, b), b_domain=(0.5, 2.0),
           node_name="RemainderBackward1", scalar_node_name="RemainderBackward0",
           doc="Python's modulus: the result has the sign of `other`."),
    binary("fmod", _tensor_first("fmod", "fmod", division=True), da=1,
           db=lambda g, a, b: -g * xp_of(g).trunc(a / b), b_domain=(0.5, 2.0),
           node_name="FmodBackward1", scalar_node_name="FmodBackward0",
           doc="C's remainder: the result has the sign of `input`."),
    binary("pow", _pow, da=_pow_da, db=_pow_db, dunder="pow", node_name="PowBackward1",
           scalar_node_name="PowBackward0", check=_no_bool_pow, domain=(0.5, 2.0),
           doc="Elementwise power; an integer to a negative integer power as in PyTorch."),
    _pointwise("float_power", lambda xp, a, b: broadcast(a, b) or xp.power(a, b), _pow_da,
               lambda g, a, b: _pow_db(g, a, b, a ** b), inplace=False,
               prepare=_float_power_prepare, node_name="PowBackward1",
               samples=sample_calls(((3, 4), (3, 4)), ((2, 3), (3,)), ((3, 4), 2.0),
                                    ((4,), -1.5), inputs=(0, 1), domain=(0.5, 2.0)),
               error_samples=_shape_errors(2), signature="(input, exponent, *, out=None)",
               doc="``input ** exponent`` in double precision (complex double for complex)."),
    binary("atan2", "arctan2", da=lambda g, a, b: g * b / (a * a + b * b),
           db=lambda g, a, b: -g * a / (a * a + b * b), aliases=("arctan2",), scalars=False,
           int_to_float=True, check=_only("biuf", "atan2_cpu"),
           doc="Elementwise arctangent of ``input / other`` in the right quadrant."),
    binary("maximum", _real_only("maximum"), **_share(lambda a, b: a > b), scalars=False,
           inplace=False, holomorphic=False, doc="Elementwise maximum (NaN propagates)."),
    binary("minimum", _real_only("minimum"), **_share(lambda a, b: a < b), scalars=False,
           inplace=False, holomorphic=False, doc="Elementwise minimum (NaN propagates)."),
    binary("fmax", _real_only("fmax"), **_first(lambda a, b: a >= b), scalars=False,
           inplace=False, holomorphic=False, doc="Elementwise maximum ignoring NaN."),
    binary("fmin", _real_only("fmin"), **_first(lambda a, b: a <= b), scalars=False,
           inplace=False, holomorphic=False, doc="Elementwise minimum ignoring NaN."),
    *(binary(n, _integers_only(n), differentiable=False, scalars=False, inplace_function=True,
             samples=lambda rng, dt: [SampleInput((rng.integers(-20, 20, (3, 4)),
                                                   rng.integers(-20, 20, s))) for s in
                                      ((3, 4), (4,), (3, 1))],
             error_samples=lambda rng: [ErrorInput((np.ones(3), np.ones(3)),
                                                   error=NotImplementedError)],
             doc=f"Elementwise {doc} of integers (non-negative).") for n, doc in (
        ("gcd", "greatest common divisor"), ("lcm", "least common multiple"))),
    binary("ldexp", lambda xp, a, b: a * xp.exp2(b), int_to_float=True, inplace_function=True,
           scalars=False,
           da=lambda g, a, b: g * xp_of(b).exp2(b), db=lambda g, a, b: g * a * xp_of(b).exp2(b) *
           math.log(2.0), doc="``input * 2 ** other``."),
    binary("nextafter", differentiable=False, scalars=False, check=_only("f", "nextafter_cpu"),
           doc="The next floating-point value after `input` towards `other`."),
    binary("hypot", da=lambda g, a, y: g * a / y, db=lambda g, b, y: g * b / y, scalars=False,
           check=_only("f", "hypot_cpu"), doc="``sqrt(input**2 + other**2)`` elementwise."),
    # PyTorch's forms g / (1 + exp(other - self)): 1 and 0 at infinities, not exp(inf - inf)
    binary("logaddexp", _logaddexp, da=lambda g, a, b: g / (1 + _quiet(xp_of(g).exp, b - a)),
           db=lambda g, a, b: g / (1 + _quiet(xp_of(g).exp, a - b)),
           check=_only("fc", "logaddexp_cpu"),
           scalars=False, inplace=False, doc="``log(exp(input) + exp(other))``, no overflow."),
    binary("logaddexp2", da=lambda g, a, b: g / (1 + _quiet(xp_of(g).exp2, b - a)),
           db=lambda g, a, b: g / (1 + _quiet(xp_of(g).exp2, a - b)), check=_only("f", "logaddexp2_cpu"),
           scalars=False, inplace=False, doc="``log2(2**input + 2**other)``, no overflow."),
    binary("xlogy", _xlogy, inplace_function=True, da=_xlogy_da, db=lambda g, a, b: g * a / b, int_to_float=True,
           check=_only("biuf", "xlogy_cpu"), b_domain=(0.5, 2.0), node_name="XlogyBackward0",
           scalar_node_name="XlogyBackward2",
           doc="``input * log(other)``, 0 where `input` is 0 (unless `other` is NaN)."),
    binary("xlog1py", _xlog1py, da=_xlog1py_da, db=lambda g, a, b: g * a / (1 + b),
           int_to_float=True, check=_only("biuf", "xlog1py_cpu"), b_domain=(0.5, 2.0),
           methods=(), functions=("special.xlog1py",), torch_name="special.xlog1py",
           inplace=False, doc="``input * log1p(other)``, 0 where `input` is 0 (unless `other` "
           "is NaN)."),
    binary("copysign", _tensor_first("copysign", "copysign"), da=_copysign_da, db=0,
           int_to_float=True,
           check=_only("biuf", "copysign_cpu", tensor_first="copysign"), node_name="CopysignBackward0",
           scalar_node_name="CopysignBackward1",
           doc="The magnitude of `input` with the sign of `other`."),
    _pointwise("lerp", _lerp, lambda g, a, b, w: g * (1 - w), lambda g, a, b, w: g * w,
               lambda g, a, b, w: g * (b - a), prepare=_lerp_prepare, node_name="LerpBackward1",
               samples=sample_calls(((3, 4), (3, 4), 0.3), ((3, 4), (3, 4), 0.8),
                                    ((2, 3, 4), (4,), (3, 1)), ((3, 4), (3, 4), (3, 4)),
                                    inputs=(0, 1, 2), domain=(-1.0, 1.5)),
               error_samples=_shape_errors(3), signature="(input, end, weight, *, out=None)",
               doc="``input + weight * (end - input)`` (`weight` a number or a tensor)."),
    _pointwise("addcmul", _addc(False), lambda g, a, t1, t2, value: g,
               lambda g, a, t1, t2, value: g * value * t2,
               lambda g, a, t1, t2, value: g * value * t1, samples=_three(),
               error_samples=_shape_errors(3), doc="``input + value * tensor1 * tensor2``."),
    _pointwise("addcdiv", _addc(True), lambda g, a, t1, t2, value: g,
               lambda g, a, t1, t2, value: g * value / t2,
               lambda g, a, t1, t2, value: -g * value * t1 / (t2 * t2), samples=_three((0.5, 2)),
               error_samples=_shape_errors(3), doc="``input + value * tensor1 / tensor2``."),
]
