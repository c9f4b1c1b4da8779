"""Indexing along one dimension: `gather` and `take_along_dim`, `scatter` (with `scatter_add`
and `scatter_reduce`), `index_select`, `index_add`, `index_copy` and `index_fill`.

`_coords` turns an index tensor and a dimension into the NumPy index of the positions it
addresses (the index at `dim`, aranges elsewhere); forward kernels read or write there, and
gradients go back through the same positions (`ops_index_backward` adds duplicates up).
"""
import math
import warnings

import numpy as np

from loom.plugin import (apply_op, backend_of, is_tensor, normalize_dims, op, sample_calls,
                         sum_to_shape, xp_of)

from .arguments import one_dim
from .indexing import _at, _broadcast, _calls, _errs, _i, _tname, _zero_at

_IDX = (np.int64, np.int32)


def _1d(x):  # a 0-dim input or index counts as one element along dim 0
    return x.reshape(1) if x.ndim == 0 else x


def _coords(index, d):
    """The NumPy index of the positions `index` addresses along `d` (a tuple of arrays)."""
    i = _1d(index._data if is_tensor(index) else index)
    xp = backend_of(i).xp
    return tuple(i if k == d else xp.arange(n).reshape((-1,) + (1,) * (i.ndim - 1 - k))
                 for k, n in enumerate(i.shape))


def _check(who, a, index, dim, src=None, name=None):
    """gather's and scatter's checks in PyTorch's order (the dim's type and range, the dtypes,
    the shapes, the positions) and messages; the dim, non-negative. `name`: the function named
    in the dim's TypeError."""
    d = one_dim(dim, a.ndim, name or who)
    if index.dtype not in _IDX or src is not None and src.dtype != a.dtype:
        raise RuntimeError(f"{who}(): Expected dtype int32/int64 for index" if index.dtype not in
                           _IDX else "scatter(): Expected self.dtype to be equal to src.dtype")
    sa, si = _1d(a).shape, _1d(index).shape
    for x, what in ((a, "input" if who == "gather" else "self"), (src, "src")):
        if x is not None and len(_1d(x).shape) != len(si):
            raise RuntimeError(f"Index tensor must have the same number of dimensions as {what} "
                               f"tensor")
    k = next((k for k in range(len(si)) if k != d and si[k] > sa[k] or src is not None and
              si[k] > _1d(src).shape[k]), None)
    if k is not None:
        raise RuntimeError(f"Size does not match at dimension {k} expected index {list(si)} to be"
                           f" no larger than self {list(sa)} apart from dimension {d}"
                           if src is None else f"Expected index {list(si)} to be no larger than "
                           f"self {list(sa)} apart from dimension {d} and to be no larger size "
                           f"than src {list(_1d(src).shape)}")
    bad = index[(index < 0) | (index >= sa[d])]
    if bad.size:
        raise RuntimeError(f"index {int(bad[0])} is out of bounds for dimension {d} with size "
                           f"{sa[d]}")
    return d


def _gather(xp, a, index, dim, *, sparse_grad=False):
    return _1d(a)[_coords(index, _check("gather", a, index, dim))].reshape(index.shape)


def _d(ctx):  # the call's dim, non-negative
    return normalize_dims(ctx.params["dim"], len(ctx.shapes[0]))[0]


def _into(g, shape, key):  # zeros of `shape` with `g` added where `key` points
    return apply_op("ops_index_backward", _1d(g), tuple(shape) or (1,), key).reshape(shape)


def _added(g, index, shape, d):  # the gradient of gather: `g` added where `index` points along d
    return _into(g.reshape(tuple(index.shape) or (1,)), shape, _coords(index, d))


def _pad(gs, index, shape):  # the gradient of a src larger than the index: zeros beyond
    return gs if tuple(gs.shape) == tuple(shape) else _into(
        gs, shape, tuple(slice(0, n) for n in index.shape))


def _src_grad(g, index, d, shape):  # `g` at the positions, as the src's shape
    return _pad(_1d(g)[_coords(index, d)].reshape(index.shape), index, shape)


def _scatter(xp, a, index, *src, dim, value=None, reduce=None):  # a tensor `src` or a `value`
    s = src[0] if src else None
    d = _check("scatter", a, index, dim, s)
    if reduce not in (None, "add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    if s is not None and reduce is not None:
        warnings.warn("The reduce argument of torch.scatter with Tensor src is deprecated and will"
                      " be removed in a future PyTorch release. Use torch.scatter_reduce instead "
                      "for more reduction options.", UserWarning, stacklevel=3)
    out, c = a.copy(), _coords(index, d)
    v = value if s is None else _1d(s)[tuple(slice(0, n) for n in _1d(index).shape)]
    if reduce is None:
        _1d(out)[c] = v
    else:
        (xp.add if reduce == "add" else xp.multiply).at(_1d(out), c, v)
    return out


def _scatter_bwd(ctx, g):
    (index,), need, d = ctx.saved, ctx.needs_input_grad, _d(ctx)
    if ctx.params["reduce"] is not None:
        raise RuntimeError("derivative for aten::scatter is not implemented")
    return (_zero_at(g, _coords(index, d)) if need[0] else None, None,
            _src_grad(g, index, d, ctx.shapes[2]) if need[2:] == (True,) else None)


_UFUNC = {"sum": "add", "mean": "add", "prod": "multiply", "amax": "maximum", "amin": "minimum",
          "max": "maximum", "min": "minimum"}  # max and min: PyTorch's unlisted spellings


def _scatter_reduce(xp, a, index, src, dim, reduce, *, include_self=True, _who="scatter_reduce"):
    d = _check("scatter", a, index, dim, src, _who)
    if reduce not in _UFUNC:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    out, c = a.copy(), _coords(index, d)
    if not include_self:  # a position written to starts from the reduction's identity
        big = np.inf if a.dtype.kind == "f" else np.iinfo(a.dtype).max
        _1d(out)[c] = {"add": 0, "multiply": 1, "maximum": -big, "minimum": big}[_UFUNC[reduce]]
    getattr(xp, _UFUNC[reduce]).at(_1d(out), c, _1d(src)[tuple(
        slice(0, n) for n in _1d(index).shape)])
    if reduce == "mean":
        n = xp.full(_1d(a).shape, int(include_self), a.dtype)
        xp.add.at(n, c, 1)
        n = xp.maximum(n, 1).reshape(a.shape)
        out = out / n if a.dtype.kind in "fc" else out // n
    return out


def _scatter_reduce_bwd(ctx, g):  # PyTorch's rules (ties of amax/amin share the gradient)
    (a, index, src, out), p, (na, _, ns) = ctx.saved, ctx.params, ctx.needs_input_grad
    d, red, inc, xp, one, one_s = _d(ctx), p["reduce"], p["include_self"], xp_of(g), g * 0 + 1, \
        src * 0 + 1  # ones of g's and src's dtype
    c = _coords(index, d)

    def add(x, s):
        return apply_op("scatter_add", x, index, s, d)

    def red_(x, s):
        return apply_op("scatter_reduce", x, index, s, d, red, include_self=inc)
    if red == "sum":
        ga, gs = g, g[c]
    elif red == "mean":
        n = add(one * inc, one_s)
        ga = g / xp.where(n == 0, one, n)
        gs = ga[c]
    elif red == "prod":  # the product of the others, right where an element is 0
        ma, zero = xp.where(a == 0, one, a), src == 0
        single = zero * (add(g * 0, zero * one_s)[c] == 1)
        ga = g * red_(ma, src) / ma
        gs = xp.where(single, (g * red_(a, xp.where(single, one_s, src)))[c],
                      (g * out)[c] / xp.where(zero, one_s, src))
    else:
        at_a, at_s = (a == out) * one, (src == out[c]) * one_s
        share = g / add(at_a, at_s)
        ga, gs = at_a * share, at_s * share[c]
    return (ga if inc else _zero_at(ga, c)) if na else None, None, \
        _pad(gs, index, ctx.shapes[2]) if ns else None


def _along(index, d):  # the NumPy index of `index` along dim `d`
    return (slice(None),) * d + (_1d(index),)


def _out_of(index, n, neg=False):  # the first element of `index` out of range(-n or 0, n)
    bad = index[(index < (-n if neg else 0)) | (index >= n)]
    return int(bad.reshape(-1)[0]) if bad.size else None


def _index_select(xp, a, index, dim):
    d = one_dim(dim, a.ndim, "index_select")
    if index.ndim > 1 or index.dtype not in _IDX:
        raise IndexError("index_select(): Index is supposed to be a vector") if index.ndim > 1 \
            else RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    if a.ndim == 0 and index.size != 1:
        raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got "
                           f"{index.size} value(s)")
    bad, n = _out_of(index, _1d(a).shape[d]), _1d(a).shape[d]
    if bad is not None:  # PyTorch's CPU kernels word it three ways (and two exception types)
        if a.ndim > 1 and a.size == 0 and n == 0:
            raise RuntimeError("index_select(): self indexing axis dim should be positive")
        if a.ndim > 1 and (a.size == 0 or d == 1):
            raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} axis_dim={n}")
        raise IndexError("index out of range in self")
    r = xp.take(_1d(a), index.reshape(-1), axis=d)
    return r.reshape(()) if a.ndim == 0 else r


def _out_of_storage(a, d, index):
    """PyTorch's error when index_fill/index_copy address an empty `a` through a view of it
    that needs memory (every other dim non-empty); None when that view is empty too."""
    shape = a.shape[:d] + (index.size,) + a.shape[d + 1:]
    if a.size or not math.prod(shape):
        return None
    strides = [math.prod(max(n, 1) for n in a.shape[k + 1:]) for k in range(a.ndim)]
    strides[d] = 0
    need = a.itemsize * (1 + sum((n - 1) * s for n, s in zip(shape, strides)))
    return RuntimeError(f"setStorage: sizes {list(shape)}, strides {strides}, storage offset 0, "
                        f"and itemsize {a.itemsize} requiring a storage size of {need} are out "
                        f"of bounds for storage of size 0")


def _index_add(xp, a, index, source, dim, *, alpha=1):
    d, who, n = one_dim(dim, a.ndim, "index_add"), "index_add_()", index.size
    if index.ndim > 1:
        raise IndexError(f"{who}: Index is supposed to be a vector, but got dim: {index.ndim} "
                         f"with type: {_tname(index)} and size: {list(index.shape)}")
    problem = (f"Expected dtype int32/int64 for index but got: {_tname(index)}" if index.dtype
               not in _IDX else f"self ({_tname(a)}) and source ({_tname(source)}) must have the "
               f"same scalar type" if source.dtype != a.dtype else f"Number of indices ({n}) "
               f"should be equal to source.size(dim): ({_1d(source).shape[d]}), for dim: {d}"
               if n != _1d(source).shape[d] else None)
    if problem or source.ndim != a.ndim or any(
            s != t for k, (s, t) in enumerate(zip(source.shape, a.shape)) if k != d):
        raise RuntimeError(f"{who}: {problem}" if problem else f"source tensor shape must match "
                           f"self tensor shape, excluding the specified dimension. Got self.shape"
                           f" = {list(a.shape)} source.shape = {list(source.shape)}")
    out = a.copy()
    if a.ndim > 1 and a.size == 0:  # PyTorch returns before looking at the positions
        return out
    bad = _out_of(index, _1d(a).shape[d])
    if bad is not None:  # PyTorch's int64 path of a matrix (alpha 1) names the index
        raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size "
                           f"{_1d(a).shape[d]}") if a.ndim > 1 and index.dtype == np.int64 and \
            alpha == 1 else IndexError("index out of range in self")
    xp.add.at(_1d(out), _along(index, d), _1d(source) * (alpha if a.dtype.kind in "fc" else
                                                          int(alpha)))
    return out


def _index_copy(xp, a, index, source, dim):  # PyTorch's checks, in its order
    d, who = one_dim(dim, a.ndim, "index_copy"), "index_copy_()"
    if index.ndim > 1 or source.ndim == 0 and index.size != 1 or \
            source.ndim != a.ndim and source.ndim and a.ndim:
        raise IndexError(f"{who}: Index should have dimension 1 or 0 (got {index.ndim})" if
                         index.ndim > 1 else f"{who}: When source is scalar, index should have "
                         f"one element (got {index.size})" if source.ndim == 0 else f"{who}: "
                         f"When source and destination are not scalars, their dimensionality "
                         f"must match. Source dimensionality ({source.ndim}), destination "
                         f"dimensionality ({a.ndim})")
    ss, sa = (x.shape[:d] + x.shape[d + 1:] for x in (source, a))
    if index.dtype != np.int64 or source.dtype != a.dtype or ss != sa:
        raise RuntimeError(f"{who}: Expected a long tensor for index, but got {_tname(index)}" if
                           index.dtype != np.int64 else f"{who}: self and source expected to "
                           f"have the same dtype, but got (self) {_tname(a)} and (source) "
                           f"{_tname(source)}" if source.dtype != a.dtype else f"{who}: "
                           f"Source/destination tensor must have same slice shapes. Destination "
                           f"slice shape: {_sizes(sa)} at dimension {d} and source slice shape: "
                           f"{_sizes(ss)} at dimension 0.")
    if source.ndim and index.size != source.shape[d]:
        raise IndexError(f"{who}: Number of indices ({index.size}) should be equal to "
                         f"source.size(dim) ({source.shape[d]})")
    empty = _out_of_storage(a, d, index)
    if empty is not None:
        raise empty
    bad, out = _out_of(index, _1d(a).shape[d]), a.copy()
    if bad is not None and a.size:
        raise IndexError(f"{who}: index {bad} is out of bounds for dimension {d} with size "
                         f"{_1d(a).shape[d]}")
    if a.size:
        _1d(out)[_along(index, d)] = _1d(source)
    return out


def _sizes(shape):  # a shape in PyTorch's messages: "3", "2, 3" or "" (c10's IntArrayRef)
    return ", ".join(map(str, shape))


def _index_fill(xp, a, index, *v, dim, value=None):  # `value` a number, or the 0-dim tensor `v`
    d = one_dim(dim, a.ndim, "index_fill")
    if index.dtype != np.int64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    if index.ndim > 1 or v and v[0].ndim:
        raise RuntimeError("Index has to be a vector/scalar" if index.ndim > 1 else
                           f"index_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {v[0].ndim} dimension(s).")
    fill = v[0] if v else value
    if a.dtype.kind != "c" and (isinstance(fill, complex) or getattr(fill, "dtype", None) is not
                                None and fill.dtype.kind == "c"):
        raise RuntimeError("index_fill_(): Converting complex Scalar to non-complex type is not "
                           "supported")
    empty = _out_of_storage(a, d, index)
    if empty is not None:
        raise empty
    bad, out = _out_of(index, _1d(a).shape[d], neg=True), a.copy()
    if bad is not None and a.size:
        raise IndexError(f"index {bad} is out of bounds for dimension {d} with size "
                         f"{_1d(a).shape[d]}")
    if a.size:
        _1d(out)[_along(index, d)] = fill
    return out


def _index_bwd(kind):  # index_add (add), index_copy (copy), index_fill (fill)
    def backward(ctx, g):
        (index,), need, shape, key = ctx.saved, ctx.needs_input_grad, ctx.shapes[0], _along(
            ctx.saved[0], _d(ctx))
        kept = g if kind == "add" else _zero_at(_1d(g), key).reshape(shape)
        if kind == "fill":
            return kept, None, sum_to_shape(g - kept, ()) if need[2:] == (True,) else None
        gs = _at(_1d(g), key).reshape(ctx.shapes[2]) if need[2] else None
        return kept, None, gs if kind == "copy" or gs is None else gs * ctx.params["alpha"]
    return backward


def _take_along_dim(xp, a, index, dim=None):
    if dim is None:  # the flattened input, gathered (an int32 index is taken, as gather takes it)
        return _gather(xp, a.reshape(-1), index.reshape(-1), 0)
    if index.dtype != np.int64 or a.ndim != index.ndim:
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{_tname(index)}" if index.dtype != np.int64 else f"torch.take_along_"
                           f"dim(): input and indices should have the same number of dimensions, "
                           f"but got {a.ndim} dimensions for input, and {index.ndim} dimensions "
                           f"for indices")
    d = one_dim(dim, a.ndim, "take_along_dim", 3)
    _broadcast(xp, *(x[(slice(None),) * d + (slice(0, 1),)] for x in (a, index)))  # its error
    sa, si = _along_shapes(a.shape, index.shape, d)
    return _gather(xp, xp.broadcast_to(a, sa), xp.broadcast_to(_wrapped(index, a, d), si), d)


def _wrapped(index, a, d):
    """take_along_dim's positions along `d`: PyTorch takes them modulo the size (-1 is the
    last, 5 of 4 is 1), and a size of 0 divides by zero."""
    n = _1d(a).shape[d]
    if n == 0 and index.size:
        raise RuntimeError("ZeroDivisionError")
    return index % n if n else index


def _along_shapes(sa, si, d):  # take_along_dim broadcasts every dim but `d`
    s = list(np.broadcast_shapes(sa[:d] + (1,) + sa[d + 1:], si[:d] + (1,) + si[d + 1:]))
    return tuple(s[:d] + [sa[d]] + s[d + 1:]), tuple(s[:d] + [si[d]] + s[d + 1:])


def _take_along_dim_bwd(ctx, g):
    (index,), shape = ctx.saved, ctx.shapes[0]
    if ctx.params["dim"] is None:
        return _added(g, index.reshape(-1), (int(np.prod(shape)),), 0).reshape(shape), None
    d = _d(ctx)
    sa, si = _along_shapes(shape, ctx.shapes[1], d)
    index = index % (shape[d] if shape else 1) if np.prod(shape) else index
    return sum_to_shape(_added(g, xp_of(index).broadcast_to(index, si), sa, d), shape), None


_G = np.array([[0, 2, 1], [2, 0, 0]])  # an index along dim 0 of a (3, 4) input, or dim 1
_S = np.array([[0, 2], [1, 0], [2, 1]])  # no position twice along dim 1 (scatter overwrites)
_G4, _A, _B = np.array([[0, 2, 1, 1], [2, 0, 0, 1]]), np.ones((3, 4)), np.ones((4, 3))
_DIM_LAST = dict(prepare=lambda input, dim=None, index=None, source=None: (
    input, index, source, dim), inputs=3, save_inputs=(1,), supports_out=True)

OPS = [
    op("gather", _gather, backward=lambda ctx, g: (_added(
        g, ctx.saved[0], ctx.shapes[0], _d(ctx)), None), inputs=2, save_inputs=(1,),
       prepare=lambda input, dim=None, index=None: (input, index, dim), supports_out=True,
       samples=sample_calls(((3, 4), 0, _G), ((3, 4), 1, _G), ((4, 3), -1, _S),
                            ((2, 3, 4), 2, np.zeros((2, 2, 3), np.int64)), ((), 0, _i(0, 0))),
       error_samples=_errs(((_A, 1, _G * 1.0), RuntimeError), ((_A, 0, _i(0)), RuntimeError),
                           ((_A, 1, _G + 3), RuntimeError), ((_A, 2, _G), IndexError),
                           ((_A, 1, np.zeros((5, 2), np.int64)), RuntimeError),
                           ((np.ones(()), [1, "a"], _i(0)), TypeError)),
       doc="`input`'s elements along `dim` at `index`: out[i][j] = input[index[i][j]][j] "
           "(dim 0)."),
    op("scatter", _scatter, backward=_scatter_bwd, variadic=True, save_inputs=(1,),
       prepare=lambda input, dim=None, index=None, src=None, value=None: (
           input, index, src, dim) if is_tensor(src) else (input, index, dim, (
               value if src is None else src)), inplace="scatter_", supports_out=True,
       parse=lambda dim, value=None, *, reduce=None: dict(dim=dim, value=value, reduce=reduce),
       samples=_calls(sample_calls(((4, 3), 1, _S, (3, 2)), ((3, 4), 0, _G[:1], (1, 3)),
                                   inputs=(0, 3)),
                      sample_calls(((4, 3), 1, _S, 2.5), ((4, 3), 1, _S, {"value": -1.0})),
                      sample_calls(((3, 4), 0, _G[:1], (2, 4)), inputs=(0, 3), grad=False),
                      sample_calls(((4, 3), 0, _G.T, 2.0, {"reduce": "multiply"}), grad=False)),
       error_samples=_errs(((_A, 1, _G, np.ones(())), RuntimeError), ((_A, 1, _G, np.ones(
           (1, 1))), RuntimeError), ((_A, 1, _G, 1.0, {"reduce": "max"}), RuntimeError),
                           ((_A, 1, _G, np.ones((2, 3), np.float32)), RuntimeError),
                           ((np.ones(0), 1, _G, np.ones((2, 3))), IndexError)),
       doc="A copy of `input` with `src` (a tensor) or `value` (a number) written at `index` "
           "along `dim`; `reduce` ('add', 'multiply') combines instead."),
    op("scatter_add", lambda xp, a, index, src, dim: _scatter_reduce(
        xp, a, index, src, dim, "sum", _who="scatter_add"),
       backward=lambda ctx, g: (g, None, _src_grad(g, ctx.saved[0], _d(ctx), ctx.shapes[2])),
       **dict(_DIM_LAST, prepare=lambda input, dim=None, index=None, src=None: (
           input, index, src, dim)), inplace="scatter_add_",
       samples=_calls(sample_calls(((3, 4), 0, _G, (2, 3)), ((4, 3), 1, _S, (3, 2)),
                                   ((3,), 0, _i(0, 0, 2, 0), (4,)), inputs=(0, 3)),
                      sample_calls(((4, 3), 1, _S, (4, 3)), inputs=(0, 3), grad=False)),
       error_samples=_errs(((_A, 0, _G, 1.0), TypeError),
                           ((_A, 0, _G + 2, np.ones((2, 3))), RuntimeError)),
       doc="A copy of `input` with `src` added at `index` along `dim` (duplicates add up)."),
    op("scatter_reduce", _scatter_reduce, backward=_scatter_reduce_bwd, inputs=3,
       save_inputs=(0, 1, 2), save_output=True, inplace="scatter_reduce_", holomorphic=False,
       supports_out=True,
       prepare=lambda input, dim=None, index=None, src=None, reduce=None: (
           input, index, src, dim, reduce), samples=sample_calls(
           *(((3, 4), 0, _G, (2, 3), r, {"include_self": i}) for r in list(_UFUNC)[:5]
             for i in (True, False)), ((4, 3), 1, _S, (3, 2), "amax"), inputs=(0, 3)),
       error_samples=_errs(((_A, 0, _G, np.ones((2, 3)), "add"), RuntimeError),
                           ((_A, 0, _G + 2, np.ones((2, 3)), "sum"), RuntimeError)),
       doc="A copy of `input` with `src` reduced into it at `index` along `dim`: 'sum', 'prod', "
           "'mean', 'amax' or 'amin', with or without `input`'s own values (`include_self`)."),
    op("index_select", _index_select, backward=lambda ctx, g: (_into(
        g, ctx.shapes[0], _along(ctx.saved[0], _d(ctx))), None), inputs=2, save_inputs=(1,),
       prepare=lambda input, dim=None, index=None: (input, index, dim), supports_out=True,
       samples=sample_calls(((4, 3), 0, _i(0, 3, 3)), ((4, 3), -1, _i(2)), ((4, 3), 1, _i()),
                            ((), 0, _i(0)), ((4, 3), 0, np.array(1))),
       error_samples=_errs(((_B, 0, _i(4)), IndexError), ((_B, 0, _i(1)[None]), IndexError),
                           ((_B, 0, np.ones(1)), RuntimeError),
                           ((np.ones(()), 0, _i(1)), IndexError),
                           ((np.ones((2, 0)), -1, _i(1)), RuntimeError),
                           ((np.ones((2, 3, 4)), 1, _i(9)), RuntimeError)),
       doc="The slices of `input` along `dim` at the positions `index` (a vector)."),
    op("index_add", _index_add, backward=_index_bwd("add"), **_DIM_LAST, inplace="index_add_",
       samples=sample_calls(((4, 3), 0, _i(0, 0, 3), (3, 3)), ((), 0, np.array(0), ()),
                            ((4, 3), 1, _i(2, 2), (4, 2), {"alpha": -2.0}), inputs=(0, 3)),
       error_samples=_errs(((_B, 0, _i(0, 0), np.ones((3, 3))), RuntimeError),
                           ((_B, 0, _i(0, 0), np.ones((2, 2))), RuntimeError),
                           ((_B, 0, _i(0, 9), np.ones((2, 3))), RuntimeError),
                           ((_B, 0, _i(0, 1)[None], np.ones((2, 3))), IndexError),
                           ((np.ones(4), 0, _i(0, -1), np.ones(2)), IndexError)),
       doc="A copy of `input` with `alpha * source` added at `index` along `dim` (duplicates "
           "add up)."),
    op("index_copy", _index_copy, backward=_index_bwd("copy"), **_DIM_LAST,
       inplace="index_copy_", samples=sample_calls(
           ((4, 3), 0, _i(3, 0), (2, 3)), ((4, 3), 1, _i(2), (4, 1)), ((), 0, _i(0), (1,)),
           inputs=(0, 3)),
       error_samples=_errs(((_B, 0, _i(0, 9), np.ones((2, 3))), IndexError),
                           ((_B, 0, _i(0, 1), np.ones((2, 2))), RuntimeError),
                           ((_B, 0, _i(0).astype(np.int32), np.ones((1, 3))), RuntimeError),
                           ((np.ones(()), 0, _i(0), np.ones(1, np.float32)), RuntimeError),
                           ((np.ones(0), 0, _i(0), np.ones(1)), RuntimeError)),
       doc="A copy of `input` with the slices of `source` written at `index` along `dim`."),
    op("index_fill", _index_fill, backward=_index_bwd("fill"), variadic=True, save_inputs=(1,),
       prepare=lambda input, dim=None, index=None, value=None: (input, index, value, dim)
       if is_tensor(value) else (input, index, dim, value),
       parse=lambda dim, value=None: dict(dim=dim, value=value), inplace="index_fill_",
       samples=_calls(sample_calls(((4, 3), 1, _i(0, 2, 2), -1.5), ((4, 3), 0, _i(-1), 2)),
                      sample_calls(((4, 3), 0, _i(1, 1), ()), inputs=(0, 3))),
       error_samples=_errs(((_B, 1, _i(3), 1.0), IndexError), ((_B, 1, _i(0), np.ones(1)),
                                                               RuntimeError),
                           ((_B, 1, _i(0).astype(np.int32), 1.0), IndexError),
                           ((np.ones((0, 2)), 0, _i(5), 1.0), RuntimeError),
                           ((_B, 1, _i(0), 1 + 2j), RuntimeError)),
       doc="A copy of `input` with `value` (a number or a 0-dim tensor) at `index` along "
           "`dim`."),
    op("take_along_dim", _take_along_dim, backward=_take_along_dim_bwd, inputs=2,
       save_inputs=(1,), supports_out=True, samples=sample_calls(
           ((3, 4), _G4, 0), ((3, 4), _S, 1), ((4, 3), _i(0, 11, 5)), ((1, 4), _G, 1),
           ((3, 4), np.array([[-1, 7, -8, 100]]), 1),  # taken modulo the size
           ((1, 4), np.zeros((3, 1), np.int64), 0)),
       error_samples=_errs(((_A, _G4.astype(np.int32), 0), RuntimeError),
                           ((np.ones((2, 0)), _i(0)[None], 1), RuntimeError),
                           ((_A, _G4[None], 0), RuntimeError), ((_A, _i(0, 1)[None], 0),
                                                                RuntimeError)),
       doc="`input`'s elements at `indices` along `dim`, both broadcast but for `dim` (the "
           "flattened input when dim is None)."),
]
