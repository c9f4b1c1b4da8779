"""`loom.fft`: discrete Fourier transforms (``torch.fft``), computed by NumPy's FFT.

The one-dimensional transforms (`fft`, `ifft`, `rfft`, `irfft`, `hfft`, `ihfft`) are
differentiable: each is an autograd `Function` whose backward is PyTorch's rule (the adjoint
transform with the dual normalization, cropped or zero-padded back to the input's length;
for `irfft`, PyTorch's doubling of the entries conjugate symmetry folds together), so
gradients, real or complex, equal PyTorch's. The n-dimensional and 2-D transforms are
compositions of the one-dimensional ones and are differentiable through them. Gradients are
first-order: a backward recorded with ``create_graph=True`` raises RuntimeError. Dtypes
follow PyTorch: float32 gives complex64, float64 complex128, integers the default float
type's; float16 and bfloat16 are refused.
"""
from __future__ import annotations

import numpy as np

import loom
from loom.autograd import Function

__all__ = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fft2", "ifft2", "rfft2",
           "irfft2", "hfft2", "ihfft2", "fftn", "ifftn", "rfftn", "irfftn", "hfftn", "ihfftn",
           "fftfreq", "rfftfreq", "fftshift", "ifftshift"]

_NORMS = (None, "backward", "forward", "ortho")
_DUAL = {None: "forward", "backward": "forward", "forward": "backward", "ortho": "ortho"}
_COMPLEX_OF = {"float32": "complex64", "float64": "complex128"}


def _check_norm(norm):
    if norm not in _NORMS:
        raise RuntimeError(f'Invalid normalization mode: "{norm}"')


def _check_n(n):
    if n is not None and n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")


def _dim(x, dim: int) -> int:
    nd = max(x.dim(), 1)
    if not -nd <= dim < nd:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}],"
                         f" but got {dim})")
    return dim % nd


def _promote(x, want_complex: bool):
    name = x.dtype.name
    if name in ("float16", "bfloat16", "complex32"):
        raise RuntimeError(f"Unsupported dtype {'Half' if name == 'float16' else 'BFloat16'}")
    if not (x.is_floating_point() or x.is_complex()):
        x = x.to(loom.get_default_dtype())
    if want_complex and not x.is_complex():
        x = x.to(getattr(loom, _COMPLEX_OF[x.dtype.name]))
    return x


def _arr(t):
    return t.detach().cpu().numpy()


def _back(arr, like, dtype):
    return loom.from_numpy(np.ascontiguousarray(arr)).to(device=like.device, dtype=dtype)


def _fit(a, length: int, axis: int):
    """`a` cropped or zero-padded to `length` along `axis`."""
    have = a.shape[axis]
    if have > length:
        return np.take(a, np.arange(length), axis=axis)
    if have < length:
        pad = [(0, 0)] * a.ndim
        pad[axis] = (0, length - have)
        return np.pad(a, pad)
    return a


def _once(ctx):
    if loom.is_grad_enabled():
        raise RuntimeError("loom.fft: the backward of an FFT is not differentiable again "
                           "(create_graph=True is not supported)")


class _C2C(Function):
    @staticmethod
    def forward(ctx, x, n, dim, norm, inverse):
        ctx.meta = (x.shape[dim], dim, norm, inverse, x.is_complex(), x.dtype)
        fn = np.fft.ifft if inverse else np.fft.fft
        out_dtype = x.dtype if x.is_complex() else getattr(loom, _COMPLEX_OF[x.dtype.name])
        return _back(fn(_arr(x), n=n, axis=dim, norm=norm), x, out_dtype)

    @staticmethod
    def backward(ctx, g):
        _once(ctx)
        length, dim, norm, inverse, was_complex, dtype = ctx.meta
        fn = np.fft.fft if inverse else np.fft.ifft
        gx = _fit(fn(_arr(g), axis=dim, norm=_DUAL[norm]), length, dim)
        if not was_complex:
            gx = gx.real
        return _back(gx, g, dtype), None, None, None, None


class _R2C(Function):
    @staticmethod
    def forward(ctx, x, n, dim, norm):
        n = x.shape[dim] if n is None else n
        ctx.meta = (x.shape[dim], n, dim, norm, x.dtype)
        out = np.fft.rfft(_arr(x), n=n, axis=dim, norm=norm)
        return _back(out, x, getattr(loom, _COMPLEX_OF[x.dtype.name]))

    @staticmethod
    def backward(ctx, g):
        _once(ctx)
        length, n, dim, norm, dtype = ctx.meta
        full = _fit(_arr(g), n, dim)
        gx = _fit(np.fft.ifft(full, axis=dim, norm=_DUAL[norm]).real, length, dim)
        return _back(gx, g, dtype), None, None, None


class _C2R(Function):
    @staticmethod
    def forward(ctx, z, n, dim, norm):
        m = z.shape[dim]
        n = 2 * (m - 1) if n is None else n
        if n < 1:
            raise RuntimeError(f"Invalid number of data points ({n}) specified")
        ctx.meta = (m, n, dim, norm, z.dtype)
        out = np.fft.irfft(_arr(z), n=n, axis=dim, norm=norm)
        real = {"complex64": loom.float32, "complex128": loom.float64}[z.dtype.name]
        return _back(out, z, real)

    @staticmethod
    def backward(ctx, g):
        _once(ctx)
        m, n, dim, norm, dtype = ctx.meta
        gz = np.fft.rfft(_arr(g), axis=dim, norm=_DUAL[norm])
        double = n - gz.shape[dim]
        if double > 0:
            idx = [slice(None)] * gz.ndim
            idx[dim] = slice(1, 1 + double)
            gz[tuple(idx)] *= 2
        return _back(_fit(gz, m, dim), g, dtype), None, None, None


def fft(input, n=None, dim: int = -1, norm=None):
    """The one-dimensional discrete Fourier transform of `input` along `dim`, `n` points
    (cropped or zero-padded), normalized by `norm` ("backward": none, "ortho", "forward":
    1/n)."""
    _check_norm(norm)
    _check_n(n)
    x = _promote(input, want_complex=False)
    return _C2C.apply(x, n, _dim(x, dim), norm, False)


def ifft(input, n=None, dim: int = -1, norm=None):
    """The inverse of `fft`."""
    _check_norm(norm)
    _check_n(n)
    x = _promote(input, want_complex=False)
    return _C2C.apply(x, n, _dim(x, dim), norm, True)


def rfft(input, n=None, dim: int = -1, norm=None):
    """The FFT of real `input`: the ``n // 2 + 1`` non-redundant frequencies."""
    _check_norm(norm)
    _check_n(n)
    if input.is_complex():
        raise RuntimeError("rfft expects a real input tensor, but got " + _type_name(input))
    x = _promote(input, want_complex=False)
    return _R2C.apply(x, n, _dim(x, dim), norm)


def irfft(input, n=None, dim: int = -1, norm=None):
    """The inverse of `rfft`: `n` real points (default ``2 * (input.size(dim) - 1)``)."""
    _check_norm(norm)
    _check_n(n)
    z = _promote(input, want_complex=True)
    return _C2R.apply(z, n, _dim(z, dim), norm)


def hfft(input, n=None, dim: int = -1, norm=None):
    """The FFT of a one-sided Hermitian signal: a real result of `n` points."""
    _check_norm(norm)
    _check_n(n)
    z = _promote(input, want_complex=True)
    return _C2R.apply(z.conj(), n, _dim(z, dim), _DUAL[norm] if norm != "ortho" else "ortho")


def ihfft(input, n=None, dim: int = -1, norm=None):
    """The inverse of `hfft`: the one-sided spectrum of real `input`."""
    _check_norm(norm)
    _check_n(n)
    if input.is_complex():
        raise RuntimeError("ihfft expects a real input tensor, but got " + _type_name(input))
    x = _promote(input, want_complex=False)
    return _R2C.apply(x, n, _dim(x, dim), _DUAL[norm] if norm != "ortho" else "ortho").conj()


def _type_name(t) -> str:
    return {"complex64": "ComplexFloat", "complex128": "ComplexDouble"}.get(t.dtype.name,
                                                                          t.dtype.name)


def _plan(x, s, dim, who: str):
    """(sizes, dims) of an n-dimensional transform, as PyTorch resolves `s` and `dim`."""
    if s is not None and dim is None and len(s) > x.dim():
        raise RuntimeError(f"Got shape with {len(s)} values but input tensor only has "
                           f"{x.dim()} dimensions.")
    if dim is None:
        dims = list(range(x.dim() - len(s), x.dim())) if s is not None \
            else list(range(x.dim()))
    else:
        dims = [dim] if isinstance(dim, int) else list(dim)
        dims = [_dim(x, d) for d in dims]
        if len(set(dims)) != len(dims):
            raise RuntimeError("FFT dims must be unique")
    if s is not None:
        s = list(s)
        if len(s) != len(dims):
            raise RuntimeError("When given, dim and shape arguments must have the same length")
        if len(s) > x.dim():
            raise RuntimeError(f"Got shape with {len(s)} values but input tensor only has "
                               f"{x.dim()} dimensions.")
        for v in s:
            if v != -1:
                _check_n(v)
        s = [None if v == -1 else v for v in s]
    else:
        s = [None] * len(dims)
    return s, dims


def fftn(input, s=None, dim=None, norm=None):
    """The n-dimensional FFT over `dim` (default: all, or the last ``len(s)``), sizes `s`."""
    _check_norm(norm)
    x = _promote(input, want_complex=False)
    sizes, dims = _plan(x, s, dim, "fftn")
    for n, d in zip(sizes, dims):
        x = _C2C.apply(x, n, d, norm, False)
    return x if dims else x.to(getattr(loom, _COMPLEX_OF.get(x.dtype.name, x.dtype.name)))


def ifftn(input, s=None, dim=None, norm=None):
    """The inverse of `fftn`."""
    _check_norm(norm)
    x = _promote(input, want_complex=False)
    sizes, dims = _plan(x, s, dim, "ifftn")
    for n, d in zip(sizes, dims):
        x = _C2C.apply(x, n, d, norm, True)
    return x


def rfftn(input, s=None, dim=None, norm=None):
    """`fftn` of real `input`, one-sided in the last of `dim`."""
    _check_norm(norm)
    if input.is_complex():
        raise RuntimeError("rfftn expects a real-valued input tensor, but got " +
                           _type_name(input))
    x = _promote(input, want_complex=False)
    sizes, dims = _plan(x, s, dim, "rfftn")
    if not dims:
        raise RuntimeError("rfftn must transform at least one axis")
    x = _R2C.apply(x, sizes[-1], dims[-1], norm)
    for n, d in zip(sizes[:-1], dims[:-1]):
        x = _C2C.apply(x, n, d, norm, False)
    return x


def irfftn(input, s=None, dim=None, norm=None):
    """The inverse of `rfftn`; the last of `s` is the real output's length there."""
    _check_norm(norm)
    z = _promote(input, want_complex=True)
    sizes, dims = _plan(z, s, dim, "irfftn")
    if not dims:
        raise RuntimeError("irfftn must transform at least one axis")
    for n, d in zip(sizes[:-1], dims[:-1]):
        z = _C2C.apply(z, n, d, norm, True)
    return _C2R.apply(z, sizes[-1], dims[-1], norm)


def hfftn(input, s=None, dim=None, norm=None):
    """The n-dimensional `hfft`."""
    _check_norm(norm)
    z = _promote(input, want_complex=True)
    sizes, dims = _plan(z, s, dim, "hfftn")
    dual = _DUAL[norm] if norm != "ortho" else "ortho"
    z = z.conj()
    for n, d in zip(sizes[:-1], dims[:-1]):
        z = _C2C.apply(z, n, d, dual, True)
    return _C2R.apply(z, sizes[-1], dims[-1], dual)


def ihfftn(input, s=None, dim=None, norm=None):
    """The inverse of `hfftn`."""
    _check_norm(norm)
    x = _promote(input, want_complex=False)
    sizes, dims = _plan(x, s, dim, "ihfftn")
    dual = _DUAL[norm] if norm != "ortho" else "ortho"
    x = _R2C.apply(x, sizes[-1], dims[-1], dual)
    for n, d in zip(sizes[:-1], dims[:-1]):
        x = _C2C.apply(x, n, d, dual, False)
    return x.conj()


def fft2(input, s=None, dim=(-2, -1), norm=None):
    """`fftn` over the last two dims."""
    return fftn(input, s, dim, norm)


def ifft2(input, s=None, dim=(-2, -1), norm=None):
    return ifftn(input, s, dim, norm)


def rfft2(input, s=None, dim=(-2, -1), norm=None):
    return rfftn(input, s, dim, norm)


def irfft2(input, s=None, dim=(-2, -1), norm=None):
    return irfftn(input, s, dim, norm)


def hfft2(input, s=None, dim=(-2, -1), norm=None):
    return hfftn(input, s, dim, norm)


def ihfft2(input, s=None, dim=(-2, -1), norm=None):
    return ihfftn(input, s, dim, norm)


def fftfreq(n: int, d: float = 1.0, *, out=None, dtype=None, layout=None, device=None,
            requires_grad: bool = False):
    """The sample frequencies of an `n`-point FFT with sample spacing `d`."""
    dtype = dtype or loom.get_default_dtype()
    t = loom.tensor(np.fft.fftfreq(n, d), dtype=dtype, device=device)
    return t.requires_grad_(requires_grad) if requires_grad else t


def rfftfreq(n: int, d: float = 1.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad: bool = False):
    """The sample frequencies of `rfft`'s output for `n` points."""
    dtype = dtype or loom.get_default_dtype()
    t = loom.tensor(np.fft.rfftfreq(n, d), dtype=dtype, device=device)
    return t.requires_grad_(requires_grad) if requires_grad else t


def _shift(input, dim, sign):
    dims = list(range(input.dim())) if dim is None else (
        [dim] if isinstance(dim, int) else list(dim))
    if not dims:
        return input
    shifts = [sign * (input.shape[d] // 2) for d in dims]
    return loom.roll(input, shifts, dims)


def fftshift(input, dim=None):
    """Move the zero frequency to the middle along `dim` (default: every dim)."""
    return _shift(input, dim, 1)


def ifftshift(input, dim=None):
    """The inverse of `fftshift`."""
    return _shift(input, dim, -1)
