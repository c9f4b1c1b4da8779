"""Random numbers: factories (rand, randn, randint, randperm, normal), the *_like forms and
the in-place fills (uniform_, normal_, random_). On the CPU each equals PyTorch's stream for a
given seed; every one takes ``generator=`` (a `loom.Generator` of the call's device)."""
import math

import numpy as np

from loom.plugin import (backend_for, backend_of, dtype_of, factory, generator_impl, op,
                         parse_size, sample_calls)
import loom

_default = loom.get_default_dtype


def _draw(be, fn, size, dtype, index, generator, scale=1.0):
    # a complex tensor is its real view with twice the elements (PyTorch's order)
    d = dtype or loom.get_default_dtype()
    d, cplx = (d.to_real(), True) if d.is_complex else (d, False)
    shape = parse_size(size, fn)
    arr = getattr(be, fn)(shape + ((2,) if cplx else ()), d.np, index,
                          generator=generator_impl(generator, be))
    if cplx:
        if scale != 1.0:  # PyTorch scales in double, then rounds
            arr = (arr.astype(np.float64) * scale).astype(d.np)
        arr = arr.view(dtype.np)[..., 0]
    return arr


def _rand(be, *size, generator=None, dtype=None, index=None):
    if generator is None and (dtype is None or not dtype.is_complex):  # the common call, direct
        return be.rand(parse_size(size, "rand"), (dtype or _default()).np, index)
    return _draw(be, "rand", size, dtype, index, generator)


def _randn(be, *size, generator=None, dtype=None, index=None):
    if generator is None and (dtype is None or not dtype.is_complex):
        return be.randn(parse_size(size, "randn"), (dtype or _default()).np, index)
    return _draw(be, "randn", size, dtype, index, generator, math.sqrt(0.5))


def _randint(be, low, high=None, size=None, *, generator=None, dtype=None, index=None):
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:  # randint_like(a, high)
        low, high = 0, low
    if size is None or not isinstance(size, (tuple, list, loom.Size)):
        raise TypeError("randint(): argument 'size' must be tuple of ints")
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                           f">= to={high}")
    return be.randint(int(low), int(high), parse_size((size,), "randint"),
                      (dtype or loom.int64).np, index, generator=generator_impl(generator, be))


def _randperm(be, n, *, generator=None, dtype=None, index=None):
    if n < 0:
        raise RuntimeError(f"n must be non-negative, got{n}")
    return be.randperm(int(n), (dtype or loom.int64).np, index,
                       generator=generator_impl(generator, be))


def _normal(be, mean, std, size=None, *, generator=None, dtype=None, index=None):
    shapes = [np.shape(v._data) for v in (mean, std) if isinstance(v, loom.Tensor)]
    shape = parse_size((size,), "normal") if size is not None else \
        tuple(np.broadcast_shapes(*shapes)) if shapes else ()
    dt = dtype or next((v.dtype for v in (mean, std) if isinstance(v, loom.Tensor)),
                       loom.get_default_dtype())
    if not isinstance(std, loom.Tensor) and std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    z = _draw(be, "randn", shape, dt, index, generator)
    m, s = ((v._data if isinstance(v, loom.Tensor) else v) for v in (mean, std))
    # PyTorch's float32 kernel scales in double before rounding
    out = (z.astype(np.float64) * s + m).astype(dt.np) if dt is loom.float32 else \
        (z * s + m).astype(dt.np)
    return np.asarray(out) if isinstance(out, np.generic) else out  # 0-d NumPy arithmetic


def _placed(a, device):
    """(backend, index) of a *_like call: `device` when given, else the input's."""
    if device is None:
        return backend_of(a), None
    return backend_for(device), loom.device(device).index


def _like(fn):
    def kernel(xp, a, *, dtype=None, generator=None, device=None):
        be, index = _placed(a, device)
        return fn(be, a.shape, generator=generator, dtype=dtype or dtype_of(a), index=index)
    return kernel


def _randint_like(xp, a, low, high=None, *, dtype=None, generator=None, device=None):
    be, index = _placed(a, device)
    return _randint(be, low, high, a.shape, generator=generator,
                    dtype=dtype or dtype_of(a), index=index)


def _uniform(xp, a, from_=0.0, to=1.0, *, generator=None):
    # PyTorch computes in double (and fuses the multiply-add: the last bit may differ)
    u = _rand(backend_of(a), a.shape, generator=generator, dtype=dtype_of(a))
    return (u.astype(np.float64) * (to - from_) + from_).astype(a.dtype)


def _normal_fill(xp, a, mean=0.0, std=1.0, *, generator=None):
    return _normal(backend_of(a), mean, std, a.shape, generator=generator,
                   dtype=dtype_of(a))


def _random_fill(xp, a, from_=0, to=None, *, generator=None):
    if to is None:  # random_(to): [0, to); random_(): the dtype's range (the mantissa's)
        from_, to = (0, from_) if from_ else (0, 2 ** (24 if a.dtype == np.float32 else 53)
                                               if a.dtype.kind == "f" else
                                               np.iinfo(a.dtype).max + 1)
    return _randint(backend_of(a), from_, to, a.shape, generator=generator,
                    dtype=dtype_of(a))


def _u64(a, generator):  # float64 uniforms shaped like `a`, from `a`'s device
    return _rand(backend_of(a), a.shape, generator=generator, dtype=loom.float64)


def _bernoulli(xp, a, p=None, *, generator=None):
    # a tensor of probabilities draws uniforms of its own dtype; a float p, doubles (PyTorch's)
    if p is None:
        if a.dtype.kind != "f":
            raise RuntimeError(f"bernoulli_ expects a floating point probability tensor, got "
                               f"{dtype_of(a)}")
        u = _rand(backend_of(a), a.shape, generator=generator, dtype=dtype_of(a))
        return (u < a).astype(a.dtype)
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    return (_u64(a, generator) < p).astype(a.dtype)


def _bernoulli_fill(xp, a, p=0.5, *, generator=None):
    if isinstance(p, loom.Tensor):  # uniforms of p's dtype, shaped like self
        pd = p._data
        u = _rand(backend_of(a), a.shape, generator=generator, dtype=dtype_of(pd))
        return (u < pd).astype(a.dtype)
    return _bernoulli(xp, a, float(p), generator=generator)


def _exponential(xp, a, lambd=1.0, *, generator=None):
    if lambd <= 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    return (-xp.log1p(-_u64(a, generator)) / lambd).astype(a.dtype)


def _multinomial(xp, p, num_samples, replacement=False, *, generator=None):
    if p.ndim not in (1, 2) or p.dtype.kind != "f":
        raise RuntimeError("multinomial only supports floating-point dtypes for input, and "
                           "1 or 2 dim prob_dist")
    if not replacement and num_samples > p.shape[-1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    if (p < 0).any() or not xp.isfinite(p).all():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    rows = p.reshape(-1, p.shape[-1])
    if replacement and num_samples > 1:
        # inverse of the normalised cumulative distribution at double uniforms
        u = _rand(backend_of(p), (rows.shape[0], num_samples), generator=generator,
                  dtype=loom.float64)
        cum = rows.astype(xp.float64).cumsum(axis=1)
        cum /= cum[:, -1:]
        out = xp.stack([xp.searchsorted(c, r, side="left") for c, r in zip(cum, u)])
    else:  # PyTorch's exponential race (without replacement, or one draw): p / Exp(1) wins
        q = (-xp.log1p(-_u64(rows, generator))).astype(p.dtype)
        out = xp.argsort(-(rows / q), axis=1, kind="stable")[:, :num_samples]
    return out.reshape(p.shape[:-1] + (num_samples,)).astype(xp.int64)


# PyTorch's kernels fuse or reorder a multiply-add: values may differ in the last bit
_LAST_BIT = {"rtol": 1e-6, "atol": 1e-6}


def _drawn(name, kernel, doc, *calls):  # a random op of a tensor (not differentiable)
    return op(name, kernel, methods=(), differentiable=False, random=True, doc=doc,
              samples=sample_calls(*calls, grad=False))


def _fill(inplace, kernel, doc, *calls, **fields):  # Tensor.<inplace>: an in-place fill only
    return op(inplace.rstrip("_") + "_fill", kernel, methods=(), functions=(), inplace=inplace,
              differentiable=False, random=True, torch_name=inplace,
              samples=sample_calls(*calls, grad=False, **fields),
              doc=f"{doc} (`Tensor.{inplace}` fills in place)")


OPS = [
    factory("rand", _rand, [((8, 1), {}), ((5, 3), {}), ((20,), {"dtype": loom.float64}),
                            ((3,), {"dtype": loom.complex64})],
            "Uniform random numbers in [0, 1), PyTorch's CPU stream for a given seed."),
    factory("randn", _randn, [((8, 1), {}), ((4, 4), {}), ((17,), {"dtype": loom.float64}),
                              ((3,), {"dtype": loom.complex64}, _LAST_BIT)],
            "Standard normal random numbers, PyTorch's CPU stream for a given seed (complex: "
            "the last bit may differ, PyTorch scales before rounding)."),
    factory("randint", _randint, [((10, (3,)), {}), ((-5, 5, (2, 4)), {}),
                                  ((0, 2 ** 40, (3,)), {}), ((3, 10, (2,)), {"dtype": loom.float32})],
            "Integers uniform in [low, high), PyTorch's CPU stream for a given seed."),
    factory("randperm", _randperm, [((6,), {}), ((0,), {}), ((40,), {"dtype": loom.int32})],
            "A random permutation of 0..n-1, PyTorch's CPU stream for a given seed."),
    factory("normal", _normal, [((0.0, 1.0, (5,)), {}, _LAST_BIT),
                                ((2.0, 3.0, (20,)), {}, _LAST_BIT)],
            "Normal random numbers of `mean` and `std` (floats or tensors)."),
    _drawn("rand_like", _like(_rand), "`rand` shaped like `input`.", ((2, 3),)),
    _drawn("randn_like", _like(_randn), "`randn` shaped like `input`.", ((4, 5),)),
    _drawn("randint_like", _randint_like, "`randint` shaped like `input`.", ((2, 3), 10),
           ((2, 3), -3, 3)),
    _fill("uniform_", _uniform, "Uniform values in [from, to).", ((3, 4),), ((5,), -2.0, 3.0),
          **_LAST_BIT),
    _fill("normal_", _normal_fill, "Normal values of `mean` and `std`.", ((3, 4), 1.0, 2.0),
          **_LAST_BIT),
    _fill("random_", _random_fill, "Integers in [from, to) as values of the tensor's dtype.",
          ((2, 3), 0, 10), ((4,), 7)),
    op("bernoulli", _bernoulli, differentiable=False, random=True,
       samples=sample_calls(((3, 4),), ((5,), 0.3), domain=(0, 1), grad=False),
       doc="0/1 draws with probabilities `input` (or `p`), PyTorch's CPU stream."),
    _fill("bernoulli_", _bernoulli_fill, "0/1 draws of probability `p`.", ((3, 4),),
          ((5,), 0.3)),
    _fill("exponential_", _exponential, "Exponential draws of rate `lambd`.", ((3, 4),),
          ((5,), 2.0), **_LAST_BIT),
    op("multinomial", _multinomial, differentiable=False, random=True,
       samples=sample_calls(((4,), 2), ((2, 5), 3), ((2, 5), 7, True), domain=(0.1, 1),
                            grad=False),
       doc="Indices drawn from the rows of `input` as (unnormalised) probabilities."),
]
