"""Shape and view operators, `cat`/`stack`, conversion. Views share the input's memory and
version counter (dispatch marks them); `as_strided` and `unfold` are built on the input's
storage, so their strides and offsets read back as PyTorch's."""
import math
import warnings

import numpy as np

import loom
from loom.plugin import (ErrorInput, SampleInput, apply_op, backend_for, backend_of, cast_like,
                         dims_outermost_first, dtype_of, is_tensor, move_like, normalize_dims, op,
                         parse_size, sample_calls, sum_to_shape, view, xp_of)

from .arguments import int_arg, int_tuple, invalid_combination


def _sizes(who, key, *also):  # view(2, 3), view((2, 3)), view(shape=...), view(size=...)
    def parse(*args, **kw):
        for k in (key, *also):
            if k in kw:
                args = (kw.pop(k),)
        if not args or kw:
            raise TypeError(f"{who}() got an unexpected keyword argument '{next(iter(kw))}'" if kw
                            else f'{who}() missing 1 required positional arguments: "{key}"')
        return {key: parse_size(args, who)}
    return parse


_shape_parse = _sizes("view", "shape", "size")


def _fail(message, error=RuntimeError):
    """``bad and _fail(f"...")``: a check in a line, its message formatted only on failure."""
    raise error(message)


def _fails(*calls):  # error samples, each (ExceptionType, message pattern, input shape, *args)
    return lambda rng: [ErrorInput((rng.standard_normal(c[2]), *c[3:]), error=c[0], match=c[1])
                        for c in calls]


def _dim(dim, ndim):
    return normalize_dims(dim, ndim)[0]


def _at(d, key):  # the index taking `key` on dimension d (a 0-dim view for an int)
    return (slice(None),) * d + (key, Ellipsis)


def _resolve(shape, n):
    """`shape` with its -1 (at most one) inferred from the element count `n`."""
    shape = list(shape)
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    for s in shape:
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s} at index {shape.index(s)} of shape "
                               f"{shape}")
    infer = -1 in shape
    known = abs(math.prod(shape))  # the product of the other sizes: none is negative
    if (known == 0 or n % known) if infer else known != n:
        raise RuntimeError(f"shape '{shape}' is invalid for input of size {n}")
    if infer:
        shape[shape.index(-1)] = n // known
    return tuple(shape)


def _view(xp, a, shape, dtype=None):
    if dtype is not None:
        return _as_dtype(a, dtype)
    try:
        return a.reshape(_resolve(shape, a.size), copy=False)
    except ValueError:
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at "
                           "least one dimension spans across two contiguous subspaces). Use "
                           ".reshape(...) instead.") from None


def _as_dtype(a, dtype):  # view(dtype): the same bytes read as `dtype`
    old, new = a.itemsize, dtype.itemsize
    name = lambda d: (d.legacy or f"Complex{'Double' if d.itemsize > 8 else 'Float'}Tensor")[:-6]
    what, r = f"to view {name(dtype_of(a))} as {name(dtype)} (different element sizes)", new // old
    if old != new:
        a.ndim == 0 and _fail(f"self.dim() cannot be 0 {what}")
        a.strides[-1] != old and _fail(f"self.stride(-1) must be 1 {what}, but got "
                                       f"{a.strides[-1] // old}")
        for k, got in (("size(-1)", a.shape[-1]), ("storage_offset()", _offset(a))):
            r > 1 and got % r and _fail(f"self.{k} must be divisible by {r} {what}, but got {got}")
    return a.view(dtype.np)


def _view_bwd(ctx, g):  # view(dtype=...) given by keyword is recorded: it has no gradient
    "dtype" in ctx.params and _fail("view(dtype) reinterprets bytes: it has no gradient")
    return (g.reshape(ctx.shapes[0]),)


def _reshape_bwd(ctx, g):
    return (g.reshape(ctx.shapes[0]),)


def _transpose(xp, a, dim0, dim1):
    d0, d1 = normalize_dims((dim0, dim1), a.ndim)  # a 0-dim tensor takes dims 0 and -1 only
    return a.swapaxes(d0, d1) if a.ndim else a[...]


def _transpose_bwd(ctx, g):  # a swap is its own inverse
    return (_transpose(None, g, ctx.params["dim0"], ctx.params["dim1"]) if g.ndim else g,)


def _t(xp, a):
    if a.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {a.ndim}D")
    return a.T


def _numpy_T(xp, a):  # the .T property: every dimension reversed
    if a.ndim != 2:
        warnings.warn("Tensor.T is deprecated on 0-D tensors. This function is the identity in "
                      "these cases." if a.ndim == 0 else "The use of `x.T` on tensors of "
                      "dimension other than 2 to reverse their shape is deprecated and it will "
                      "throw an error in a future release. Consider `x.mT` to transpose batches "
                      "of matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse "
                      "the dimensions of a tensor.", UserWarning, stacklevel=3)
    return a.transpose()


def _matrix(who, conj, batched):  # .mT, .H, .mH, adjoint(): the last two dimensions swapped
    def kernel(xp, a):  # conjugated: a copy for complex, where PyTorch keeps a lazy view
        if a.ndim == 0:
            warnings.warn(("" if "(" in who else "Tensor.") + f"{who} is deprecated on 0-D "
                          "tensors. " + ("Consider using x.conj()." if conj else "This function "
                                         "is the identity in these cases."), stacklevel=3)
        (a.ndim == 1 or a.ndim > 2 and not batched) and _fail(
            f"tensor.{who} is only supported on " + ("matrices or batches of matrices" if batched
                                                     else "matrices (2-D tensors)") +
            f". Got {a.ndim}-D tensor." + ("" if batched or a.ndim == 1 else
                                           " For batches of matrices, consider using tensor.mH"))
        out = a.swapaxes(-2, -1) if a.ndim > 1 else a[...]
        return out.conj() if conj and out.dtype.kind == "c" else out

    def backward(ctx, g):  # conj(gT): the engine's complex convention makes it PyTorch's
        g = g.swapaxes(-2, -1) if g.ndim > 1 else g
        return (g.conj() if conj and getattr(g.dtype, "kind", "") == "c" else g,)
    return kernel, backward


def _matrix_op(name, who, doc, conj=False, batched=True, reference=None):
    # a property (with a NumPy reference: the kit calls PyTorch's functions and methods)
    names = reference and {"methods": (), "functions": (), "properties": (name,),
                           "torch_name": None, "reference": reference}
    return view(name, *_matrix(who, conj, batched), maybe=conj, node_name="TransposeBackward0",
                samples=sample_calls(((2, 3),), *[((2, 3, 4),)] * batched), doc=doc,
                error_samples=_fails((RuntimeError, "only supported on matrices", (3,)),
                                     *[(RuntimeError, "Got 3-D", (2, 3, 4))] * (not batched)),
                **(names or {}))


def _permute(xp, a, dims):
    if len(dims) != a.ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {a.ndim} is not equal to len(dims) = {len(dims)}")
    try:
        return a.transpose(normalize_dims(dims, a.ndim))
    except ValueError:  # NumPy's "repeated axis in transpose"
        raise RuntimeError("permute(): duplicate dims are not allowed.") from None


def _permute_bwd(ctx, g):
    inv = np.argsort(normalize_dims(ctx.params["dims"], len(ctx.shapes[0])))
    return (xp_of(g).permute_dims(g, tuple(int(i) for i in inv)),)


def _expand(xp, a, shape):
    shape, lead = list(shape), len(shape) - a.ndim
    if lead < 0:
        raise RuntimeError(f"expand(torch.FloatTensor{{{list(a.shape)}}}, size={shape}): the "
                           f"number of sizes provided ({len(shape)}) must be greater or equal "
                           f"to the number of dimensions in the tensor ({a.ndim})")
    for i, s in enumerate(shape):
        if s == -1:
            if i < lead:
                raise RuntimeError(f"The expanded size of the tensor (-1) isn't allowed in a "
                                   f"leading, non-existing dimension {i}")
            shape[i] = a.shape[i - lead]
        elif i >= lead and a.shape[i - lead] != 1 and a.shape[i - lead] != s:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing "
                               f"size ({a.shape[i - lead]}) at non-singleton dimension {i}.  "
                               f"Target sizes: {list(shape)}.  Tensor sizes: {list(a.shape)}")
    return _broadcast(xp, a, tuple(shape))


def _broadcast(xp, a, shape):
    """A read-only view of `a` broadcast to `shape`. For NumPy it is built directly from the
    strides (np.broadcast_to's Python-level checks cost more than the rest of an expand)."""
    if type(a) is np.ndarray:
        lead = len(shape) - a.ndim
        strides = (0,) * lead + tuple(0 if s == 1 and n != 1 else st
                                      for s, n, st in zip(a.shape, shape[lead:], a.strides))
        try:  # a contiguous array (or view) exports its memory; the result's base is `a`
            out = np.ndarray(shape, a.dtype, buffer=a, strides=strides)
            out.flags.writeable = False
            return out
        except (TypeError, ValueError, BufferError):
            pass
    try:
        return xp.broadcast_to(a, shape)
    except ValueError:  # a negative size: PyTorch overflows counting the elements
        raise RuntimeError(f"The expanded size of the tensor ({min(shape)}) must be "
                           f"non-negative.  Target sizes: {list(shape)}.  Tensor sizes: "
                           f"{list(a.shape)}") from None


def _expand_bwd(ctx, g):
    return (sum_to_shape(g, ctx.shapes[0]),)


def _as_prepare(who):  # expand_as, view_as, reshape_as: `other`'s shape
    def prepare(a, other=None, *rest):
        other is None and _fail(f"{who}() missing 1 required positional argument: 'other'",
                                TypeError)
        return (a, tuple(other.shape)) + rest
    return prepare


def _squeeze(xp, a, dim=None):  # a dim given twice is PyTorch's RuntimeError
    dims = range(a.ndim) if dim is None else normalize_dims(
        int_tuple(dim, "squeeze", "dim") if isinstance(dim, (list, tuple)) else dim, a.ndim,
        unique=True) or ()
    return a.reshape(tuple(s for i, s in enumerate(a.shape) if not (i in dims and s == 1)))


def _squeeze_parse(*args, **kw):  # squeeze(x) or squeeze(x, dim): a dim given is not None
    if len(args) + len(kw) > 1 or set(kw) - {"dim"} or (args or [*kw.values(), 0])[0] is None:
        raise invalid_combination("squeeze", *args, *kw.values())
    return dict(dim=(args or [kw.get("dim")])[0])


def _unsqueeze(xp, a, dim):
    normalize_dims(dim, a.ndim + 1)  # PyTorch's IndexError for a dim out of range
    return xp.expand_dims(a, dim % (a.ndim + 1))


def _flatten(xp, a, start_dim=0, end_dim=-1):  # a 0-dim tensor flattens to one element
    s, e = normalize_dims((start_dim, end_dim), a.ndim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    return a.reshape(a.shape[:s] + (math.prod(a.shape[s:e + 1]),) + a.shape[e + 1:])


def _unflatten(xp, a, dim, sizes):
    not a.ndim and _fail("unflatten got an unexpected error:\nDimension specified as 0 but "
                         "tensor has no dimensions")
    d, sizes = _dim(dim, a.ndim), list(sizes)
    not sizes and _fail("unflatten: sizes must be non-empty")
    try:
        return a.reshape(a.shape[:d] + _resolve(sizes, a.shape[d]) + a.shape[d + 1:])
    except RuntimeError as e:
        raise RuntimeError(f"unflatten: Provided sizes {sizes} don't multiply up to the size of "
                           f"dim {d} ({a.shape[d]}) in the input tensor" if "is invalid" in str(e)
                           else f"unflatten got an unexpected error:\n{e}") from None


def _narrow_at(shape, dim, start, length):
    not shape and _fail("narrow() cannot be applied to a 0-dim tensor.")
    d = _dim(dim, len(shape))
    n, start = shape[d], int(start)
    not -n <= start <= n and _fail(f"start out of range (expected to be in range of [{-n}, "
                                   f"{n}], but got {start})", IndexError)
    start += n if start < 0 else 0
    length < 0 and _fail("narrow(): length must be non-negative.")
    start + length > n and _fail(f"start ({start}) + length ({length}) exceeds dimension size "
                                 f"({n}).")
    return _at(d, slice(start, start + length))


def _select_at(shape, dim, index):  # the argument types first, as PyTorch checks them
    dim, index = int_arg(dim, "select", "dim", 2), int_arg(index, "select", "index", 3)
    not shape and _fail("select() cannot be applied to a 0-dim tensor.", IndexError)
    d = _dim(dim, len(shape))
    n, i = shape[d], int(index)
    not -n <= i < n and _fail(f"select(): index {i} out of range for tensor of size "
                              f"{list(shape)} at dimension {d}", IndexError)
    return _at(d, i % n)


def _put_back(at):  # the backward of a view a[at(shape, ...)]: g there, zeros elsewhere
    return lambda ctx, g: (apply_op("ops_index_backward", g, ctx.shapes[0],
                                    at(ctx.shapes[0], **ctx.params)),)


def _movedim(xp, a, source, destination):
    if not all(isinstance(x, int) and not isinstance(x, bool) or isinstance(x, (list, tuple)) and
               all(hasattr(v, "__index__") for v in x) for x in (source, destination)):
        raise invalid_combination("movedim", source, destination)
    src, dst = ([x] if isinstance(x, int) else list(x) for x in (source, destination))
    len(src) != len(dst) and _fail(f"movedim: Invalid source or destination dims: source ({src} "
                                   f"dims) should contain the same number of dims as destination "
                                   f"({dst} dims)")
    s, d = (normalize_dims(x, a.ndim) or () for x in (src, dst))
    for what, got, given in (("source", s, src), ("destination", d, dst)):
        len(set(got)) != len(got) and _fail(f"movedim: repeated dim in `{what}` ({given})")
    order = [i for i in range(a.ndim) if i not in s]  # as np.moveaxis, without its checks
    for to, i in sorted(zip(d, s)):
        order.insert(to, i)
    return a.transpose(order) if a.ndim else a[...]


def _root(a):  # the array owning `a`'s memory: its storage
    while hasattr(a.base, "dtype"):
        a = a.base
    return a


def _offset(a):  # the storage offset of `a`, in elements
    return (backend_of(a).data_ptr(a) - backend_of(a).data_ptr(_root(a))) // a.itemsize


def _on_storage(xp, a, shape, strides, offset):  # as_strided, counted in elements
    root, size = _root(a), a.itemsize
    need = offset + sum((n - 1) * s for n, s in zip(shape, strides)) + 1 if all(shape) else 0
    need * size > root.nbytes and _fail(
        f"setStorage: sizes {list(shape)}, strides {list(strides)}, storage offset {offset}, and "
        f"itemsize {size} requiring a storage size of {need * size} are out of bounds for storage "
        f"of size {root.nbytes}")
    strides = [s * size for s in strides]
    if not isinstance(a, np.ndarray):  # CuPy
        return xp.ndarray(shape, a.dtype, memptr=root.data + offset * size, strides=strides)
    # the input's own array class: a NumPy-backed device keeps its arrays' type
    out = np.ndarray.__new__(type(a), shape, a.dtype, root, offset * size, strides)
    out.flags.writeable = out.flags.writeable and a.flags.writeable
    return out


def _as_strided(xp, a, geometry, size, stride, storage_offset=None):
    size, stride = tuple(size), tuple(stride)
    offset = _offset(a) if storage_offset is None else storage_offset
    min(stride, default=0) < 0 and _fail(f"as_strided: Negative strides are not supported at "
                                         f"the moment, got strides: {list(stride)}")
    min(size, default=0) < 0 and _fail(f"Storage size calculation overflowed with sizes="
                                       f"{list(size)} and strides={list(stride)}")
    offset < 0 and _fail(f"Tensor: invalid storage offset {offset}")
    return _on_storage(xp, a, size, stride, offset)


def _diagonal(xp, a, offset=0, dim1=0, dim2=1):
    d1, d2 = normalize_dims((dim1, dim2), a.ndim)
    d1 == d2 and _fail(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    out = xp.diagonal(a, offset, d1, d2)
    if isinstance(out, np.ndarray) and a.flags.writeable:
        out.flags.writeable = True  # NumPy's are read-only; PyTorch's can be written through
    return out


def _unfold(xp, a, dimension, size, step):
    d = _dim(dimension, a.ndim)
    n, st = a.shape[d] if a.ndim else 1, [s // a.itemsize for s in a.strides]
    size < 0 and _fail(f"size is {size} but must be >= 0")
    size > n and _fail(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    step <= 0 and _fail(f"step is {step} but must be > 0")
    return _on_storage(xp, a, a.shape[:d] + ((n - size) // step + 1,) + a.shape[d + 1:] + (size,),
                       st[:d] + [st[d] * step] + st[d + 1:] + [st[d]], _offset(a)) \
        if a.ndim else a.reshape(1)


def _gathered(kernel):  # a view's backward, whatever its layout (windows may overlap): the
    def backward(ctx, g):  # view of the input's element positions says where g's elements go
        shape, geometry = ctx.shapes[0], ctx.params.get("geometry")
        n = math.prod(shape)
        at = np.arange(n).reshape(shape)
        if geometry is not None:  # as_strided: the positions laid out as the input in its
            strides, offset, size = geometry  # storage, n (a dump slot) where it is not
            at = np.ndarray(shape, int, np.full(size, n), offset * 8, [s * 8 for s in strides])
            at[...] = np.arange(n).reshape(shape)
        where = kernel(np, at, **ctx.params)
        return (apply_op("ops_index_backward", g, (n + 1,), where)[:n].reshape(shape),)
    return backward


def _least(s, k):  # the shape atleast_{k}d gives: (n,) becomes (1, n), and (1, n, 1) for 3-D
    if len(s) >= k:
        return s
    return ((1,) * k + s)[-k:] if k < 3 or not s else (1, *s, 1) if len(s) == 1 else s + (1,)


def _atleast_args(*args):  # a list or tuple of tensors, or tensors (a tuple comes back)
    listed = len(args) == 1 and type(args[0]) in (list, tuple)
    tensors = args[0] if listed else args
    for i, t in enumerate(tensors):
        if not is_tensor(t):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
    return (*tensors, True) if listed else tensors


def _atleast(k):
    def kernel(xp, *arrays, listed=False):  # a tuple for a list or several inputs
        out = tuple(a.reshape(_least(a.shape, k)) for a in arrays)
        return out if listed or len(out) > 1 else out[0]
    # maybe: output i views input i, and a view is recorded as one of the first input
    return view(f"atleast_{k}d", kernel, lambda ctx, g: tuple(x if x is None else x.reshape(s) for
                x, s in zip(g if type(g) is tuple else (g,), ctx.shapes)), variadic=True,
                prepare=_atleast_args, parse=lambda listed=False: {"listed": listed}, node_name="ViewBackward0",
                samples=sample_calls(((),), ((3,),), ((2, 3, 4),), ((), (2,)), inputs=2),
                methods=(), maybe=True, doc=f"The input(s) viewed with at least {k} dimensions.")


def _in_format(xp, a, memory_format):
    """A copy of `a` laid out in `memory_format`: C order, NHWC for ``channels_last``, or for
    ``preserve_format`` (clone's default) in the order of `a`'s strides, as PyTorch's."""
    name = getattr(memory_format, "name", "preserve_format")
    if name == "preserve_format":
        return a.copy(order="K")
    order = dims_outermost_first(memory_format, a.ndim)
    back = tuple(order.index(d) for d in range(a.ndim))
    return xp.ascontiguousarray(a.transpose(order)).transpose(back)


def _contiguous(xp, a, memory_format=None):
    if memory_format is not None and memory_format.name == "channels_last" or \
            memory_format is not None and memory_format.name == "channels_last_3d":
        return _in_format(xp, a, memory_format)
    return a if a.flags.c_contiguous else xp.ascontiguousarray(a)


def _to_device(xp, a, device):
    src, dst, index = backend_of(a), backend_for(device), loom.device(device).index
    # between two devices of one backend (cuda:0 to cuda:1) the backend copies directly
    return src.to_device(a, index) if src is dst else dst.asarray(src.to_host(a), index)


def _cast_samples(rng, dt):
    a = rng.standard_normal((2, 3)).astype(dt)
    return [SampleInput((a,), {"dtype": loom.float32}, grad=False, rtol=1e-6),
            SampleInput((a,), {"dtype": loom.float64}),
            SampleInput((a,), {"dtype": loom.int64}, grad=False)]


OPS = [
    # view(dtype) has no gradient: it views the input detached (sharing its version counter),
    # as PyTorch's result does not require grad
    view("view", _view, _view_bwd, functions=(), prepare=lambda a, *r: (
        a.detach(), *r) if r and type(r[0]) is loom.dtype else (a, *r),
         parse=lambda *a, **k: {"shape": None, "dtype": a[0]} if a and type(a[0]) is loom.dtype
         else {"shape": None, "dtype": k["dtype"]} if "dtype" in k else _shape_parse(*a, **k),
         samples=lambda rng, dt: sample_calls(
             ((3, 4), loom.int32), ((3, 4), loom.float16), ((3, 4), loom.uint8), grad=False)(
             rng, dt) + sample_calls(((2, 3, 4), 6, 4), ((2, 3, 4), (-1,)), ((4,), 2, 2))(rng, dt),
         error_samples=_fails((RuntimeError, "invalid shape dimension -2 at index 0", (6,), -2, 3)),
         doc="Same data with another shape, or the same bytes read as another dtype."),
    view("reshape", lambda xp, a, shape: a.reshape(_resolve(shape, a.size)), _reshape_bwd,
         maybe=True, parse=_shape_parse, node_name="ViewBackward0",  # (non-contiguous inputs:
         samples=sample_calls(((2, 3, 4), (6, 4)), ((2, 3, 4), [4, -1, 2]), ((4,), (2, 2))),
         doc="Same data with another shape (copies if needed)."),  # test_storage_views.py)
    view("view_as", _view, _reshape_bwd, prepare=_as_prepare("view_as"), parse=_shape_parse,
         functions=(), node_name="ViewBackward0", doc="`view` with `other`'s shape.",
         samples=sample_calls(((2, 3), (3, 2)), inputs=2)),
    view("reshape_as", lambda xp, a, shape: a.reshape(shape), _reshape_bwd, maybe=True,
         prepare=_as_prepare("reshape_as"), parse=_shape_parse, functions=(),
         node_name="ViewBackward0", samples=sample_calls(((2, 3), (6,)), inputs=2),
         doc="`reshape` to `other`'s shape."),
    view("ravel", lambda xp, a: a.reshape(-1), _reshape_bwd, maybe=True, node_name="ViewBackward0",
         samples=sample_calls(((2, 3),), ((),)), doc="The elements as a 1-D tensor."),
    view("transpose", _transpose, _transpose_bwd, aliases=("swapaxes", "swapdims"),
         inplace="transpose_", doc="Swap "
         "dimensions `dim0` and `dim1`.", samples=sample_calls(((2, 3, 4), 0, 2), ((2, 3), -1, 0))),
    view("t", _t, lambda ctx, g: (g.swapaxes(0, 1) if g.ndim == 2 else g,), node_name="TBackward0",
         inplace="t_",
         samples=sample_calls(((2, 3),), ((3,),)), doc="Transpose of a tensor of 2 dims or less."),
    view("T", _numpy_T, lambda ctx, g: (xp_of(g).permute_dims(g, tuple(range(g.ndim))[::-1]),),
         methods=(), functions=(), properties=("T",), torch_name=None, reference=lambda a: a.T,
         samples=sample_calls(((2, 3),), ((4, 1),)), node_name="PermuteBackward0",
         doc="Every dimension reversed (a view); warns, as PyTorch, unless the tensor is 2-D."),
    _matrix_op("mT", "mT", "The last two dimensions swapped (a view).", reference=lambda a:
               a.swapaxes(-2, -1)),
    _matrix_op("H", "H", "Conjugate transpose of a matrix.", conj=True, batched=False,
               reference=lambda a: a.conj().T),
    _matrix_op("mH", "mH", "Conjugate transpose of the last two dimensions.", conj=True,
               reference=lambda a: a.conj().swapaxes(-2, -1)),
    _matrix_op("adjoint", "adjoint()", "`.mH`: the conjugate transpose.", conj=True),
    view("permute", _permute, _permute_bwd, functions=("permute", "permute_dims"),
         doc="Reorder dimensions.", parse=_sizes("permute", "dims"),
         samples=sample_calls(((2, 3, 4), (2, 0, 1))),
         error_samples=_fails((RuntimeError, "duplicate dims are not allowed", (2, 3), (0, 0)))),
    view("movedim", _movedim, lambda ctx, g: (apply_op("movedim", g, ctx.params["destination"],
                                                       ctx.params["source"]),),
         aliases=("moveaxis",), node_name="PermuteBackward0",
         samples=sample_calls(((2, 3, 4), 0, 2), ((2, 3, 4), (0, -1), (2, 0))),
         error_samples=_fails((RuntimeError, r"repeated dim in `source`", (2, 3), (0, 0), (1, 0)),
                              (TypeError, "invalid combination", (2, 3), "yes", 1)),
         doc="Move dimensions `source` to positions `destination` (a view)."),
    view("expand", _expand, _expand_bwd, parse=_shape_parse, functions=("broadcast_to",),
         methods=("expand", "broadcast_to"),
         samples=sample_calls(((3, 1), 3, 4), ((4,), (2, 3, 4)), ((3, 1), -1, 5)),
         error_samples=_fails((RuntimeError, "must match the existing size", (3, 1), -2, 3)),
         doc="Broadcast size-1 dimensions to a larger size without copying (read-only)."),
    view("expand_as", _expand, _expand_bwd, prepare=_as_prepare("expand_as"), parse=_shape_parse,
         functions=(), node_name="ExpandBackward0",
         samples=sample_calls(((1, 1), (8, 1)), inputs=2), doc="`expand` to `other`'s shape."),
    view("broadcast_tensors", lambda xp, *arrays: tuple(_broadcast(xp, a, tuple(
        loom.broadcast_shapes(*(a.shape for a in arrays)))) for a in arrays), lambda ctx, gs: tuple(
        None if g is None else sum_to_shape(g, s) for g, s in zip(gs, ctx.shapes)),
         maybe=True, variadic=True, methods=(), node_name="ExpandBackward0",
         samples=sample_calls(((3, 1), (4,)), ((2, 1, 3), (4, 1), ()), inputs=3),
         error_samples=lambda rng: [ErrorInput((np.ones((6, 4)), np.ones((3, 4))))],
         doc="The inputs expanded to their common shape (views, read-only)."),
    view("squeeze", _squeeze, _reshape_bwd, inplace="squeeze_", parse=_squeeze_parse,
         doc="Remove size-1 dimensions (all, or `dim`s).",
         node_name=lambda p: "SqueezeBackward" + ("0" if not p or p["dim"] is None else
                                                  "1" if isinstance(p["dim"], int) else "2"),
         samples=sample_calls(((2, 1, 3, 1),), ((2, 1, 3), 1), ((1, 2, 1, 3, 1), (0, -1, 1))),
         error_samples=_fails((RuntimeError, "dim 0 appears multiple times", (), (0, -1, 1)),
                              (TypeError, "failed to unpack", (2, 1), [1, "a"]))),
    view("unsqueeze", _unsqueeze, _reshape_bwd, inplace="unsqueeze_",
         doc="Insert a size-1 dimension at `dim`.",
         samples=sample_calls(((2, 3), 1), ((2, 3), -1))),
    view("flatten", _flatten, _reshape_bwd, maybe=True, node_name="ViewBackward0", doc="Flatten "
         "dimensions `start_dim`..`end_dim`.", samples=sample_calls(((2, 3, 4),), ((2, 3, 4), 1))),
    view("unflatten", _unflatten, _reshape_bwd, node_name="ViewBackward0",
         samples=sample_calls(((6, 4), 0, (3, 2)), ((6, 4), -1, [2, -1])),
         error_samples=_fails((RuntimeError, r"sizes \[4, 2\] don't multiply", (6, 4), 0, (4, 2))),
         doc="Split dimension `dim` into `sizes` (one may be -1)."),
    view("narrow", lambda xp, a, dim, start, length: a[_narrow_at(a.shape, dim, start, length)],
         _put_back(_narrow_at), node_name="SliceBackward0",
         samples=sample_calls(((6, 4), 0, 1, 3), ((6, 4), -1, -2, 2), ((6, 4), 1, 4, 0)),
         error_samples=_fails((RuntimeError, r"start \(5\) \+ length \(2\)", (6,), 0, 5, 2)),
         doc="`length` elements of dimension `dim` from `start` (a view)."),
    view("select", lambda xp, a, dim, index: a[_select_at(a.shape, dim, index)],
         _put_back(_select_at),
         samples=sample_calls(((6, 4), 0, 2), ((6, 4), -1, -1), ((3,), 0, 0)),
         error_samples=_fails((IndexError, r"index 6 out of range for tensor of size \[6, 4\]",
                               (6, 4), 0, 6)),
         doc="The slice at `index` of dimension `dim`, which it removes (a view)."),
    view("diagonal", _diagonal, _gathered(_diagonal),
         samples=sample_calls(((3, 4),), ((3, 4), -1), ((2, 3, 4), 1, 1, 2), ((2, 3, 4), 0, -1, 0),
                              ((3, 4), 5)),
         error_samples=_fails((RuntimeError, "cannot be identical 1, 1", (2, 3, 4), 0, 1, 1)),
         doc="The diagonal of `dim1` and `dim2` at `offset`, as the last dimension (a view)."),
    view("unfold", _unfold, _gathered(_unfold), functions=(),
         samples=sample_calls(((6, 4), 0, 2, 1), ((6, 4), 1, 2, 2), ((6, 4), -1, 3, 2),
                              ((2, 5, 3), 1, 3, 1), ((), 0, 1, 1)),
         error_samples=_fails((RuntimeError, "at dimension 0 is 6 but size is 7", (6,), 0, 7, 1)),
         doc="Windows of `size` every `step` along `dimension`, in a new last dim (a view)."),
    # as_strided's backward needs where the input lies in its storage
    view("as_strided", _as_strided, _gathered(_as_strided), prepare=lambda a, *rest: (a, (
        a.stride(), a.storage_offset(), a.untyped_storage().nbytes() // a.itemsize), *rest),
         signature="(input, size, stride, storage_offset=None)",
         samples=sample_calls(((6, 4), (2, 2), (1, 2)), ((6, 4), (3, 3), (4, 1), 5),
                              ((6, 4), (4, 3), (1, 2)), ((6, 4), (2, 2), (0, 1))),
         error_samples=_fails((RuntimeError, "requiring a storage size of 200 are out of bounds "
                               "for storage of size 192", (6, 4), (5, 6), (4, 1), 3)),
         doc="A view of the input's storage with `size`, `stride` and `storage_offset`."),
    *(_atleast(k) for k in (1, 2, 3)),
    view("contiguous", _contiguous, lambda ctx, g: (g,), maybe=True, methods=(), functions=(),
         samples=lambda rng, dt: [SampleInput((rng.standard_normal((3, 4)).astype(dt).T,))],
         node_name="CloneBackward0", doc="Self if already contiguous, else a C-ordered copy."),
    op("clone", lambda xp, a, *, memory_format=None: _in_format(xp, a, memory_format),
       backward=lambda ctx, g: (g,),
       samples=sample_calls(((3, 4),)), doc="A copy with its own storage (differentiable)."),
    op("_to_dtype", lambda xp, a, dtype: a.astype(dtype.np), save_inputs=(0,), methods=(),
       backward=lambda ctx, g: (cast_like(g, ctx.saved[0]),), functions=(),
       samples=_cast_samples, reference=lambda a, dtype: a.astype(dtype.np),
       node_name="ToCopyBackward0", doc="Cast to `dtype` (Tensor.to, .float(), ...)."),
    op("_to_device", _to_device, backward=lambda ctx, g: (move_like(g, ctx.saved[0]),),
       save_inputs=(0,), methods=(), functions=(), reference=lambda a, device: a.copy(),
       samples=sample_calls(((2, 2), {"device": "cpu"})), node_name="ToCopyBackward0",
       doc="Copy to another device (Tensor.to, .cuda(), .cpu())."),
]
