"""The activation, channel-dropout and similarity modules beyond the basic set, against
torch.nn: reprs, values and gradients (channel dropout with the same draws under the same
seed)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import loom

X = np.random.RandomState(0).randn(2, 4, 3, 3) * 3


@pytest.mark.parametrize("name,args", [
    ("SELU", ()), ("CELU", (0.7,)), ("PReLU", ()), ("PReLU", (4, 0.1)), ("LogSigmoid", ()),
    ("Softmin", (1,)), ("GLU", (1,)), ("Hardswish", ()), ("Hardsigmoid", ()),
    ("Threshold", (0.1, 20.0)), ("Tanhshrink", ()), ("Softshrink", (0.4,)), ("Hardshrink", ()),
    ("Dropout2d", (0.3,)), ("Dropout1d", ()), ("Dropout3d", ()), ("SELU", (True,)),
])
def test_module_matches_torch(name, args):
    tm, lm = getattr(torch.nn, name)(*args).double(), getattr(loom.nn, name)(*args).double()
    assert repr(lm) == repr(tm)
    x = X[:, :, 0] if name == "Dropout1d" else X[None] if name == "Dropout3d" else X
    tx, lx = torch.tensor(x, requires_grad=True), loom.tensor(x, requires_grad=True)
    torch.manual_seed(0)
    loom.manual_seed(0)
    if args == (True,):  # in place, on a non-leaf
        to, lo = tm(tx * 1), lm(lx * 1)
    else:
        to, lo = tm(tx), lm(lx)
    to.sum().backward()
    lo.sum().backward()
    np.testing.assert_allclose(lo.detach().numpy(), to.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(lx.grad.numpy(), tx.grad.numpy(), rtol=1e-6, atol=1e-12)
    tm.eval()
    lm.eval()
    with torch.no_grad(), loom.no_grad():
        np.testing.assert_allclose(lm(lx * 1).numpy(), tm(tx * 1).numpy(), rtol=1e-12)


def test_dropout2d_on_3d_input_warns_as_torch():
    for lib in (torch, loom):
        with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
            lib.nn.functional.dropout2d(lib.ones(2, 3, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loom.nn.functional.dropout2d(loom.ones(2, 3, 4, 4), training=False)


def test_prelu_channel_mismatch_raises_as_torch():
    for lib in (torch, loom):
        with pytest.raises(RuntimeError, match="Mismatch of parameter numbers and input channel"):
            lib.nn.PReLU(3)(lib.ones(2, 4, 5))


@pytest.mark.parametrize("name,kw", [("CosineSimilarity", {}), ("CosineSimilarity", {"dim": 0}),
                                     ("PairwiseDistance", {}),
                                     ("PairwiseDistance", {"p": 1.0, "keepdim": True})])
def test_similarity_modules_match_torch(name, kw):
    a, b = np.random.RandomState(1).randn(5, 6), np.random.RandomState(2).randn(5, 6)
    tm, lm = getattr(torch.nn, name)(**kw), getattr(loom.nn, name)(**kw)
    ta, la = torch.tensor(a, requires_grad=True), loom.tensor(a, requires_grad=True)
    to, lo = tm(ta, torch.tensor(b)), lm(la, loom.tensor(b))
    to.sum().backward()
    lo.sum().backward()
    np.testing.assert_allclose(lo.detach().numpy(), to.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(la.grad.numpy(), ta.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name,args", [("ReLU6", ()), ("ELU", ()), ("Hardtanh", ()),
                                       ("LeakyReLU", (0.2,)), ("SiLU", ()), ("Mish", ()),
                                       ("SELU", ()), ("CELU", ()), ("Hardswish", ()),
                                       ("Hardsigmoid", ()), ("ReLU", ())])
def test_inplace_activation_after_a_layer_backpropagates_as_torch(name, args):
    """``nn.Sequential(nn.Linear(..), nn.LeakyReLU(0.2, inplace=True))`` (DCGAN's
    discriminator, MobileNet's ReLU6): the activation overwrites the layer's output, and the
    backward pass still runs."""
    tl = torch.nn.Linear(3, 4).double()
    ll = loom.nn.Linear(3, 4).double()
    ll.load_state_dict({k: loom.tensor(v.detach().numpy()) for k, v in tl.state_dict().items()})
    tm = torch.nn.Sequential(tl, getattr(torch.nn, name)(*args, inplace=True))
    lm = loom.nn.Sequential(ll, getattr(loom.nn, name)(*args, inplace=True))
    x = np.random.RandomState(3).randn(5, 3) * 4
    to, lo = tm(torch.tensor(x)), lm(loom.tensor(x))
    (to * to).sum().backward()
    (lo * lo).sum().backward()
    np.testing.assert_allclose(lo.detach().numpy(), to.detach().numpy(), rtol=1e-12)
    # (PyTorch's hardsigmoid backward scales by a float32 1/6 even in float64)
    np.testing.assert_allclose(ll.weight.grad.numpy(), tl.weight.grad.numpy(), rtol=1e-7)
    assert lo.grad_fn is not None
