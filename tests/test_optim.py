"""loom.optim against torch.optim: the same parameters after 20 steps from the same start, for
every optimizer and its options, every scheduler's rates, and state dicts that round-trip
(and cross between loom and PyTorch by value)."""
from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch

import loom
import loom.optim as lo
from loom.optim import lr_scheduler as lls

OPTIMIZERS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1, amsgrad=True)),
    ("Adam", dict(lr=0.01, maximize=True, eps=1e-6)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.02, weight_decay=0.3, amsgrad=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.05)),
    ("RMSprop", dict(lr=0.005, alpha=0.9, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.01, initial_accumulator_value=0.1)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1, maximize=True)),
    ("Adamax", dict()),
    ("Adamax", dict(lr=0.05, betas=(0.8, 0.9), weight_decay=0.1)),
    ("NAdam", dict()),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict(lr=0.01)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.01, betas=(0.5, 0.6), weight_decay=0.1)),
    ("Rprop", dict()),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2), maximize=True)),
]


def _start(seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(4, 3, generator=g, dtype=dtype), torch.randn(3, generator=g, dtype=dtype)]


def _pair(start):
    tp = [s.clone().requires_grad_() for s in start]
    lp = [loom.tensor(s.numpy()).requires_grad_() for s in start]
    return tp, lp


def _loss(lib, w, b, x):
    return ((lib.tanh(x @ w + b) - 0.5) ** 2).sum() + (w * w).sum() * 0.01


def _train(lib, opt, params, steps=20, sched=None, closure=False):
    x = np.linspace(-1, 1, 24).reshape(6, 4)
    x = lib.tensor(x, dtype=params[0].dtype)
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
        if sched is not None:
            sched.step()


@pytest.mark.parametrize("name,kw", OPTIMIZERS, ids=lambda v: str(v))
def test_parameters_after_20_steps_match_torch(name, kw):
    tp, lp = _pair(_start())
    _train(torch, getattr(torch.optim, name)(tp, **kw), tp)
    _train(loom, getattr(lo, name)(lp, **kw), lp)
    for t, lt in zip(tp, lp):
        np.testing.assert_allclose(lt.detach().numpy(), t.detach().numpy(), rtol=1e-10,
                                   atol=1e-12)


@pytest.mark.parametrize("name,kw", OPTIMIZERS[::3], ids=lambda v: str(v))
def test_float32_parameters_and_a_closure(name, kw):
    tp, lp = _pair(_start(1, torch.float32))
    _train(torch, getattr(torch.optim, name)(tp, **kw), tp, closure=True)
    _train(loom, getattr(lo, name)(lp, **kw), lp, closure=True)
    for t, lt in zip(tp, lp):
        assert lt.dtype == loom.float32
        np.testing.assert_allclose(lt.detach().numpy(), t.detach().numpy(), rtol=1e-4,
                                   atol=1e-5)


@pytest.mark.parametrize("name,kw", OPTIMIZERS, ids=lambda v: str(v))
def test_state_dict_round_trips_and_matches_torchs_layout(name, kw):
    tp, lp = _pair(_start())
    topt, lopt = getattr(torch.optim, name)(tp, **kw), getattr(lo, name)(lp, **kw)
    _train(torch, topt, tp, steps=5)
    _train(loom, lopt, lp, steps=5)
    tsd, lsd = topt.state_dict(), lopt.state_dict()
    assert lsd["param_groups"] == tsd["param_groups"]
    assert tsd["state"].keys() == lsd["state"].keys()
    for k in tsd["state"]:
        assert tsd["state"][k].keys() == lsd["state"][k].keys()
        for key, v in tsd["state"][k].items():
            lv = lsd["state"][k][key]
            assert str(lv.dtype) == str(v.dtype)
            np.testing.assert_allclose(lv.numpy(), v.numpy(), rtol=1e-10, atol=1e-12)
    # a fresh optimizer loaded from the state dict continues exactly as the original does
    lp2 = [p.detach().clone().requires_grad_() for p in lp]
    lopt2 = getattr(lo, name)(lp2, **kw)
    lopt2.load_state_dict(copy.deepcopy(lopt.state_dict()))  # (as if saved and loaded)
    _train(loom, lopt, lp, steps=5)
    _train(loom, lopt2, lp2, steps=5)
    for a, b in zip(lp, lp2):
        if name == "NAdam":  # loading casts mu_product (float32) to the parameter's dtype, in
            # PyTorch too: the reloaded optimizer then rounds its momentum schedule otherwise
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-9)
        else:
            np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_a_state_dict_from_torch_loads_into_loom():
    tp, lp = _pair(_start())
    topt, lopt = torch.optim.Adam(tp, lr=0.01), lo.Adam(lp, lr=0.01)
    _train(torch, topt, tp, steps=3)
    sd = topt.state_dict()
    lsd = {"param_groups": sd["param_groups"],
           "state": {k: {n: loom.tensor(v.numpy()) for n, v in s.items()}
                     for k, s in sd["state"].items()}}
    lp = [loom.tensor(t.detach().numpy()).requires_grad_() for t in tp]
    lopt = lo.Adam(lp, lr=0.01)
    lopt.load_state_dict(lsd)
    _train(torch, topt, tp, steps=4)
    _train(loom, lopt, lp, steps=4)
    for t, lt in zip(tp, lp):
        np.testing.assert_allclose(lt.detach().numpy(), t.detach().numpy(), rtol=1e-10)


def test_param_groups_with_their_own_hyperparameters_and_add_param_group():
    tp, lp = _pair(_start())
    topt = torch.optim.SGD([{"params": [tp[0]]}, {"params": tp[1], "lr": 0.5}], lr=0.1,
                           momentum=0.9)
    lopt = lo.SGD([{"params": [lp[0]]}, {"params": lp[1], "lr": 0.5}], lr=0.1, momentum=0.9)
    _train(torch, topt, tp)
    _train(loom, lopt, lp)
    for t, lt in zip(tp, lp):
        np.testing.assert_allclose(lt.detach().numpy(), t.detach().numpy(), rtol=1e-10)
    assert [g["lr"] for g in lopt.param_groups] == [0.1, 0.5]
    extra = loom.zeros(2, requires_grad=True)
    lopt.add_param_group({"params": [extra], "momentum": 0.0})
    assert lopt.param_groups[2]["lr"] == 0.1 and lopt.param_groups[2]["momentum"] == 0.0
    with pytest.raises(ValueError, match="some parameters appear in more than one"):
        lopt.add_param_group({"params": [extra]})
    assert repr(lopt).startswith("SGD (\nParameter Group 0\n    dampening: 0")


def test_zero_grad_sets_to_none_or_zeros():
    p = loom.ones(3, requires_grad=True)
    opt = lo.SGD([p], lr=0.1)
    (p * 2).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert p.grad is not None and p.grad.tolist() == [0.0, 0.0, 0.0]
    opt.zero_grad()
    assert p.grad is None
    opt.step()  # no gradient: nothing moves
    assert p.tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("make,exc,msg", [
    (lambda p: lo.SGD([], lr=0.1), ValueError, "optimizer got an empty parameter list"),
    (lambda p: lo.SGD(p[0], lr=0.1), TypeError, "should be an iterable of Tensors or dicts"),
    (lambda p: lo.SGD(p, lr=-1), ValueError, "Invalid learning rate: -1"),
    (lambda p: lo.SGD(p, lr=0.1, nesterov=True), ValueError,
     "Nesterov momentum requires a momentum and zero dampening"),
    (lambda p: lo.SGD(p, momentum=-0.5), ValueError, "Invalid momentum value: -0.5"),
    (lambda p: lo.Adam(p, betas=(1.0, 0.9)), ValueError, "Invalid beta parameter at index 0"),
    (lambda p: lo.Adam(p, eps=-1.0), ValueError, "Invalid epsilon value: -1.0"),
    (lambda p: lo.RMSprop(p, alpha=-0.1), ValueError, "Invalid alpha value: -0.1"),
    (lambda p: lo.Adagrad(p, lr_decay=-0.1), ValueError, "Invalid lr_decay value: -0.1"),
    (lambda p: lo.SGD([p[0] * 2], lr=0.1), ValueError, "can't optimize a non-leaf Tensor"),
    (lambda p: lo.Adadelta(p, rho=1.5), ValueError, "Invalid rho value: 1.5"),
    (lambda p: lo.Adamax(p, betas=(0.9, 1.0)), ValueError, "Invalid beta parameter at index 1"),
    (lambda p: lo.NAdam(p, momentum_decay=-1), ValueError, "Invalid momentum_decay value: -1"),
    (lambda p: lo.RAdam(p, weight_decay=-1), ValueError, "Invalid weight_decay value: -1"),
    (lambda p: lo.Rprop(p, etas=(1.2, 0.5)), ValueError, "Invalid eta values: 1.2, 0.5"),
])
def test_bad_arguments_raise_as_torch(make, exc, msg):
    p = [loom.ones(2, requires_grad=True)]
    with pytest.raises(exc, match=msg):
        make(p)
    tp = [torch.ones(2, requires_grad=True)]
    src = make.__code__
    tmake = type(make)(src, {"lo": torch.optim, "torch": torch})
    with pytest.raises(exc, match=msg):
        tmake(tp)


def test_load_state_dict_with_other_groups_raises():
    a, b = loom.ones(2, requires_grad=True), loom.ones(2, requires_grad=True)
    sd = lo.SGD([a], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        lo.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        lo.SGD([a, b], lr=0.1).load_state_dict(sd)


def test_step_hooks_run_around_the_step():
    p = loom.ones(2, requires_grad=True)
    opt = lo.SGD([p], lr=0.1)
    seen = []
    h1 = opt.register_step_pre_hook(lambda o, a, k: seen.append("pre"))
    opt.register_step_post_hook(lambda o, a, k: seen.append("post"))
    opt.step()
    h1.remove()
    opt.step()
    assert seen == ["pre", "post", "post"]


SCHEDULERS = [
    ("StepLR", dict(step_size=3, gamma=0.5), "SGD"),
    ("MultiStepLR", dict(milestones=[2, 5, 5, 11], gamma=0.3), "SGD"),
    ("ExponentialLR", dict(gamma=0.9), "SGD"),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.001), "SGD"),
    ("CosineAnnealingLR", dict(T_max=20), "Adam"),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=25), "SGD"),
    ("OneCycleLR", dict(max_lr=[0.5], total_steps=25, anneal_strategy="linear",
                        three_phase=True), "Adam"),
    ("LambdaLR", dict(lr_lambda=lambda e: 0.95 ** e + 0.01 * e), "SGD"),
    ("MultiplicativeLR", dict(lr_lambda=lambda e: 0.9 if e % 2 else 1.05), "SGD"),
    ("ConstantLR", dict(factor=0.25, total_iters=4), "SGD"),
    ("ConstantLR", dict(), "Adam"),
    ("LinearLR", dict(start_factor=0.1, total_iters=6), "SGD"),
    ("LinearLR", dict(start_factor=1.0, end_factor=0.2, total_iters=15), "Adam"),
    ("PolynomialLR", dict(total_iters=12, power=2.0), "SGD"),
    ("CosineAnnealingWarmRestarts", dict(T_0=3, T_mult=2, eta_min=0.01), "SGD"),
    ("CosineAnnealingWarmRestarts", dict(T_0=4), "Adam"),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=3), "SGD"),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=2, step_size_down=5,
                      mode="triangular2"), "Adam"),
    ("CyclicLR", dict(base_lr=[0.01], max_lr=0.2, step_size_up=4, mode="exp_range",
                      gamma=0.9, cycle_momentum=False), "SGD"),
]


@pytest.mark.parametrize("name,kw,opt", SCHEDULERS, ids=lambda v: str(v))
def test_scheduler_rates_and_parameters_match_torch(name, kw, opt):
    tp, lp = _pair(_start())
    okw = dict(lr=0.1, momentum=0.9) if opt == "SGD" else dict(lr=0.1)
    topt, lopt = getattr(torch.optim, opt)(tp, **okw), getattr(lo, opt)(lp, **okw)
    tsch = getattr(torch.optim.lr_scheduler, name)(topt, **kw)
    lsch = getattr(lls, name)(lopt, **kw)
    assert lsch.get_last_lr() == tsch.get_last_lr()
    trates, lrates = [], []
    for _ in range(20):
        _train(torch, topt, tp, steps=1, sched=tsch)
        _train(loom, lopt, lp, steps=1, sched=lsch)
        trates.append(tsch.get_last_lr())
        lrates.append(lsch.get_last_lr())
    np.testing.assert_allclose(np.array(lrates), np.array(trates), rtol=1e-14, atol=0)
    assert lopt.param_groups[0].get("betas") == topt.param_groups[0].get("betas")
    assert lopt.param_groups[0].get("momentum") == topt.param_groups[0].get("momentum")
    for t, lt in zip(tp, lp):
        np.testing.assert_allclose(lt.detach().numpy(), t.detach().numpy(), rtol=1e-9,
                                   atol=1e-12)
    # state dict: the same keys as PyTorch's, and a round trip continues the same schedule
    tsd, lsd = tsch.state_dict(), lsch.state_dict()
    assert set(lsd) <= set(tsd) | {"_is_initial"}
    lopt2 = getattr(lo, opt)([p.detach().clone().requires_grad_() for p in lp], **okw)
    lsch2 = getattr(lls, name)(lopt2, **kw)
    lsch2.load_state_dict(lsd)
    lopt2.load_state_dict(copy.deepcopy(lopt.state_dict()))
    for _ in range(3):
        lsch.step()
        lsch2.step()
    assert lsch2.get_last_lr() == lsch.get_last_lr()


def _warmup_then_cosine(lib, opt):
    s = lib.optim.lr_scheduler
    return s.SequentialLR(opt, [s.LinearLR(opt, start_factor=0.1, total_iters=4),
                                s.CosineAnnealingLR(opt, T_max=10)], milestones=[4])


def _chained(lib, opt):
    s = lib.optim.lr_scheduler
    return s.ChainedScheduler([s.ConstantLR(opt, factor=0.1, total_iters=3),
                               s.ExponentialLR(opt, gamma=0.9)])


def _three_stages(lib, opt):
    s = lib.optim.lr_scheduler
    return s.SequentialLR(opt, [s.ConstantLR(opt, factor=0.5, total_iters=2),
                                s.ExponentialLR(opt, gamma=0.8),
                                s.StepLR(opt, step_size=2, gamma=0.5)], milestones=[3, 8])


@pytest.mark.parametrize("make", [_warmup_then_cosine, _chained, _three_stages])
def test_composite_schedulers_match_torch(make):
    tp, lp = _pair(_start())
    topt, lopt = torch.optim.SGD(tp, lr=0.1, momentum=0.9), lo.SGD(lp, lr=0.1, momentum=0.9)
    tsch, lsch = make(torch, topt), make(loom, lopt)
    assert lsch.get_last_lr() == tsch.get_last_lr()
    for _ in range(16):
        _train(torch, topt, tp, steps=1, sched=tsch)
        _train(loom, lopt, lp, steps=1, sched=lsch)
        assert lsch.get_last_lr() == pytest.approx(tsch.get_last_lr(), rel=1e-14)
        assert lopt.param_groups[0]["lr"] == pytest.approx(topt.param_groups[0]["lr"], rel=1e-14)
    tsd, lsd = tsch.state_dict(), lsch.state_dict()
    assert set(lsd) <= set(tsd)
    assert len(lsd["_schedulers"]) == len(tsd["_schedulers"])


def test_get_lr_outside_step_warns_as_torch():
    for lib in (torch, loom):
        opt = lib.optim.SGD([lib.zeros(2, requires_grad=True)], lr=0.1)
        sch = lib.optim.lr_scheduler.StepLR(opt, step_size=2)
        with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
            assert sch.get_lr() == [0.1]
        assert sch.state_dict()["_get_lr_called_within_step"] is False


def test_step_with_an_epoch_uses_the_closed_form_and_warns():
    p = loom.ones(2, requires_grad=True)
    s = lls.StepLR(lo.SGD([p], lr=1.0), step_size=2, gamma=0.5)
    with pytest.warns(UserWarning, match="epoch parameter"):
        s.step(5)
    assert s.get_last_lr() == [0.25]


@pytest.mark.parametrize("kw", [dict(), dict(mode="max", threshold_mode="abs", patience=2,
                                              cooldown=1, factor=0.5, min_lr=0.02)])
def test_reduce_lr_on_plateau_matches_torch(kw):
    metrics = [1.0, 0.9, 0.95, 0.95, 0.96, 0.97, 0.99, 0.9, 0.9, 0.91] * 3
    tp, lp = _pair(_start())
    topt, lopt = torch.optim.SGD(tp, lr=0.1), lo.SGD(lp, lr=0.1)
    tsch = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kw)
    lsch = lls.ReduceLROnPlateau(lopt, **kw)
    for m in metrics:
        tsch.step(m)
        lsch.step(loom.tensor(m))
        assert lsch.get_last_lr() == tsch.get_last_lr()
        assert (lsch.num_bad_epochs, lsch.cooldown_counter) == (tsch.num_bad_epochs,
                                                                 tsch.cooldown_counter)
    sd = lsch.state_dict()
    lsch2 = lls.ReduceLROnPlateau(lo.SGD([loom.ones(1, requires_grad=True)], lr=0.1), **kw)
    lsch2.load_state_dict(sd)
    assert lsch2.best == lsch.best and lsch2.num_bad_epochs == lsch.num_bad_epochs


@pytest.mark.parametrize("make,exc,msg", [
    (lambda o: lls.StepLR(object(), 2), TypeError, "object is not an Optimizer"),
    (lambda o: lls.OneCycleLR(o, max_lr=0.1), ValueError,
     "You must define either total_steps OR"),
    (lambda o: lls.OneCycleLR(o, max_lr=0.1, total_steps=10, pct_start=2.0), ValueError,
     "Expected float between 0 and 1 pct_start"),
    (lambda o: lls.ReduceLROnPlateau(o, factor=1.0), ValueError, "Factor should be < 1.0."),
    (lambda o: lls.ReduceLROnPlateau(o, mode="up"), ValueError, "mode up is unknown!"),
    (lambda o: lls.LambdaLR(o, [lambda e: 1, lambda e: 2]), ValueError,
     "Expected 1 lr_lambdas, but got 2"),
])
def test_scheduler_errors_match_torch(make, exc, msg):
    with pytest.raises(exc, match=msg):
        make(lo.SGD([loom.ones(1, requires_grad=True)], lr=0.1, momentum=0.9))
    tmake = type(make)(make.__code__, {"lls": torch.optim.lr_scheduler})
    with pytest.raises(exc, match=msg):
        tmake(torch.optim.SGD([torch.ones(1, requires_grad=True)], lr=0.1, momentum=0.9))


def test_one_cycle_past_total_steps_raises():
    s = lls.OneCycleLR(lo.SGD([loom.ones(1, requires_grad=True)], lr=0.1, momentum=0.9),
                       max_lr=1.0, total_steps=2)
    s.step()
    s.step()
    with pytest.raises(ValueError, match="Tried to step 3 times"):
        s.step()
    assert math.isfinite(s.get_last_lr()[0])


@pytest.mark.parametrize("kw", [dict(), dict(line_search_fn="strong_wolfe"),
                                dict(lr=0.5, max_iter=5, history_size=3),
                                dict(line_search_fn="strong_wolfe", max_iter=7, history_size=2)])
def test_lbfgs_matches_torch(kw):
    """LBFGS with its closure (the neural-style tutorial's optimizer): the same losses,
    parameters and evaluation counts as PyTorch's, with and without the line search."""
    rng = np.random.RandomState(0)
    X, w_true = rng.randn(30, 4), rng.randn(4, 1)
    Y = np.tanh(X @ w_true) + 0.1 * rng.randn(30, 1)
    res = {}
    for lib in (torch, loom):
        w = lib.zeros(4, 1, dtype=lib.float64, requires_grad=True)
        b = lib.zeros(1, dtype=lib.float64, requires_grad=True)
        x, y = lib.tensor(X), lib.tensor(Y)
        opt = lib.optim.LBFGS([w, b], **kw)

        def closure():
            opt.zero_grad()
            loss = ((lib.tanh(x @ w + b) - y) ** 2).mean()
            loss.backward()
            return loss
        losses = [opt.step(closure).item() for _ in range(3)]
        st = opt.state[w]
        res[lib.__name__] = (losses, w.detach().numpy().copy(), st["func_evals"], st["n_iter"])
    (tl, tw, tf, tn), (ll, lw, lf, ln) = res["torch"], res["loom"]
    np.testing.assert_allclose(ll, tl, rtol=1e-10)
    np.testing.assert_allclose(lw, tw, rtol=1e-9, atol=1e-12)
    assert (lf, ln) == (tf, tn)


def test_lbfgs_refuses_groups_and_a_missing_closure():
    for lib in (torch, loom):
        p, q = lib.zeros(2, requires_grad=True), lib.zeros(2, requires_grad=True)
        with pytest.raises(ValueError, match="LBFGS doesn't support per-parameter options"):
            lib.optim.LBFGS([{"params": [p]}, {"params": [q]}])
        with pytest.raises(TypeError):  # no closure to call, as PyTorch's
            lib.optim.LBFGS([p]).step(None)
