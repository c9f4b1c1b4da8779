"""Helpers of the nn tests: the same module in PyTorch and loom from the same weights, run on
the same inputs, compared on outputs, gradients and state dicts."""
from __future__ import annotations

import warnings

import numpy as np
import torch

import loom


def to_loom(t):
    """A torch tensor's values as a loom tensor (same dtype, no grad)."""
    return loom.from_numpy(t.detach().numpy().copy())


def close(a, b, rtol=1e-5, atol=1e-6, what=""):
    """Assert a loom tensor (or tuple) equals a torch one in shape, dtype and values."""
    if isinstance(b, (tuple, list)):
        assert len(a) == len(b), what
        for x, y in zip(a, b):
            close(x, y, rtol, atol, what)
        return
    if b is None:
        assert a is None, what
        return
    assert tuple(a.shape) == tuple(b.shape), f"{what}: shape {tuple(a.shape)} vs {tuple(b.shape)}"
    assert str(a.dtype) == str(b.dtype), f"{what}: dtype {a.dtype} vs {b.dtype}"
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=rtol, atol=atol,
                               err_msg=what)


def copy_weights(tm, lm):
    """Load the torch module's state dict into the loom module (strict)."""
    lm.load_state_dict({k: to_loom(v) for k, v in tm.state_dict().items()})


def compare_module(tm, lm, *inputs, rtol=1e-5, atol=1e-6, grad_inputs=True, train=True,
                   out_index=None):
    """Run both modules on `inputs` (torch tensors), backward a fixed random cotangent, and
    compare outputs, input and parameter gradients and the state dicts after the call."""
    copy_weights(tm, lm)
    tm.train(train)
    lm.train(train)
    t_in = [x.detach().clone().requires_grad_(grad_inputs and x.is_floating_point())
            for x in inputs]
    l_in = [to_loom(x).requires_grad_(grad_inputs and x.is_floating_point()) for x in inputs]
    t_out, l_out = tm(*t_in), lm(*l_in)
    if out_index is not None:
        t_out, l_out = t_out[out_index], l_out[out_index]
    close(l_out, t_out, rtol, atol, "output")
    t_first = t_out[0] if isinstance(t_out, tuple) else t_out
    l_first = l_out[0] if isinstance(l_out, tuple) else l_out
    g = torch.randn(t_first.shape, dtype=t_first.dtype, generator=torch.Generator().manual_seed(3))
    t_first.backward(g)
    l_first.backward(to_loom(g))
    for i, (tx, lx) in enumerate(zip(t_in, l_in)):
        if tx.requires_grad:
            close(lx.grad, tx.grad, rtol, atol, f"grad of input {i}")
    tp, lp = dict(tm.named_parameters()), dict(lm.named_parameters())
    assert list(tp) == list(lp)
    for k in tp:
        close(lp[k].grad, tp[k].grad, rtol, atol, f"grad of {k}")
    ts, ls = tm.state_dict(), lm.state_dict()
    assert list(ts) == list(ls)
    for k in ts:
        close(ls[k], ts[k], rtol, atol, f"state {k}")
    return l_out


def error_of(fn):
    """``(type, message)`` of the exception `fn` raises (warnings silenced), or None."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn()
    except Exception as e:  # noqa: BLE001 -- the type is what is compared
        return type(e), str(e)
    return None
