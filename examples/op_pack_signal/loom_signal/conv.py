"""``signal::conv1d``: the 1-D cross-correlation of ``torch.conv1d``, with stride, padding
(an int, ``"valid"`` or ``"same"``), dilation and groups.

The kernel takes, for each tap ``k`` of the kernel, the slice of the padded input it meets
(every `stride`-th element from ``k * dilation``) and multiplies it by that tap's weights: one
matrix product per tap and group, no copy of the input per output position. The backward rule
is the adjoint of the same slicing (zeros woven between the gradient's elements, shifted to
each tap's place), written in operations arrays and tensors share, so that second derivatives
come from recording it.
"""
from __future__ import annotations

import numpy as np

from loom.plugin import ErrorInput, SampleInput, Tensor, op, xp_of

from ._util import dtype_name, pad_last, spread


def _ints(name, v):
    """An int from ``v`` or a 1-element tuple/list, as conv1d's stride/padding/dilation."""
    if isinstance(v, (tuple, list)) and len(v) == 1:
        v = v[0]
    if type(v) is not int:
        raise TypeError(f"conv1d(): argument '{name}' must be tuple of ints, not "
                        f"{type(v).__name__}")
    return v


def _prepare(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Check the call as torch.conv1d does and put it in the kernel's form: a bias tensor
    (zeros when None) and padding as (left, right)."""
    for i, (what, t) in enumerate((("input", input), ("weight", weight))):
        if not isinstance(t, Tensor):
            raise TypeError(f"conv1d(): argument '{what}' (position {i + 1}) must be Tensor, "
                            f"not {type(t).__name__}")
    stride, dilation = _ints("stride", stride), _ints("dilation", dilation)
    if weight.dim() < 3:
        raise RuntimeError("weight should have at least three dimensions")
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2D (unbatched) or 3D (batched) input to conv1d, but got "
                           f"input of size: {list(input.shape)}")
    if stride <= 0:
        raise RuntimeError("non-positive stride is not supported")
    if dilation <= 0:
        raise RuntimeError("non-positive dilation is not supported")
    if type(groups) is not int or groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    out_c, in_per_group, k = weight.shape
    span = dilation * (k - 1)
    if isinstance(padding, str):
        if padding == "valid":
            left = right = 0
        elif padding == "same":
            if stride != 1:
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            left, right = span // 2, span - span // 2
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        left = right = _ints("padding", padding)
        if left < 0:
            raise RuntimeError("negative padding is not supported")
    if input.dtype != weight.dtype:
        raise RuntimeError(f"Input type (torch.{dtype_name(input)}Tensor) and weight type "
                           f"(torch.{dtype_name(weight)}Tensor) should be the same or input "
                           f"should be a MKLDNN tensor and weight is a dense tensor")
    if out_c % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size {list(weight.shape)} instead")
    channels = input.shape[-2]
    if channels != in_per_group * groups:
        shape = list(input.shape) if input.dim() == 3 else [1] + list(input.shape)
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, "
                           f"expected input{shape} to have {in_per_group * groups} channels, "
                           f"but got {channels} channels instead")
    if bias is None:
        bias = weight.new_zeros(out_c)
    elif bias.dim() != 1 or bias.shape[0] != out_c:
        raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be "
                           f"1-dimensional with {out_c} elements, but got bias of size "
                           f"{list(bias.shape)} instead")
    padded = input.shape[-1] + left + right
    if padded < span + 1:
        raise RuntimeError(f"Calculated padded input size per channel: ({padded}). Kernel "
                           f"size: ({span + 1}). Kernel size can't be greater than actual "
                           f"input size")
    return input, weight, bias, stride, (left, right), dilation, groups


def _taps(x, k, stride, dilation, n_out):
    """The slice of padded `x` that tap `k` meets: every `stride`-th element from
    ``k * dilation``, `n_out` of them."""
    start = k * dilation
    return x[..., start:start + stride * (n_out - 1) + 1:stride]


def _conv1d(xp, x, w, b, stride=1, padding=(0, 0), dilation=1, groups=1):
    unbatched = x.ndim == 2
    if unbatched:
        x = x[None]
    x = pad_last(x, *padding)
    out_c, cg, k = w.shape
    og = out_c // groups
    n_out = (x.shape[-1] - dilation * (k - 1) - 1) // stride + 1
    parts = []
    for g in range(groups):
        xg, wg = x[:, g * cg:(g + 1) * cg], w[g * og:(g + 1) * og]
        acc = 0
        for t in range(k):
            # (og, cg) @ (n, cg, n_out) -> (n, og, n_out)
            acc = acc + wg[:, :, t] @ _taps(xg, t, stride, dilation, n_out)
        parts.append(acc)
    out = (parts[0] if groups == 1 else xp.concatenate(parts, 1)) + b[:, None]
    return out[0] if unbatched else out


def _conv1d_backward(ctx, g):
    x, w = ctx.saved
    need_x, need_w, need_b = ctx.needs_input_grad
    p = ctx.params
    stride, (left, right), dilation, groups = p["stride"], p["padding"], p["dilation"], \
        p["groups"]
    unbatched = len(ctx.shapes[0]) == 2
    if unbatched:
        x, g = x[None], g[None]
    xp = xp_of(g)
    length = x.shape[-1]
    out_c, cg, k = w.shape
    og = out_c // groups
    n_out = g.shape[-1]
    gx = gw = gb = None
    if need_b:
        gb = g.sum((0, 2))
    if need_x:
        padded = length + left + right
        parts = []
        for gi in range(groups):
            gg, wg = g[:, gi * og:(gi + 1) * og], w[gi * og:(gi + 1) * og]
            acc = 0
            for t in range(k):
                # tap t read x_pad[t*d + l*s]: its share goes back to exactly those places
                c = spread(wg[:, :, t].swapaxes(0, 1) @ gg, stride)
                acc = acc + pad_last(c, t * dilation, padded - t * dilation - c.shape[-1])
            parts.append(acc)
        gx = (parts[0] if groups == 1 else xp.concatenate(parts, 1))[..., left:left + length]
        if unbatched:
            gx = gx[0]
    if need_w:
        xpad = pad_last(x, left, right)
        rows = []
        for gi in range(groups):
            xg, gg = xpad[:, gi * cg:(gi + 1) * cg], g[:, gi * og:(gi + 1) * og]
            # d out[n, o, l] / d w[o, c, t] = x_pad[n, c, t*d + l*s], summed over n and l
            rows.append(xp.stack([(gg @ _taps(xg, t, stride, dilation, n_out).swapaxes(1, 2))
                                  .sum(0) for t in range(k)], -1))
        gw = rows[0] if groups == 1 else xp.concatenate(rows, 0)
    return gx, gw, gb


def _samples(rng, dt):
    def a(*shape):
        return rng.standard_normal(shape).astype(dt)
    return [
        SampleInput((a(2, 3, 10), a(4, 3, 3), a(4))),
        SampleInput((a(2, 3, 10), a(4, 3, 3)), {"bias": None}, note="no bias"),
        SampleInput((a(1, 2, 11), a(3, 2, 4), a(3)), {"stride": 2, "padding": 1},
                    note="stride and padding"),
        SampleInput((a(2, 2, 12), a(2, 2, 3), None, 1, 2, 3), note="dilation"),
        SampleInput((a(2, 4, 9), a(6, 2, 3), a(6)), {"groups": 2, "stride": 3, "dilation": 2,
                                                     "padding": 2}, note="groups"),
        SampleInput((a(3, 8), a(2, 3, 2), a(2)), note="unbatched"),
        SampleInput((a(1, 2, 7), a(2, 2, 4)), {"padding": "same"}, note="padding same"),
        SampleInput((a(1, 2, 7), a(2, 1, 2)), {"groups": 2, "padding": "valid"},
                    note="depthwise"),
    ]


def _errors(rng):
    x, w = np.ones((2, 4, 10)), np.ones((6, 2, 3))
    return [
        ErrorInput((x, np.ones((6, 3, 3))), error=RuntimeError,
                   match=r"expected input\[2, 4, 10\] to have 3 channels, but got 4",
                   note="channels"),
        ErrorInput((x, w), {"groups": 2, "stride": 0}, error=RuntimeError,
                   match="non-positive stride", note="stride 0"),
        ErrorInput((x, w), {"groups": 2, "padding": -1}, error=RuntimeError,
                   match="negative padding", note="negative padding"),
        ErrorInput((np.ones((2, 4, 1)), w), {"groups": 2}, error=RuntimeError,
                   match="Kernel size can't be greater than actual input size",
                   note="kernel larger than the input"),
        ErrorInput((np.ones((2, 2, 4, 1)), w), {"groups": 2}, error=RuntimeError,
                   match="Expected 2D \\(unbatched\\) or 3D", note="4-D input"),
        ErrorInput((x, w, np.ones(5)), {"groups": 2}, error=RuntimeError,
                   match="expected bias to be 1-dimensional with 6 elements", note="bias"),
        ErrorInput((x, np.ones((6, 2))), {"groups": 2}, error=RuntimeError,
                   match="weight should have at least three dimensions", note="2-D weight"),
        ErrorInput((x.astype(np.float32), w), {"groups": 2}, error=RuntimeError,
                   match="should be the same", note="dtypes differ"),
    ]


CONV1D = op(
    "signal::conv1d", _conv1d, backward=_conv1d_backward, inputs=3, save_inputs=(0, 1),
    prepare=_prepare, methods=(), functions=(), torch_name="conv1d",
    samples=_samples, error_samples=_errors,
    signature="(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1)",
    doc="""conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1)

The 1-D cross-correlation of `input` (``(N, C_in, L)`` or unbatched ``(C_in, L)``) with
`weight` (``(C_out, C_in / groups, K)``), plus `bias` (``(C_out,)``), as ``torch.conv1d``.
`padding` is an int or ``"valid"``/``"same"``; the output length is
``(L + 2 * padding - dilation * (K - 1) - 1) // stride + 1``.""")
