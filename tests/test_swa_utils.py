"""optim.swa_utils (AveragedModel, SWALR, update_bn, the EMA helpers) against torch."""
import pytest
import torch

import loom
from nn_oracle import close, copy_weights, to_loom


def _net(lib):
    lib.manual_seed(0)
    return lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4), lib.nn.ReLU(),
                             lib.nn.Linear(4, 2)).double()


def _train(lib, model, averaged, steps=6):
    opt = lib.optim.SGD(model.parameters(), lr=0.1)
    g = lib.Generator().manual_seed(1)
    for _ in range(steps):
        x = lib.randn(8, 3, generator=g, dtype=lib.float64)
        opt.zero_grad()
        model(x).pow(2).sum().backward()
        opt.step()
        averaged.update_parameters(model)


@pytest.mark.parametrize("kind", ["swa", "ema", "ema-single", "buffers"])
def test_averaged_model_as_torch(kind):
    results = []
    for lib in (torch, loom):
        model = _net(lib)  # the same weights: loom's initialisation draws PyTorch's numbers
        su = lib.optim.swa_utils
        kw = {"swa": {}, "ema": {"multi_avg_fn": su.get_ema_multi_avg_fn(0.9)},
              "ema-single": {"avg_fn": su.get_ema_avg_fn(0.9)},
              "buffers": {"use_buffers": True}}[kind]
        avg = su.AveragedModel(model, **kw)
        _train(lib, model, avg)
        results.append((model, avg))
    (tm, ta), (lm, la) = results
    assert list(la.state_dict()) == list(ta.state_dict())
    for k, v in ta.state_dict().items():
        close(la.state_dict()[k], v, 1e-7, 1e-8, k)
    x = torch.randn(5, 3, dtype=torch.float64)
    ta.eval(), la.eval()
    close(la(to_loom(x)), ta(x), 1e-7, 1e-9)


def test_update_bn_recomputes_the_statistics_as_torch():
    tm, lm = _net(torch), _net(loom)
    copy_weights(tm, lm)
    data = [torch.randn(6, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(i))
            for i in range(3)]
    torch.optim.swa_utils.update_bn([(d, 0) for d in data], tm)
    loom.optim.swa_utils.update_bn([(to_loom(d), 0) for d in data], lm)
    for k, v in tm.state_dict().items():
        close(lm.state_dict()[k], v, 1e-7, 1e-9, k)
    assert lm[1].momentum == 0.1 and lm.training


@pytest.mark.parametrize("kw", [dict(swa_lr=0.05), dict(swa_lr=0.05, anneal_epochs=3,
                                                         anneal_strategy="linear"),
                                dict(swa_lr=0.01, anneal_epochs=0)])
def test_swalr_rates_as_torch(kw):
    rates = []
    for lib in (torch, loom):
        opt = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=0.5)
        sched = lib.optim.swa_utils.SWALR(opt, **kw)
        seq = []
        for _ in range(14):
            opt.step()
            sched.step()
            seq.append(sched.get_last_lr()[0])
        rates.append(seq)
    assert rates[0] == pytest.approx(rates[1], rel=1e-12)


@pytest.mark.parametrize("kw,err", [(dict(swa_lr=0.1, anneal_strategy="exp"), ValueError),
                                    (dict(swa_lr=0.1, anneal_epochs=-1), ValueError),
                                    (dict(swa_lr=[0.1, 0.2]), ValueError)])
def test_swalr_refuses_as_torch(kw, err):
    for lib in (torch, loom):
        opt = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=0.5)
        with pytest.raises(err):
            lib.optim.swa_utils.SWALR(opt, **kw)
