"""`loom.fft` against ``torch.fft``: values, dtypes, gradients (real and complex inputs, every
norm, cropping and padding), frequencies, shifts and errors."""
import numpy as np
import pytest
import torch

import loom

rng = np.random.default_rng(0)
_R = rng.standard_normal((3, 8))
_C = rng.standard_normal((3, 8)) + 1j * rng.standard_normal((3, 8))


def _pair(a, dtype, grad=True):
    t = torch.tensor(a, dtype=getattr(torch, dtype), requires_grad=grad)
    x = loom.tensor(a, dtype=getattr(loom, dtype), requires_grad=grad)
    return t, x


def _check(ty, y, rtol):
    assert str(y.dtype) == str(ty.dtype)
    assert tuple(y.shape) == tuple(ty.shape)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().resolve_conj().numpy(),
                               rtol=rtol, atol=rtol)


def _loss(lib, y, w):
    if y.is_complex():  # Re(y * (w0 + i w1)): both parts of y weighted
        return (y * lib.tensor(w[..., 0] + 1j * w[..., 1])).real.sum()
    return (y * lib.tensor(w)).sum()


ONE_D = [("fft", _R), ("fft", _C), ("ifft", _R), ("ifft", _C), ("rfft", _R), ("irfft", _C),
         ("hfft", _C), ("ihfft", _R)]


@pytest.mark.parametrize("norm", [None, "backward", "ortho", "forward"])
@pytest.mark.parametrize("n", [None, 5, 8, 11])
@pytest.mark.parametrize("name,data", ONE_D, ids=[f"{n}-{'c' if d.dtype.kind == 'c' else 'r'}"
                                                   for n, d in ONE_D])
def test_one_dimensional_transforms_and_gradients(name, data, n, norm):
    dtype = "complex128" if data.dtype.kind == "c" else "float64"
    t, x = _pair(data, dtype)
    ty = getattr(torch.fft, name)(t, n=n, dim=-1, norm=norm)
    y = getattr(loom.fft, name)(x, n=n, dim=-1, norm=norm)
    _check(ty, y, 1e-10)
    w = rng.standard_normal(tuple(ty.shape) + ((2,) if ty.is_complex() else ()))
    _loss(torch, ty, w).backward()
    _loss(loom, y, w).backward()
    _check(t.grad, x.grad, 1e-9)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "complex64"])
def test_dtypes_follow_torch(dtype):
    a = (_R * 3).astype(np.int64) if dtype == "int64" else (_C if "complex" in dtype else _R)
    t = torch.tensor(a, dtype=getattr(torch, dtype))
    x = loom.tensor(a, dtype=getattr(loom, dtype))
    for name in ("fft", "ifft", "fftn") + (() if "complex" in dtype else ("rfft", "rfftn")):
        _check(getattr(torch.fft, name)(t), getattr(loom.fft, name)(x), 1e-4)


@pytest.mark.parametrize("call", [
    lambda F, x: F.fftn(x),
    lambda F, x: F.fftn(x, s=(4, 6)),
    lambda F, x: F.fftn(x, dim=0),
    lambda F, x: F.ifftn(x, s=(5,), dim=(1,), norm="ortho"),
    lambda F, x: F.fft2(x),
    lambda F, x: F.ifft2(x, norm="forward"),
    lambda F, x: F.rfftn(x),
    lambda F, x: F.rfft2(x, s=(4, 10)),
    lambda F, x: F.irfftn(F.rfftn(x), s=x.shape),
    lambda F, x: F.irfft2(F.rfft2(x)),
    lambda F, x: F.hfftn(F.ihfftn(x), s=x.shape),
    lambda F, x: F.ihfft2(x),
    lambda F, x: F.hfft2(F.fft2(x)),
])
def test_n_dimensional_transforms_and_gradients(call):
    t, x = _pair(_R, "float64")
    ty, y = call(torch.fft, t), call(loom.fft, x)
    _check(ty, y, 1e-10)
    w = rng.standard_normal(tuple(ty.shape) + ((2,) if ty.is_complex() else ()))
    _loss(torch, ty, w).backward()
    _loss(loom, y, w).backward()
    _check(t.grad, x.grad, 1e-9)


def test_frequencies_and_shifts():
    for lib_args in [(5,), (4, 0.5), (1,), (8, 2.0)]:
        _check(torch.fft.fftfreq(*lib_args), loom.fft.fftfreq(*lib_args), 1e-7)
        _check(torch.fft.rfftfreq(*lib_args), loom.fft.rfftfreq(*lib_args), 1e-7)
    _check(torch.fft.fftfreq(4, dtype=torch.float64), loom.fft.fftfreq(4, dtype=loom.float64), 0)
    a = np.arange(30).reshape(5, 6)
    for kw in ({}, {"dim": 0}, {"dim": (1,)}, {"dim": -1}):
        assert loom.fft.fftshift(loom.tensor(a), **kw).tolist() == \
            torch.fft.fftshift(torch.tensor(a), **kw).tolist()
        assert loom.fft.ifftshift(loom.tensor(a), **kw).tolist() == \
            torch.fft.ifftshift(torch.tensor(a), **kw).tolist()


def _outcome(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e)
    return None


@pytest.mark.parametrize("call", [
    lambda L: L.fft.fft(L.ones(4), norm="bad"),
    lambda L: L.fft.fft(L.ones(4), n=0),
    lambda L: L.fft.fft(L.ones(4), dim=2),
    lambda L: L.fft.fft(L.ones(4, dtype=L.float16)),
    lambda L: L.fft.rfft(L.ones(2, dtype=L.complex64)),
    lambda L: L.fft.ihfft(L.ones(2, dtype=L.complex64)),
    lambda L: L.fft.rfftn(L.ones(2, dtype=L.complex64)),
    lambda L: L.fft.fftn(L.ones(4), s=(2, 3)),
    lambda L: L.fft.fftn(L.ones(4), dim=(0, 0)),
    lambda L: L.fft.irfft(L.ones(1, dtype=L.complex64)),
    lambda L: L.fft.fftn(L.ones(2, 2), s=(2,), dim=(0, 1)),
], ids=range(11))
def test_errors_match_torch(call):
    assert _outcome(lambda: call(loom)) == _outcome(lambda: call(torch))


def test_second_derivatives_are_refused_clearly():
    x = loom.tensor(_R[0], requires_grad=True)
    y = loom.fft.rfft(x).abs().sum()
    (g,) = loom.autograd.grad(y, x)  # first order works
    assert g.shape == x.shape
    with pytest.raises(RuntimeError, match="not differentiable again"):
        loom.autograd.grad(loom.fft.rfft(x).abs().sum(), x, create_graph=True)
