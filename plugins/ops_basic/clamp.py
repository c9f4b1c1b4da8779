"""clamp, clamp_min and clamp_max (and clip) as PyTorch overloads them: number bounds, one ufunc
per bound (the hot path of ``clamp(min=0)`` as a ReLU, with NumPy's faster array-against-row
loop), and tensor bounds broadcast with the input, each differentiable. relu's kernel shares
the number path (`max0`)."""
import math

import numpy as np

import loom
from loom.plugin import ErrorInput, is_tensor, keep_where, op, result_type, sample_calls

from .elementwise import _keep, _pointwise, broadcast, refuse

_C_NAMES = {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int",
            "int64": "int64_t", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
            "float32": "float", "float64": "double"}


_FLOAT_MAX: dict = {}  # NumPy float dtype -> its largest finite value (np.finfo is slow)


def _bound(v, dt, who):
    """A number bound as a 0-dim array of the result dtype `dt` (a NumPy dtype), with PyTorch's
    conversion: an unsigned type wraps negative numbers, a value out of range raises."""
    if not isinstance(v, (int, float)):  # bool is an int
        raise TypeError(f"{who}(): argument 'min' and 'max' must be numbers or tensors, not "
                        f"{type(v).__name__}")
    if dt.kind == "b":
        return np.asarray(bool(v))
    if dt.kind in "iu":
        info = np.iinfo(dt)
        if v != v or v in (math.inf, -math.inf) or v > info.max or \
                (dt.kind == "i" and v < info.min):
            raise RuntimeError(f"value cannot be converted to type {_C_NAMES[dt.name]} without "
                               "overflow")
        return np.asarray(int(v) % (info.max + 1) if v < 0 and dt.kind == "u" else int(v), dt)
    fmax = _FLOAT_MAX.get(dt)
    if fmax is None:
        fmax = _FLOAT_MAX[dt] = float(np.finfo(dt).max)
    if math.isfinite(v) and abs(v) > fmax:
        raise RuntimeError(f"value cannot be converted to type {_C_NAMES.get(dt.name, dt.name)} "
                           "without overflow")
    return np.asarray(v, dt)


def _clamp_dtype(x, lo, hi, who, numbers=True):
    """The result dtype (a loom dtype) of clamping `x`, refused as PyTorch refuses it: bools
    clamp only between tensor bounds."""
    if lo is None and hi is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    dt = result_type(x, lo, hi)
    if dt.is_complex:
        raise NotImplementedError("clamp is not supported for complex types")
    if dt is loom.bool and numbers:
        kernel = who if who != "clamp" else "clamp" if lo is not None and hi is not None \
            else "clamp_min" if lo is not None else "clamp_max"
        raise refuse(f"{kernel}_scalar_cpu", dt)
    return dt


# NumPy's maximum/minimum run a float array against a row ~2x faster than against a scalar
# (its SIMD loop takes two contiguous operands): a bound becomes a row as long as the last dim
_ROW_MIN, _ROW_MAX = 64, 1 << 16
_ZERO_ROWS: dict = {}


def _bound_operand(v, x):
    """The number `v` (a 0-dim array of x's dtype) as np.maximum/np.minimum's first operand
    for `x`: a broadcast row when that loop is the faster one, else `v` itself."""
    if type(x) is not np.ndarray or not x.ndim or x.dtype.kind != "f" or \
            not _ROW_MIN <= x.shape[-1] <= _ROW_MAX or x.strides[-1] != x.itemsize:
        return v
    n = x.shape[-1]
    if v == 0:
        z = _ZERO_ROWS.get(x.dtype)
        if z is None:
            z = _ZERO_ROWS[x.dtype] = np.zeros(_ROW_MAX, x.dtype)
            z.flags.writeable = False
        return z[:n]
    return np.full(n, v, x.dtype)


def max0(xp, x):
    """``maximum(x, 0)``, relu's kernel, with the faster of NumPy's loops. The bound is the
    first operand: on a tie NumPy returns the second, PyTorch its input (``relu(-0.0)`` is
    -0.0)."""
    return xp.maximum(_bound_operand(np.asarray(0, x.dtype), x) if xp is np else 0, x)


def _clamp_numbers(who):
    """clamp with number bounds (PyTorch's clamp.Scalar overload): one ufunc per bound given.
    A floating tensor with Python numbers (``clamp(min=0)``, a ReLU) takes the first branch."""
    def clamp(xp, x, min=None, max=None):
        lo, hi = min, max
        if type(lo) not in _PLAIN or type(hi) not in _PLAIN:
            lo, hi = _num(lo), _num(hi)
        dt = x.dtype
        if dt.kind == "f" and type(lo) in _PLAIN and type(hi) in _PLAIN and \
                (lo is not None or hi is not None):
            y = x
        else:
            dt = _clamp_dtype(x, lo, hi, who).np
            y = x.astype(dt, copy=False)
        if lo is not None:
            y = xp.maximum(_bound_operand(_bound(lo, dt, who), y), y)  # a tie keeps y
        if hi is not None:
            y = xp.minimum(_bound_operand(_bound(hi, dt, who), y), y)
        return y
    if who == "clamp":
        return clamp  # the kernel itself: (xp, x, min, max), named as PyTorch's parameters
    def one(v, which):  # clamp_min / clamp_max: the bound is required (None matches nothing)
        if v is None:
            raise TypeError(f"{who}() received an invalid combination of arguments - got "
                            f"(Tensor, NoneType): `{which}` must be a number or a tensor")
        return v
    if who == "clamp_min":
        return lambda xp, x, min: clamp(xp, x, one(min, "min"), None)
    return lambda xp, x, max: clamp(xp, x, None, one(max, "max"))


_PLAIN = (float, int, type(None))


def _clamp_numbers_bwd(ctx, g):  # PyTorch's ClampBackward1: 0 outside [min, max] and at NaN
    (x,), p = ctx.saved, ctx.params
    lo, hi = p.get("min"), p.get("max")
    if type(lo) not in _PLAIN or type(hi) not in _PLAIN:
        lo, hi = _num(lo), _num(hi)
    keep = x >= lo if hi is None else x <= hi if lo is None else (x >= lo) & (x <= hi)
    return (keep_where(keep, g),)


def _clamp_prepare(input, min=None, max=None, who="clamp"):
    """Tensor bounds, a number bound made a tensor of the result dtype; a missing one is the
    dtype's extreme (-inf, inf for floats), where clamping and PyTorch's gradient (0 at NaN)
    change nothing."""
    if not is_tensor(input):
        raise TypeError(f"{who}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if min is not None and max is not None and is_tensor(min) != is_tensor(max):
        raise TypeError(f"{who}(): min and max must both be tensors or both be numbers, got "
                        f"({type(min).__name__}, {type(max).__name__})")
    dt = _clamp_dtype(input, min, max, who, numbers=False)
    info = None if dt.is_floating_point or dt is loom.bool else np.iinfo(dt.np)
    lo, hi = (-math.inf, math.inf) if dt.is_floating_point else (False, True) if info is None \
        else (info.min, info.max)
    return (input, *(v if is_tensor(v) else loom.tensor(e if v is None else _bound(v, dt.np, who),
                                                         dtype=dt, device=input.device)
                     for v, e in ((min, lo), (max, hi))))


def _clamp(xp, x, lo, hi):
    broadcast(x, lo, hi)
    dt = result_type(x, lo, hi).np
    return xp.minimum(xp.maximum(x.astype(dt, copy=False), lo.astype(dt, copy=False)),
                      hi.astype(dt, copy=False))


_CLAMP_GRADS = (lambda g, x, lo, hi: _keep((x >= lo) & (x <= hi), g),  # one select (a NaN: 0)
                lambda g, x, lo, hi: _keep(x < lo, _keep(lo < hi, g)),
                lambda g, x, lo, hi: _keep(x > hi, g, _keep(hi < lo, g)))


def _clamp_errors(rng):
    x = rng.standard_normal((3,))
    return [ErrorInput((x,), error=RuntimeError, match="At least one of 'min' or 'max'"),
            ErrorInput((x,), {"min": x[:2]}, error=RuntimeError, match="must match the size"),
            ErrorInput((x.astype(complex), 0.0), error=NotImplementedError),
            ErrorInput((x > 0, True), error=NotImplementedError),
            ErrorInput((x.astype(np.int8), 300), error=RuntimeError, match="without overflow"),
            ErrorInput(("x", 0.0), error=TypeError)]


def _to_tensor_overload(name):
    """clamp(x, min=tensor): the overload of tensor bounds serves the call when every bound
    given is a tensor. A 0-dim tensor beside a number is a number, as PyTorch parses it (unless
    it requires grad)."""
    def redirect(input=None, min=None, max=None, *rest, **kw):
        if type(min) in _PLAIN and type(max) in _PLAIN:
            return None  # number bounds (``clamp(min=0)``): this operator
        tensors = [v for v in (min, max) if is_tensor(v)]
        if not tensors:
            return None
        numbers = (min is not None and not is_tensor(min)) or \
            (max is not None and not is_tensor(max))
        return None if numbers and all(t.ndim == 0 and not t.requires_grad for t in tensors) \
            else name
    return redirect


def _num(v):  # a bound of the number overload: a 0-dim tensor is its value
    return v if type(v) in _PLAIN else v.item() if is_tensor(v) else v


def _clamp_ops(which=None):
    """The clamp operator `clamp` / `clamp_min` / `clamp_max` twice, as PyTorch overloads it:
    number bounds (one ufunc per bound, the hot path of ``clamp(min=0)`` as ReLU) and, through
    `redirect`, tensor bounds (broadcast with the input, each differentiable)."""
    name = "clamp" if which is None else f"clamp_{which}"
    node = "Clamp" if which is None else f"Clamp{which.capitalize()}"
    sig = "min=None, max=None" if which is None else which
    if which is None:
        prepare = _clamp_prepare
        numbers = sample_calls(((3, 4), {"min": -0.5, "max": 0.5}), ((3, 4), None, 0.3),
                               ((3, 4), -0.2), ((3, 4), 1.0, -1.0), inputs=(0,),
                               domain=(-2.0, 2.0))
        tensors = sample_calls(((3, 4), (4,), None), ((3, 4), (2, 3, 4), (2, 3, 4)),
                               ((3, 4), None, (1, 4)), inputs=(0, 1, 2),
                               domain=(-2.0, 2.0))
        errors = _clamp_errors
    else:
        prepare = {"min": lambda input, min: _clamp_prepare(input, min, None, name),
                   "max": lambda input, max: _clamp_prepare(input, None, max, name)}[which]
        numbers = sample_calls(((3, 4), 0.2), ((3, 4), -0.3), inputs=(0,))
        tensors = sample_calls(((3, 4), (4,)), ((2, 3), (2, 1)), inputs=(0, 1))
        errors = lambda rng: [ErrorInput(("x", 0.0), error=TypeError)]  # noqa: E731
    doc = ("Each element limited to [min, max] (numbers or tensors; either may be None)."
           if which is None else f"Each element {'at least' if which == 'min' else 'at most'} "
           f"`{which}` (a number or a tensor).")
    return [
        op(name, _clamp_numbers(name), inputs=1, backward=_clamp_numbers_bwd, save_inputs=(0,),
           supports_out=True, inplace=f"{name}_", inplace_function=True,
           redirect=_to_tensor_overload(f"{name}_tensor"),
           aliases=("clip",) if which is None else (), node_name=f"{node}Backward1"
           if which is None else f"{node}Backward0", samples=numbers, error_samples=errors,
           signature=f"(input, {sig}, *, out=None)", doc=doc),
        _pointwise(f"{name}_tensor", _clamp, *_CLAMP_GRADS, prepare=prepare,
                   inplace=False, functions=(), methods=(), torch_name=name,
                   node_name=f"{node}Backward0" if which is None else f"{node}Backward1",
                   samples=tensors, signature=f"(input, {sig}, *, out=None)",
                   doc=f"{name} with tensor bounds (the overload `{name}` redirects to)."),
    ]


OPS = [*_clamp_ops(), *_clamp_ops("min"), *_clamp_ops("max")]
