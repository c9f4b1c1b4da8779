"""What the nn kernels share: padding and window taps that serve raw arrays and loom tensors
alike; `composite` (a kernel and its backward rule from one function) comes from loom.plugin."""
import numpy as np

import loom
from loom.plugin import apply_op, composite, is_tensor, xp_of  # noqa: F401 (re-exported)
from loom.plugin import tensor_of as as_tensor  # noqa: F401 (the rules' name for it)


def op_(name, *args, **kw):
    """A registered operator on arrays or tensors (`apply_op`)."""
    return apply_op(name, *args, **kw)


def pad(x, pads, value=0.0):
    """`x` padded with `value`: ``pads`` is ((before, after), ...) for its trailing dims."""
    if not any(b or a for b, a in pads):
        return x
    lead = x.ndim - len(pads)
    if not is_tensor(x):
        return xp_of(x).pad(x, [(0, 0)] * lead + [tuple(p) for p in pads],
                            constant_values=value)
    # on tensors: concatenation with constant blocks (recorded, so differentiable)
    for i, (b, a) in enumerate(pads):
        d = lead + i
        parts = []
        for n in (b, a):
            shape = list(x.shape)
            shape[d] = n
            parts.append(loom.full(shape, value, dtype=x.dtype, device=x.device) if n else None)
        x = loom.cat([p for p in (parts[0], x, parts[1]) if p is not None], d)
    return x


def taps(x, kernel, stride, dilation, out):
    """The window taps of `x` over its last ``len(kernel)`` dims: a list, one strided slice per
    kernel offset, each of shape ``x.shape[:-k] + out``."""
    k = len(kernel)
    offsets = np.ndindex(*kernel)
    res = []
    for off in offsets:
        idx = (Ellipsis,) + tuple(slice(o * d, o * d + s * (n - 1) + 1, s)
                                  for o, d, s, n in zip(off, dilation, stride, out))
        res.append(x[idx])
    return res


def stack(xs, dim):
    """Stack arrays or tensors along `dim`."""
    return loom.stack(xs, dim) if is_tensor(xs[0]) else xp_of(xs[0]).stack(xs, axis=dim)


_SCALAR = dict(int64="Long", int32="Int", int16="Short", int8="Char", uint8="Byte", bool="Bool",
               float16="Half", bfloat16="BFloat16", float32="Float", float64="Double",
               complex64="ComplexFloat", complex128="ComplexDouble")


def scalar_name(a) -> str:
    """PyTorch's name of an array's or tensor's dtype (``Long``, ``ComplexFloat``)."""
    name = str(a.dtype).replace("torch.", "")
    return _SCALAR.get(name, name)


def refuse_dtypes(kernel_name, a, allowed):
    """PyTorch's NotImplementedError for a dtype its CPU kernel `kernel_name` lacks."""
    if scalar_name(a) not in allowed:
        raise NotImplementedError(f'"{kernel_name}" not implemented for \'{scalar_name(a)}\'')


def tuple_of(v, n, name="kernel_size", op="", pos=2):
    """An int or a sequence of ints as an n-tuple, as PyTorch's `_pair`/`_single` read it
    (PyTorch's TypeError for anything else)."""
    def bad(what):
        return TypeError(f"{op}(): argument '{name}' (position {pos}) must be tuple of ints, "
                         f"not {what}")
    if isinstance(v, (list, tuple)):
        if not all(isinstance(x, int) and not isinstance(x, bool) for x in v):
            raise bad(type(v).__name__)
        if len(v) == 1:
            return tuple(v) * n
        if len(v) != n:
            raise RuntimeError(f"{name} must be either a single int, or a tuple of {n} ints")
        return tuple(int(x) for x in v)
    if not isinstance(v, int) or isinstance(v, bool):
        raise bad(type(v).__name__)
    return (int(v),) * n


_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)


def matmul(a, b):
    """``a @ b``, half precision computed in float32 (as PyTorch's CPU kernels accumulate)."""
    dt = a.dtype
    if dt is _F32 or dt is _F64 or dt is loom.float32 or dt is loom.float64:
        return a @ b
    if str(dt).endswith("float16"):
        if is_tensor(a):
            return (a.float() @ b.float()).half()
        return (a.astype(np.float32) @ b.astype(np.float32)).astype(np.float16)
    return a @ b
