"""PyTorch's type promotion and operand checks for a binary call, and the errors they raise.

Off the fast path: dispatch comes here for Python scalars, mixed dtypes and mixed devices, and
for errors. Promotion of a dtype pair is computed once and cached (`dtypes.result_type_of`).
"""
from __future__ import annotations

import numpy as np

from . import dtypes as _dt
from .backends import _by_array_type
from .spec import Promote
from .tensor import Tensor

__all__ = ["prepare_binary", "broadcast_error", "device_error", "result_type",
           "scaled_by_alpha"]

_FLOAT = 2
_SCALARS = (int, float, bool, complex, np.number, np.bool_)

def broadcast_error(op, a_shape, b_shape):
    a, b = list(a_shape), list(b_shape)
    n = max(len(a), len(b))
    a, b = [1] * (n - len(a)) + a, [1] * (n - len(b)) + b
    for i in range(n - 1, -1, -1):
        if a[i] != b[i] and a[i] != 1 and b[i] != 1:
            return RuntimeError(
                f"The size of tensor a ({a[i]}) must match the size of tensor b ({b[i]}) at "
                f"non-singleton dimension {i} ({op.name}: shapes {list(a_shape)} and "
                f"{list(b_shape)})")
    return None


def device_error(op, da, db):
    """PyTorch's error for operands on two devices (`op` is not named: PyTorch's message
    names only the devices, the first operand's first)."""
    return RuntimeError(
        f"Expected all tensors to be on the same device, but found at least two devices, "
        f"{da} and {db}!")


def _type_error(op, v, pos="input"):
    return TypeError(f"{op.name}(): argument '{pos}' must be Tensor or a number, not "
                     f"{type(v).__name__}")


def _operand(op, v, pos="input"):
    """(array or scalar, dtype, rank) of one operand of a binary op."""
    if type(v) is Tensor or isinstance(v, Tensor):
        d = v._data
        return d, _dt.from_numpy_dtype(d.dtype), 2 if d.ndim else 1
    if isinstance(v, _SCALARS):
        if isinstance(v, (np.number, np.bool_)):
            v = v.item()
        return v, _dt.scalar_dtype(v), 0
    raise _type_error(op, v, pos)


def result_type(tensor, other) -> _dt.dtype:
    """PyTorch's `torch.result_type`: the dtype an arithmetic operation on `tensor` and `other`
    (tensors or Python numbers) gives. Categories rank bool < integer < floating < complex;
    within one, tensors with dimensions outrank 0-dim tensors, which outrank Python numbers
    (``result_type(int8 tensor, 1000)`` is int8, ``result_type(int8 tensor, 1.5)`` the default
    float)."""
    parts = []
    for v, pos in ((tensor, "tensor"), (other, "other")):
        if isinstance(v, Tensor):
            parts.append((_dt.from_numpy_dtype(v._data.dtype), 2 if v._data.ndim else 1))
        elif isinstance(v, _SCALARS):
            parts.append((_dt.scalar_dtype(v), 0))
        else:
            raise TypeError(f"result_type(): argument '{pos}' must be Tensor or a number, not "
                            f"{type(v).__name__}")
    return _dt.result_type_of(tuple(parts))


def prepare_binary(op, a, b, overload=False):
    """Slow path: promotion, scalars, device checks. Returns (kernel, x, y, result dtype).
    `overload`: the call gives keyword parameters (div's rounding_mode), which select an
    overload computed in the operands' common dtype (integer rounding division stays integer)."""
    x, da, ra = _operand(op, a)
    y, db, rb = _operand(op, b, "other")
    if not op.scalars and not (ra and rb):
        v = b if ra else a
        raise TypeError(f"{op.name}(): argument '{'other' if ra else 'input'}' (position "
                        f"{2 if ra else 1}) must be Tensor, not {type(v).__name__}")
    res = _dt.result_type_of(((da, ra), (db, rb)))
    if op.check is not None:
        op.check(da, db, res, ra, rb)
    comp = res
    if op.promote is Promote.INT_TO_FLOAT and res.category < _FLOAT and not overload:
        comp = _dt.get_default_dtype()
    cnp = comp.np
    arr_type = None
    for v, r in ((x, ra), (y, rb)):
        if r:
            t = type(v)
            if arr_type is None:
                arr_type = t
            elif t is not arr_type:
                # a 0-dim CPU tensor may join a tensor of any device, as in PyTorch
                if not v.ndim and t is np.ndarray:
                    continue
                if arr_type is np.ndarray and not (x if v is y else y).ndim:
                    arr_type = t
                    continue
                raise device_error(op, _by_array_type[arr_type].device_of(x if v is y else y),
                                    _by_array_type[t].device_of(v))
    if ra:
        if x.dtype != cnp:
            x = x.astype(cnp)
        if type(x) is not arr_type:
            x = x.item()
    if rb:
        if y.dtype != cnp:
            y = y.astype(cnp)
        if type(y) is not arr_type:
            y = y.item()
    if comp.category == 1:
        # PyTorch wraps a Python int into the tensor's integer type (uint8 + 300 == 45)
        if not ra and type(x) is int:
            x = _wrap_int(x, cnp)
        if not rb and type(y) is int:
            y = _wrap_int(y, cnp)
    if not ra and not rb:
        raise _type_error(op, a)
    k = op.kernels.get(arr_type)
    if k is None:
        raise RuntimeError(f"operator '{op.name}' has no kernel for device "
                           f"{_by_array_type[arr_type].type}")
    out_dt = _dt.bool if op.returns_bool else comp
    in_dtypes = (da.np if ra else None, db.np if rb else None)
    return k, x, y, out_dt, in_dtypes


def _wrap_int(v, np_dtype):
    info = np.iinfo(np_dtype)
    if info.min <= v <= info.max:
        return v
    return int(np.array(v & 0xFFFFFFFFFFFFFFFF, dtype=np.uint64).astype(np_dtype))


def scaled_by_alpha(op, input, other, alpha):
    """`other * alpha` for ``add(input, other, alpha=...)``, with PyTorch's checks of `alpha`
    against the result dtype (a bool result takes it as a bool)."""
    if not op.alpha:
        raise TypeError(f"{op.name}() got an unexpected keyword argument 'alpha'")
    if type(alpha) is int and alpha == 1:
        return other
    res = _dt.result_type_of((_operand(op, input)[1:], _operand(op, other)[1:]))
    if res is _dt.bool:
        return (other and bool(alpha)) if isinstance(other, bool) else other * bool(alpha)
    if isinstance(alpha, bool):
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if isinstance(alpha, float) and res.category < _FLOAT:
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating "
                           "point number.")
    if isinstance(alpha, complex) and not res.is_complex:
        raise RuntimeError("For non-complex input tensors, argument alpha must not be a complex "
                           "number.")
    return other * alpha
