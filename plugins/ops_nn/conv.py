"""Convolution (1-d and 2-d, grouped, strided, dilated, padded, and transposed) as im2col: the
window taps of the padded input are stacked and contracted with the weight in one matmul per
group. The backward rules are the two adjoints of that product (col2im for the input, the
taps' product with the gradient for the weight), written in operations arrays and tensors
both offer, so the same rule runs on arrays and, under ``create_graph``, records itself."""
import inspect

import numpy as np

import loom
from loom.plugin import ErrorInput, SampleInput, dense, op, sum_to_shape

from .common import (composite, matmul, pad, refuse_dtypes, stack, taps, transpose_last,
                     tuple_of, untaps)

# the dtypes PyTorch's CPU convolution kernels take: the plain one every type but bool, the
# dilated and transposed ones the floating types and Long
_WIDE = ("Float", "Double", "Half", "BFloat16", "Long", "ComplexFloat", "ComplexDouble")
_CONV_DTYPES = {"slow_conv2d_cpu": _WIDE + ("Int", "Short", "Char", "Byte"),
                "slow_conv_dilated<>": _WIDE, "slow_conv_transpose2d_out_cpu": _WIDE}


def _check(name, x, w, k, groups):
    if x.ndim not in (k + 1, k + 2):
        raise RuntimeError(f"Expected {k + 1}D (unbatched) or {k + 2}D (batched) input to "
                           f"{name}, but got input of size: {list(x.shape)}")
    if w.ndim != k + 2:
        raise RuntimeError(f"weight should have at least three dimensions" if k == 1 else
                           f"Expected {k + 2}-dimensional input for {k + 2}-dimensional weight "
                           f"{list(w.shape)}, but got {x.ndim}-dimensional input of size "
                           f"{list(x.shape)} instead")


def _pads(padding, k, ks, stride, dilation):
    """((before, after), ...) per spatial dim from an int, a tuple or 'same'/'valid'."""
    if not isinstance(padding, str):
        return tuple((p, p) for p in tuple_of(padding, k, "padding"))
    if padding == "valid":
        return ((0, 0),) * k
    if padding == "same":
        if any(s != 1 for s in stride):
            raise ValueError("padding='same' is not supported for strided convolutions")
        tot = [d * (kk - 1) for d, kk in zip(dilation, ks)]
        return tuple((t // 2, t - t // 2) for t in tot)
    raise ValueError(f"Invalid padding string '{padding}'")


def _geometry(xshape, wshape, k, stride, padding, dilation, groups):
    """A convolution's windows, from the (batched) input's and the weight's shapes:
    (kernel, stride, dilation, pads, input size, output size), spatial dims only."""
    c, o, cg, ks = xshape[1], wshape[0], wshape[1], tuple(wshape[2:])
    if c != cg * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(wshape)}, expected "
                           f"input{list(xshape)} to have {cg * groups} channels, but got {c} "
                           f"channels instead")
    if o % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by "
                           f"{groups} at dimension 0, but got weight of size {list(wshape)} "
                           f"instead")
    stride, dilation = tuple_of(stride, k, "stride"), tuple_of(dilation, k, "dilation")
    pads = _pads(padding, k, ks, stride, dilation)
    sp = tuple(xshape[2:])
    padded = tuple(n + b + a for n, (b, a) in zip(sp, pads))
    out = tuple((s - d * (kk - 1) - 1) // st + 1
                for s, d, kk, st in zip(padded, dilation, ks, stride))
    if any(v <= 0 for v in out):
        raise RuntimeError(f"Calculated padded input size per channel: "
                           f"({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, ks))}). Kernel size can't be greater than "
                           f"actual input size")
    return ks, stride, dilation, pads, sp, out


# The three linear maps every convolution is made of, on (batched) arrays or tensors alike:
# the forward (im2col: the window taps of the padded input stacked and contracted with the
# weight, one matmul per group), its adjoint in the input (the weight's transpose times the
# gradient, scattered back over the taps: col2im) and its adjoint in the weight (the gradient
# times the taps' transpose, summed over the batch). A transposed convolution is the input
# adjoint of a convolution, so its gradients are the forward and the weight adjoint.

def _cols(x, geo, groups):
    """The window taps of `x` (n, C, *in) as (n, g, T*cg, L), tap-major in each group."""
    ks, stride, dilation, pads, _, out = geo
    n, c = x.shape[0], x.shape[1]
    x = pad(x, pads)
    x = x.reshape((n, groups, c // groups) + tuple(x.shape[2:]))
    cols = stack(taps(x, ks, stride, dilation, out), 2)             # (n, g, T, cg, *out)
    return cols.reshape((n, groups, _numel(ks) * (c // groups), _numel(out)))


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def _wmat(w, groups):
    """The weight (O, cg, *k) as (g, og, T*cg), in the order of `_cols`' rows."""
    o, cg, t = w.shape[0], w.shape[1], _numel(w.shape[2:])
    w = w.reshape((groups, o // groups, cg, t))
    return transpose_last(w).reshape((groups, o // groups, t * cg))


def _forward(x, w, geo, groups):
    y = matmul(_wmat(w, groups), _cols(x, geo, groups))                  # (n, g, og, L)
    return y.reshape((x.shape[0], w.shape[0]) + geo[5])


def _input_adjoint(gy, w, geo, groups):
    """The gradient of `_forward` in its input, for gradient `gy` of shape (n, O, *out)."""
    ks, stride, dilation, pads, sp, out = geo
    n, o, cg, t = gy.shape[0], w.shape[0], w.shape[1], _numel(ks)
    wm = transpose_last(_wmat(w, groups))                                # (g, T*cg, og)
    gcols = matmul(wm, gy.reshape((n, groups, o // groups, _numel(out))))  # (n, g, T*cg, L)
    gcols = gcols.reshape((n, groups, t, cg) + out)
    size = tuple(s + b + a for s, (b, a) in zip(sp, pads))
    gx = untaps([gcols[:, :, i] for i in range(t)], size, pads, ks, stride, dilation, out)
    return gx.reshape((n, groups * cg) + sp)


def _weight_adjoint(x, gy, wshape, geo, groups):
    """The gradient of `_forward` in its weight, for gradient `gy` of shape (n, O, *out)."""
    n, o, cg, t = gy.shape[0], wshape[0], wshape[1], _numel(geo[0])
    cols = _cols(x, geo, groups)                                         # (n, g, T*cg, L)
    gw = matmul(gy.reshape((n, groups, o // groups, _numel(geo[5]))), transpose_last(cols))
    gw = transpose_last(gw.sum(0).reshape((groups, o // groups, t, cg)))  # (g, og, cg, T)
    return gw.reshape(tuple(wshape))


def _unbatched(x, k):
    return x.ndim == k + 1


def _conv(x, w, k, stride=1, padding=0, dilation=1, groups=1, name="conv2d"):
    _check(name, x, w, k, groups)
    dil = tuple_of(dilation, k, "dilation", name, 5)
    kernel = "slow_conv_dilated<>" if any(d > 1 for d in dil) else "slow_conv2d_cpu"
    refuse_dtypes(kernel, x, _CONV_DTYPES[kernel])
    unbatched = _unbatched(x, k)
    if unbatched:
        x = x[None]
    y = _forward(x, w, _geometry(x.shape, w.shape, k, stride, padding, dilation, groups), groups)
    return y[0] if unbatched else y


def _backward(k, transposed=False):
    """The rule of a convolution, or (`transposed`) of its input adjoint: each gradient is one
    of the three maps, computed only when ``needs_input_grad`` asks for it."""
    def backward(ctx, g):
        (x, w), p = ctx.saved, ctx.params
        g = dense(g)  # a broadcast gradient (of a sum) made whole once, not in every product
        unbatched = _unbatched(x, k)
        if unbatched:
            x, g = x[None], g[None]
        if transposed:
            geo = _t_geometry(x.shape, w.shape, k, p["stride"], p["padding"],
                              p["output_padding"], p["groups"], p["dilation"])
        else:
            geo = _geometry(x.shape, w.shape, k, p["stride"], p["padding"], p["dilation"],
                            p["groups"])
        gx = gw = None
        if ctx.needs_input_grad[0]:
            gx = (_forward if transposed else _input_adjoint)(g, w, geo, p["groups"])
            gx = gx[0] if unbatched else gx
        if ctx.needs_input_grad[1]:
            gw = _weight_adjoint(*((g, x) if transposed else (x, g)), w.shape, geo, p["groups"])
        return gx, gw
    return backward


def _conv1d(input, weight, stride=1, padding=0, dilation=1, groups=1):
    return _conv(input, weight, 1, stride, padding, dilation, groups, "conv1d")


def _conv2d(input, weight, stride=1, padding=0, dilation=1, groups=1):
    return _conv(input, weight, 2, stride, padding, dilation, groups, "conv2d")


def _t_geometry(xshape, wshape, k, stride, padding, output_padding, groups, dilation):
    """A transposed convolution's windows: those of the convolution it is the input adjoint
    of (whose input is the transposed convolution's output)."""
    stride, dilation = tuple_of(stride, k, "stride"), tuple_of(dilation, k, "dilation")
    padding, opad = tuple_of(padding, k, "padding"), tuple_of(output_padding, k, "output_padding")
    c, ks = wshape[0], tuple(wshape[2:])
    if xshape[1] != c:
        raise RuntimeError(f"Given transposed=1, weight of size {list(wshape)}, expected "
                           f"input{list(xshape)} to have {c} channels, but got {xshape[1]} "
                           f"channels instead")
    for op_pad, s, d in zip(opad, stride, dilation):
        if op_pad >= s and op_pad >= d:
            raise RuntimeError("output padding must be smaller than either stride or dilation")
    sp = tuple(xshape[2:])
    ysp = tuple((n - 1) * s - 2 * p + d * (kk - 1) + op + 1
                for n, s, p, d, kk, op in zip(sp, stride, padding, dilation, ks, opad))
    if any(v <= 0 for v in ysp):
        raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, sp))}). "
                           f"Calculated output size per channel: "
                           f"({' x '.join(map(str, ysp))}). Output size is too small")
    return ks, stride, dilation, tuple((p, p) for p in padding), ysp, sp


def _conv_transpose(x, w, k, stride=1, padding=0, output_padding=0, groups=1, dilation=1,
                    name="conv_transpose2d"):
    _check(name, x, w, k, groups)
    refuse_dtypes("slow_conv_transpose2d_out_cpu", x,
                  _CONV_DTYPES["slow_conv_transpose2d_out_cpu"])
    unbatched = _unbatched(x, k)
    if unbatched:
        x = x[None]
    geo = _t_geometry(x.shape, w.shape, k, stride, padding, output_padding, groups, dilation)
    y = _input_adjoint(x, w, geo, groups)
    return y[0] if unbatched else y


def _conv_transpose1d(input, weight, stride=1, padding=0, output_padding=0, groups=1,
                      dilation=1):
    return _conv_transpose(input, weight, 1, stride, padding, output_padding, groups, dilation,
                           "conv_transpose1d")


def _conv_transpose2d(input, weight, stride=1, padding=0, output_padding=0, groups=1,
                      dilation=1):
    return _conv_transpose(input, weight, 2, stride, padding, output_padding, groups, dilation,
                           "conv_transpose2d")


def _samples(calls):
    def samples(rng, dt):
        return [SampleInput(tuple(rng.standard_normal(s).astype(dt) for s in shapes), kw,
                            rtol=1e-4, atol=1e-5) for shapes, kw in calls]
    return samples


def _errors(shape_x, shape_w):
    def errors(rng):
        good_x = (shape_x[0], shape_w[1]) + tuple(shape_x[2:])
        return [ErrorInput((np.ones(shape_x), np.ones(shape_w)), match="channels",
                           note="channel count differs"),
                ErrorInput((np.ones(good_x), np.ones(shape_w), np.ones(shape_w[0] + 1)),
                           match="expected bias to be 1-dimensional", note="bias size")]
    return errors


def _check_bias(x, w, b, transposed, groups):
    out = w.shape[1] * groups if transposed else w.shape[0]
    if b.ndim != 1 or b.shape[0] != out:
        raise RuntimeError(f"Given {'transposed=1, ' if transposed else ''}weight of size "
                           f"{list(w.shape)}, expected bias to be 1-dimensional with {out} "
                           f"elements, but got bias of size {list(b.shape)} instead")
    if b.dtype != x.dtype:
        names = {"float32": "float", "float64": "double", "float16": "c10::Half",
                 "bfloat16": "c10::BFloat16"}
        raise RuntimeError(f"Input type ({names.get(x.dtype.name, x.dtype.name)}) and bias "
                           f"type ({names.get(b.dtype.name, b.dtype.name)}) should be the same")


def _with_bias(name, fn, k, transposed):
    """The kernel and rule of a convolution whose inputs are (input, weight[, bias]), as
    PyTorch's one ConvolutionBackward0 node: the bias is added to the output channels, and its
    gradient is the incoming gradient summed over every other dim."""
    params = list(inspect.signature(fn).parameters.values())[2:]

    def kernel(xp, *arrays, **p):
        x, w = arrays[0], arrays[1]
        y = fn(x, w, **p)
        if len(arrays) == 3:
            b = arrays[2]
            _check_bias(x, w, b, transposed, p.get("groups", 1))
            y += b.reshape((-1,) + (1,) * k)  # a fresh output: the bias goes in place
        return y
    kernel.__signature__ = inspect.Signature([
        inspect.Parameter("xp", inspect.Parameter.POSITIONAL_ONLY),
        inspect.Parameter("arrays", inspect.Parameter.VAR_POSITIONAL),
        *[q.replace(kind=inspect.Parameter.KEYWORD_ONLY) for q in params]])
    sig = inspect.Signature(params)

    def parse(*args, **kw):
        bound = sig.bind(*args, **kw)
        bound.apply_defaults()
        return dict(bound.arguments)

    def prepare(input, weight, bias=None, *args, **kw):
        for i, (what, t) in enumerate((("weight", weight), ("bias", bias)), 2):
            if not isinstance(t, loom.Tensor) and (t is not None or what == "weight"):
                raise TypeError(f"{name}(): argument '{what}' (position {i}) must be Tensor, "
                                f"not {type(t).__name__}")
        return (input, weight, *args) if bias is None else (input, weight, bias, *args)
    prepare.__signature__ = inspect.Signature([
        inspect.Parameter("input", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        inspect.Parameter("weight", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        inspect.Parameter("bias", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None),
        inspect.Parameter("args", inspect.Parameter.VAR_POSITIONAL)])

    inner = _backward(k, transposed)

    def backward(ctx, g):
        gx, gw = inner(ctx, g)
        if len(ctx.needs_input_grad) < 3:
            return gx, gw
        gb = None
        if ctx.needs_input_grad[2]:
            out = ctx.shapes[2][0]
            gb = sum_to_shape(dense(g), (out,) + (1,) * k).reshape((out,))
        return gx, gw, gb
    return kernel, backward, prepare, parse


def _op(name, fn, calls, doc, errors):
    k = 1 if "1d" in name else 2
    kernel, backward, prepare, parse = _with_bias(name, fn, k, "transpose" in name)
    return op(name, kernel, backward=backward, variadic=True, prepare=prepare, parse=parse,
              save_inputs=(0, 1), methods=(), functions=(name,), torch_name=name,
              node_name="ConvolutionBackward0", samples=_samples(calls),
              error_samples=errors, doc=doc)


OPS = [
    _op("conv1d", _conv1d, [(((2, 4, 7), (6, 4, 3)), {}), (((2, 4, 7), (6, 4, 3), (6,)), {}),
                            (((2, 4, 9), (6, 2, 2)), dict(stride=2, padding=1, groups=2)),
                            (((4, 8), (3, 4, 3)), dict(dilation=2, padding="same")),
                            (((2, 3, 10), (4, 3, 4)), dict(padding="same"))],
        "1-d convolution (cross-correlation) of input (N, C, L) with weight (O, C/groups, K); "
        "optional bias (O,) is added to the output channels.", _errors((1, 3, 5), (2, 2, 3))),
    _op("conv2d", _conv2d, [(((2, 3, 6, 5), (4, 3, 3, 2)), {}),
                            (((2, 3, 6, 5), (4, 3, 3, 2), (4,)), dict(padding=1)),
                            (((3, 5, 5), (2, 3, 3, 3), (2,)), dict(stride=2)),
                            (((1, 4, 7, 7), (4, 2, 3, 3)),
                             dict(stride=(2, 1), padding=1, dilation=(1, 2), groups=2)),
                            (((3, 5, 5), (2, 3, 3, 3)), dict(padding="same"))],
        "2-d convolution (cross-correlation) of input (N, C, H, W) with weight "
        "(O, C/groups, kH, kW); an optional bias (O,) is added to the output channels.",
        _errors((1, 3, 5, 5), (2, 2, 3, 3))),
    _op("conv_transpose1d", _conv_transpose1d,
        [(((2, 4, 5), (4, 3, 3)), {}), (((2, 4, 5), (4, 3, 3), (3,)), dict(stride=2)),
         (((1, 4, 5), (4, 2, 3)), dict(stride=2, padding=1, output_padding=1, groups=2))],
        "1-d transposed convolution of input (N, C, L) with weight (C, O/groups, K).",
        lambda rng: [ErrorInput((np.ones((1, 3, 5)), np.ones((2, 2, 3))), match="channels")]),
    _op("conv_transpose2d", _conv_transpose2d,
        [(((2, 3, 4, 4), (3, 2, 3, 3)), {}),
         (((1, 4, 3, 4), (4, 1, 2, 3), (2,)), dict(groups=2)),
         (((1, 4, 3, 4), (4, 1, 2, 3)), dict(stride=(2, 1), padding=(0, 1), groups=2,
                                             dilation=(1, 2))),
         (((1, 2, 4, 4), (2, 3, 3, 3)), dict(stride=2, padding=3))],
        "2-d transposed convolution of input (N, C, H, W) with weight (C, O/groups, kH, kW).",
        lambda rng: [ErrorInput((np.ones((1, 3, 5, 5)), np.ones((2, 2, 3, 3))),
                                match="channels")]),
]
