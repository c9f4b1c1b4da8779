"""Reductions: sums, means, products, extremes, moments, norms, all/any, logsumexp and
softmax, with dim (int, tuple, negative), keepdim and dtype= as in PyTorch."""
import math

import numpy as np

import loom
from loom.plugin import (ErrorInput, SampleInput, apply_op, cast_like, dtype_of, is_tensor,
                         normalize_dims, op, reduction, reduction_samples, sample_calls,
                         sum_to_shape, unreduce, xp_of)


def _axis(a, dim):  # `dim` as a NumPy axis of `a` (checked; None for all, and for a 0-dim `a`)
    d = normalize_dims(dim, a.ndim, unique=True)
    return d if a.ndim else None


def _pretty(a):  # PyTorch's name of a dtype in messages (LongTensor: Long)
    d = dtype_of(a)
    return {"complex64": "ComplexFloat", "complex128": "ComplexDouble"}.get(d.name) or \
        (d.legacy or d.name.capitalize()).removesuffix("Tensor")


def _need(a, dim, name, err=RuntimeError):  # PyTorch's errors of an empty reduction
    dims = normalize_dims(dim, a.ndim) if a.size == 0 else ()  # without identity
    if dims is None:
        raise err(f"{name}(): Expected reduction dim to be specified for input.numel() == 0." +
                  " Specify the reduction dim with the 'dim' argument." * (err is RuntimeError))
    for d in [d for d in dims if a.ndim and not a.shape[d]][:1]:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


def _unreduced(ctx, *xs):  # the call's reduced dims, and each of `xs` as the input's shape
    p, shape = ctx.params, ctx.shapes[0]
    dims = normalize_dims(p["dim"], len(shape))
    return (dims, *(unreduce(x, shape, dims, p["keepdim"]) for x in xs))


def _count(ctx):  # how many elements each output reduces
    dims = normalize_dims(ctx.params["dim"], len(ctx.shapes[0]))
    return math.prod(s for i, s in enumerate(ctx.shapes[0]) if dims is None or i in dims)


def _dim_name(base, whole=0):  # PyTorch's node names: one number over all elements, one over dim
    return lambda p: f"{base}Backward{whole if p is None or p.get('dim') is None else 1 - whole}"


def _sum(xp, a, dim=None, keepdim=False, *, dtype=None):
    np_dt = dtype.np if dtype is not None else xp.int64 if a.dtype.kind in "biu" else None
    return a.sum(axis=_axis(a, dim), keepdims=keepdim, dtype=np_dt)


def _sum_bwd(ctx, g):  # written out (not `_unreduced`): sum is on the training-loop path
    p, shape = ctx.params, ctx.shapes[0]
    return (unreduce(g, shape, normalize_dims(p["dim"], len(shape)), p["keepdim"]),)


def _mean(xp, a, dim=None, keepdim=False, *, dtype=None):
    if dtype is None and a.dtype.kind not in "fc":
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {_pretty(a)}")
    out = a.mean(axis=_axis(a, dim), keepdims=keepdim, dtype=None if dtype is None else dtype.np)
    return out.astype(a.dtype if dtype is None else dtype.np, copy=False)


def _nanmean(xp, a, dim=None, keepdim=False, *, dtype=None):
    if a.dtype.kind not in "fc":
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype "
                           f"but got {_pretty(a)}")
    return (_sum(xp, xp.where(a != a, 0, a), dim, keepdim, dtype=dtype) / _sum(
        xp, a == a, dim, keepdim)).astype(a.dtype if dtype is None else dtype.np)


def _nan_bwd(mean):  # nansum, nanmean: NaNs get no gradient
    def backward(ctx, g):
        (x,), (dims, g) = ctx.saved, _unreduced(ctx, g)
        return (g * (x == x) / (x == x).sum(axis=dims, keepdims=True) if mean else g * (x == x),)
    return backward


def _prod_bwd(ctx, g):  # at a zero: the product of the others, written to differentiate again
    x, y = ctx.saved
    dims, g, y = _unreduced(ctx, g, y)
    if not x.ndim:  # one element: its own product, gradient 1 (even at inf or NaN)
        return (g,)
    zero, xp = x == 0, xp_of(x)
    if not zero.any():
        return (g * y / x,)
    nz, others = zero.sum(axis=dims, keepdims=True), xp.where(zero, 1.0, x)
    # the product of the other zeros: 1 (none), the other one (x there), or vanishing to 2nd order
    rest = xp.where(nz == 1, 1.0, (xp.where(zero, x, 0.0).sum(axis=dims, keepdims=True) - x) *
                    (nz == 2))
    return (xp.where(zero, g * others.prod(axis=dims, keepdims=True) * rest, g * y / others),)


def _share(ctx, x, y, g, nan=False):  # ties share the gradient evenly (amax, max(), median())
    if not x.ndim:  # one element: it is the extreme (amax of NaN: 0 / 0 in PyTorch's rule)
        g = g.reshape(())
        return g if nan else xp_of(x).where(x == y, g, math.nan)
    dims, g, y = _unreduced(ctx, g, y)
    # the tie count cast to g's dtype: NumPy would make float32 / int64 a float64
    if not nan:  # amax: a plain mask, as PyTorch's
        mask = x == y
        return g * mask / cast_like(mask.sum(axis=dims, keepdims=True), g)
    mask = xp_of(x).where(y != y, x != x, x == y)  # max(): a NaN comes from the NaNs, and only
    return xp_of(x).where(mask, g / cast_like(mask.sum(axis=dims, keepdims=True), g), 0.0)


def _through(g, i, shape, d, keepdim=True):
    """The gradient of values taken at indices `i` along dim `d` of an input of `shape`: `g`
    added back at those places (max(dim), sort, topk, median, cummax, ...)."""
    if not shape:
        return g.reshape(())
    if not keepdim:
        g, i = (t.reshape(i.shape[:d] + (1,) + i.shape[d:]) for t in (g, i))
    key = tuple(i if k == d else xp_of(i).arange(n).reshape((-1,) + (1,) * (len(shape) - 1 - k))
                for k, n in enumerate(i.shape))
    return apply_op("ops_index_backward", g, shape, key)


def _picked(xp, a, dim, keepdim, name, index):
    """(values, int64 indices) of `a` at `index(xp, b, d)` (keepdims indices) along `dim`."""
    _need(a, () if dim is None else dim, name, IndexError)
    d = normalize_dims(dim, a.ndim)[0]  # checked for a 0-dim `a` too (dims 0 and -1 only)
    b = a.reshape(1) if a.ndim == 0 else a
    i = index(xp, b, d).astype(xp.int64)
    v = xp.take_along_axis(b, i, d)
    return (v, i) if keepdim and a.ndim else (v.squeeze(d), i.squeeze(d))


def _picked_bwd(ctx, grads):  # (values, indices) along dim; over all elements ties share
    p, shape, out = ctx.params, ctx.shapes[0], ctx.saved[-1]
    if p.get("dim", -1) is None:
        return (_share(ctx, ctx.saved[0], out, grads[0], True),)
    return (_through(grads[0], out[1], shape, normalize_dims(p.get("dim", -1), len(shape) or 1)[0],
                     p.get("keepdim", True)),)


def _over(name, dim=(), pick=False):
    """Kernel of array reduction `name` over `dim`; with `pick`, (values, indices) for a dim."""
    method, arg = name[1:] if name in ("amax", "amin") else name, name[:3] == "arg"

    def kernel(xp, a, dim=dim, keepdim=False):
        if pick and dim is not None:
            return _picked(xp, a, dim, keepdim, name,
                           lambda xp, b, d: getattr(b, "arg" + name)(axis=d, keepdims=True))
        if "m" in name:
            _need(a, dim, name, IndexError if arg else RuntimeError)
        if arg and a.dtype == bool:
            raise RuntimeError(f"{name}(): does not support bool input")
        ax = _axis(a, dim)
        r = getattr(a, method)(axis=ax[0] if ax and arg else ax, keepdims=keepdim)
        return r.astype(a.dtype) if a.dtype == xp.uint8 and name in ("all", "any") else r
    return kernel


def _aminmax(xp, a, *, dim=None, keepdim=False):
    if dim is not None and (isinstance(dim, bool) or not isinstance(dim, int)):
        raise TypeError(f"aminmax(): argument 'dim' must be int, not {type(dim).__name__}")
    if a.size == 0 and dim is None:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                           "operation has no identity.")
    return tuple(_over(n)(xp, a, () if dim is None else dim, keepdim) for n in ("amin", "amax"))


def _var_parse(dim=None, unbiased=None, keepdim=False, *, correction=None):
    if isinstance(dim, bool):  # std(x, False): the unbiased flag
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError("std(): received both unbiased and correction")
    return {"dim": dim, "keepdim": keepdim, "correction": 1 if unbiased is None and correction
            is None else int(unbiased) if correction is None else correction}


def _moments(root, pair):  # var or std (`root`), with the mean when `pair` (var_mean, std_mean)
    def kernel(xp, a, dim=None, correction=1, keepdim=False):
        if a.dtype.kind not in "fc":
            raise RuntimeError("std and var only support floating point and complex dtypes")
        ax, m = _axis(a, dim), a.mean(axis=_axis(a, dim), keepdims=True)
        v = (abs(a - m) ** 2).sum(axis=ax, keepdims=keepdim) / max(
            a.size // max(m.size, 1) - correction, 0)
        v = xp.sqrt(v) if root else v
        return (v, a.mean(axis=ax, keepdims=keepdim)) if pair else v

    def backward(ctx, g):
        (x, out), r = ctx.saved, 0.0
        (gs, gm), s = (g, out[0]) if pair else ((g, None), out)
        if gs is not None:
            dims, gs, s = _unreduced(ctx, gs, s)
            # std: g / std, 0 where std is 0 (PyTorch's rule; a constant slice gets no gradient)
            r = (gs / xp_of(s).where(s == 0, math.inf, s) if root else gs * 2.0) * (x - x.mean(axis=dims if x.ndim else None,
                                                              keepdims=True)) / (
                _count(ctx) - ctx.params["correction"])
        return (r if gm is None else r + _unreduced(ctx, gm)[1] / _count(ctx),)
    return dict(kernel=kernel, backward=backward, parse=_var_parse, save_inputs=(0,),
                save_output=True, signature="(input, dim=None, *, correction=1, keepdim=False)",
                outputs=(("std" if root else "var"), "mean") if pair else (), methods=(
                    () if pair else None), named_outputs=False, samples=_VAR_SAMPLES,
                error_samples=_not_float)


def _order(p):
    return 2.0 if p in ("fro", None) else p if p == "nuc" else float(p)


def _norm(xp, a, p="fro", dim=None, keepdim=False, *, dtype=None):
    if a.dtype.kind not in "fc":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {_pretty(a)}")
    order = _order(p)
    if order == "nuc" and a.ndim < 2:  # before the dims are checked, as PyTorch
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")
    a, ax = a if dtype is None else a.astype(dtype.np), _axis(a, dim)
    if order == "nuc":  # the sum of the singular values of the matrices over `dim`
        if len(ax or range(a.ndim)) != 2:
            raise RuntimeError("linalg.matrix_norm: " + ("The input tensor A must have at least 2 "
                               "dimensions." if a.ndim < 2 else "dim must be a 2-tuple. Got "
                               + " ".join(map(str, ax or range(a.ndim)))))
        if not bool(xp.isfinite(a).all()):
            raise loom.linalg.LinAlgError("linalg.svd: The algorithm failed to converge because "
                                          "the input matrix contained non-finite values.")
        r = xp.linalg.svd(xp.moveaxis(a, ax or (0, 1), (-2, -1)), compute_uv=False).sum(-1)
        return xp.expand_dims(r, ax or (0, 1)) if keepdim else r
    if abs(order) == math.inf and a.size == 0:
        raise RuntimeError("linalg.vector_norm cannot compute the inf norm on an empty tensor "
                           "because the operation does not have an identity")
    x = xp.abs(a)
    return (x.max(axis=ax, keepdims=keepdim) if order == math.inf else
            x.min(axis=ax, keepdims=keepdim) if order == -math.inf else
            (x != 0).sum(axis=ax, keepdims=keepdim).astype(x.dtype) if order == 0 else
            xp.sqrt((x * x).sum(axis=ax, keepdims=keepdim)) if order == 2 else
            (x ** order).sum(axis=ax, keepdims=keepdim) ** (1.0 / order))


def _norm_grad(a, out, g, order, dims):  # `out` and `g` already unreduced to `a`'s shape
    xp, sign = xp_of(a), xp_of(a).sign(a)
    if abs(order) == math.inf:  # ties share the gradient
        mask = xp.abs(a) == out
        return g * sign * mask / mask.sum(axis=dims, keepdims=True)
    safe = xp.where(out == 0, 1.0, out)  # sign(a) |a|^(p-1) / norm^(p-1); 0 where the norm is
    return g * 0.0 if order == 0 else xp.where(out == 0, 0.0, g * sign * xp.abs(a) ** (
        order - 1) / safe ** (order - 1))


def _norm_bwd(ctx, g):
    (a, out), order = ctx.saved, _order(ctx.params["p"])
    dims, g, out = _unreduced(ctx, g, out)
    if order == "nuc":  # d sum(S) = U Vh of the matrices over `dims` (the linalg plugin's svd)
        dims = dims or (0, 1)
        u, _, vh = apply_op("linalg_svd", apply_op("movedim", a, dims, (-2, -1)), False)
        return (g * apply_op("movedim", u @ vh, (-2, -1), dims),)
    return (_norm_grad(a, out, g, order, dims),)


def _dist(xp, a, b, p=2):
    if a.dtype.kind not in "fc" or b.dtype.kind not in "fc":
        raise RuntimeError(f"norm(): input dtype should be either floating point or complex. "
                           f"Got {_pretty(a if a.dtype.kind not in 'fc' else b)} instead.")
    for k in [k for k in range(1, min(a.ndim, b.ndim) + 1) if 1 != a.shape[-k] != b.shape[-k] != 1]:
        raise RuntimeError(f"The size of tensor a ({a.shape[-k]}) must match the size of tensor b "
                           f"({b.shape[-k]}) at non-singleton dimension {max(a.ndim, b.ndim) - k}")
    return _norm(xp, a - b, p)


def _dist_bwd(ctx, g):
    (a, b, out), (na, nb) = ctx.saved, ctx.needs_input_grad
    d = a - b
    gd = _norm_grad(d, *(unreduce(t, d.shape, None, False) for t in (out, g)),
                    _order(ctx.params["p"]), None)
    return (sum_to_shape(gd, ctx.shapes[0]) if na else None,
            sum_to_shape(-gd, ctx.shapes[1]) if nb else None)  # negated first: zeros' signs


def _logsumexp(xp, a, dim, keepdim=False):
    if dim is None:
        raise TypeError("logsumexp(): argument 'dim' (position 2) must be tuple of ints, not "
                        "NoneType")
    a, ax = a if a.dtype.kind in "fc" else a.astype(loom.get_default_dtype().np), _axis(a, dim)
    m = a.max(axis=ax, keepdims=True, initial=-math.inf)
    m = xp.where(xp.isfinite(m), m, 0)
    with np.errstate(divide="ignore"):  # log(0) is -inf, as PyTorch gives it without a word
        r = xp.log(xp.exp(a - m).sum(axis=ax, keepdims=True)) + m
    return r if keepdim else r.reshape(()) if ax is None else r.squeeze(ax)


def _logsumexp_bwd(ctx, g):
    dims, g, y = _unreduced(ctx, g, ctx.saved[1])
    return (g * xp_of(y).exp(ctx.saved[0] - y),)


_max_reduce, _add_reduce = np.maximum.reduce, np.add.reduce


def _rows(reduce, a, ax):
    """`reduce` over axis `ax` of array `a`, dims kept. Over the short last dim of a matrix (a
    classifier's classes) NumPy loops once per row; reducing the transposed copy over its first
    dim runs one vector loop instead, about 3x faster."""
    if ax == 1 and a.ndim == 2 and a.shape[1] <= 32 and a.shape[0] >= 16:
        return reduce(np.ascontiguousarray(a.T), 0)[:, None]
    return reduce(a, ax, None, None, True)


def _softmax(log):
    def kernel(xp, a, dim, dtype=None):
        if xp is np and type(dim) is int and dtype is None and a.dtype.kind == "f" and \
                a.size and -a.ndim <= dim < a.ndim:
            # a float array over one valid dim (a classifier's log_softmax(dim=1)): NumPy's
            # reductions directly, none of the checks below can fail
            ax = dim % a.ndim
            z = a - _rows(_max_reduce, a, ax)
            s = _rows(_add_reduce, np.exp(z), ax)
            return z - np.log(s) if log else np.exp(z) / s
        if dim is None or isinstance(dim, bool):
            raise TypeError(f"{'log_' * log}softmax(): argument 'dim' must be int, not "
                            f"{type(dim).__name__}")
        a, ax = a if dtype is None else a.astype(dtype.np), _axis(a, dim)
        if a.dtype.kind not in "f" and a.size:  # an empty input is returned, as PyTorch's
            last = "lastdim_" * (ax in (None, (a.ndim - 1,)))
            raise NotImplementedError(f'"{"log_" * log}softmax_{last}kernel_impl" not '
                                      f"implemented for '{_pretty(a)}'")
        if not a.size:
            return a.copy()
        z = a - a.max(axis=ax, keepdims=True, initial=-math.inf)
        s = xp.exp(z).sum(axis=ax, keepdims=True)
        return z - xp.log(s) if log else xp.exp(z) / s

    def backward(ctx, g):
        y, dim = ctx.saved[0], ctx.params["dim"]
        if type(y) is np.ndarray and type(g) is np.ndarray and type(dim) is int and y.ndim:
            gs = _rows(_add_reduce, g if log else g * y, dim % y.ndim)
            return (g - np.exp(y) * gs if log else y * (g - gs),)
        ax = _axis(y, dim)
        return (g - xp_of(y).exp(y) * g.sum(axis=ax, keepdims=True) if log else
                y * (g - (g * y).sum(axis=ax, keepdims=True)),)
    return dict(kernel=kernel, backward=backward, save_output=True, samples=sample_calls(
        ((3, 4), 1), ((2, 3, 4), 0), ((3, 4), -1), ((), 0), ((0, 3), 1),
        ((3, 4), 1, {"dtype": loom.float64})))


def _errors(*calls):  # ErrorInputs from (args, error type) pairs
    return lambda rng: [ErrorInput(args, error=e) for args, e in calls]


def _empty_errors(err=RuntimeError):
    return _errors(((np.ones(0),), err), ((np.ones((0, 3)), 0), IndexError))


_not_float = _errors(((np.arange(4),), RuntimeError))
_INTS = np.array([[0, 2, -1, 2], [1, 0, 0, -2], [2, -2, 2, 1]])  # ties and zeros


def _elementwise(name):
    """max(a, b) is maximum(a, b), as PyTorch's overload; a dim given as None matches none of
    PyTorch's overloads (TypeError), unlike argmax's optional dim."""
    def redirect(a=None, other=_NOT_GIVEN, *rest, **kw):
        if other is None or ("dim" in kw and kw["dim"] is None):
            raise TypeError(f"{name[:3]}() received an invalid combination of arguments - got "
                            "a dim of None; expected an int dim or an `other` tensor")
        return name if is_tensor(other) else None
    return redirect


_NOT_GIVEN = object()


_VAR_SAMPLES = sample_calls(((3, 4),), ((2, 3, 4), 1), ((2, 3, 4), (0, 2), {"keepdim": True}),
                            ((3, 4), {"dim": -1, "correction": 0}), ((3, 4), 1, False),
                            ((5,), True))
_EXTREME = dict(save_inputs=(0,), save_output=True, holomorphic=False,
                error_samples=_empty_errors())
_PICK = dict(_EXTREME, backward=_picked_bwd, outputs=("values", "indices"), samples=sample_calls(
    ((3, 4),), ((2, 3, 4), 1), ((2, 3, 4), -1, True), ((), 0), ((0, 4), 1), ((5,), {"dim": 0})))

_NANSUM = (RuntimeError, "nansum on CPU does not support complex inputs")

OPS = [
    reduction("sum", _sum, _sum_bwd, supports_out=True, node_name=_dim_name("Sum"),
              doc="Sum of all elements, or over `dim` (keepdim to keep it as size 1)."),
    reduction("nansum", lambda xp, a, dim=None, keepdim=False, *, dtype=None: _sum(
        xp, xp.where(a != a, 0, a), dim, keepdim, dtype=dtype), _nan_bwd(False),
              save_inputs=(0,), no_complex=_NANSUM, doc="Sum treating NaN as zero."),
    reduction("mean", _mean, lambda ctx, g: (_unreduced(ctx, g)[1] / _count(ctx),),
              supports_out=True, node_name=_dim_name("Mean"),
              doc="Mean of all elements, or over `dim`; floating or complex input."),
    reduction("nanmean", _nanmean, _nan_bwd(True), save_inputs=(0,), error_samples=_not_float,
              no_complex=_NANSUM,
              doc="Mean over the elements that are not NaN."),
    reduction("prod", lambda xp, a, dim=None, keepdim=False, *, dtype=None: a.prod(
        axis=_axis(a, dim), keepdims=keepdim, dtype=dtype.np if dtype else xp.int64 if
        a.dtype.kind in "biu" else None), _prod_bwd, save_inputs=(0,), save_output=True,
              samples=sample_calls(((3, 4),), ((2, 3, 4), 1), ((3, 4), -1, True), ((),),
                                   (np.array([[0.5, 0, 2], [0, 0, 3]]), 1)),
              node_name=_dim_name("Prod"),
              doc="Product of all elements, or over `dim`; zeros get the right gradient."),
    *(reduction(n, _over(n, None, True), **_PICK, node_name=_dim_name(n.capitalize(), 1),
                no_complex=lambda a, k, n=n: f"{n}_all" if not a and k.get("dim") is None else
                (RuntimeError, f"{n}(): does not support complex input"),
                redirect=_elementwise(n + "imum"), doc=f"{n.capitalize()}imum of all elements; "
                f"with `dim`, (values, indices); with a tensor, the elementwise {n}imum.")
      for n in ("max", "min")),
    *(reduction(n, _over(n), lambda ctx, g: (_share(ctx, *ctx.saved, g),), **_EXTREME,
                no_complex=f"{n[1:]}_values_cpu",
                doc=f"{n[1:].capitalize()}imum over `dim` (all if empty); ties share the "
                    f"gradient.") for n in ("amax", "amin")),
    reduction("aminmax", _aminmax, lambda ctx, gs: (sum(_share(ctx, ctx.saved[0], y, g) for y, g in
                                                        zip(ctx.saved[1], gs) if g is not None),),
              no_complex="aminmax_cpu", **dict(_EXTREME, outputs=("min", "max"),
                                               error_samples=lambda rng: [
                  ErrorInput((np.ones(0),), match="no identity")], samples=sample_calls(
                  ((3, 4),), ((2, 3, 4), {"dim": 1}), ((3, 4), {"dim": -1, "keepdim": True}))),
              doc="(min, max) of all elements or over `dim`."),
    *(reduction(n, _over(n, None), differentiable=False, samples=sample_calls(
        ((3, 4),), (_INTS, 1), (_INTS, 0, True), (np.array(2.0),), grad=False) if n[1] == "r" else
                sample_calls((_INTS,), (_INTS > 0, 1), (_INTS.astype("u1"), (0, 1)), grad=False),
                error_samples=_empty_errors(IndexError) if n[:3] == "arg" else None,
                no_complex=(RuntimeError, f"{n}(): does not support complex input")
                if n[:3] == "arg" else None,
                doc=f"{doc} of the flattened input or over `dim`.") for n, doc in (
        ("argmax", "Index of the (first) maximum"), ("argmin", "Index of the (first) minimum"),
        ("all", "Whether all elements are non-zero (bool; uint8 stays uint8)"),
        ("any", "Whether any element is non-zero (bool; uint8 stays uint8)"))),
    reduction("var", **_moments(False, False), doc="Variance with Bessel's `correction` (1)."),
    reduction("std", **_moments(True, False), doc="Standard deviation with `correction` (1)."),
    reduction("var_mean", **_moments(False, True), doc="(var, mean) over `dim`."),
    reduction("std_mean", **_moments(True, True), doc="(std, mean) over `dim`."),
    reduction("norm", _norm, _norm_bwd, save_inputs=(0,), save_output=True, holomorphic=False,
              samples=lambda rng, dt: reduction_samples(0.5, 2.0)(rng, dt) + sample_calls(
                  ((3, 4), float("inf"), 1), ((3, 4), -math.inf), ((2, 3), "fro", (0, 1)),
                  ((2, 3, 4), 3, 2, True), ((3, 4), 1), ((3, 4), 0.5, -1))(rng, dt) + [
                  SampleInput((rng.standard_normal((2, 3, 4)).astype(dt), "nuc", (0, 2))),
                  SampleInput((rng.standard_normal((3, 4)).astype(dt), "nuc"))], node_name=_dim_name("Norm"),
              doc="Vector p-norm (2 by default) of all elements or over `dim`; 'nuc' the "
                  "nuclear norm of matrices."),
    op("dist", _dist, backward=_dist_bwd, inputs=2, save_inputs=(0, 1), save_output=True,
       holomorphic=False, samples=sample_calls(((3, 4), (3, 4)), ((2, 3), (3,), 3), ((4,), (2, 1),
                                               float("inf")), ((3, 4), (4,), 1), inputs=2),
       error_samples=_errors(((np.ones(2), np.ones(3)), RuntimeError),
                             ((np.arange(2), np.arange(2)), RuntimeError)),
       doc="The p-norm (2 by default) of `input - other` (broadcast)."),
    reduction("count_nonzero", lambda xp, a, dim=None: (a != 0).sum(axis=_axis(a, dim)),
              differentiable=False, samples=sample_calls(((3, 4),), (_INTS, 1), (_INTS, (0, 1)),
                                                          (np.array(2.0),), grad=False),
              doc="Number of non-zero elements (over `dim`), int64."),
    reduction("logsumexp", _logsumexp, _logsumexp_bwd, save_inputs=(0,), save_output=True,
              samples=sample_calls(((3, 4), 1), ((2, 3, 4), (0, 2), True), ((3, 4), -1), ((), 0),
                                   ((0, 3), 1)),
              doc="log(sum(exp(input))) over `dim`, computed stably."),
    reduction("softmax", **_softmax(False), doc="exp(x) / sum(exp(x)) over `dim`, stably."),
    reduction("log_softmax", **_softmax(True), doc="x - logsumexp(x) over `dim`, stably."),
]
