"""Reductions: sums, means, products, extremes, moments, norms, all/any, logsumexp and
softmax, with dim (int, tuple, negative), keepdim and dtype= as in PyTorch."""
import math

import numpy as np

import loom
from loom.plugin import (ErrorInput, SampleInput, apply_op, dtype_of, is_tensor, normalize_dims,
                         reduction, reduction_samples, sample_calls, unreduce, xp_of)


def _axis(a, dim):
    """`dim` as a NumPy axis of `a` (checked; None for all, and for a 0-dim `a`)."""
    d = normalize_dims(dim, a.ndim)
    return None if a.ndim == 0 else d


def _pretty(a):  # PyTorch's name of an integer or bool dtype in messages (LongTensor: Long)
    d = dtype_of(a)
    return d.name if d.is_floating_point else d.legacy.removesuffix("Tensor")


def _need(a, dim, name, err=RuntimeError, tail=" Specify the reduction dim with the 'dim' "
          "argument."):
    """PyTorch's errors for reducing an empty tensor with an op that has no identity."""
    dims = normalize_dims(dim, a.ndim)
    if a.size == 0 and dims is None:
        raise err(f"{name}(): Expected reduction dim to be specified for input.numel() == 0."
                  + (tail if err is RuntimeError else ""))
    for d in dims if a.size == 0 and a.ndim else ():
        if a.shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


def _unreduced(ctx, *xs):
    """The call's reduced dims, and each of `xs` (gradient, output) as the input's shape."""
    p, shape = ctx.params, ctx.shapes[0]
    dims = normalize_dims(p["dim"], len(shape))
    return (dims, *(unreduce(x, shape, dims, p["keepdim"]) for x in xs))


def _count(ctx):  # how many elements each output reduces
    dims = normalize_dims(ctx.params["dim"], len(ctx.shapes[0]))
    return math.prod(s for i, s in enumerate(ctx.shapes[0]) if dims is None or i in dims)


def _dim_name(base, whole=0):  # PyTorch's node names: one number over all elements, one over dim
    return lambda p: f"{base}Backward{whole if p is None or p.get('dim') is None else 1 - whole}"


def _floating(a, name):
    if a.dtype.kind not in "fc":
        raise RuntimeError(f"{name}(): expected input to have floating point or complex dtype "
                           f"but got {_pretty(a)}")
    return a


def _sum(xp, a, dim=None, keepdim=False, *, dtype=None):
    np_dt = dtype.np if dtype is not None else xp.int64 if a.dtype.kind in "biu" else None
    return a.sum(axis=_axis(a, dim), keepdims=keepdim, dtype=np_dt)


def _sum_bwd(ctx, g):  # written out (not `_unreduced`): sum is on the training-loop path
    p, shape = ctx.params, ctx.shapes[0]
    return (unreduce(g, shape, normalize_dims(p["dim"], len(shape)), p["keepdim"]),)


def _nansum(xp, a, dim=None, keepdim=False, *, dtype=None):
    return _sum(xp, xp.where(a != a, 0, a), dim, keepdim, dtype=dtype)


def _mean(xp, a, dim=None, keepdim=False, *, dtype=None):
    if dtype is None and a.dtype.kind not in "fc":
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {_pretty(a)}")
    out = a.mean(axis=_axis(a, dim), keepdims=keepdim, dtype=None if dtype is None else dtype.np)
    return out.astype(a.dtype if dtype is None else dtype.np, copy=False)


def _nanmean(xp, a, dim=None, keepdim=False, *, dtype=None):
    ok = _floating(a, "nanmean") == a
    return (_nansum(xp, a, dim, keepdim, dtype=dtype) / _sum(xp, ok, dim, keepdim)).astype(
        a.dtype if dtype is None else dtype.np)


def _nanmean_bwd(ctx, g):
    x, = ctx.saved
    dims, g = _unreduced(ctx, g)
    ok = x == x
    return (g * ok / ok.sum(axis=dims, keepdims=True),)


def _prod_bwd(ctx, g):  # at a zero: the product of the others, written to differentiate again
    x, y = ctx.saved
    dims, g, y = _unreduced(ctx, g, y)
    zero, xp = x == 0, xp_of(x)
    if not zero.any():
        return (g * y / x,)
    nz, others = zero.sum(axis=dims, keepdims=True), xp.where(zero, 1.0, x)
    # the product of the other zeros: 1 (none), the other one (x there), or vanishing to 2nd order
    rest = xp.where(nz == 1, 1.0, (xp.where(zero, x, 0.0).sum(axis=dims, keepdims=True) - x) *
                    (nz == 2))
    return (xp.where(zero, g * others.prod(axis=dims, keepdims=True) * rest, g * y / others),)


def _share(ctx, x, y, g, nan=False):  # ties share the gradient evenly (amax, max(), median())
    dims, g, y = _unreduced(ctx, g, y)
    mask = (x == y) | ((x != x) & (y != y)) if nan else x == y  # max(): NaN came from the NaNs
    return g * mask / mask.sum(axis=dims, keepdims=True)


def _through(g, i, shape, d, keepdim=True):
    """The gradient of values taken at indices `i` along dim `d` of an input of `shape`: `g`
    added back at those places (max(dim), sort, topk, median, cummax, ...)."""
    if not shape:
        return g.reshape(())
    if not keepdim:
        kept = i.shape[:d] + (1,) + i.shape[d:]
        g, i = g.reshape(kept), i.reshape(kept)
    nd = len(shape)
    key = tuple(i if k == d else xp_of(i).arange(n).reshape((-1,) + (1,) * (nd - 1 - k))
                for k, n in enumerate(i.shape))
    return apply_op("ops_index_backward", g, shape, key)


def _picked(xp, a, dim, keepdim, name, index):
    """(values, int64 indices) of `a` at `index(xp, b, d)` (keepdims indices) along `dim`."""
    _need(a, () if dim is None else dim, name, IndexError)
    d = normalize_dims(dim, a.ndim)[0] if a.ndim else 0
    b = a.reshape(1) if a.ndim == 0 else a
    i = index(xp, b, d)
    v = xp.take_along_axis(b, i, d)
    return (v, i.astype(xp.int64)) if keepdim and a.ndim else (v.squeeze(d), i.squeeze(d).astype(
        xp.int64))


def _picked_bwd(ctx, grads):  # max/min/median: ties share over all; the index wins with dim
    p, (x, out) = ctx.params, ctx.saved
    if p["dim"] is None:
        return (_share(ctx, x, out, grads[0], True),)
    shape = ctx.shapes[0]
    return (_through(grads[0], out[1], shape, normalize_dims(p["dim"], len(shape) or 1)[0],
                     p["keepdim"]),)


def _extreme(name):
    def kernel(xp, a, dim=None, keepdim=False):
        if dim is None:
            _need(a, None, name)
            return getattr(a, name)()
        return _picked(xp, a, dim, keepdim, name,
                       lambda xp, b, d: getattr(b, "arg" + name)(axis=d, keepdims=True))
    return kernel


def _over(name, method, dim_default=(), err=RuntimeError):
    """A kernel running the array's reduction `method` over `dim`, with `keepdim`."""
    def kernel(xp, a, dim=dim_default, keepdim=False):
        _need(a, dim, name, err, " Specify the reduction dim with the 'dim' argument.") \
            if method in ("max", "min", "argmax", "argmin") else None
        if a.dtype == bool and method[:3] == "arg":
            raise RuntimeError(f"{name}(): does not support bool input")
        ax = _axis(a, dim)
        ax = ax[0] if ax and method[:3] == "arg" else ax
        r = getattr(a, method)(axis=ax, keepdims=keepdim)  # made 0-dim by dispatch
        return r.astype(a.dtype) if a.dtype == xp.uint8 and method in ("all", "any") else r
    return kernel


def _aminmax(xp, a, *, dim=None, keepdim=False):
    if a.size == 0 and dim is None:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                           "operation has no identity.")
    _need(a, dim, "aminmax")
    ax = _axis(a, dim)
    return a.min(axis=ax, keepdims=keepdim), a.max(axis=ax, keepdims=keepdim)


def _aminmax_bwd(ctx, grads):
    x, out = ctx.saved
    shares = [_share(ctx, x, y, g) for y, g in zip(out, grads) if g is not None]
    return (shares[0] if len(shares) == 1 else shares[0] + shares[1],)


def _var_parse(dim=None, unbiased=None, keepdim=False, *, correction=None):
    if isinstance(dim, bool):  # std(x, False): the unbiased flag
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError("std(): received an invalid combination of arguments - got both "
                        "unbiased and correction")
    return {"dim": dim, "correction": 1 if unbiased is None and correction is None
            else int(unbiased) if correction is None else correction, "keepdim": keepdim}


def _moments(root, pair):
    """Kernel of var/std (`root`), with the mean when `pair` (var_mean/std_mean)."""
    def kernel(xp, a, dim=None, correction=1, keepdim=False):
        if a.dtype.kind not in "fc":
            raise RuntimeError("std and var only support floating point and complex dtypes")
        ax, m = _axis(a, dim), a.mean(axis=_axis(a, dim), keepdims=True)
        v = (abs(a - m) ** 2).sum(axis=ax, keepdims=keepdim)
        n = a.size // m.size if a.size else 0
        v = (v / max(n - correction, 0)).astype(a.dtype)
        v = xp.sqrt(v) if root else v
        return (v, a.mean(axis=ax, keepdims=keepdim)) if pair else v

    def backward(ctx, g):
        (x, out), p = ctx.saved, ctx.params
        (gs, gm), s = (g, out[0]) if pair else ((g, None), out)
        dims, n, c = normalize_dims(p["dim"], x.ndim), _count(ctx), p["correction"]
        r = 0.0
        if gs is not None:
            _, gs, s = _unreduced(ctx, gs, s)
            xm = x - x.mean(axis=dims, keepdims=True)
            r = gs * xm / ((n - c) * s) if root else gs * xm * (2.0 / (n - c))
        return (r + unreduce(gm, ctx.shapes[0], dims, p["keepdim"]) / n if gm is not None
                else r,)
    return dict(kernel=kernel, backward=backward, parse=_var_parse, save_inputs=(0,),
                save_output=True, signature="(input, dim=None, *, correction=1, keepdim=False)",
                outputs=(("std" if root else "var"), "mean") if pair else (),
                named_outputs=False, samples=sample_calls(
                    ((3, 4),), ((2, 3, 4), 1), ((2, 3, 4), (0, 2), {"keepdim": True}),
                    ((3, 4), {"dim": -1, "correction": 0}), ((3, 4), 1, False), ((5,), True)))


def _order(p):
    return 2.0 if p in ("fro", None) else p if p == "nuc" else float(p)


def _norm(xp, a, p="fro", dim=None, keepdim=False, *, dtype=None):
    if a.dtype.kind not in "fc":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {_pretty(a)}")
    ax, order, x = _axis(a, dim), _order(p), xp.abs(a if dtype is None else a.astype(dtype.np))
    if order == "nuc":
        if a.ndim < 2 or (ax or range(a.ndim)).__len__() != 2:
            raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                               "dimensions." if a.ndim < 2 else "linalg.matrix_norm: dim must be "
                               f"a 2-tuple. Got {' '.join(map(str, ax or range(a.ndim)))}")
        r = xp.linalg.svd(xp.moveaxis(a, ax or (0, 1), (-2, -1)), compute_uv=False).sum(-1)
        return xp.expand_dims(r, ax or (0, 1)) if keepdim else r
    if abs(order) == math.inf and a.size == 0:
        raise RuntimeError("linalg.vector_norm cannot compute the inf norm on an empty tensor "
                           "because the operation does not have an identity")
    r = (x.max(axis=ax, keepdims=keepdim) if order == math.inf else
         x.min(axis=ax, keepdims=keepdim) if order == -math.inf else
         xp.sqrt((x * x).sum(axis=ax, keepdims=keepdim)) if order == 2.0 else
         x.sum(axis=ax, keepdims=keepdim) if order == 1.0 else
         (x != 0).sum(axis=ax, keepdims=keepdim).astype(x.dtype) if order == 0.0 else
         (x ** order).sum(axis=ax, keepdims=keepdim) ** (1.0 / order))
    return r if r.dtype == x.dtype else r.astype(x.dtype)


def _norm_bwd(ctx, g):
    a, out = ctx.saved
    dims, g, out = _unreduced(ctx, g, out)
    order, xp = _order(ctx.params["p"]), xp_of(a)
    if order == "nuc":
        raise NotImplementedError("the derivative of norm(p='nuc') is not implemented in loom")
    if order == 1.0:
        return (g * xp.sign(a),)
    if abs(order) == math.inf:  # ties share the gradient
        mask = xp.abs(a) == out
        return (g * xp.sign(a) * mask / unreduce(mask.sum(axis=dims, keepdims=True),
                                                 ctx.shapes[0], dims, True),)
    safe = xp.where(out == 0, 1.0, out)
    return (xp.where(out == 0, 0.0, g * a / safe if order == 2.0 else
                     g * xp.sign(a) * xp.abs(a) ** (order - 1) / safe ** (order - 1)),)


def _logsumexp(xp, a, dim, keepdim=False):
    a = a if a.dtype.kind in "fc" else a.astype(loom.get_default_dtype().np)
    ax = _axis(a, dim)
    m = a.max(axis=ax, keepdims=True, initial=-math.inf)
    m = xp.where(xp.isfinite(m), m, 0)
    r = xp.log(xp.exp(a - m).sum(axis=ax, keepdims=True)) + m
    return r if keepdim and a.ndim else r.squeeze(ax) if a.ndim else r.reshape(())


def _softmax(log):
    def kernel(xp, a, dim, dtype=None):
        a, ax = a if dtype is None else a.astype(dtype.np), _axis(a, dim)
        if a.dtype.kind not in "fc":
            last = "lastdim_" * (ax in (None, (a.ndim - 1,)))
            raise NotImplementedError(f'"{"log_" * log}softmax_{last}kernel_impl" not '
                                      f"implemented for '{_pretty(a)}'")
        z = a - a.max(axis=ax, keepdims=True, initial=-math.inf)
        return z - xp.log(xp.exp(z).sum(axis=ax, keepdims=True)) if log else \
            xp.exp(z) / xp.exp(z).sum(axis=ax, keepdims=True)
    return kernel


def _softmax_bwd(log):
    def backward(ctx, g):
        y, (ax,) = ctx.saved[0], normalize_dims(ctx.params["dim"], len(ctx.shapes[0]) or 1)
        ax = ax if y.ndim else None
        return ((g - xp_of(y).exp(y) * g.sum(axis=ax, keepdims=True)) if log else
                y * (g - (g * y).sum(axis=ax, keepdims=True)),)
    return backward


def _int_samples(rng, dt):  # argmax, count_nonzero: with ties and zeros
    a = rng.integers(-2, 3, size=(3, 4)).astype(dt)
    return [SampleInput((a,), grad=False), SampleInput((a,), {"dim": 1}, grad=False),
            SampleInput((a, 0, True), grad=False), SampleInput((a[0, :1].reshape(()),), grad=False)]


def _bool_samples(rng, dt):
    a = rng.integers(0, 2, size=(3, 4)).astype(dt)
    return [SampleInput((a,), grad=False), SampleInput((a,), {"dim": 1}, grad=False),
            SampleInput((a.astype(bool),), grad=False),
            SampleInput((a.astype(np.uint8), (0, 1)), grad=False)]


def _empty_errors(name, err=RuntimeError, dim_err=IndexError):
    return lambda rng: [ErrorInput((np.ones(0),), error=err, match="Expected reduction dim"),
                        ErrorInput((np.ones((0, 3)), 0), error=dim_err, match="non-zero size")]


_DIM_SAMPLES = sample_calls(((3, 4),), ((2, 3, 4), 1), ((2, 3, 4), -1, True), ((), 0),
                            ((0, 4), 1), ((5,), {"dim": 0}))
_SOFTMAX_SAMPLES = sample_calls(((3, 4), 1), ((2, 3, 4), 0), ((3, 4), -1), ((), 0), ((0, 3), 1),
                                ((3, 4), 1, {"dtype": loom.float64}))
_VAR_ERRORS = lambda rng: [ErrorInput((np.arange(4),), error=RuntimeError, match="floating")]  # noqa: E731
_MAXMIN = dict(backward=_picked_bwd, save_inputs=(0,), save_output=True, holomorphic=False,
               outputs=("values", "indices"), samples=_DIM_SAMPLES)


def _elementwise(name):  # max(a, b) is maximum(a, b), as PyTorch's overload
    return lambda a=None, other=None, *rest, **kw: name if is_tensor(other) else None


OPS = [
    reduction("sum", _sum, _sum_bwd, supports_out=True, node_name=_dim_name("Sum"),
              doc="Sum of all elements, or over `dim` (keepdim to keep it as size 1)."),
    reduction("nansum", _nansum, lambda ctx, g: (_unreduced(ctx, g)[1] * (ctx.saved[0] ==
                                                                         ctx.saved[0]),),
              save_inputs=(0,), doc="Sum treating NaN as zero."),
    reduction("mean", _mean, lambda ctx, g: (_unreduced(ctx, g)[1] / _count(ctx),),
              supports_out=True, node_name=_dim_name("Mean"),
              doc="Mean of all elements, or over `dim`; floating or complex input."),
    reduction("nanmean", _nanmean, _nanmean_bwd, save_inputs=(0,), error_samples=_VAR_ERRORS,
              doc="Mean over the elements that are not NaN."),
    reduction("prod", lambda xp, a, dim=None, keepdim=False, *, dtype=None: a.prod(
        axis=_axis(a, dim), keepdims=keepdim, dtype=dtype.np if dtype else xp.int64 if
        a.dtype.kind in "biu" else None), _prod_bwd, save_inputs=(0,), save_output=True,
              samples=lambda rng, dt: sample_calls(((3, 4),), ((2, 3, 4), 1), ((3, 4), -1, True),
                                                   ((),))(rng, dt) + [SampleInput((np.array(
                                                       [[0.5, 0, 2], [0, 0, 3]], dt), 1))],
              node_name=_dim_name("Prod"),
              doc="Product of all elements, or over `dim`; zeros get the right gradient."),
    reduction("max", _extreme("max"), **_MAXMIN, node_name=_dim_name("Max", 1),
              redirect=_elementwise("maximum"),
              error_samples=_empty_errors("max"),
              doc="Maximum of all elements; with `dim`, (values, indices); with a tensor, the "
                  "elementwise maximum."),
    reduction("min", _extreme("min"), **_MAXMIN, node_name=_dim_name("Min", 1),
              redirect=_elementwise("minimum"),
              error_samples=_empty_errors("min"),
              doc="Minimum of all elements; with `dim`, (values, indices); with a tensor, the "
                  "elementwise minimum."),
    reduction("amax", _over("amax", "max"), lambda ctx, g: (_share(ctx, *ctx.saved, g),),
              save_inputs=(0,), save_output=True, holomorphic=False,
              error_samples=_empty_errors("amax"),
              doc="Maximum over `dim` (all if empty); ties share the gradient."),
    reduction("amin", _over("amin", "min"), lambda ctx, g: (_share(ctx, *ctx.saved, g),),
              save_inputs=(0,), save_output=True, holomorphic=False,
              error_samples=_empty_errors("amin"),
              doc="Minimum over `dim` (all if empty); ties share the gradient."),
    reduction("aminmax", _aminmax, _aminmax_bwd, save_inputs=(0,), save_output=True,
              outputs=("min", "max"), holomorphic=False, samples=sample_calls(
                  ((3, 4),), ((2, 3, 4), {"dim": 1}), ((3, 4), {"dim": -1, "keepdim": True})),
              doc="(min, max) of all elements or over `dim`."),
    reduction("argmax", _over("argmax", "argmax", None, IndexError), differentiable=False,
              samples=_int_samples, error_samples=_empty_errors("argmax", IndexError),
              doc="Index of the (first) maximum, of the flattened input or over `dim`."),
    reduction("argmin", _over("argmin", "argmin", None, IndexError), differentiable=False,
              samples=_int_samples, error_samples=_empty_errors("argmin", IndexError),
              doc="Index of the (first) minimum, of the flattened input or over `dim`."),
    reduction("var", **_moments(False, False), error_samples=_VAR_ERRORS,
              doc="Variance with Bessel's `correction` (1; `unbiased=False` is 0)."),
    reduction("std", **_moments(True, False), error_samples=_VAR_ERRORS,
              doc="Standard deviation with Bessel's `correction`."),
    reduction("var_mean", **_moments(False, True), methods=(), doc="(var, mean) over `dim`."),
    reduction("std_mean", **_moments(True, True), methods=(), doc="(std, mean) over `dim`."),
    reduction("norm", _norm, _norm_bwd, save_inputs=(0,), save_output=True, holomorphic=False,
              samples=lambda rng, dt: reduction_samples(0.5, 2.0)(rng, dt) + sample_calls(
                  ((3, 4), float("inf"), 1), ((3, 4), -math.inf), ((2, 3), "fro", (0, 1)),
                  ((2, 3, 4), 3, 2, True), ((3, 4), 1), ((3, 4), 0.5, -1))(rng, dt) + [
                  SampleInput((rng.standard_normal((2, 3, 4)).astype(dt), "nuc", (0, 2)),
                              grad=False)], node_name=_dim_name("Norm"),
              doc="Vector p-norm (2 by default) of all elements or over `dim`; 'nuc' the "
                  "nuclear norm of matrices."),
    reduction("all", _over("all", "all", None), differentiable=False, samples=_bool_samples,
              doc="True if all elements (over `dim`) are non-zero (uint8 stays uint8)."),
    reduction("any", _over("any", "any", None), differentiable=False, samples=_bool_samples,
              doc="True if any element (over `dim`) is non-zero (uint8 stays uint8)."),
    reduction("count_nonzero", lambda xp, a, dim=None: (a != 0).sum(axis=_axis(a, dim)),
              differentiable=False, samples=sample_calls(
                  ((3, 4),), ((2, 3, 4), 1), ((2, 3, 4), (0, 2)), grad=False),
              doc="Number of non-zero elements (over `dim`), int64."),
    reduction("logsumexp", _logsumexp, lambda ctx, g: (
        (lambda dims, g, y: g * xp_of(y).exp(ctx.saved[0] - y))(*_unreduced(ctx, g,
                                                                            ctx.saved[1])),),
              save_inputs=(0,), save_output=True, samples=sample_calls(
                  ((3, 4), 1), ((2, 3, 4), (0, 2), True), ((3, 4), -1), ((), 0), ((0, 3), 1)),
              doc="log(sum(exp(input))) over `dim`, computed stably."),
    reduction("softmax", _softmax(False), _softmax_bwd(False), save_output=True,
              samples=_SOFTMAX_SAMPLES, doc="exp(x) / sum(exp(x)) over `dim`, computed stably."),
    reduction("log_softmax", _softmax(True), _softmax_bwd(True), save_output=True,
              samples=_SOFTMAX_SAMPLES, doc="x - logsumexp(x) over `dim`, computed stably."),
]
