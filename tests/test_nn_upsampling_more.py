"""F.interpolate and nn.Upsample against torch: nearest, nearest-exact, (bi/tri)linear with and
without align_corners, sizes and scale factors (recomputed or not), values and gradients,
module reprs and argument errors."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import loom

CASES = [
    ((1, 2, 3, 4), dict(scale_factor=2)), ((1, 2, 3, 4), dict(size=(5, 7))),
    ((1, 2, 5, 4), dict(size=(3, 2))), ((1, 2, 3, 4), dict(scale_factor=1.5, mode="bilinear")),
    ((1, 2, 3, 4), dict(scale_factor=2, mode="bilinear", align_corners=True)),
    ((2, 1, 4, 4), dict(size=(7, 3), mode="bilinear")),
    ((2, 1, 4, 4), dict(size=(7, 3), mode="bilinear", align_corners=True)),
    ((1, 2, 5), dict(scale_factor=3, mode="linear")), ((1, 2, 5), dict(size=8)),
    ((1, 2, 5), dict(size=8, mode="nearest-exact")),
    ((1, 1, 3, 3, 3), dict(scale_factor=2, mode="trilinear")),
    ((1, 1, 6, 6), dict(scale_factor=0.5)), ((1, 1, 7, 7), dict(scale_factor=0.3, mode="bilinear")),
    ((1, 1, 7, 5), dict(scale_factor=1.7)),
    ((1, 1, 7, 5), dict(scale_factor=(1.7, 2.3), mode="bilinear", recompute_scale_factor=True)),
    ((1, 1, 3, 3), dict(size=(1, 1), mode="bilinear", align_corners=True)),
]


@pytest.mark.parametrize("shape,kw", CASES)
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_interpolate_matches_torch(shape, kw, dt):
    rng = np.random.RandomState(0)
    x = rng.randn(*shape).astype(dt)
    tx, lx = torch.tensor(x, requires_grad=True), loom.tensor(x, requires_grad=True)
    to = torch.nn.functional.interpolate(tx, **kw)
    lo = loom.nn.functional.interpolate(lx, **kw)
    assert tuple(lo.shape) == tuple(to.shape) and str(lo.dtype) == str(to.dtype)
    g = rng.randn(*to.shape).astype(dt)
    to.backward(torch.tensor(g))
    lo.backward(loom.tensor(g))
    tol = dict(rtol=1e-5, atol=1e-6) if dt == np.float32 else dict(rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(lo.detach().numpy(), to.detach().numpy(), **tol)
    np.testing.assert_allclose(lx.grad.numpy(), tx.grad.numpy(), **tol)


@pytest.mark.parametrize("make", [
    lambda nn: nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True),
    lambda nn: nn.Upsample(size=(5, 5)), lambda nn: nn.UpsamplingNearest2d(scale_factor=2),
    lambda nn: nn.UpsamplingBilinear2d(size=3), lambda nn: nn.Upsample(scale_factor=(2, 3)),
])
def test_upsample_modules_match_torch(make):
    tm, lm = make(torch.nn), make(loom.nn)
    assert repr(lm) == repr(tm)
    x = np.random.RandomState(1).randn(2, 3, 4, 4).astype(np.float32)
    np.testing.assert_allclose(lm(loom.tensor(x)).numpy(), tm(torch.tensor(x)).numpy(),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kw,err,match", [
    (dict(size=3, scale_factor=2), ValueError, "only one of size or scale_factor"),
    (dict(scale_factor=2, align_corners=True), ValueError, "align_corners option can only"),
    (dict(scale_factor=2, mode="linear"), NotImplementedError, "linear mode needs 3D input"),
    (dict(size=(2, 2, 2)), ValueError, "same number of spatial dimensions"),
])
def test_interpolate_errors_match_torch(kw, err, match):
    for lib in (torch, loom):
        with warnings.catch_warnings(), pytest.raises(err, match=match):
            warnings.simplefilter("ignore")
            lib.nn.functional.interpolate(lib.ones(1, 1, 3, 4), **kw)
