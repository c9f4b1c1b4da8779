"""Shape, view, joining and conversion operators.

View operators return arrays that share the input's memory; dispatch marks their results as
views (shared storage and version counter), as PyTorch does.
"""
import math

import numpy as np

import loom
from loom.plugin import (SampleInput, backend_for, backend_of, cast_like, move_like,
                         normalize_dims, op, parse_size, sample_calls, sum_to_shape, view, xp_of)


def _shape_parse(*args, **kw):  # view(2, 3), view((2, 3)), view(size=...), view(shape=...)
    for k in ("size", "shape"):
        if k in kw:
            args = (kw.pop(k),)
    if kw:
        raise TypeError(f"unexpected keyword argument(s) {', '.join(kw)}")
    return {"shape": parse_size(args, "view")}


def _resolve(shape, n):
    """`shape` with its -1 (at most one) inferred from the element count `n`."""
    shape = list(shape)
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    for s in shape:
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s}")
    infer = -1 in shape
    known = abs(math.prod(shape))  # the product of the other sizes: none is negative
    if (known == 0 or n % known) if infer else known != n:
        raise RuntimeError(f"shape '{shape}' is invalid for input of size {n}")
    if infer:
        shape[shape.index(-1)] = n // known
    return tuple(shape)


def _view(xp, a, shape):
    try:
        return a.reshape(_resolve(shape, a.size), copy=False)
    except ValueError:
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at "
                           "least one dimension spans across two contiguous subspaces). Use "
                           ".reshape(...) instead.") from None


def _reshape_bwd(ctx, g):
    return (g.reshape(ctx.shapes[0]),)


def _reshape_samples(rng, dt):  # torch.reshape takes the shape as one sequence
    a = rng.standard_normal((2, 3, 4)).astype(dt)
    return [SampleInput((a, (6, 4))), SampleInput((a, (-1,))), SampleInput((a, [4, -1, 2])),
            SampleInput((a[0, 0], (2, 2))),
            SampleInput((a.transpose(1, 0, 2), (6, 4)), note="non-contiguous: copies")]


def _transpose(xp, a, dim0, dim1):
    return a.swapaxes(*normalize_dims((dim0, dim1), a.ndim)) if a.ndim else a[...]


def _transpose_bwd(ctx, g):  # a swap is its own inverse
    return (_transpose(None, g, ctx.params["dim0"], ctx.params["dim1"]) if g.ndim else g,)


def _t(xp, a):
    if a.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {a.ndim}D")
    return a.T


def _permute(xp, a, dims):
    if len(dims) != a.ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {a.ndim} is not equal to len(dims) = {len(dims)}")
    return a.transpose(normalize_dims(dims, a.ndim))


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
    return xp.broadcast_to(a, shape)


def _expand_bwd(ctx, g):
    return (sum_to_shape(g, ctx.shapes[0]),)


def _expand_as_prepare(a, other=None, *rest):
    if other is None:
        raise TypeError("expand_as() missing 1 required positional argument: 'other'")
    return (a, tuple(other.shape)) + rest


def _squeeze(xp, a, dim=None):
    dims = range(a.ndim) if dim is None else normalize_dims(dim, a.ndim) or ()
    return a.reshape(tuple(s for i, s in enumerate(a.shape) if not (i in dims and s == 1)))


def _unsqueeze(xp, a, dim):
    normalize_dims(dim, a.ndim + 1)  # PyTorch's IndexError for a dim out of range
    return xp.expand_dims(a, dim % (a.ndim + 1))


def _flatten(xp, a, start_dim=0, end_dim=-1):  # a 0-dim tensor flattens to one element
    s, e = normalize_dims((start_dim, end_dim), a.ndim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    return a.reshape(a.shape[:s] + (math.prod(a.shape[s:e + 1]),) + a.shape[e + 1:])


def _contiguous(xp, a, memory_format=None):
    return a if a.flags.c_contiguous else xp.ascontiguousarray(a)


def _seq_prepare(tensors, *rest):
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"expected a sequence of Tensors, got {type(tensors).__name__}")
    return tuple(tensors) + rest


def _dim_parse(*rest, dim=0, out=None):
    return {"dim": rest[0] if rest else dim}


def _cat(xp, *arrays, dim=0):
    arrays = loom.plugin.promote_arrays(*arrays)  # PyTorch's result dtype, not NumPy's
    d = normalize_dims(dim, max(a.ndim for a in arrays))[0]
    # PyTorch skips 1-D empty tensors (the legacy way to start a concatenation)
    arrays = [a for a in arrays if not (a.ndim == 1 and a.shape[0] == 0)] or arrays[:1]
    first = arrays[0]
    for n, a in enumerate(arrays[1:], 1):
        if a.ndim != first.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {first.ndim} "
                               f"and {a.ndim}")
        for i in range(a.ndim):
            if i != d and a.shape[i] != first.shape[i]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. "
                                   f"Expected size {first.shape[i]} but got size {a.shape[i]} "
                                   f"for tensor number {n} in the list.")
    return xp.concatenate(arrays, axis=d)


def _cat_bwd(ctx, g):
    nd = max(len(s) for s in ctx.shapes)
    d = normalize_dims(ctx.params["dim"], nd)[0]
    out, start = [], 0
    for s, need in zip(ctx.shapes, ctx.needs_input_grad):
        n = s[d] if len(s) == nd else 0  # a skipped 1-D empty input
        out.append(g[(slice(None),) * d + (slice(start, start + n),)] if need else None)
        start += n
    return tuple(out)


def _stack(xp, *arrays, dim=0):
    for i, a in enumerate(arrays[1:], 1):
        if a.shape != arrays[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(arrays[0].shape)} at entry 0 and {list(a.shape)} at "
                               f"entry {i}")
    return xp.stack(loom.plugin.promote_arrays(*arrays),
                    axis=normalize_dims(dim, arrays[0].ndim + 1)[0])


def _stack_bwd(ctx, g):
    d = normalize_dims(ctx.params["dim"], len(ctx.shapes[0]) + 1)[0]
    return tuple(g[(slice(None),) * d + (i,)] if need else None
                 for i, need in enumerate(ctx.needs_input_grad))


def _join_samples(rng, dt):
    a, b = (rng.standard_normal((2, 3)).astype(dt) for _ in range(2))
    return [SampleInput(([a, b],)), SampleInput(([a, b],), {"dim": 1}),
            SampleInput(([a, b, a],), {"dim": -1})]


def _to_device(xp, a, device):
    return backend_for(device).asarray(backend_of(a).to_host(a), loom.device(device).index)


def _cast_samples(rng, dt):
    a = rng.standard_normal((2, 3)).astype(dt)
    return [SampleInput((a,), {"dtype": loom.float32}, grad=False, rtol=1e-6),
            SampleInput((a,), {"dtype": loom.float64}),
            SampleInput((a,), {"dtype": loom.int64}, grad=False)]


OPS = [
    view("view", _view, _reshape_bwd, parse=_shape_parse, functions=(),
         samples=sample_calls(((2, 3, 4), 6, 4), ((2, 3, 4), (-1,)), ((2, 3, 4), 4, -1, 2),
                              ((4,), 2, 2)),
         doc="Same data with another shape; RuntimeError when the layout needs a copy."),
    view("reshape", lambda xp, a, shape: a.reshape(_resolve(shape, a.size)), _reshape_bwd,
         maybe=True, parse=_shape_parse, samples=_reshape_samples, node_name="ViewBackward0",
         doc="Same data with another shape (copies if needed)."),
    view("transpose", _transpose, _transpose_bwd, aliases=("swapaxes", "swapdims"),
         samples=sample_calls(((2, 3, 4), 0, 2), ((2, 3), -1, 0)),
         doc="Swap dimensions `dim0` and `dim1` (a view)."),
    view("t", _t, lambda ctx, g: (g.swapaxes(0, 1) if g.ndim == 2 else g,),
         samples=sample_calls(((2, 3),), ((3,),)), node_name="TBackward0",
         doc="Transpose of a tensor with at most 2 dimensions."),
    view("permute", _permute, _permute_bwd, functions=("permute", "permute_dims"),
         parse=lambda *args, **kw: {"dims": parse_size(
             (kw.pop("dims"),) if "dims" in kw else args, "permute")},
         samples=sample_calls(((2, 3, 4), (2, 0, 1))), doc="Reorder dimensions (a view)."),
    view("expand", _expand, _expand_bwd, parse=_shape_parse, functions=("broadcast_to",),
         samples=sample_calls(((3, 1), 3, 4), ((4,), (2, 3, 4)), ((3, 1), -1, 5)),
         doc="Broadcast size-1 dimensions to a larger size without copying (read-only)."),
    view("expand_as", _expand, _expand_bwd, prepare=_expand_as_prepare, parse=_shape_parse,
         functions=(), node_name="ExpandBackward0",
         samples=sample_calls(((1, 1), (8, 1)), inputs=2), doc="`expand` to `other`'s shape."),
    view("squeeze", _squeeze, _reshape_bwd, doc="Remove size-1 dimensions (all, or `dim`).",
         samples=sample_calls(((2, 1, 3, 1),), ((2, 1, 3), 1))),
    view("unsqueeze", _unsqueeze, _reshape_bwd, samples=sample_calls(((2, 3), 1), ((2, 3), -1)),
         doc="Insert a size-1 dimension at `dim`."),
    view("flatten", _flatten, _reshape_bwd, maybe=True, node_name="ViewBackward0",
         samples=sample_calls(((2, 3, 4),), ((2, 3, 4), 1)),
         doc="Flatten dimensions `start_dim`..`end_dim`."),
    view("contiguous", _contiguous, lambda ctx, g: (g,), maybe=True, methods=(), functions=(),
         samples=lambda rng, dt: [SampleInput((rng.standard_normal((3, 4)).astype(dt).T,))],
         node_name="CloneBackward0", doc="Self if already contiguous, else a C-ordered copy."),
    op("clone", lambda xp, a, *, memory_format=None: a.copy(), backward=lambda ctx, g: (g,),
       samples=sample_calls(((3, 4),)), doc="A copy with its own storage (differentiable)."),
    op("cat", _cat, backward=_cat_bwd, variadic=True, prepare=_seq_prepare, parse=_dim_parse,
       methods=(), functions=("cat", "concat", "concatenate"), samples=_join_samples,
       doc="Concatenate tensors along an existing dimension."),
    op("stack", _stack, backward=_stack_bwd, variadic=True, prepare=_seq_prepare, parse=_dim_parse,
       methods=(), samples=_join_samples, doc="Stack same-shape tensors along a new dimension."),
    op("_to_dtype", lambda xp, a, dtype: a.astype(dtype.np), save_inputs=(0,), methods=(),
       backward=lambda ctx, g: (cast_like(g, ctx.saved[0]),), functions=(),
       samples=_cast_samples, reference=lambda a, dtype: a.astype(dtype.np),
       node_name="ToCopyBackward0", doc="Cast to `dtype` (Tensor.to, .float(), ...)."),
    op("_to_device", _to_device, backward=lambda ctx, g: (move_like(g, ctx.saved[0]),),
       save_inputs=(0,), methods=(), functions=(), reference=lambda a, device: a.copy(),
       samples=sample_calls(((2, 2), {"device": "cpu"})), node_name="ToCopyBackward0",
       doc="Copy to another device (Tensor.to, .cuda(), .cpu())."),
]
