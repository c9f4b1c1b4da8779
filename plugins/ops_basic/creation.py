"""Factories (zeros, ones, arange, rand, randn, ...) and the *_like forms."""

import math

from loom.plugin import factory, op, parse_size, sample_calls
import loom


def _np(dtype):  # the NumPy dtype; the default float when `dtype` is None
    return (dtype or loom.get_default_dtype()).np


def _zeros(be, *size, dtype=None, index=None):
    return be.xp.zeros(parse_size(size, "zeros"), _np(dtype))


def _ones(be, *size, dtype=None, index=None):
    return be.xp.ones(parse_size(size, "ones"), _np(dtype))


def _empty(be, *size, dtype=None, index=None):
    # PyTorch leaves memory uninitialised; zeros keep results reproducible at no real cost.
    return be.xp.zeros(parse_size(size, "empty"), _np(dtype))


def _full(be, size, fill_value, dtype=None, index=None):
    if dtype is None:  # PyTorch infers it from the fill value
        dtype = (loom.bool if isinstance(fill_value, bool) else
                 loom.int64 if isinstance(fill_value, int) else
                 loom.get_default_dtype().to_complex() if isinstance(fill_value, complex) else None)
    return be.xp.full(parse_size((size,), "full"), fill_value, _np(dtype))


def _arange(be, start, end=None, step=1, dtype=None, index=None):
    if end is None:
        start, end = 0, start
    start, end, step = (v.item() if isinstance(v, loom.Tensor) else v for v in (start, end, step))
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if dtype is None:
        floats = any(isinstance(v, float) for v in (start, end, step))
        dtype = loom.get_default_dtype() if floats else loom.int64
    if (end - start) * step < 0:
        raise RuntimeError(f"upper bound and larger bound inconsistent with step sign "
                           f"(start={start}, end={end}, step={step})")
    n = max(0, math.ceil((end - start) / step))
    return (be.xp.arange(n, dtype=float if dtype.is_floating_point else int) * step +
            start).astype(dtype.np)


def _linspace(be, start, end, steps, dtype=None, index=None):
    return be.xp.linspace(start, end, steps).astype(_np(dtype))


def _eye(be, n, m=None, dtype=None, index=None):
    return be.xp.eye(n, m, dtype=_np(dtype))


def _full_like(xp, a, fill_value, *, dtype=None):
    return xp.full(a.shape, fill_value, a.dtype if dtype is None else dtype.np)


def _like(name, kernel, doc, *args, **fields):  # not differentiable, as in PyTorch
    return op(name, kernel, methods=(), differentiable=False, doc=doc,
              samples=sample_calls(((2, 3), *args), grad=False), **fields)


OPS = [
    factory("zeros", _zeros, [(((2, 3),), {}), ((2, 3), {}), ((4,), {"dtype": loom.int32})],
            "A tensor of zeros of the given size."),
    factory("ones", _ones, [(((2, 3),), {}), ((3,), {"dtype": loom.float64})],
            "A tensor of ones of the given size."),
    # torch.empty's values are undefined: compare with zeros, which is what loom returns
    factory("empty", _empty, [(((2, 3),), {})], "An uninitialised tensor (zeros in loom).",
            torch_name="zeros"),
    factory("full", _full, [(((2, 2), 7.5), {}), (((3,), 2), {}), (((2,), True), {})],
            "A tensor filled with `fill_value`."),
    factory("arange", _arange, [((5,), {}), ((1, 5), {}), ((0, 1, 0.25), {}),
                                ((0, 20), {}), ((10, 0, -3), {})],
            "Values from `start` to `end` (exclusive) by `step`."),
    factory("linspace", _linspace, [((0, 1, 5), {}), ((-2, 2, 9), {})],
            "`steps` evenly spaced values from `start` to `end`."),
    factory("eye", _eye, [((3,), {}), ((2, 4), {})], "Identity matrix."),
    _like("zeros_like", lambda xp, a, *, dtype=None: _full_like(xp, a, 0, dtype=dtype),
          "Zeros shaped like `input` (`zero_` fills in place).", inplace="zero_",
          inplace_fill=True),
    _like("ones_like", lambda xp, a, *, dtype=None: _full_like(xp, a, 1, dtype=dtype),
          "Ones shaped like `input`."),
    _like("full_like", _full_like, "`fill_value` shaped like `input` (`fill_` fills in place).",
          2.0, inplace="fill_", inplace_fill=True),
]
