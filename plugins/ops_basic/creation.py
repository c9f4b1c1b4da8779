"""Factories (zeros, ones, arange, rand, randn, ...) and the *_like forms."""
from __future__ import annotations

import math

from loom.plugin import SampleInput, factory, op, parse_size
import loom


_default_dtype = loom.get_default_dtype


def _float_dtype(dtype):
    return (dtype or _default_dtype()).np


def _zeros(be, *size, dtype=None, index=None):
    return be.xp.zeros(parse_size(size, "zeros"), _float_dtype(dtype))


def _ones(be, *size, dtype=None, index=None):
    return be.xp.ones(parse_size(size, "ones"), _float_dtype(dtype))


def _empty(be, *size, dtype=None, index=None):
    # PyTorch leaves memory uninitialised; zeros keep results reproducible at no real cost.
    return be.xp.zeros(parse_size(size, "empty"), _float_dtype(dtype))


def _full(be, size, fill_value, dtype=None, index=None):
    if dtype is None:
        if isinstance(fill_value, bool):
            dtype = loom.bool
        elif isinstance(fill_value, int):
            dtype = loom.int64
        elif isinstance(fill_value, complex):
            dtype = loom.get_default_dtype().to_complex()
    return be.xp.full(parse_size((size,), "full"), fill_value, _float_dtype(dtype))


def _arange(be, start, end=None, step=1, dtype=None, index=None):
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, loom.Tensor) else v for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if dtype is None:
        dtype = loom.get_default_dtype() if any(isinstance(v, float) for v in vals) else \
            loom.int64
    start, end, step = vals
    if (end - start) * step < 0:
        raise RuntimeError(f"upper bound and larger bound inconsistent with step sign "
                           f"(start={start}, end={end}, step={step})")
    n = max(0, math.ceil((end - start) / step))
    return (be.xp.arange(n, dtype=float if dtype.is_floating_point else int) * step +
            start).astype(dtype.np)


def _linspace(be, start, end, steps, dtype=None, index=None):
    return be.xp.linspace(start, end, steps).astype(_float_dtype(dtype))


def _rand(be, *size, dtype=None, index=None, generator=None):
    return be.rand(parse_size(size, "rand"), _float_dtype(dtype), index)


def _randn(be, *size, dtype=None, index=None, generator=None):
    return be.randn(parse_size(size, "randn"), _float_dtype(dtype), index)


def _eye(be, n, m=None, dtype=None, index=None):
    return be.xp.eye(n, m, dtype=_float_dtype(dtype))


def _like_samples(rng, dt):
    return [SampleInput((rng.standard_normal((2, 3)).astype(dt),), grad=False)]


def _zeros_like(xp, a, *, dtype=None):
    return xp.zeros(a.shape, a.dtype if dtype is None else dtype.np)


def _ones_like(xp, a, *, dtype=None):
    return xp.ones(a.shape, a.dtype if dtype is None else dtype.np)


def _full_like(xp, a, fill_value, *, dtype=None):
    return xp.full(a.shape, fill_value, a.dtype if dtype is None else dtype.np)


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
    factory("rand", _rand, [((8, 1), {}), ((5, 3), {}), ((20,), {"dtype": loom.float64})],
             "Uniform random numbers in [0, 1), PyTorch's CPU stream for a given seed."),
    factory("randn", _randn, [((8, 1), {}), ((4, 4), {}), ((17,), {"dtype": loom.float64})],
             "Standard normal random numbers, PyTorch's CPU stream for a given seed."),
    factory("eye", _eye, [((3,), {}), ((2, 4), {})], "Identity matrix."),
    op("zeros_like", _zeros_like, methods=(), inplace="zero_", inplace_fill=True,
       differentiable=False, samples=_like_samples,
       doc="Zeros shaped like `input` (`zero_` fills in place)."),
    op("ones_like", _ones_like, methods=(), differentiable=False, samples=_like_samples,
       doc="Ones shaped like `input`."),
    op("full_like", _full_like, methods=(), inplace="fill_", inplace_fill=True,
       differentiable=False, doc="`fill_value` shaped like `input` (`fill_` fills in place).",
       samples=lambda rng, dt: [SampleInput((rng.standard_normal((2, 3)).astype(dt), 2.0),
                                            grad=False)]),
]
