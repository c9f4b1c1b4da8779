"""Comparison and logic operators: comparisons (``==``, ``<``) and their aliases, closeness
(`isclose`, `allclose`, `equal`), logical and bitwise operators (``&``, ``|``, ``^``, ``~``,
``<<``, ``>>``) with PyTorch's promotion, reflected and in-place forms, and its refusals: complex
numbers have no order, bitwise operators take only integer and bool tensors."""
import numpy as np

import loom
from loom.plugin import (ErrorInput, backend_of, binary, comparison, dtype_of, op,
                         promote_arrays, sample_calls, unary)

# PyTorch's names of scalar types, as its errors print them
_NAMES = dict(bool="Bool", uint8="Byte", int8="Char", int16="Short", int32="Int", int64="Long",
              float16="Half", bfloat16="BFloat16", float32="Float", float64="Double",
              complex64="ComplexFloat", complex128="ComplexDouble")


def _refuse(what, a, b=None):
    """PyTorch's error for a dtype an operator has no kernel for; `a` or else `b` is an array of
    the computation's dtype (the other may be a Python number)."""
    x = a if hasattr(a, "dtype") else b
    return NotImplementedError(f'"{what}_{backend_of(x).type}" not implemented for '
                               f"'{_NAMES[dtype_of(x).name]}'")


def _ordered(name, ufunc):  # lt, le, gt, ge: complex numbers have no order
    def kernel(xp, a, b):
        if (a if hasattr(a, "dtype") else b).dtype.kind == "c":
            raise _refuse(name, a, b)
        return getattr(xp, ufunc)(a, b)
    return kernel


def _bitwise(name):  # NumPy's TypeError for floating point becomes PyTorch's error
    def kernel(xp, a, b):
        try:
            return getattr(xp, name)(a, b)
        except TypeError:
            raise _refuse(name, a, b) from None
    return kernel


def _shift(name, left):
    """PyTorch's shifts: a shift by a negative count or by the width of the type or more gives
    0 (left) or the sign (right), where C's (and NumPy's) are undefined."""
    def kernel(xp, a, b):
        d = (a if hasattr(a, "dtype") else b).dtype
        if d.kind not in "iu":
            raise _refuse(name, a, b)
        bits = d.itemsize * 8
        bad = (b < 0) | (b >= bits)
        s = xp.where(bad, 0, b)
        fill = 0 if left or d.kind == "u" else xp.right_shift(a, bits - 1)
        out = xp.left_shift(a, s) if left else xp.right_shift(a, s)
        return xp.where(bad, fill, out).astype(d, copy=False)
    return kernel


def _integral(error):  # bitwise_not (NotImplementedError) and `~` (TypeError) of floats
    def kernel(xp, x):
        if x.dtype.kind not in "biu":
            raise _refuse("bitwise_not", x) if error is NotImplementedError else TypeError(
                "~ (operator.invert) is only implemented on integer and Boolean-type tensors")
        return xp.invert(x)
    return kernel


def _isclose(xp, a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|a - b| <= atol + rtol * |b|, elementwise, as PyTorch computes it: integers in the
    default float dtype, infinities close only to themselves, NaN to NaN when `equal_nan`."""
    if a.dtype != b.dtype:
        raise RuntimeError(f"{_NAMES[dtype_of(a).name]} did not match "
                           f"{_NAMES[dtype_of(b).name]}")
    for what, v in (("rtol", rtol), ("atol", atol)):
        if v < 0:
            raise RuntimeError(f"{what} must be greater than or equal to zero, but got {v}")
    n = max(a.ndim, b.ndim)
    for i, (p, q) in enumerate(zip((1,) * (n - a.ndim) + a.shape,
                                   (1,) * (n - b.ndim) + b.shape)):
        if p != q and p != 1 and q != 1:
            raise RuntimeError(f"The size of tensor a ({p}) must match the size of tensor b "
                               f"({q}) at non-singleton dimension {i}")
    close = a == b
    if equal_nan and a.dtype.kind in "fc":
        close = close | (xp.isnan(a) & xp.isnan(b))
    if rtol == 0 and atol == 0:
        return close
    if a.dtype.kind not in "fc":
        a, b = (x.astype(loom.get_default_dtype().np) for x in (a, b))
    allowed, actual = atol + abs(rtol * b), abs(a - b)
    return close | (xp.isfinite(actual) & (actual <= allowed))


def _equal(xp, a, b):  # same shape and elements, after promotion (1 equals 1.0)
    a, b = promote_arrays(a, b)
    return xp.asarray(a.shape == b.shape and bool((a == b).all()))


# ----------------------------------------------------------------------------- samples

# fixed integer and bool operands (bitwise operators take no floating point, whatever dtype the
# kit samples in); shift counts past the type's width and negative ones included
_I, _J, _M = np.arange(-6, 6).reshape(3, 4), np.array([3, -2, 0, 7]), np.arange(12) % 3 == 0
_COUNTS = np.array([0, 1, 7, 8, 9, 31, 32, 63, 64, 70, -1, -5]).reshape(3, 4)
_BITWISE = sample_calls((_I, _I[::-1]), (_I, _J), (_M, _M[::-1]), (_I.astype(np.uint8), 6),
                        (_I.astype(np.int8), _M.reshape(3, 4)), inputs=(), grad=False)
_SHIFTS = sample_calls((_I * 7, _COUNTS), (_I.astype(np.int8), _COUNTS[0].astype(np.int8)),
                       (_I.astype(np.uint8), 3), (_I[0].astype(np.int32), 40),
                       (_I.astype(np.int16), _COUNTS.astype(np.int16)), inputs=(), grad=False)
_INTEGRAL = sample_calls((_I,), (_I.astype(np.uint8),), (_M,), inputs=(), grad=False)


def _logic_samples(rng, dt):  # in the dtype under test, zeros included
    return sample_calls(((3, 4), (3, 4)), ((3, 4), (4,)), ((), (3, 4)), inputs=2,
                        grad=False)(rng, dt) + sample_calls(
        (_I.astype(dt), _M[:4]), (_I.astype(dt), _J), inputs=(), grad=False)(rng, dt)


def _close_samples(rng, dt):
    a = rng.uniform(-2, 2, (3, 4)).astype(dt)
    b = (a * (1 + rng.choice([0, 1e-7, 1e-5, 1e-3], (3, 4)))).astype(dt)
    n, m = np.array([[np.nan, np.inf, -np.inf, 1, np.nan], [np.nan, np.inf, np.inf, 1, 2]], dt)
    return sample_calls((a, b), (a, b[:1]), (a, b, {"rtol": 1e-4, "atol": 0.0}),
                        (a, b, {"rtol": 0, "atol": 0}), (n, m), (n, m, {"equal_nan": True}),
                        (_I, _I[::-1], {"atol": 1}), inputs=(), grad=False)(rng, dt)


def _equal_samples(rng, dt):
    a = rng.uniform(-2, 2, (3, 4)).astype(dt)
    return sample_calls((a, a.copy()), (a, a + (_I == 0)), (a, a[:1]), (a[0, :1], a[:1, :1]),
                        (np.array([1, 2]), np.array([1, 2], dt)), (a * np.nan, a * np.nan),
                        inputs=(), grad=False)(rng, dt)


def _errors(*calls):
    """Error samples from ``(args, exception type, message pattern[, kwargs])``."""
    return lambda rng: [ErrorInput(args, c[0] if c else {}, error=e, match=m)
                        for args, e, m, *c in calls]


_FLOATS = ((np.ones(3), np.ones(3)), NotImplementedError, "not implemented for 'Double'")
_INT_FLOAT = ((_J, 1.5), NotImplementedError, "not implemented for 'Float'")
_NO_BROADCAST = ((_I[:2], _J[:2]), RuntimeError, "must match the size of tensor b")
_CLOSE_ERRORS = _errors(((_J * 1.0, _J.astype(np.float32)), RuntimeError, "Double did not"),
                        _NO_BROADCAST, ((_J, _J), RuntimeError, "rtol must", {"rtol": -1.0}),
                        ((_J, 1.0), TypeError, None))

# ----------------------------------------------------------------------------- operators


def _comparisons():
    """Each comparison, and its alias as an operator of its own (``greater_`` beside ``gt_``);
    lt, le, gt, ge refuse complex tensors as PyTorch does."""
    for name, ufunc in dict(eq="equal", ne="not_equal", lt="less", le="less_equal",
                            gt="greater", ge="greater_equal").items():
        ordered = name not in ("eq", "ne")
        kernel = _ordered(name, ufunc) if ordered else ufunc
        errors = _errors(((_J + 1j, _J + 1j), NotImplementedError, f"{name}_cpu"),
                         _NO_BROADCAST) if ordered else None
        yield comparison(name, kernel, name, inplace=f"{name}_", error_samples=errors)
        if name != "eq":  # the alias is the NumPy name (torch.equal is another operator)
            yield comparison(ufunc, kernel, inplace=f"{ufunc}_", error_samples=errors,
                             doc=f"Alias of `{name}`.")


def _bitwise_op(name, dunder, symbol, kernel, shift=False):
    bools = (((_M, _M), NotImplementedError, "'Bool'"),) if shift else ()  # shifts refuse bool
    return binary(name, kernel, dunder=dunder, differentiable=False,
                  samples=_SHIFTS if shift else _BITWISE,
                  error_samples=_errors(_FLOATS, _INT_FLOAT, _NO_BROADCAST, *bools),
                  doc=f"Elementwise {name.replace('_', ' ')} of integer or bool tensors "
                      f"(``{symbol}``).")


def _isin_prepare(elements, test_elements, *, assume_unique=False, invert=False):
    if not isinstance(elements, loom.Tensor) and not isinstance(test_elements, loom.Tensor):
        raise TypeError("isin() received an invalid combination of arguments: "
                        "expected a Tensor for 'elements' or 'test_elements'")
    elements, test_elements = (x if isinstance(x, loom.Tensor) else loom.tensor(x)
                               for x in (elements, test_elements))
    return elements, test_elements, assume_unique, invert


def _isin(xp, a, b, assume_unique=False, invert=False):  # NaN is in no set, as in PyTorch
    for x in (a, b):
        if x.dtype.kind in "cb":
            raise RuntimeError(f"Unsupported input type encountered for isin(): "
                               f"{_NAMES[dtype_of(x).name]}")
    a, b = promote_arrays(a, b)
    return xp.isin(a, b, invert=invert)


def _heaviside(xp, x, values):
    if x.dtype != values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    if x.dtype.kind == "c":
        raise _refuse("heaviside", x)
    return xp.where(x == 0, values, x > 0).astype(x.dtype)


OPS = [
    *_comparisons(),
    op("isin", _isin, inputs=2, differentiable=False, prepare=_isin_prepare, methods=(),
       samples=sample_calls(((3, 4), (5,)), (np.array([[1, 2], [3, 4]]), np.array([2, 3])),
                            (np.array([1, 2]), np.array([2]), {"invert": True}), inputs=2,
                            grad=False),
       doc="True where an element of `elements` is among `test_elements` (either may be a "
           "number); `invert` negates."),
    op("heaviside", _heaviside, inputs=2, differentiable=False, inplace="heaviside_",
       samples=sample_calls((np.array([-1.5, 0, 2.0]), np.array([0.5])),
                            (np.array([[-1.0, 0.0], [0.0, 3.0]]), np.array([1.2, -2.0])),
                            inputs=2, grad=False),
       error_samples=lambda rng: [ErrorInput((np.array([-1, 0]), np.array([0.5])),
                                             match="different dtypes")],
       doc="The Heaviside step function: 0 below zero, 1 above, `values` at zero."),
    op("equal", _equal, inputs=2, differentiable=False, python_result=True,
       samples=_equal_samples, error_samples=_errors(((_J, 1), TypeError, None)),
       doc="True if both tensors have the same shape and elements (a Python bool)."),
    op("isclose", _isclose, inputs=2, differentiable=False, samples=_close_samples,
       error_samples=_CLOSE_ERRORS,
       doc="Elementwise ``|input - other| <= atol + rtol * |other|`` (tensors of one dtype)."),
    op("allclose", lambda xp, a, b, rtol=1e-05, atol=1e-08, equal_nan=False:
       _isclose(xp, a, b, rtol, atol, equal_nan).all(), inputs=2, differentiable=False,
       python_result=True, samples=_close_samples, error_samples=_CLOSE_ERRORS,
       doc="True if `isclose` holds everywhere (a Python bool)."),
    *(binary(f"logical_{n}", f"logical_{n}", scalars=False, returns_bool=True,
             differentiable=False, samples=_logic_samples,
             doc=f"Elementwise logical {n} of any dtypes (nonzero is True), a bool tensor.")
      for n in ("and", "or", "xor")),
    unary("logical_not", int_to_float=False, inplace_function=False, differentiable=False,
          samples=sample_calls((_I * 0.5,), (_I,), (_M,), (_J + 1j,), inputs=(), grad=False),
          doc="Elementwise logical not of any dtype (zero is True), a bool tensor."),
    *(_bitwise_op(f"bitwise_{n}", n, c, _bitwise(f"bitwise_{n}"))
      for n, c in (("and", "&"), ("or", "|"), ("xor", "^"))),
    _bitwise_op("bitwise_left_shift", "lshift", "<<", _shift("lshift", True), shift=True),
    _bitwise_op("bitwise_right_shift", "rshift", ">>", _shift("rshift", False), shift=True),
    unary("bitwise_not", _integral(NotImplementedError), int_to_float=False,
          inplace_function=False,
          differentiable=False, samples=_INTEGRAL, error_samples=_errors(
              ((np.ones(3),), NotImplementedError, "'Double'")),
          doc="Elementwise bitwise not of an integer or bool tensor (logical not for bool)."),
    unary("invert", _integral(TypeError), int_to_float=False, differentiable=False,
          inplace=False, methods=("__invert__",), functions=(), torch_name="__invert__",
          samples=_INTEGRAL, error_samples=_errors(((np.ones(3),), TypeError, "integer")),
          doc="``~input``: `bitwise_not`, but TypeError for floating-point tensors."),
]
