"""Adadelta, Adamax, NAdam, RAdam and LBFGS against torch.optim: the same parameters after 20
steps from the same start (each option; float64 and float32), state dicts with PyTorch's
layout that round-trip, LBFGS with and without the strong Wolfe line search, and PyTorch's
argument errors."""
from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

import loom
import loom.optim as lo

OPTIMIZERS = [
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-5, "weight_decay": 0.1}),
    ("Adadelta", {"maximize": True}),
    ("Adamax", {}),
    ("Adamax", {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.05}),
    ("Adamax", {"maximize": True, "eps": 1e-4}),
    ("NAdam", {}),
    ("NAdam", {"lr": 0.01, "momentum_decay": 0.01, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("NAdam", {"maximize": True, "betas": (0.7, 0.9)}),
    ("RAdam", {}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True,
               "betas": (0.9, 0.9)}),
    ("RAdam", {"maximize": True}),
]


def _start(seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(4, 3, generator=g, dtype=dtype), torch.randn(3, generator=g, dtype=dtype)]


def _pair(start):
    return ([s.clone().requires_grad_() for s in start],
            [loom.tensor(s.numpy()).requires_grad_() for s in start])


def _loss(lib, w, b, x):
    return ((lib.tanh(x @ w + b) - 0.5) ** 2).sum() + (w * w).sum() * 0.01


def _train(lib, opt, params, steps=20, closure=False):
    x = lib.tensor(np.linspace(-1, 1, 24).reshape(6, 4), dtype=params[0].dtype)
    for _ in range(steps):
        def f():
            opt.zero_grad()
            loss = _loss(lib, params[0], params[1], x)
            loss.backward()
            return loss
        if closure:
            opt.step(f)
        else:
            f()
            opt.step()


@pytest.mark.parametrize("name,kw", OPTIMIZERS, ids=lambda v: str(v))
def test_parameters_after_20_steps_match_torch(name, kw):
    tp, lp = _pair(_start())
    _train(torch, getattr(torch.optim, name)(tp, **kw), tp)
    _train(loom, getattr(lo, name)(lp, **kw), lp)
    for t, p in zip(tp, lp):
        np.testing.assert_allclose(p.detach().numpy(), t.detach().numpy(), rtol=1e-10,
                                   atol=1e-12)


@pytest.mark.parametrize("name,kw", OPTIMIZERS[::2], ids=lambda v: str(v))
def test_float32_with_a_closure(name, kw):
    tp, lp = _pair(_start(1, torch.float32))
    _train(torch, getattr(torch.optim, name)(tp, **kw), tp, closure=True)
    _train(loom, getattr(lo, name)(lp, **kw), lp, closure=True)
    for t, p in zip(tp, lp):
        assert p.dtype == loom.float32
        np.testing.assert_allclose(p.detach().numpy(), t.detach().numpy(), rtol=1e-5,
                                   atol=1e-6)


@pytest.mark.parametrize("name,kw", OPTIMIZERS, ids=lambda v: str(v))
def test_state_dict_layout_and_round_trip(name, kw):
    tp, lp = _pair(_start())
    topt, lopt = getattr(torch.optim, name)(tp, **kw), getattr(lo, name)(lp, **kw)
    _train(torch, topt, tp, steps=5)
    _train(loom, lopt, lp, steps=5)
    tsd, lsd = topt.state_dict(), lopt.state_dict()
    assert lsd["param_groups"] == tsd["param_groups"]
    assert tsd["state"].keys() == lsd["state"].keys()
    for k in tsd["state"]:
        assert list(tsd["state"][k]) == list(lsd["state"][k])
        for key, v in tsd["state"][k].items():
            lv = lsd["state"][k][key]
            assert str(lv.dtype) == str(v.dtype), key
            np.testing.assert_allclose(lv.numpy(), v.numpy(), rtol=1e-10, atol=1e-12)
    lp2 = [p.detach().clone().requires_grad_() for p in lp]
    lopt2 = getattr(lo, name)(lp2, **kw)
    lopt2.load_state_dict(copy.deepcopy(lsd))
    _train(loom, lopt, lp, steps=5)
    _train(loom, lopt2, lp2, steps=5)
    # (NAdam's float32 mu_product comes back in the parameter's dtype, as in PyTorch, so its
    # continuation agrees to rounding rather than bit for bit)
    for a, b in zip(lp, lp2):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10,
                                   atol=1e-12)


# few iterations per step: near the optimum the stopping tests (changes below 1e-9) would
# depend on the last bits of each library's dot products
LBFGS_CASES = [{"max_iter": 4}, {"line_search_fn": "strong_wolfe", "max_iter": 4},
               {"lr": 0.5, "max_iter": 5, "history_size": 3},
               {"line_search_fn": "strong_wolfe", "max_iter": 5, "history_size": 2}]


@pytest.mark.parametrize("kw", LBFGS_CASES, ids=str)
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=str)
def test_lbfgs_matches_torch(kw, dtype):
    tp, lp = _pair(_start(2, dtype))
    topt, lopt = torch.optim.LBFGS(tp, **kw), lo.LBFGS(lp, **kw)
    # a convex problem (a chaotic one would amplify the libraries' different summation
    # orders in dot products from one iteration to the next)
    x_t = torch.tensor(np.linspace(-1, 1, 24).reshape(6, 4), dtype=dtype)
    y_t = torch.tensor(np.cos(np.arange(18.0)).reshape(6, 3), dtype=dtype)
    x_l, y_l = loom.tensor(x_t.numpy()), loom.tensor(y_t.numpy())
    losses = []
    for lib, opt, params, x, y in [(torch, topt, tp, x_t, y_t), (loom, lopt, lp, x_l, y_l)]:
        seq = []
        for _ in range(2):
            def closure():
                opt.zero_grad()
                w, b = params
                loss = ((x @ w + b - y) ** 2).sum() + 0.1 * (w * w).sum() + \
                    0.01 * (w ** 4).sum()
                loss.backward()
                return loss
            seq.append(float(opt.step(closure).detach()))
        losses.append(seq)
    tol = dict(rtol=1e-8, atol=1e-10) if dtype == torch.float64 else dict(rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(losses[1], losses[0], **tol)
    for t, p in zip(tp, lp):
        np.testing.assert_allclose(p.detach().numpy(), t.detach().numpy(), **tol)
    ts, ls = topt.state[tp[0]], lopt.state[lp[0]]
    assert (ls["func_evals"], ls["n_iter"]) == (ts["func_evals"], ts["n_iter"])
    assert sorted(ls) == sorted(ts)


def test_lbfgs_errors():
    p = loom.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match="LBFGS doesn't support per-parameter options"):
        lo.LBFGS([{"params": [p]}, {"params": [loom.ones(1, requires_grad=True)]}])
    opt = lo.LBFGS([p], line_search_fn="armijo")

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss
    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        opt.step(closure)
    assert lo.LBFGS([p]).param_groups[0]["max_eval"] == 25


def _errors(lib):
    p = [lib.ones(1, requires_grad=True)]
    o = lib.optim
    return [lambda: o.Adadelta(p, lr=-1), lambda: o.Adadelta(p, rho=1.5),
            lambda: o.Adadelta(p, eps=-1), lambda: o.Adadelta(p, weight_decay=-1),
            lambda: o.Adamax(p, betas=(1.0, 0.9)), lambda: o.Adamax(p, betas=(0.9, -0.1)),
            lambda: o.NAdam(p, momentum_decay=-1), lambda: o.NAdam(p, eps=-1),
            lambda: o.RAdam(p, weight_decay=-0.1), lambda: o.RAdam(p, lr=-0.1),
            lambda: o.LBFGS(p, lr=-1), lambda: o.Adamax(lib.ones(2)),
            lambda: o.SparseAdam(p, lr=0), lambda: o.SparseAdam(p, eps=0),
            lambda: o.SparseAdam(p, betas=(0.9, 1.0)),
            lambda: o.SparseAdam([lib.ones(2, dtype=lib.complex64, requires_grad=True)]),
            lambda: _dense_step(lib)]


def _dense_step(lib):
    p = lib.ones(2, requires_grad=True)
    opt = lib.optim.SparseAdam([p])
    (p * 2).sum().backward()
    opt.step()


@pytest.mark.parametrize("i", range(17))
def test_errors_match_torch(i):
    def err(fn):
        try:
            fn()
        except Exception as e:  # noqa: BLE001
            return type(e), str(e)
    expected = err(_errors(torch)[i])
    assert expected is not None
    assert err(_errors(loom)[i]) == expected


def test_repr_and_defaults():
    p = [loom.ones(1, requires_grad=True)]
    tq = [torch.ones(1, requires_grad=True)]
    for name in ["Adadelta", "Adamax", "NAdam", "RAdam", "LBFGS", "SparseAdam"]:
        assert repr(getattr(lo, name)(p)) == repr(getattr(torch.optim, name)(tq))
