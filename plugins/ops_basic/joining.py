"""Joining (cat, stack), splitting, flipping and repeating. hstack & co. are `cat` after
reshaping; split, chunk, tensor_split, hsplit & co. and unbind return views of the input,
recorded on one node."""
import itertools

import numpy as np

from loom.plugin import (ErrorInput, SampleInput, apply_op, expand_to, is_tensor, normalize_dims,
                         op, promote_arrays, sample_calls, view, xp_of)

from .arguments import int_tuple, invalid_combination
from .indexing import _tname
from .shape import _at, _dim, _fail, _fails, _least, _sizes


def _seq(who):  # cat([a, b], ...): the tensors as the leading arguments
    def prepare(tensors, *rest):
        if not isinstance(tensors, (list, tuple)):
            raise TypeError(f"{who}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                            f"not {type(tensors).__name__}")
        if not tensors:  # PyTorch's own errors for an empty list
            if who == "cat":
                raise ValueError("torch.cat(): expected a non-empty list of Tensors")
            raise RuntimeError(f"{'vstack' if who == 'row_stack' else who} expects a non-empty "
                               f"TensorList")
        return tuple(tensors) + rest
    return prepare


def _dim_parse(dim=0, axis=None):  # cat(tensors, dim); axis= as NumPy names it (backward rules)
    return {"dim": dim if axis is None else axis}


def _cat(xp, *arrays, dim=0):
    arrays = promote_arrays(*arrays)  # PyTorch's result dtype, not NumPy's
    nd = [a.ndim for a in arrays]
    if 0 in nd:
        raise RuntimeError(f"zero-dimensional tensor (at position {nd.index(0)}) cannot be "
                           f"concatenated")
    d = normalize_dims(dim, max(nd))[0]
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
    return xp.stack(promote_arrays(*arrays),
                    axis=normalize_dims(dim, arrays[0].ndim + 1)[0])


def _stack_bwd(ctx, g):
    d = normalize_dims(ctx.params["dim"], len(ctx.shapes[0]) + 1)[0]
    return tuple(g[(slice(None),) * d + (i,)] if need else None
                 for i, need in enumerate(ctx.needs_input_grad))


def _join_samples(rng, dt):
    a, b = (rng.standard_normal((2, 3)).astype(dt) for _ in range(2))
    return [SampleInput(([a, b],)), SampleInput(([a, b],), {"dim": 1}),
            SampleInput(([a, b, a],), {"dim": -1})]


def _joiner(name, shape_of, dim, *calls, **fields):  # hstack, vstack, dstack, column_stack
    def kernel(xp, *arrays):
        arrays = [a.reshape(shape_of(a.shape)) for a in arrays]
        return _cat(xp, *arrays, dim=dim([a.shape for a in arrays]))

    def backward(ctx, g):
        shapes = [shape_of(s) for s in ctx.shapes]
        d = dim(shapes)
        ends = itertools.accumulate(s[d] for s in shapes)
        return tuple(g[_at(d, slice(e - s[d], e))].reshape(s0)
                     for e, s, s0 in zip(ends, shapes, ctx.shapes))
    return op(name, kernel, backward=backward, variadic=True, prepare=_seq(name), methods=(),
              supports_out=True, node_name="CatBackward0", doc=f"`cat` as torch.{name}.",
              samples=lambda rng, dt: [SampleInput(([rng.standard_normal(s).astype(dt)
                                                     for s in c],)) for c in calls], **fields)


def _filled(grads, shapes):  # the outputs' gradients, zeros where none came; and their xp
    t = next(g for g in grads if g is not None)
    zero = t.reshape(-1)[:0].sum()
    return [expand_to(zero, s) if g is None else g for g, s in zip(grads, shapes)], xp_of(t)


def _split_cuts(n, d, size):  # pieces of `size` (the last one smaller), or of the sizes listed
    if isinstance(size, int):
        size < 0 and _fail(f"split expects split_size be non-negative, but got split_size={size}")
        size == 0 and n and _fail(f"split_size can only be 0 if dimension size is 0, but got "
                                  f"dimension size of {n}")
        size = [min(size, n - i) for i in range(0, n, size)] if n else [0]
    min(size, default=0) < 0 and _fail(f"split_with_sizes expects split_sizes have only "
                                       f"non-negative entries, but got split_sizes={list(size)}")
    sum(size) != n and _fail(f"split_with_sizes expects split_sizes to sum exactly to {n} (input "
                             f"tensor's size at dimension {d}), but got split_sizes={list(size)}")
    ends = list(itertools.accumulate(size))
    return list(zip([0] + ends[:-1], ends))


def _chunk_cuts(n, d, chunks):
    chunks <= 0 and _fail(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    return _split_cuts(n, d, -(-n // chunks)) if n else [(0, 0)] * chunks


def _tensor_split_cuts(n, d, s):  # `s` sections (the first ones a longer), or the indices
    if isinstance(s, int):
        s <= 0 and _fail(f"number of sections must be larger than 0, got {s}")
        return _split_cuts(n, d, [n // s + 1] * (n % s) + [n // s] * (s - n % s))
    return [(i, max(i, j)) for i, j, _ in (slice(*c).indices(n) for c in zip([0, *s], [*s, n]))]


def _cut_parse(arg=None, dim=0, **names):  # the op's argument under any of PyTorch's names
    arg = next(iter(names.values())) if arg is None and names else arg
    return {"arg": arg.tolist() if is_tensor(arg) else arg, "dim": dim}


def _cutter(name, cuts, node, *calls, **fields):  # split, chunk, tensor_split, hsplit & co.
    def kernel(xp, a, arg, dim=0):
        not a.ndim and _fail(f"{name} expects at least a 1-dimensional tensor")
        d = _dim(dim, a.ndim)
        return tuple(a[_at(d, slice(s, e))] for s, e in cuts(a.shape[d], d, arg))

    def backward(ctx, grads):
        shape, p = ctx.shapes[0], ctx.params
        d = _dim(p["dim"], len(shape))
        c = cuts(shape[d], d, p["arg"])
        parts, xp = _filled(grads, [shape[:d] + (e - s,) + shape[d + 1:] for s, e in c])
        g = xp.concatenate(parts, axis=d)
        if [s for s, _ in c] + [shape[d]] == [0] + [e for _, e in c]:
            return (g,)  # the pieces tile the dimension; else (tensor_split) they may overlap
        at = _at(d, np.concatenate([np.arange(s, e) for s, e in c]))
        return (apply_op("ops_index_backward", g, shape, at),)
    return view(name, kernel, backward, parse=_cut_parse, node_name=node, samples=sample_calls(
        *calls), signature=fields.pop("signature", "(input, arg, dim=0)"), **fields)


def _along(name, k, dim, *calls, **fields):  # hsplit, vsplit, dsplit: tensor_split on one dim
    def prepare(a, arg=None, *rest):
        a.ndim < k and _fail(f"torch.{name} requires a tensor with at least {k} dimension, but "
                             f"got a tensor with {a.ndim} dimensions!")
        d = dim if a.ndim > 1 else 0
        isinstance(arg, int) and (arg == 0 or a.shape[d] % arg) and _fail(
            f"torch.{name} attempted to split along dimension {d}, but the size of the dimension "
            f"{a.shape[d]} is not divisible by the split_size {arg}!")
        return (a, arg, d, *rest)
    return _cutter(name, _tensor_split_cuts, "SliceBackward0", *calls, prepare=prepare,
                   signature="(input, indices_or_sections)",
                   doc=f"`tensor_split` along dimension {dim}, sections dividing it.", **fields)


def _unbind(xp, a, dim=0):
    not a.ndim and _fail("Dimension specified as 0 but tensor has no dimensions", IndexError)
    d = _dim(dim, a.ndim)
    return tuple(a[_at(d, i)] for i in range(a.shape[d]))


def _unbind_bwd(ctx, grads):
    shape = ctx.shapes[0]
    d = _dim(ctx.params["dim"], len(shape))
    parts, xp = _filled(grads, [shape[:d] + shape[d + 1:]] * len(grads))
    return (xp.stack(parts, axis=d),)


def _flip(xp, a, dims):
    d = normalize_dims(dims, a.ndim) or ()
    len(set(d)) != len(d) and _fail(f"dim {max(d, key=d.count)} appears multiple times in the "
                                    f"list of dims")
    return xp.flip(a, d).copy() if d and a.ndim else a.copy()


def _flip_along(k, d):  # fliplr (dim 1 of a 2-D or more), flipud (dim 0)
    def kernel(xp, a):
        a.ndim < k and _fail(f"Input must be >= {k}-d.")
        return _flip(xp, a, (d,))
    return kernel


def _itself(name):  # the backward of an op that is its own inverse
    return lambda ctx, g: (apply_op(name, g, **ctx.params),)


def _rot90(xp, a, k=1, dims=(0, 1)):
    if isinstance(k, bool) or not isinstance(k, int):
        raise TypeError(f"rot90(): argument 'k' (position 2) must be int, not {type(k).__name__}")
    len(dims) != 2 and _fail(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    a.ndim < 2 and _fail(f"expected total dims >= 2, but got total dims = {a.ndim}")
    d0, d1 = normalize_dims(dims, a.ndim)
    d0 == d1 and _fail(f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = "
                       f"{d1}")
    return xp.rot90(a, k, (d0, d1)).copy()


def _roll(xp, a, shifts, dims=None):  # PyTorch's roll: one dim at a time, as it recurses
    s = int_tuple(shifts, "roll", "shifts", 2)
    d = () if dims is None else int_tuple(dims, "roll", "dims", 3)
    if len(s) == 1 and len(d) == 1:
        if a.size == 0:  # returned before the dim is looked at
            return a.copy()
        if a.ndim == 0:
            raise IndexError(f"Dimension specified as {d[0]} but tensor has no dimensions")
        return xp.roll(a, s[0], _dim(d[0], a.ndim))
    not s and _fail("`shifts` required")
    if not d and len(s) == 1:  # the flattened tensor
        return xp.roll(a, s[0])
    len(s) != len(d) and _fail(f"shifts and dimensions must align. shifts: {len(s)}, "
                               f"dims:{len(d)}")
    for k, j in zip(s, d):
        a = _roll(xp, a, k, j)
    return a


def _repeat(xp, a, repeats):
    len(repeats) < a.ndim and _fail("Number of dimensions of repeat dims can not be smaller than "
                                    "number of dimensions of tensor")
    out = [r * s for r, s in zip(repeats, (1,) * (len(repeats) - a.ndim) + a.shape)]
    min(out, default=0) < 0 and _fail(f"Trying to create tensor with negative dimension "
                                      f"{min(out)}: {out}")
    return xp.tile(a, repeats)


def _repeat_bwd(ctx, g):  # repeat, tile: g's dimensions split into (copy, size), copies summed
    shape = ctx.shapes[0]
    s = (1,) * (g.ndim - len(shape)) + shape
    g = g.reshape([x for n, k in zip(g.shape, s) for x in (n // k if k else 1, k)])
    return (g.sum(axis=tuple(range(0, 2 * len(s), 2))).reshape(shape),)


def _counts(r):  # repeats (an int, or a tensor or array on any device) as a NumPy array
    return np.asarray(r.tolist() if hasattr(r, "tolist") else r)


def _repeat_interleave(xp, a, repeats=None, dim=None, *, output_size=None):
    """PyTorch's overloads and checks in its order: int repeats, a repeats tensor (int32 or
    int64, 0-dim or 1-dim), or the counts alone (``repeat_interleave(counts)``)."""
    if repeats is None and dim is None:  # each index repeated counts[i] times, in their dtype
        r = _repeats_tensor(a, output_size, counts=True)
        return xp.repeat(xp.arange(a.shape[0], dtype=a.dtype), r.tolist())
    if dim is not None and (isinstance(dim, bool) or not hasattr(dim, "__index__")) or not (
            is_tensor(repeats) or isinstance(repeats, int) and not isinstance(repeats, bool)):
        raise invalid_combination("repeat_interleave", repeats,
                                  *(() if dim is None else (dim,)))
    if not is_tensor(repeats):
        repeats >= 0 or _fail("Repeats must be non-negative")
        if a.ndim == 0 and dim is not None:  # PyTorch unsqueezes at dim + 1 first
            normalize_dims(1, 0)
    elif a.ndim == 0 and dim is not None:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    b, d = (a.reshape(-1), 0) if dim is None else (a, _dim(dim, a.ndim))
    if is_tensor(repeats):
        repeats.ndim > 1 and _fail("repeats must be 0-dim or 1-dim tensor")
        repeats.ndim and repeats.numel() not in (1, b.shape[d]) and _fail(
            f"repeats must have the same size as input along dim, but got repeats.size(0) = "
            f"{repeats.numel()} and input.size({0 if dim is None else dim}) = {b.shape[d]}")
        r = _repeats_tensor(repeats, output_size)
    else:
        r = np.asarray(repeats)
        output_size is None or output_size == repeats * b.shape[d] or _fail(
            f"repeat_interleave: Invalid output_size, expected {repeats * b.shape[d]} but got "
            f"{output_size}")
    return xp.repeat(b, r.tolist(), axis=d)  # CuPy takes the counts as a list


def _repeat_interleave_parse(*args, **kw):  # repeats given as None is no overload of PyTorch's
    p = dict(zip(("repeats", "dim"), args), **kw)
    if len(args) > 2 or set(p) - {"repeats", "dim", "output_size"} or "repeats" in p and \
            p["repeats"] is None:
        raise invalid_combination("repeat_interleave", *args, *kw.values())
    return dict(repeats=p.get("repeats"), dim=p.get("dim"), output_size=p.get("output_size"))


def _repeats_tensor(r, output_size, counts=False):
    """A repeats tensor (or, with `counts`, the raw counts) as a NumPy array of counts, with
    PyTorch's checks of the inner repeat_interleave(repeats)."""
    arr = r.detach().to("cpu").numpy() if is_tensor(r) else r.get() if hasattr(r, "get") else r
    if arr.dtype not in (np.int32, np.int64):
        raise NotImplementedError(f"\"repeat_interleave_cpu\" not implemented for "
                                  f"'{_tname(arr)}'")
    c = arr.astype(np.int64)
    (c.ndim != 1 if counts else False) and _fail("repeat_interleave only accept 1D vector as "
                                                 "repeat")
    (c < 0).any() and _fail("repeats can not be negative")
    output_size is None or output_size == (c.sum() if c.ndim else 0) or not counts or _fail(
        "allocated size does not match required size")
    return c


def _repeat_interleave_bwd(ctx, g):  # each input element gets the sum of its copies
    shape, dim, r = ctx.shapes[0], ctx.params["dim"], _counts(ctx.params["repeats"])
    flat = (int(np.prod(shape)),) if dim is None else shape
    d = 0 if dim is None else _dim(dim, len(shape))
    at = _at(d, np.repeat(np.arange(flat[d]), r))
    return (apply_op("ops_index_backward", g, flat, at).reshape(shape),)


def _block_diag(xp, *arrays):
    for i, a in enumerate(arrays):
        if a.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer "
                               f"dimensions. Input {i} has {a.ndim} dimensions")
    arrays = promote_arrays(*arrays)
    blocks = [a.reshape(a.shape if a.ndim == 2 else (1, -1)) for a in arrays]
    out = xp.zeros((sum(b.shape[0] for b in blocks), sum(b.shape[1] for b in blocks)),
                   arrays[0].dtype)
    r = c = 0
    for b in blocks:
        out[r:r + b.shape[0], c:c + b.shape[1]] = b
        r, c = r + b.shape[0], c + b.shape[1]
    return out


def _block_diag_bwd(ctx, g):  # each input's block of the gradient
    out, r, c = [], 0, 0
    for s in ctx.shapes:
        h, w = s if len(s) == 2 else (1, s[0] if s else 1)
        out.append(g[r:r + h, c:c + w].reshape(s))
        r, c = r + h, c + w
    return tuple(out)


OPS = [
    op("block_diag", _block_diag, backward=_block_diag_bwd, variadic=True, methods=(),
       samples=lambda rng, dt: [SampleInput(tuple(rng.standard_normal(s).astype(dt)
                                                  for s in c)) for c in (
           ((2, 2), (2, 3)), ((), (3,), (2, 1)), ((1, 0), (2, 2)))],
       doc="A block-diagonal matrix of the inputs (0-D and 1-D ones as rows)."),
    op("cat", _cat, backward=_cat_bwd, variadic=True, prepare=_seq("cat"), parse=_dim_parse,
       methods=(), functions=("cat", "concat", "concatenate"), samples=_join_samples,
       supports_out=True, error_samples=lambda rng: [ErrorInput(
           ([np.array(1.0), np.array(2.0)],), match=r"zero-dimensional tensor \(at position 0")],
       doc="Concatenate tensors along an existing dimension."),
    op("stack", _stack, backward=_stack_bwd, variadic=True, prepare=_seq("stack"), parse=_dim_parse,
       methods=(), samples=_join_samples, supports_out=True,
       doc="Stack same-shape tensors along a new dimension."),
    _joiner("hstack", lambda s: _least(s, 1), lambda ss: 0 if all(len(s) == 1 for s in ss) else 1,
            [(2, 3), (2, 1)], [(3,), (), (2,)]),
    _joiner("vstack", lambda s: _least(s, 2), lambda ss: 0, [(2, 3), (3,)], [(), ()],
            functions=("vstack", "row_stack")),
    _joiner("dstack", lambda s: _least(s, 3), lambda ss: 2, [(2, 3), (2, 3, 2)], [(3,), (3,)]),
    _joiner("column_stack", lambda s: s if len(s) > 1 else (max(s, default=1), 1),
            lambda ss: 1, [(3,), (3, 2)], [(), ()]),
    _cutter("split", _split_cuts, lambda p: "SplitWithSizesBackward0" if p and isinstance(
        p["arg"], (list, tuple)) else "SplitBackward0", ((6, 4), 2), ((6, 4), 4), ((6, 4), [1, 5]),
            ((6, 4), 3, 1), ((6, 4), [2, 0, 2], -1), error_samples=_fails(
                (RuntimeError, r"sum exactly to 6 \(input tensor's size at dimension 0", (6,), [1]),
                (RuntimeError, "non-negative, but got split_size=-1", (6, 4), -1)),
            doc="Views of pieces of `split_size` along `dim`, or of the sizes listed."),
    _cutter("split_with_sizes", _split_cuts, "SplitWithSizesBackward0", ((6, 4), [1, 5]),
            ((6, 4), [2, 2], 1), doc="`split` into pieces of the sizes listed."),
    _cutter("chunk", _chunk_cuts, "SplitBackward0", ((6, 4), 4), ((5,), 4), ((6, 4), 3, 1),
            ((0, 2), 3), error_samples=_fails((RuntimeError, "greater than 0, got: 0", (6,), 0)),
            doc="`chunks` views along `dim` (`split` into pieces of ceil(n / chunks))."),
    _cutter("tensor_split", _tensor_split_cuts, "SliceBackward0", ((6, 4), 4), ((6, 4), [1, 4]),
            ((6, 4), [4, 1]), ((6, 4), (1, 3), 1), ((6, 4), [-2, 9]), error_samples=_fails(
                (RuntimeError, "number of sections must be larger than 0", (6, 4), 0)),
            doc="Views of `sections` near-equal pieces, or between the `indices`, along `dim`."),
    _along("hsplit", 1, 1, ((6, 4), 2), ((6,), [1, 4]), error_samples=_fails(
        (RuntimeError, "dimension 4 is not divisible by the split_size 3", (6, 4), 3))),
    _along("vsplit", 2, 0, ((6, 4), [1, 3]), error_samples=_fails(
        (RuntimeError, "at least 2 dimension, but got a tensor with 1", (6,), 2))),
    _along("dsplit", 3, 2, ((2, 3, 4), 2)),
    view("unbind", _unbind, _unbind_bwd, doc="The slices along `dim`, a tuple of views.",
         samples=sample_calls(((3, 4),), ((3, 4), 1), ((2,),)),
         error_samples=_fails((IndexError, "Dimension specified as 0", ()))),
    op("flip", _flip, backward=_itself("flip"), parse=_sizes("flip", "dims"), doc="A copy with "
       "the elements' order along `dims` reversed.", samples=sample_calls(
           ((3, 4), (0,)), ((2, 3, 4), (0, -1)), ((3, 4), ())),
       error_samples=_fails((RuntimeError, "dim 0 appears multiple times", (3, 4), (0, 0)))),
    op("fliplr", _flip_along(2, 1), backward=_itself("fliplr"), doc="`flip` of dimension 1.",
       samples=sample_calls(((3, 4),), ((2, 3, 4),)),
       error_samples=_fails((RuntimeError, r"Input must be >= 2-d\.", (3,)))),
    op("flipud", _flip_along(1, 0), backward=_itself("flipud"), doc="`flip` of dimension 0.",
       samples=sample_calls(((3, 4),), ((3,),)),
       error_samples=_fails((RuntimeError, r"Input must be >= 1-d\.", ()))),
    op("rot90", _rot90, backward=lambda ctx, g: (apply_op("rot90", g, -ctx.params["k"],
                                                          ctx.params["dims"]),),
       samples=sample_calls(((3, 4),), ((3, 4), 2), ((2, 3, 4), -1, (2, 0)), ((3, 4), 5, [1, 0])),
       error_samples=_fails((RuntimeError, "dims to be different", (3, 4), 1, (0, 0))),
       doc="Rotation by 90 degrees `k` times, from `dims[0]` towards `dims[1]` (a copy)."),
    op("roll", _roll, backward=lambda ctx, g: (apply_op(
        "roll", g, np.negative(ctx.params["shifts"]).tolist(), ctx.params["dims"]),),
       samples=sample_calls(((3, 4), 1), ((3, 4), (1, -2), (0, 1)), ((3, 4), 5, -1)),
       error_samples=_fails((RuntimeError, "shifts: 2, dims:1", (3, 4), (1, 2), 0),
                            (IndexError, "no dimensions", (), 5, 0),
                            (TypeError, "must be tuple of ints", (3, 4), 1.5),
                            (TypeError, "failed to unpack", (3, 4), [1, "a"], -1)),
       doc="Elements shifted by `shifts` along `dims` (of the flattened tensor without dims)."),
    op("repeat", _repeat, backward=_repeat_bwd, parse=_sizes("repeat", "repeats"), functions=(),
       samples=sample_calls(((2, 3), 2, 1), ((2, 3), (2, 1, 3)), ((3,), 0, 2)),
       error_samples=_fails((RuntimeError, r"negative dimension -2: \[-2, 3\]", (2, 3), -1, 1)),
       doc="The tensor repeated `repeats[i]` times along dimension i (a copy)."),
    op("tile", lambda xp, a, dims: _repeat(xp, a, (1,) * (a.ndim - len(dims)) + tuple(dims)),
       backward=_repeat_bwd, parse=_sizes("tile", "dims"), node_name="RepeatBackward0",
       samples=sample_calls(((2, 3), (2,)), ((2, 3), (2, 1, 1)), ((2, 3), (2, 2))),
       error_samples=_fails((RuntimeError, "negative dimension", (2, 3), (-1,))),
       doc="`repeat`, `dims` padded with leading ones to the tensor's dimensions."),
    op("repeat_interleave", _repeat_interleave, backward=_repeat_interleave_bwd,
       parse=_repeat_interleave_parse,
       node_name=lambda p: "ViewBackward0" if p and isinstance(p["repeats"], int) else
       "IndexSelectBackward0", samples=lambda rng, dt: sample_calls(
           ((2, 3), 2), ((2, 3), 3, 0), ((2, 3), np.array([1, 0, 2]), -1))(rng, dt) +
       [SampleInput((np.array([1, 0, 3]),), grad=False)],
       error_samples=lambda rng: _fails(
           (RuntimeError, "Repeats must be non-negative", (2, 3), -1),
           (TypeError, "invalid combination", (2, 3), "yes", 0),
           (TypeError, "invalid combination", (2, 3), 1.5),
           (IndexError, r"range of \[-1, 0\]", (), 3, 0))(rng) + [
           ErrorInput((np.ones((2, 3)), np.ones(3), -1), error=NotImplementedError),
           ErrorInput((np.array([1, 2], np.int16),), error=NotImplementedError)],
       doc="Each element repeated `repeats` (or `repeats[i]`) times along `dim` (or flattened)."),
]
