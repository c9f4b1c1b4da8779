"""Factories (zeros, ones, arange, rand, randn, ...) and the *_like forms."""

import math

import warnings

import numpy as np

from loom.plugin import (apply_op, backend_for, dtype_of, factory, normalize_dims, op, parse_size,
                         sample_calls, xp_of)
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


def _tri_indices(name, np_fn):
    def kernel(be, row, col, offset=0, dtype=None, index=None):
        dtype = dtype or loom.int64
        if dtype.is_floating_point or dtype.is_complex or dtype == loom.bool:
            names = {"float32": "Float", "float64": "Double", "float16": "Half",
                     "bfloat16": "BFloat16", "complex64": "ComplexFloat",
                     "complex128": "ComplexDouble", "bool": "Bool"}
            raise NotImplementedError(f'"{name}" not implemented for '
                                      f"'{names[str(dtype).split('.')[-1]]}'")
        r, c = np_fn(row, offset, col) if row > 0 and col > 0 else ((), ())
        return be.xp.asarray(np.stack([np.asarray(r, np.int64), np.asarray(c, np.int64)])
                             .astype(dtype.np))
    return kernel


def _full_like(xp, a, fill_value, *, dtype=None, device=None):
    if isinstance(fill_value, loom.Tensor) or not isinstance(fill_value, (int, float, complex)):
        raise TypeError(f"full_like(): argument 'fill_value' (position 2) must be Number, not "
                        f"{type(fill_value).__name__}")
    # on `device` when given (the array comes from that backend), else on the input's
    xp = backend_for(device).xp if device is not None else xp
    return xp.full(a.shape, fill_value, a.dtype if dtype is None else dtype.np)


def _like(name, kernel, doc, *args, **fields):  # not differentiable, as in PyTorch
    return op(name, kernel, methods=(), differentiable=False, doc=doc,
              samples=sample_calls(((2, 3), *args), ((2, 3), *args, {"dtype": loom.float64}),
                                   grad=False), **fields)


def _logspace(be, start, end, steps, base=10.0, dtype=None, index=None):
    return (base ** be.xp.linspace(start, end, steps)).astype(_np(dtype))


def _meshgrid(xp, *arrays, indexing=None):
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=4)
    if indexing not in (None, "ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but "
                           f"received: {indexing}")
    for a in arrays:
        if a.dtype != arrays[0].dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
        if a.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list "
                               f"but got: {a.ndim}D")
    return tuple(xp.meshgrid(*(a.reshape(-1) for a in arrays), indexing=indexing or "ij",
                             copy=False))


def _meshgrid_prepare(*a, **k):  # meshgrid(a, b) or meshgrid([a, b])
    a = tuple(a[0]) if len(a) == 1 and isinstance(a[0], (list, tuple)) else a
    if not a:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    return a


def _meshgrid_bwd(ctx, grads):
    # output i varies along axis i (axes 0 and 1 swapped for 'xy'); the other axes sum away
    n, xy = len(ctx.shapes), ctx.params["indexing"] == "xy"
    out = []
    for i, (g, need) in enumerate(zip(grads, ctx.needs_input_grad)):
        axis = (1 - i if i < 2 else i) if xy and n >= 2 else i
        keep = tuple(k for k in range(n) if k != axis)
        out.append(g.sum(axis=keep).reshape(ctx.shapes[i]) if need and g is not None else None)
    return tuple(out)


def _diag_index(k, n):  # (rows, cols) of diagonal `k` of length `n`
    i = np.arange(n)
    return i + max(-k, 0), i + max(k, 0)


def _diag_bwd(ctx, g):
    shape, k = ctx.shapes[0], ctx.params["diagonal"]
    if len(shape) == 1:  # the input was the diagonal of g
        return (g[_diag_index(k, shape[0])],)
    return (apply_op("ops_index_backward", g, shape, _diag_index(k, g.shape[0])),)


def _diag_embed_bwd(ctx, g):
    p, nd = ctx.params, len(ctx.shapes[0]) + 1
    d1, d2 = p["dim1"] % nd, p["dim2"] % nd
    g = g.swapaxes(d2, nd - 1)  # the two diagonal dims last, in order
    g = g.swapaxes(nd - 1 if d1 == nd - 1 else d1, nd - 2)
    return (g[(Ellipsis, *_diag_index(p["offset"], ctx.shapes[0][-1]))],)


def _complex(xp, real, imag, who="complex"):
    if real.dtype == xp.float16 and imag.dtype == xp.float16:
        raise NotImplementedError(f'"{who}_cpu" not implemented for \'Half\'')
    if real.dtype != imag.dtype:
        names = {"float64": "Double", "float32": "Float", "float16": "Half"}
        raise RuntimeError(f"Expected object of scalar type {names.get(real.dtype.name)} but got "
                           f"scalar type {names.get(imag.dtype.name)} for second argument")
    if real.dtype.kind != "f" or real.dtype == xp.float16:
        raise RuntimeError(f"Expected both inputs to be Half, Float or Double tensors but got "
                           f"{dtype_of(real)} and {dtype_of(imag)}")
    # real and imaginary parts set apart: `real + 1j * imag` makes an infinite part NaN
    out = xp.empty(xp.broadcast_shapes(real.shape, imag.shape),
                   xp.complex64 if real.dtype == xp.float32 else xp.complex128)
    out.real, out.imag = real, imag
    return out


def _polar(xp, r, t):
    _complex(xp, r, t, "polar")  # PyTorch's dtype checks come first
    with np.errstate(invalid="ignore"):  # inf * sin(0) is NaN, silently as in PyTorch
        return _complex(xp, r * xp.cos(t), r * xp.sin(t))


def _tri(fn):
    def kernel(xp, a, diagonal=0):
        if isinstance(diagonal, bool) or not isinstance(diagonal, int):
            raise TypeError(f"{fn}(): argument 'diagonal' must be int, not "
                            f"{type(diagonal).__name__}")
        if a.ndim < 2:
            raise RuntimeError(f"{fn}: input tensor must have at least 2 dimensions")
        return getattr(xp, fn)(a, diagonal)
    return kernel


def _diag(xp, a, diagonal=0):
    if a.ndim not in (1, 2):
        raise RuntimeError("diag(): Supports 1D or 2D tensors. Got " f"{a.ndim}D")
    return xp.diag(a, diagonal).copy()


def _diag_embed(xp, a, offset=0, dim1=-2, dim2=-1):
    d1, d2 = normalize_dims((dim1, dim2), a.ndim + 1, "diag_embed")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = a.shape[-1] + abs(offset)
    out = xp.zeros(a.shape[:-1] + (n, n), a.dtype)
    i = xp.arange(a.shape[-1])
    out[..., i + max(-offset, 0), i + max(offset, 0)] = a
    nd = out.ndim
    return xp.moveaxis(out, (nd - 2, nd - 1), (d1, d2))


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
    factory("tril_indices", _tri_indices("tril_indices", np.tril_indices),
            [((3, 3), {}), ((4, 3, -1), {}), ((3, 4, 1), {"dtype": loom.int32})],
            "The (row, column) indices of a `row` x `col` matrix's lower triangle, a 2 x N "
            "tensor; `offset` shifts the diagonal."),
    factory("triu_indices", _tri_indices("triu_indices", np.triu_indices),
            [((3, 3), {}), ((4, 3, 1), {}), ((3, 4, -1), {"dtype": loom.int32})],
            "The (row, column) indices of a `row` x `col` matrix's upper triangle, a 2 x N "
            "tensor; `offset` shifts the diagonal."),
    factory("eye", _eye, [((3,), {}), ((2, 4), {})], "Identity matrix."),
    _like("zeros_like", lambda xp, a, *, dtype=None, device=None: _full_like(xp, a, 0, dtype=dtype,
                                                                          device=device),
          "Zeros shaped like `input` (`zero_` fills in place).", inplace="zero_",
          inplace_fill=True, inplace_function=True),
    _like("ones_like", lambda xp, a, *, dtype=None, device=None: _full_like(xp, a, 1, dtype=dtype,
                                                                         device=device),
          "Ones shaped like `input`."),
    _like("full_like", _full_like, "`fill_value` shaped like `input` (`fill_` fills in place).",
          2.0, inplace="fill_", inplace_fill=True, inplace_function=True),
    # torch.empty_like's values are undefined: compare with zeros_like (what loom returns)
    _like("empty_like", lambda xp, a, *, dtype=None, device=None: _full_like(xp, a, 0, dtype=dtype,
                                                                          device=device),
          "An uninitialised tensor shaped like `input` (zeros in loom).",
          torch_name="zeros_like"),
    factory("logspace", _logspace, [((0, 2, 3), {}), ((-1, 1, 5), {"base": 2.0})],
            "`steps` values from `base**start` to `base**end`, evenly spaced in the exponent."),
    op("meshgrid", _meshgrid, backward=_meshgrid_bwd, variadic=True, methods=(),
       view="always",
       prepare=_meshgrid_prepare, samples=sample_calls(((2,), (3,), {"indexing": "ij"}),
                                    ((2,), (3,), (4,), {"indexing": "xy"}), inputs=3),
       doc="Coordinate grids of 1-D tensors (`indexing` 'ij' or 'xy'); views."),
    op("complex", _complex, backward=lambda ctx, g: (g.real, g.imag), inputs=2, methods=(),
       takes_complex_grad=True, samples=sample_calls(((2, 3), (2, 3)), inputs=2, grad=False),
       doc="A complex tensor from its real and imaginary parts."),
    op("polar", _polar, inputs=2,
       methods=(), samples=sample_calls(((2, 3), (2, 3)), inputs=2, domain=(0.5, 2), grad=False),
       differentiable=False, doc="A complex tensor from magnitudes and angles."),
    *(op(fn, _tri(fn), backward=lambda ctx, g, fn=fn: (getattr(xp_of(g), fn)(g, ctx.params[
        "diagonal"]),), inplace=f"{fn}_", samples=sample_calls(((3, 4),), ((2, 3, 3), 1),
                                                              ((4, 3), -1)),
         doc=f"The {'lower' if fn == 'tril' else 'upper'} triangle of the last two dimensions "
             f"(`diagonal` shifts it).") for fn in ("tril", "triu")),
    op("diag", _diag, backward=_diag_bwd,
       samples=sample_calls(((3,),), ((3, 4),), ((3, 4), 1), ((4,), -1)),
       doc="A 1-D tensor as a diagonal matrix, or the diagonal of a 2-D one."),
    op("diag_embed", _diag_embed, samples=sample_calls(((2, 3),), ((3,), 1), ((2, 2), -1, 0, 2)),
       backward=_diag_embed_bwd,
       doc="Tensors whose last dimension fills the diagonals of new matrices."),
]
