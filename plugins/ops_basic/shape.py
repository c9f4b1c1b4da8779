"""Shape, view, joining and conversion operators.

View operators return arrays that share the input's memory; dispatch marks their results as
views (shared storage and version counter), as PyTorch does.
"""
from __future__ import annotations

import numpy as np

import loom
from loom.plugin import (SampleInput, backend_for, backend_of, cast_like, move_like,
                         normalize_dims, op, parse_size, sum_to_shape, view, xp_of)


def _shape_parse(*args, **kw):
    if "size" in kw:
        args = (kw.pop("size"),)
    if "shape" in kw:
        args = (kw.pop("shape"),)
    if kw:
        raise TypeError(f"unexpected keyword argument(s) {', '.join(kw)}")
    return {"shape": parse_size(args, "view")}


def _resolve(shape, n, who):
    shape = list(shape)
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if -1 in shape:
        if known == 0 or n % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {n}")
        shape[shape.index(-1)] = n // known
    elif known != n:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {n}")
    return tuple(shape)


def _view(xp, a, shape):
    shape = _resolve(shape, a.size, "view")
    try:
        return a.reshape(shape, copy=False)
    except ValueError:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead.") \
            from None


def _reshape(xp, a, shape):
    return a.reshape(_resolve(shape, a.size, "reshape"))


def _reshape_bwd(ctx, g):
    return (g.reshape(ctx.shapes[0]),)


def _view_samples(rng, dt):
    a = rng.standard_normal((2, 3, 4)).astype(dt)
    return [SampleInput((a, 6, 4)), SampleInput((a, (-1,))), SampleInput((a, 4, -1, 2)),
            SampleInput((a[0, 0], 2, 2))]


def _reshape_samples(rng, dt):
    # torch.reshape takes the shape as one sequence (Tensor.view/reshape also take it spread)
    a = rng.standard_normal((2, 3, 4)).astype(dt)
    return [SampleInput((a, (6, 4))), SampleInput((a, (-1,))), SampleInput((a, [4, -1, 2])),
            SampleInput((a[0, 0], (2, 2))),
            SampleInput((a.transpose(1, 0, 2), (6, 4)), note="non-contiguous: copies")]


def _transpose(xp, a, dim0, dim1):
    d0, d1 = normalize_dims((dim0, dim1), a.ndim) if a.ndim else (0, 0)
    return a.swapaxes(d0, d1) if a.ndim else a[...]


def _transpose_bwd(ctx, g):
    p = ctx.params
    if not len(ctx.shapes[0]):
        return (g,)
    d0, d1 = normalize_dims((p["dim0"], p["dim1"]), len(ctx.shapes[0]))
    return (g.swapaxes(d0, d1),)


def _t(xp, a):
    if a.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {a.ndim}D")
    return a.T


def _t_bwd(ctx, g):
    return (g.swapaxes(0, 1) if g.ndim == 2 else g,)


def _permute_parse(*args, **kw):
    if "dims" in kw:
        args = (kw.pop("dims"),)
    return {"dims": parse_size(args, "permute")}


def _permute(xp, a, dims):
    if len(dims) != a.ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {a.ndim} is not equal to len(dims) = {len(dims)}")
    return a.transpose(normalize_dims(dims, a.ndim))


def _permute_bwd(ctx, g):
    dims = normalize_dims(ctx.params["dims"], len(ctx.shapes[0]))
    inv = tuple(int(i) for i in np.argsort(dims))
    return (xp_of(g).permute_dims(g, inv),)


def _expand(xp, a, shape):
    shape = list(shape)
    nd = len(shape)
    if nd < a.ndim:
        raise RuntimeError(f"expand(torch.FloatTensor{{{list(a.shape)}}}, size={shape}): the "
                           f"number of sizes provided ({nd}) must be greater or equal to the "
                           f"number of dimensions in the tensor ({a.ndim})")
    lead = nd - a.ndim
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
    if type(a) is not np.ndarray:
        return xp.broadcast_to(a, shape)
    lead = len(shape) - a.ndim
    strides = (0,) * lead + tuple(0 if s == 1 and n != 1 else st
                                  for s, n, st in zip(a.shape, shape[lead:], a.strides))
    try:
        # a contiguous array (or view) exports its memory; the result's base is `a`
        out = np.ndarray(shape, a.dtype, buffer=a, strides=strides)
    except (TypeError, ValueError, BufferError):
        return xp.broadcast_to(a, shape)
    out.flags.writeable = False
    return out


def _expand_bwd(ctx, g):
    return (sum_to_shape(g, ctx.shapes[0]),)


def _expand_as_prepare(a, other=None, *rest):
    if other is None:
        raise TypeError("expand_as() missing 1 required positional argument: 'other'")
    return (a, tuple(other.shape)) + rest


def _squeeze(xp, a, dim=None):
    if dim is None:
        return a.reshape(tuple(s for s in a.shape if s != 1))
    dims = normalize_dims(dim, a.ndim) or ()
    if a.ndim == 0:
        return a
    return a.reshape(tuple(s for i, s in enumerate(a.shape) if not (i in dims and s == 1)))


def _unsqueeze(xp, a, dim):
    n = a.ndim + 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return xp.expand_dims(a, dim % n)


def _flatten(xp, a, start_dim=0, end_dim=-1):
    if a.ndim == 0:
        return a.reshape(1)
    s, e = normalize_dims((start_dim, end_dim), a.ndim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = a.shape[:s] + (-1,) + a.shape[e + 1:]
    return a.reshape(shape) if a.size else a.reshape(a.shape[:s] + (int(np.prod(a.shape[s:e + 1])),) + a.shape[e + 1:])


def _contiguous(xp, a, memory_format=None):
    return a if a.flags.c_contiguous else xp.ascontiguousarray(a)


def _identity_bwd(ctx, g):
    return (g,)


def _clone(xp, a, *, memory_format=None):
    return a.copy()


# --------------------------------------------------------------------------- joining

def _seq_prepare(tensors, *rest):
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"expected a sequence of Tensors, got {type(tensors).__name__}")
    return tuple(tensors) + rest


def _cat_parse(*rest, dim=0, out=None):
    return {"dim": rest[0] if rest else dim}


def _cat(xp, *arrays, dim=0):
    nd = max(a.ndim for a in arrays)
    d = normalize_dims(dim, nd)[0]
    arrays = [a for a in arrays if not (a.ndim == 1 and a.shape[0] == 0)] or arrays[:1]
    for n, a in enumerate(arrays[1:], 1):
        if a.ndim != arrays[0].ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got "
                               f"{arrays[0].ndim} and {a.ndim}")
        for i in range(a.ndim):
            if i != d and a.shape[i] != arrays[0].shape[i]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. "
                                   f"Expected size {arrays[0].shape[i]} but got size "
                                   f"{a.shape[i]} for tensor number {n} in the list.")
    return xp.concatenate(arrays, axis=d)


def _cat_bwd(ctx, g):
    shapes = ctx.shapes
    nd = max(len(s) for s in shapes)
    d = normalize_dims(ctx.params["dim"], nd)[0]
    out, start = [], 0
    for s, need in zip(shapes, ctx.needs_input_grad):
        n = s[d] if len(s) == nd else 0
        idx = (slice(None),) * d + (slice(start, start + n),)
        out.append(g[idx] if need else None)
        start += n
    return tuple(out)


def _stack(xp, *arrays, dim=0):
    for i, a in enumerate(arrays[1:], 1):
        if a.shape != arrays[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(arrays[0].shape)} at entry 0 and {list(a.shape)} at "
                               f"entry {i}")
    d = normalize_dims(dim, arrays[0].ndim + 1)[0]
    return xp.stack(arrays, axis=d)


def _stack_bwd(ctx, g):
    d = normalize_dims(ctx.params["dim"], len(ctx.shapes[0]) + 1)[0]
    return tuple(g[(slice(None),) * d + (i,)] if need else None
                 for i, need in enumerate(ctx.needs_input_grad))


def _join_samples(rng, dt):
    a = rng.standard_normal((2, 3)).astype(dt)
    b = rng.standard_normal((2, 3)).astype(dt)
    return [SampleInput(([a, b],)), SampleInput(([a, b],), {"dim": 1}),
            SampleInput(([a, b, a],), {"dim": -1})]


# --------------------------------------------------------------------------- conversion

def _to_dtype(xp, a, dtype):
    return a.astype(dtype.np)


def _to_dtype_bwd(ctx, g):
    return (cast_like(g, ctx.saved[0]),)


def _to_device(xp, a, device):
    src = backend_of(a)
    dst = backend_for(device)
    host = src.to_host(a)
    return dst.asarray(host, loom.device(device).index)


def _to_device_bwd(ctx, g):
    return (move_like(g, ctx.saved[0]),)


def _cast_samples(rng, dt):
    a = rng.standard_normal((2, 3)).astype(dt)
    return [SampleInput((a,), {"dtype": loom.float32}, grad=False, rtol=1e-6),
            SampleInput((a,), {"dtype": loom.float64}),
            SampleInput((a,), {"dtype": loom.int64}, grad=False)]


def _sample(*shapes_and_args):
    """Samples calling the op on a standard-normal array of each shape, with extra args."""
    def samples(rng, dt):
        return [SampleInput((rng.standard_normal(shape).astype(dt), *args))
                for shape, *args in shapes_and_args]
    return samples


OPS = [
    view("view", _view, _reshape_bwd, parse=_shape_parse, functions=(), samples=_view_samples,
         doc="Same data with another shape; RuntimeError when the layout needs a copy."),
    view("reshape", _reshape, _reshape_bwd, maybe=True, parse=_shape_parse,
         samples=_reshape_samples, node_name="ViewBackward0",
         doc="Same data with another shape (copies if needed)."),
    view("transpose", _transpose, _transpose_bwd, methods=("transpose", "swapaxes", "swapdims"),
         functions=("transpose", "swapaxes", "swapdims"),
         samples=_sample(((2, 3, 4), 0, 2), ((2, 3), -1, 0)),
         doc="Swap dimensions `dim0` and `dim1` (a view)."),
    view("t", _t, _t_bwd, samples=_sample(((2, 3),), ((3,),)), node_name="TBackward0",
         doc="Transpose of a tensor with at most 2 dimensions."),
    view("permute", _permute, _permute_bwd, parse=_permute_parse,
         functions=("permute", "permute_dims"), samples=_sample(((2, 3, 4), (2, 0, 1))),
         doc="Reorder dimensions (a view)."),
    view("expand", _expand, _expand_bwd, parse=_shape_parse, functions=("broadcast_to",),
         samples=_sample(((3, 1), 3, 4), ((4,), (2, 3, 4)), ((3, 1), -1, 5)),
         doc="Broadcast size-1 dimensions to a larger size without copying (read-only)."),
    view("expand_as", _expand, _expand_bwd, prepare=_expand_as_prepare, parse=_shape_parse,
         functions=(), node_name="ExpandBackward0",
         samples=lambda rng, dt: [SampleInput((rng.standard_normal((1, 1)).astype(dt),
                                               rng.standard_normal((8, 1)).astype(dt)))],
         doc="`expand` to `other`'s shape."),
    view("squeeze", _squeeze, _reshape_bwd, samples=_sample(((2, 1, 3, 1),), ((2, 1, 3), 1)),
         doc="Remove size-1 dimensions (all, or `dim`)."),
    view("unsqueeze", _unsqueeze, _reshape_bwd, samples=_sample(((2, 3), 1), ((2, 3), -1)),
         doc="Insert a size-1 dimension at `dim`."),
    view("flatten", _flatten, _reshape_bwd, maybe=True, samples=_sample(((2, 3, 4),),
                                                                        ((2, 3, 4), 1)),
         node_name="ViewBackward0", doc="Flatten dimensions `start_dim`..`end_dim`."),
    view("contiguous", _contiguous, _identity_bwd, maybe=True, methods=(), functions=(),
         samples=lambda rng, dt: [SampleInput((rng.standard_normal((3, 4)).astype(dt).T,))],
         node_name="CloneBackward0", doc="Self if already contiguous, else a C-ordered copy."),
    op("clone", _clone, backward=_identity_bwd, samples=_sample(((3, 4),)),
       doc="A copy with its own storage (differentiable)."),
    op("cat", _cat, backward=_cat_bwd, variadic=True, prepare=_seq_prepare, methods=(),
       parse=_cat_parse, functions=("cat", "concat", "concatenate"), samples=_join_samples,
       doc="Concatenate tensors along an existing dimension."),
    op("stack", _stack, backward=_stack_bwd, variadic=True, prepare=_seq_prepare, methods=(),
       parse=_cat_parse, samples=_join_samples,
       doc="Stack same-shape tensors along a new dimension."),
    op("_to_dtype", _to_dtype, backward=_to_dtype_bwd, save_inputs=(0,), methods=(),
       functions=(), samples=_cast_samples, torch_name=None,
       reference=lambda a, dtype: a.astype(dtype.np), node_name="ToCopyBackward0",
       doc="Cast to `dtype` (Tensor.to, .float(), ...)."),
    op("_to_device", _to_device, backward=_to_device_bwd, save_inputs=(0,), methods=(),
       functions=(), torch_name=None, reference=lambda a, device: a.copy(),
       samples=lambda rng, dt: [SampleInput((rng.standard_normal((2, 2)).astype(dt),),
                                            {"device": "cpu"})],
       node_name="ToCopyBackward0", doc="Copy to another device (Tensor.to, .cuda(), .cpu())."),
]
