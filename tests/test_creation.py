"""Creation operators against PyTorch where the conformance kit cannot reach: gradients
through `complex` (complex outputs from real inputs), `meshgrid` as views, `*_like` on a
device and dtype, `zero_`/`fill_` refusing keywords."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import loom


def _both(fn):
    return fn(loom), fn(torch)


def test_complex_and_polar_gradients_match_torch():
    def run(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = lib.tensor([3.0, -1.0], requires_grad=True)
        z = lib.complex(a, b)
        (z * z).abs().sum().backward()
        return a.grad.tolist(), b.grad.tolist(), str(z.dtype)
    assert run(loom) == run(torch)


def test_meshgrid_gives_views_and_gradients_per_output():
    def run(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = lib.tensor([4.0, 5.0], requires_grad=True)
        gx, gy = lib.meshgrid(x, y, indexing="xy")
        (gx * 2 + gy * gy).sum().backward()
        return [tuple(gx.shape), x.grad.tolist(), y.grad.tolist(), gx._base is not None
                if lib is loom else gx._base is not None]
    assert run(loom) == run(torch)


def test_like_factories_take_dtype_and_device():
    x = loom.ones(2, 3)
    for name in ("zeros_like", "ones_like", "empty_like"):
        r = getattr(loom, name)(x, dtype=loom.int32, device="cpu")
        t = getattr(torch, name)(torch.ones(2, 3), dtype=torch.int32, device="cpu")
        assert tuple(r.shape) == tuple(t.shape) and str(r.dtype) == str(t.dtype)
    assert loom.full_like(x, 7, dtype=loom.float64).tolist() == [[7.0] * 3] * 2


@pytest.mark.parametrize("call", [lambda t: t.zero_(dtype=None), lambda t: t.fill_(1.0, x=1)])
def test_fills_refuse_keywords(call):
    with pytest.raises(TypeError):
        call(torch.ones(2))
    with pytest.raises(TypeError):
        call(loom.ones(2))


@pytest.mark.parametrize("value", [
    np.float64(1.5), np.float32(1.5), np.int32(3), np.bool_(True), np.float16(1.0),
    np.complex64(1j), [np.float64(1.5)], [np.float32(1.5), np.float32(2)], [np.int32(1)],
    [1.0, np.float64(2)], [np.float32(1.5), 2.0], [np.int32(1), 2], [np.int32(1), 2.5],
    [np.float16(1), 2.0], [[np.float64(1)], [2.0]], [np.uint8(3), np.int8(1)],
    [True, np.int16(2)], [np.array([1, 2], dtype=np.int32), np.array([3, 4], dtype=np.int32)],
    [np.float64(1), 1j], [1.0, 2], [[1, 2], [3, 4]],
])
def test_numpy_scalars_keep_their_dtype_as_torch(value):
    """``torch.tensor(np.mean(x))`` is float64; NumPy items in a list promote with the
    others (Python numbers at their defaults) as PyTorch promotes tensors."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a list of arrays: PyTorch's slowness warning
        t, lo = torch.tensor(value), loom.tensor(value)
    assert str(lo.dtype) == str(t.dtype)
    assert lo.tolist() == t.tolist()
