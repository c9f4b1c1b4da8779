"""`loom.utils.checkpoint` against ``torch.utils.checkpoint``: the same outputs and gradients
(inputs and parameters), dropout replayed, PyTorch's warnings and errors."""
import warnings

import numpy as np
import pytest
import torch

import loom


def _net(lib, seed=0):
    lib.manual_seed(seed)
    return lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.Tanh(), lib.nn.Linear(8, 3))


def _copy_params(src, dst):
    with torch.no_grad():
        for p, q in zip(src.parameters(), dst.parameters()):
            q.copy_(torch.tensor(p.detach().numpy()))


@pytest.mark.parametrize("reentrant", [False, True])
@pytest.mark.parametrize("input_grad", [True, False])
def test_gradients_equal_plain_calls_and_torch(reentrant, input_grad):
    lm, tm = _net(loom), _net(torch)
    _copy_params(lm, tm)
    a = np.random.default_rng(1).standard_normal((5, 4)).astype(np.float32)
    lx, tx = loom.tensor(a, requires_grad=input_grad), torch.tensor(a, requires_grad=input_grad)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ly = loom.utils.checkpoint.checkpoint(lm, lx, use_reentrant=reentrant)
        ty = torch.utils.checkpoint.checkpoint(tm, tx, use_reentrant=reentrant)
    assert ly.requires_grad == ty.requires_grad
    np.testing.assert_allclose(ly.detach().numpy(), ty.detach().numpy(), rtol=1e-6)
    if not ty.requires_grad:  # reentrant with no input requiring grad: no gradients at all
        return
    (ly ** 2).sum().backward()
    (ty ** 2).sum().backward()
    for p, q in zip(lm.parameters(), tm.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-5, atol=1e-6)
    if input_grad:
        np.testing.assert_allclose(lx.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_same_gradients_as_without_checkpoint_and_dropout_replayed():
    lin = loom.nn.Linear(6, 6)

    def f(x, scale=1.0):
        return loom.nn.functional.dropout(lin(x), 0.5, training=True) * scale

    x = loom.randn(3, 6, requires_grad=True)
    loom.manual_seed(7)
    y = loom.utils.checkpoint.checkpoint(f, x, use_reentrant=False, scale=2.0)
    y.sum().backward()
    g_x, g_w = x.grad.clone(), lin.weight.grad.clone()
    x.grad = None
    lin.weight.grad = None
    loom.manual_seed(7)
    f(x, scale=2.0).sum().backward()
    assert loom.equal(x.grad, g_x) and loom.equal(lin.weight.grad, g_w)


def test_the_function_runs_again_in_backward_and_not_its_graph_kept():
    calls = []

    def f(x):
        calls.append(loom.is_grad_enabled())
        return x.sin() * 2

    x = loom.randn(4, requires_grad=True)
    y = loom.utils.checkpoint.checkpoint(f, x, use_reentrant=False)
    assert calls == [False]
    y.sum().backward()
    assert calls == [False, True]
    assert loom.allclose(x.grad, x.cos() * 2)


def test_multiple_outputs_and_non_tensor_arguments():
    def f(a, k, b):
        return a * k, a + b

    a, b = loom.randn(3, requires_grad=True), loom.randn(3, requires_grad=True)
    u, v = loom.utils.checkpoint.checkpoint(f, a, 3.0, b, use_reentrant=False)
    (u.sum() + (v * v).sum()).backward()
    assert loom.allclose(a.grad, 3 + 2 * (a + b).detach())
    assert loom.allclose(b.grad, 2 * (a + b).detach())


def test_warning_and_errors_match_torch():
    for lib in (torch, loom):
        x = lib.ones(2, requires_grad=True)
        with pytest.warns(UserWarning, match="use_reentrant parameter should be passed"):
            lib.utils.checkpoint.checkpoint(lambda t: t * 2, x)
        with pytest.raises(ValueError, match="Unexpected keyword arguments: k"):
            lib.utils.checkpoint.checkpoint(lambda t, k=1: t * k, x, use_reentrant=True, k=2)
        with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
            lib.utils.checkpoint.checkpoint(lambda t: t * 2, lib.ones(2), use_reentrant=True)


def test_checkpoint_sequential_matches_torch():
    lm, tm = _net(loom), _net(torch)
    _copy_params(lm, tm)
    a = np.ones((2, 4), np.float32)
    lx, tx = loom.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    ly = loom.utils.checkpoint.checkpoint_sequential(lm, 2, lx, use_reentrant=False)
    ty = torch.utils.checkpoint.checkpoint_sequential(tm, 2, tx, use_reentrant=False)
    ly.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(lx.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)
