"""RMSNorm, InstanceNorm, adaptive pooling beyond 2-d average, PixelShuffle and the ranking
and embedding losses against torch.nn: reprs, state dicts, outputs and gradients."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import loom

from nn_oracle import compare_module

g = torch.Generator().manual_seed(0)


def _r(*s):
    return torch.randn(*s, dtype=torch.float64, generator=g)


@pytest.mark.parametrize("make,shape,train", [
    (lambda nn: nn.RMSNorm(4), (2, 3, 4), True),
    (lambda nn: nn.RMSNorm([3, 4], eps=1e-5, elementwise_affine=False), (2, 3, 4), True),
    (lambda nn: nn.InstanceNorm2d(3), (2, 3, 5, 4), True),
    (lambda nn: nn.InstanceNorm2d(3, affine=True), (3, 5, 4), True),
    (lambda nn: nn.InstanceNorm1d(3, affine=True, track_running_stats=True), (4, 3, 7), True),
    (lambda nn: nn.InstanceNorm1d(3, affine=True, track_running_stats=True), (4, 3, 7), False),
    (lambda nn: nn.AdaptiveAvgPool1d(3), (2, 3, 7), True),
    (lambda nn: nn.AdaptiveMaxPool1d(4), (2, 3, 7), True),
    (lambda nn: nn.AdaptiveMaxPool2d((3, None)), (2, 3, 7, 5), True),
    (lambda nn: nn.AdaptiveMaxPool2d(1), (2, 3, 7, 5), True),
    (lambda nn: nn.PixelShuffle(2), (2, 8, 3, 4), True),
    (lambda nn: nn.PixelUnshuffle(2), (2, 2, 6, 4), True),
])
def test_layers_match_torch(make, shape, train):
    tm, lm = make(torch.nn).double(), make(loom.nn).double()
    assert repr(lm) == repr(tm)
    assert list(lm.state_dict()) == list(tm.state_dict())
    for _ in range(2):  # twice: running statistics move
        compare_module(tm, lm, _r(*shape), train=train, rtol=1e-9, atol=1e-12)


def _pm(n):
    return torch.tensor(np.sign(np.random.RandomState(n).randn(6)))


@pytest.mark.parametrize("name,kw,inputs", [
    ("MarginRankingLoss", dict(margin=0.3), lambda: (_r(6), _r(6), _pm(1))),
    ("HingeEmbeddingLoss", dict(margin=0.5, reduction="sum"), lambda: (_r(6), _pm(2))),
    ("CosineEmbeddingLoss", dict(margin=0.1), lambda: (_r(6, 4), _r(6, 4), _pm(3))),
    ("TripletMarginLoss", {}, lambda: (_r(5, 4), _r(5, 4), _r(5, 4))),
    ("TripletMarginLoss", dict(p=1, swap=True, reduction="none"),
     lambda: (_r(5, 4), _r(5, 4), _r(5, 4))),
    ("SoftMarginLoss", {}, lambda: (_r(6), _pm(4))),
    ("MultiLabelSoftMarginLoss", {},
     lambda: (_r(4, 5), (torch.rand(4, 5, generator=g) > 0.5).double())),
    ("PoissonNLLLoss", {}, lambda: (_r(4, 5), torch.poisson(torch.full((4, 5), 2.0),
                                                              generator=g).double())),
    ("PoissonNLLLoss", dict(log_input=False, full=True),
     lambda: (_r(4, 5).abs() + 0.1, torch.poisson(torch.full((4, 5), 2.0),
                                                  generator=g).double())),
    ("GaussianNLLLoss", {}, lambda: (_r(4, 5), _r(4, 5), _r(4, 5).abs())),
    ("GaussianNLLLoss", dict(full=True), lambda: (_r(4, 5), _r(4, 5), _r(4).abs())),
])
def test_losses_match_torch(name, kw, inputs):
    tm, lm = getattr(torch.nn, name)(**kw), getattr(loom.nn, name)(**kw)
    assert repr(lm) == repr(tm)
    args = inputs()
    t_in = [args[0].clone().requires_grad_()] + list(args[1:])
    l_in = [loom.tensor(a.numpy()) for a in args]
    l_in[0].requires_grad_()
    to, lo = tm(*t_in), lm(*l_in)
    np.testing.assert_allclose(lo.detach().numpy(), to.detach().numpy(), rtol=1e-10, atol=1e-12)
    to.sum().backward()
    lo.sum().backward()
    np.testing.assert_allclose(l_in[0].grad.numpy(), t_in[0].grad.numpy(), rtol=1e-9,
                               atol=1e-12)


def test_instance_norm_input_checks_match_torch():
    for lib in (torch, loom):
        with pytest.raises(ValueError, match=r"expected 3D or 4D input \(got 2D input\)"):
            lib.nn.InstanceNorm2d(3)(lib.ones(4, 4))
        with pytest.raises(ValueError, match="to match num_features"):
            lib.nn.InstanceNorm1d(3, affine=True)(lib.ones(2, 4, 5))
        with pytest.warns(UserWarning, match="does not match num_features"):
            lib.nn.InstanceNorm1d(3)(lib.ones(2, 4, 5))
