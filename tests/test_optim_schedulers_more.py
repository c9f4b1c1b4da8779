"""LinearLR, ConstantLR, MultiplicativeLR, PolynomialLR, CyclicLR, CosineAnnealingWarmRestarts,
SequentialLR and ChainedScheduler against torch.optim.lr_scheduler: the rates over 30 steps
(get_last_lr and the groups' lr and momentum), the parameters after training with them, state
dicts with PyTorch's keys that round-trip mid-schedule, step(epoch) closed forms, and
PyTorch's errors."""
from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest
import torch

import loom
import loom.optim as lo
from loom.optim import lr_scheduler as lls


def _params(lib, n=2):
    g = np.random.default_rng(0)
    return [lib.tensor(g.standard_normal((3, 2))).requires_grad_() for _ in range(n)]


def _opt(lib, kind, params):
    if kind == "SGD":
        return lib.optim.SGD([{"params": [params[0]]}, {"params": [params[1]], "lr": 0.05}],
                             lr=0.1, momentum=0.9)
    return lib.optim.Adam([{"params": [params[0]]}, {"params": [params[1]], "lr": 0.05}],
                          lr=0.1)


def _build(lib, name, kw, opt):
    mod = lib.optim.lr_scheduler
    if name == "SequentialLR":
        parts = [mod.LinearLR(opt, start_factor=0.1, total_iters=4),
                 mod.CosineAnnealingLR(opt, T_max=8, eta_min=0.001),
                 mod.ExponentialLR(opt, gamma=0.9)]
        return mod.SequentialLR(opt, parts[:kw["n"]], milestones=[5, 14][:kw["n"] - 1])
    if name == "ChainedScheduler":
        parts = [mod.ConstantLR(opt, factor=0.5, total_iters=3),
                 mod.ExponentialLR(opt, gamma=0.95), mod.StepLR(opt, 4, 0.5)]
        return mod.ChainedScheduler(parts, **({"optimizer": opt} if kw.get("opt") else {}))
    return getattr(mod, name)(opt, **kw)


SCHEDULERS = [
    ("LinearLR", {}, "SGD"),
    ("LinearLR", {"start_factor": 0.05, "end_factor": 0.5, "total_iters": 12}, "Adam"),
    ("ConstantLR", {}, "SGD"),
    ("ConstantLR", {"factor": 0.1, "total_iters": 9}, "Adam"),
    ("MultiplicativeLR", {"lr_lambda": lambda e: 0.97}, "SGD"),
    ("MultiplicativeLR", {"lr_lambda": [lambda e: 0.9, lambda e: 1.0 - 0.01 * e]}, "SGD"),
    ("PolynomialLR", {}, "SGD"),
    ("PolynomialLR", {"total_iters": 20, "power": 2.5}, "Adam"),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4}, "SGD"),
    ("CyclicLR", {"base_lr": [0.01, 0.02], "max_lr": 0.2, "step_size_up": 3,
                  "step_size_down": 5, "mode": "triangular2"}, "SGD"),
    ("CyclicLR", {"base_lr": 0.001, "max_lr": 0.01, "step_size_up": 5, "mode": "exp_range",
                  "gamma": 0.95}, "Adam"),
    ("CyclicLR", {"base_lr": 0.001, "max_lr": 0.01, "step_size_up": 3,
                  "scale_fn": lambda x: 1 / (1 + x), "scale_mode": "iterations",
                  "cycle_momentum": False}, "SGD"),
    ("CosineAnnealingWarmRestarts", {"T_0": 5}, "SGD"),
    ("CosineAnnealingWarmRestarts", {"T_0": 3, "T_mult": 2, "eta_min": 0.001}, "Adam"),
    ("SequentialLR", {"n": 2}, "SGD"),
    ("SequentialLR", {"n": 3}, "Adam"),
    ("SequentialLR", {"n": 1}, "SGD"),
    ("ChainedScheduler", {}, "SGD"),
    ("ChainedScheduler", {"opt": True}, "Adam"),
]


def _loss(lib, params):
    x = lib.tensor(np.linspace(-1, 1, 6).reshape(3, 2))
    return sum(((lib.tanh(p * x) - 0.3) ** 2).sum() for p in params)


def _run(lib, name, kw, kind, steps=30):
    params = _params(lib)
    opt = _opt(lib, kind, params)
    sched = _build(lib, name, kw, opt)
    rates = [sched.get_last_lr()]
    moms = []
    for _ in range(steps):
        opt.zero_grad()
        _loss(lib, params).backward()
        opt.step()
        sched.step()
        rates.append(list(sched.get_last_lr()))
        moms.append([g.get("momentum", g.get("betas")) for g in opt.param_groups])
    return params, opt, sched, rates, moms


@pytest.mark.parametrize("name,kw,kind", SCHEDULERS, ids=lambda v: str(v)[:40])
def test_rates_over_30_steps_match_torch(name, kw, kind):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tp, topt, tsch, trates, tmoms = _run(torch, name, kw, kind)
    lp, lopt, lsch, lrates, lmoms = _run(loom, name, kw, kind)
    np.testing.assert_allclose(np.array(lrates), np.array(trates), rtol=1e-14, atol=0)
    for a, b in zip(lmoms, tmoms):
        np.testing.assert_allclose(np.array(a, dtype=float), np.array(b, dtype=float),
                                   rtol=1e-14)
    assert [g["lr"] for g in lopt.param_groups] == [g["lr"] for g in topt.param_groups]
    for t, p in zip(tp, lp):
        np.testing.assert_allclose(p.detach().numpy(), t.detach().numpy(), rtol=1e-10,
                                   atol=1e-12)
    # the state dict has PyTorch's keys (nested ones too) ...
    tsd, lsd = tsch.state_dict(), lsch.state_dict()
    assert set(lsd) - {"_is_initial"} <= set(tsd)
    for k in set(tsd) & set(lsd):
        if k not in ("_schedulers", "lr_lambdas", "_scale_fn_custom", "_last_lr",
                     "_get_lr_called_within_step"):
            assert lsd[k] == tsd[k], k
    # ... and a scheduler loaded from it continues the schedule
    params = _params(loom)
    opt2 = _opt(loom, kind, params)
    sched2 = _build(loom, name, kw, opt2)
    sched2.load_state_dict(copy.deepcopy(lsd))
    opt2.load_state_dict(copy.deepcopy(lopt.state_dict()))
    for _ in range(5):
        lsch.step()
        sched2.step()
        assert sched2.get_last_lr() == lsch.get_last_lr()


@pytest.mark.parametrize("name,kw", [("LinearLR", {"start_factor": 0.2, "total_iters": 6}),
                                     ("ConstantLR", {"factor": 0.3, "total_iters": 4}),
                                     ("PolynomialLR", {"total_iters": 8, "power": 2.0})])
def test_step_with_epoch_uses_closed_form(name, kw):
    rates = {}
    for lib in (torch, loom):
        p = lib.ones(2, requires_grad=True)
        s = getattr(lib.optim.lr_scheduler, name)(lib.optim.SGD([p], lr=1.0), **kw)
        out = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for e in [3, 7, 1, 10]:
                s.step(e)
                out.append(s.get_last_lr()[0])
        rates[lib] = out
    assert rates[loom] == rates[torch]


def test_warm_restarts_with_fractional_epochs():
    rates = {}
    for lib in (torch, loom):
        p = lib.ones(2, requires_grad=True)
        s = lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(lib.optim.SGD([p], lr=1.0),
                                                               T_0=4, T_mult=2)
        out = []
        for e in [0.5, 1.25, 3.9, 4.0, 7.5, 12.0, 13.3, 2.0]:
            s.step(e)
            out.append((s.get_last_lr()[0], s.T_i, s.T_cur, s.last_epoch))
        rates[lib] = out
    assert rates[loom] == rates[torch]


def _errors(lib):
    mod = lib.optim.lr_scheduler
    p = lib.ones(1, requires_grad=True)
    opt = lib.optim.SGD([p], lr=0.1, momentum=0.9)
    other = lib.optim.SGD([lib.ones(1, requires_grad=True)], lr=0.1)
    return [
        lambda: mod.LinearLR(opt, start_factor=0),
        lambda: mod.LinearLR(opt, end_factor=1.5),
        lambda: mod.ConstantLR(opt, factor=2),
        lambda: mod.MultiplicativeLR(opt, lr_lambda=3),
        lambda: mod.MultiplicativeLR(opt, lr_lambda=[lambda e: 1, lambda e: 1]),
        lambda: mod.CyclicLR(opt, 0.1, 1.0, mode="sine"),
        lambda: mod.CyclicLR(lib.optim.Adagrad([p]), 0.1, 1.0),
        lambda: mod.CyclicLR(opt, [0.1, 0.2], 1.0),
        lambda: mod.OneCycleLR(opt, max_lr=[0.1, 0.2], total_steps=4),
        lambda: mod.CosineAnnealingWarmRestarts(opt, T_0=0),
        lambda: mod.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=1.5),
        lambda: mod.CosineAnnealingWarmRestarts(opt, T_0=2, eta_min="x"),
        lambda: mod.CosineAnnealingWarmRestarts(opt, T_0=2).step(-1),
        lambda: mod.SequentialLR(opt, [], []),
        lambda: mod.SequentialLR(opt, [mod.StepLR(opt, 2)], [3]),
        lambda: mod.SequentialLR(opt, [mod.StepLR(other, 2)], []),
        lambda: mod.SequentialLR(opt, [mod.ReduceLROnPlateau(opt)], []),
        lambda: mod.SequentialLR(opt, [object()], []),
        lambda: mod.ChainedScheduler([]),
        lambda: mod.ChainedScheduler([mod.StepLR(opt, 2), mod.StepLR(other, 2)]),
    ]


def _error(fn):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn()
    except Exception as e:  # noqa: BLE001
        return type(e), str(e).replace("torch.optim.sgd", "loom.optim.sgd")
    return None


@pytest.mark.parametrize("i", range(len(_errors(loom))))
def test_errors_match_torch(i):
    expected = _error(_errors(torch)[i])
    assert expected is not None
    got = _error(_errors(loom)[i])
    assert got[0] is expected[0]
    if "different from" not in expected[1]:   # that one prints the optimizer itself
        assert got[1] == expected[1]
