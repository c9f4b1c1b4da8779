"""What the nn kernels share: padding, window taps and their adjoint (`untaps`, the scatter-add
of per-tap gradients back into the input) that serve raw arrays and loom tensors alike;
`composite` (a kernel and its backward rule from one function) comes from loom.plugin."""
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


def _tap(off, dilation, stride, out):
    """The index of the elements kernel offset `off` reads in every window."""
    return (Ellipsis,) + tuple(slice(o * d, o * d + s * (n - 1) + 1, s)
                               for o, d, s, n in zip(off, dilation, stride, out))


def taps(x, kernel, stride, dilation, out):
    """The window taps of `x` over its last ``len(kernel)`` dims: a list, one strided slice per
    kernel offset, each of shape ``x.shape[:-k] + out``."""
    return [x[_tap(off, dilation, stride, out)] for off in np.ndindex(*kernel)]


def untaps(parts, size, pads, kernel, stride, dilation, out):
    """The adjoint of `taps` followed by `pad`: ``parts[t]`` (shape ``lead + out``, one per
    kernel offset in `taps`' order) added into a zero array of the padded spatial `size`, at
    the positions tap t read, then cropped by `pads` ((before, after) per dim). On arrays the
    parts are added in place into strided slices (one pass each); on tensors (a rule recorded
    under ``create_graph``) each part is spread out with zeros and padded to place, so the
    sum stays differentiable."""
    k = len(kernel)
    lead = tuple(parts[0].shape[:-k])
    if not is_tensor(parts[0]):
        xp = xp_of(parts[0])
        res = xp.zeros(lead + tuple(size), parts[0].dtype)
        for off, part in zip(np.ndindex(*kernel), parts):
            res[_tap(off, dilation, stride, out)] += part
    else:
        res = None
        for off, part in zip(np.ndindex(*kernel), parts):
            part = spread(part, stride, k)
            placed = pad(part, [(o * d, n - o * d - m) for o, d, n, m in
                                zip(off, dilation, size, part.shape[-k:])])
            res = placed if res is None else res + placed
    if not any(b or a for b, a in pads):
        return res
    return res[(Ellipsis,) + tuple(slice(b, n - a) for (b, a), n in zip(pads, size))]


def spread(x, stride, k):
    """`x` with ``stride - 1`` zeros between the elements of each of its last `k` dims (where
    a strided tap's elements lie in the input); arrays or tensors."""
    for i, s in enumerate(stride):
        if s == 1:
            continue
        d = x.ndim - k + i
        n = x.shape[d]
        # (.., n, ..) -> (.., n, s, ..) with zeros after each element, then drop the tail
        zero = xp_of(x).zeros_like(x)
        parts = stack([x] + [zero] * (s - 1), d + 1)
        shape = list(x.shape)
        shape[d] = n * s
        x = parts.reshape(tuple(shape))
        x = x[(slice(None),) * d + (slice(0, (n - 1) * s + 1),)]
    return x


def transpose_last(a):
    """`a` with its last two dims swapped (a matrix transpose over a batch)."""
    return a.transpose(-1, -2) if is_tensor(a) else a.swapaxes(-1, -2)


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
