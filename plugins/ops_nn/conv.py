"""Convolution (1-d and 2-d, grouped, strided, dilated, padded, and transposed) as im2col: the
window taps of the padded input are stacked and contracted with the weight in one matmul per
group. One function serves the kernel (on arrays) and the backward rule (on tensors)."""
import numpy as np

from loom.plugin import ErrorInput, SampleInput, is_tensor, op, xp_of

from .common import composite, matmul, op_, pad, refuse_dtypes, stack, taps, tuple_of

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


def _conv(x, w, k, stride=1, padding=0, dilation=1, groups=1, name="conv2d"):
    _check(name, x, w, k, groups)
    if not is_tensor(x):
        dil = tuple_of(dilation, k, "dilation", name, 5)
        kernel = ("slow_conv_transpose2d_out_cpu" if "transpose" in name else
                  "slow_conv_dilated<>" if any(d > 1 for d in dil) else "slow_conv2d_cpu")
        refuse_dtypes(kernel, x, _CONV_DTYPES[kernel])
    unbatched = x.ndim == k + 1
    if unbatched:
        x = x[None]
    stride, dilation = tuple_of(stride, k, "stride"), tuple_of(dilation, k, "dilation")
    n, c = x.shape[0], x.shape[1]
    o, cg, ks = w.shape[0], w.shape[1], tuple(w.shape[2:])
    if c != cg * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(w.shape)}, expected "
                           f"input{list(x.shape)} to have {cg * groups} channels, but got {c} "
                           f"channels instead")
    if o % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by "
                           f"{groups} at dimension 0, but got weight of size {list(w.shape)} "
                           f"instead")
    if isinstance(padding, str):
        if padding == "valid":
            pads = [(0, 0)] * k
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            tot = [d * (kk - 1) for d, kk in zip(dilation, ks)]
            pads = [(t // 2, t - t // 2) for t in tot]
        else:
            raise ValueError(f"Invalid padding string '{padding}'")
    else:
        pads = [(p, p) for p in tuple_of(padding, k, "padding")]
    x = pad(x, pads)
    sp = x.shape[2:]
    out = tuple((s - d * (kk - 1) - 1) // st + 1 for s, d, kk, st in zip(sp, dilation, ks, stride))
    if any(v <= 0 for v in out):
        raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, sp))})"
                           f". Kernel size: ({' x '.join(map(str, ks))}). Kernel size can't be "
                           f"greater than actual input size")
    t = int(np.prod(ks))
    cols = stack(taps(x, ks, stride, dilation, out), 2)          # (n, c, T, *out)
    cols = cols.reshape((n, groups, cg * t, int(np.prod(out))))   # (n, g, cg*T, L)
    wm = w.reshape((groups, o // groups, cg * t))                 # (g, og, cg*T)
    y = matmul(wm, cols)                                          # (n, g, og, L)
    y = y.reshape((n, o) + out)
    return y[0] if unbatched else y


def _conv1d(input, weight, stride=1, padding=0, dilation=1, groups=1):
    return _conv(input, weight, 1, stride, padding, dilation, groups, "conv1d")


def _conv2d(input, weight, stride=1, padding=0, dilation=1, groups=1):
    return _conv(input, weight, 2, stride, padding, dilation, groups, "conv2d")


def _dilate(x, stride, k):
    """Zeros inserted between the elements of the last `k` dims (stride - 1 each)."""
    if all(s == 1 for s in stride):
        return x
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
        idx = (slice(None),) * d + (slice(0, (n - 1) * s + 1),)
        x = x[idx]
    return x


def _conv_transpose(x, w, k, stride=1, padding=0, output_padding=0, groups=1, dilation=1,
                    name="conv_transpose2d"):
    _check(name, x, w, k, groups)
    unbatched = x.ndim == k + 1
    if unbatched:
        x = x[None]
    stride, dilation = tuple_of(stride, k, "stride"), tuple_of(dilation, k, "dilation")
    padding, opad = tuple_of(padding, k, "padding"), tuple_of(output_padding, k, "output_padding")
    c, og, ks = w.shape[0], w.shape[1], tuple(w.shape[2:])
    if x.shape[1] != c:
        raise RuntimeError(f"Given transposed=1, weight of size {list(w.shape)}, expected "
                           f"input{list(x.shape)} to have {c} channels, but got {x.shape[1]} "
                           f"channels instead")
    for op_pad, s, d in zip(opad, stride, dilation):
        if op_pad >= s and op_pad >= d:
            raise RuntimeError("output padding must be smaller than either stride or dilation")
    x = _dilate(x, stride, k)
    x = pad(x, [(d * (kk - 1) - p, d * (kk - 1) - p + op)
                for d, kk, p, op in zip(dilation, ks, padding, opad)]) \
        if all(d * (kk - 1) - p >= 0 for d, kk, p in zip(dilation, ks, padding)) else None
    if x is None:
        raise NotImplementedError("conv_transpose with padding > dilation * (kernel_size - 1)")
    # weight (c, og, *ks) -> (g * og, c / g, *ks), flipped in space
    cg = c // groups
    wt = w.reshape((groups, cg, og) + ks)
    wt = op_("permute", wt, (0, 2, 1) + tuple(range(3, 3 + k))).reshape((groups * og, cg) + ks)
    wt = op_("flip", wt, tuple(range(2, 2 + k)))
    y = _conv(x, wt, k, 1, 0, dilation, groups, name)
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
        return [ErrorInput((np.ones(shape_x), np.ones(shape_w)), match="channels",
                           note="channel count differs")]
    return errors


def _op(name, fn, calls, doc, errors):
    kernel, backward = composite(fn, 2)
    return op(name, kernel, backward=backward, inputs=2, save_inputs=(0, 1), methods=(),
              functions=(name,), torch_name=name, samples=_samples(calls),
              error_samples=errors, doc=doc)


OPS = [
    _op("conv1d", _conv1d, [(((2, 4, 7), (6, 4, 3)), {}),
                            (((2, 4, 9), (6, 2, 2)), dict(stride=2, padding=1, groups=2)),
                            (((4, 8), (3, 4, 3)), dict(dilation=2, padding="same"))],
        "1-d convolution (cross-correlation) of input (N, C, L) with weight (O, C/groups, K); "
        "bias is added by `loom.nn.functional.conv1d`.", _errors((1, 3, 5), (2, 2, 3))),
    _op("conv2d", _conv2d, [(((2, 3, 6, 5), (4, 3, 3, 2)), {}),
                            (((1, 4, 7, 7), (4, 2, 3, 3)),
                             dict(stride=(2, 1), padding=1, dilation=(1, 2), groups=2)),
                            (((3, 5, 5), (2, 3, 3, 3)), dict(padding="same"))],
        "2-d convolution (cross-correlation) of input (N, C, H, W) with weight "
        "(O, C/groups, kH, kW); bias is added by `loom.nn.functional.conv2d`.",
        _errors((1, 3, 5, 5), (2, 2, 3, 3))),
    _op("conv_transpose1d", _conv_transpose1d,
        [(((2, 4, 5), (4, 3, 3)), {}),
         (((1, 4, 5), (4, 2, 3)), dict(stride=2, padding=1, output_padding=1, groups=2))],
        "1-d transposed convolution of input (N, C, L) with weight (C, O/groups, K).",
        lambda rng: [ErrorInput((np.ones((1, 3, 5)), np.ones((2, 2, 3))), match="channels")]),
    _op("conv_transpose2d", _conv_transpose2d,
        [(((2, 3, 4, 4), (3, 2, 3, 3)), {}),
         (((1, 4, 3, 4), (4, 1, 2, 3)), dict(stride=(2, 1), padding=(0, 1), groups=2,
                                             dilation=(1, 2)))],
        "2-d transposed convolution of input (N, C, H, W) with weight (C, O/groups, kH, kW).",
        lambda rng: [ErrorInput((np.ones((1, 3, 5, 5)), np.ones((2, 2, 3, 3))),
                                match="channels")]),
]
