"""``signal::moving_average``: the mean of every `window` consecutive elements along a
dimension ("valid" positions only: ``size - window + 1`` results), as NumPy's
``convolve(x, ones(window) / window, "valid")`` computes it along one axis.

The kernel adds `window` shifted slices (no copy per output position); the backward rule
spreads each output's gradient evenly over the `window` inputs it averaged, by adding
`window` shifted, zero-padded copies of the gradient."""
from __future__ import annotations

import numpy as np

from loom.plugin import ErrorInput, SampleInput, op

from ._util import dtype_name, pad_last


def _check(x, window, dim):
    if type(window) is not int:
        raise TypeError(f"moving_average(): argument 'window' must be int, not "
                        f"{type(window).__name__}")
    if type(dim) is not int:
        raise TypeError(f"moving_average(): argument 'dim' must be int, not "
                        f"{type(dim).__name__}")
    nd = max(x.ndim, 1)
    if not -nd <= dim < nd:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-nd}, "
                         f"{nd - 1}], but got {dim})")
    if x.dtype.kind not in "f":
        raise NotImplementedError(f"\"moving_average\" not implemented for '{dtype_name(x)}'")
    size = x.shape[dim] if x.ndim else 1
    if not 1 <= window <= size:
        raise RuntimeError(f"moving_average(): window must be between 1 and the size {size} of "
                           f"dimension {dim}, got {window}")


def _moving_average(xp, x, window, dim=-1):
    _check(x, window, dim)
    if x.ndim == 0:
        return x.copy()
    xm = xp.moveaxis(x, dim, -1)
    n = xm.shape[-1] - window + 1
    acc = xm[..., 0:n]
    for k in range(1, window):
        acc = acc + xm[..., k:k + n]
    return xp.moveaxis(acc / window, -1, dim)


def _moving_average_backward(ctx, g):
    window, dim = ctx.params["window"], ctx.params["dim"]
    if not len(ctx.shapes[0]):
        return (g,)
    # each input element fed the `window` outputs to its left: shifts 0 .. window-1
    gm = g.swapaxes(dim, -1) / window
    acc = 0
    for k in range(window):
        acc = acc + pad_last(gm, k, window - 1 - k)
    return (acc.swapaxes(dim, -1),)


def _reference(x, window, dim=-1):
    if x.ndim == 0:
        return x.copy()
    view = np.lib.stride_tricks.sliding_window_view(x, window, axis=dim)
    return view.mean(-1).astype(x.dtype)


def _samples(rng, dt):
    def a(*shape):
        return rng.standard_normal(shape).astype(dt)
    return [
        SampleInput((a(10), 3)),
        SampleInput((a(3, 8), 4), note="batch"),
        SampleInput((a(4, 6, 2), 2), {"dim": 1}, note="along dim 1"),
        SampleInput((a(5, 3), 5, 0), note="window = size"),
        SampleInput((a(7), 1), note="window 1"),
        SampleInput((a(), 1), note="0-dim"),
    ]


def _errors(rng):
    x = np.ones((3, 4))
    return [
        ErrorInput((x, 5), error=RuntimeError, match="window must be between 1 and the size 4",
                   note="window too large"),
        ErrorInput((x, 0), error=RuntimeError, match="window must be between", note="window 0"),
        ErrorInput((x, 2.5), error=TypeError, match="must be int", note="float window"),
        ErrorInput((x, 2, 2), error=IndexError, match="Dimension out of range", note="dim"),
        ErrorInput((x.astype(np.int64), 2), error=NotImplementedError,
                   match="not implemented for 'Long'", note="integer input"),
    ]


MOVING_AVERAGE = op(
    "signal::moving_average", _moving_average, backward=_moving_average_backward,
    methods=(), functions=(), torch_name=None, reference=_reference,
    samples=_samples, error_samples=_errors,
    doc="""moving_average(input, window, dim=-1)

The mean of every `window` consecutive elements of `input` along `dim`: a tensor whose size
along `dim` is ``size - window + 1`` (NumPy's ``convolve(x, ones(window) / window,
"valid")`` along that axis). Floating-point inputs only.""")
