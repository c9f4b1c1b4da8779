"""``signal::circular_conv``: the circular convolution of two signals along their last
dimension, ``out[..., i] = sum_k input[..., k] * other[..., (i - k) mod n]``, computed with the
FFT of the array library (``xp.fft``: NumPy's, or CuPy's on a GPU) in O(n log n).

Its gradient is a circular *correlation*, which is a circular convolution with the other
signal reversed (``b[-k mod n]``); the backward rule calls this same operator through
`apply_op`, so on tensors (``create_graph=True``) it is recorded and differentiable again."""
from __future__ import annotations

import numpy as np

from loom.plugin import ErrorInput, SampleInput, apply_op, op, promote_arrays, sum_to_shape

from ._util import dtype_name

NAME = "signal::circular_conv"


def _circular_conv(xp, a, b):
    for what, x in (("input", a), ("other", b)):
        if x.ndim == 0:
            raise RuntimeError(f"circular_conv(): {what} must have at least one dimension")
        if x.dtype.kind != "f":
            raise NotImplementedError(f"\"circular_conv\" not implemented for "
                                      f"'{dtype_name(x)}'")
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"circular_conv(): the last dimension of input ({a.shape[-1]}) and "
                           f"of other ({b.shape[-1]}) must match")
    a, b = promote_arrays(a, b)  # PyTorch's result dtype, not NumPy's
    n = a.shape[-1]
    out = xp.fft.irfft(xp.fft.rfft(a) * xp.fft.rfft(b), n)
    return out.astype(a.dtype, copy=False)


def _reversed(x):
    """``x[..., -k mod n]``: the signal read backwards from its first element."""
    return apply_op("roll", apply_op("flip", x, (-1,)), (1,), (-1,))


def _circular_conv_backward(ctx, g):
    a, b = ctx.saved
    need_a, need_b = ctx.needs_input_grad
    sa, sb = ctx.shapes
    ga = sum_to_shape(apply_op(NAME, g, _reversed(b)), sa) if need_a else None
    gb = sum_to_shape(apply_op(NAME, g, _reversed(a)), sb) if need_b else None
    return ga, gb


def _reference(a, b):
    n = a.shape[-1]
    idx = (np.arange(n)[:, None] - np.arange(n)[None, :]) % n  # [i, k] -> (i - k) mod n
    out = (a[..., None, :] * b[..., idx]).sum(-1)
    return out.astype(np.result_type(a.dtype, b.dtype))


def _samples(rng, dt):
    def a(*shape):
        return rng.standard_normal(shape).astype(dt)
    return [
        SampleInput((a(8), a(8))),
        SampleInput((a(3, 7), a(3, 7)), note="odd length"),
        SampleInput((a(2, 3, 6), a(6)), note="broadcast", rtol=1e-4, atol=1e-5),
        SampleInput((a(1), a(1)), note="length 1"),
    ]


def _errors(rng):
    return [
        ErrorInput((np.ones(4), np.ones(5)), error=RuntimeError,
                   match=r"last dimension of input \(4\) and of other \(5\) must match",
                   note="lengths differ"),
        ErrorInput((np.ones(4, dtype=np.int64), np.ones(4, dtype=np.int64)),
                   error=NotImplementedError, match="not implemented for 'Long'",
                   note="integer signals"),
        ErrorInput((np.ones(()), np.ones(())), error=RuntimeError,
                   match="at least one dimension", note="0-dim"),
    ]


CIRCULAR_CONV = op(
    NAME, _circular_conv, backward=_circular_conv_backward, inputs=2, save_inputs=(0, 1),
    methods=(), functions=(), torch_name=None, reference=_reference,
    samples=_samples, error_samples=_errors,
    doc="""circular_conv(input, other)

The circular convolution of `input` and `other` along their last dimension (which must
match; leading dimensions broadcast): ``out[..., i] = sum_k input[..., k] *
other[..., (i - k) mod n]``, computed with the FFT.""")
