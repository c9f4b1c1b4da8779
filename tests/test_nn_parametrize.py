"""nn.utils.parametrize (register_parametrization, chains, right_inverse, cached,
remove_parametrizations, is_parametrized, type_before_parametrizations),
nn.utils.parametrizations.weight_norm/spectral_norm and the hook forms nn.utils.weight_norm /
spectral_norm (and their remove_*) against PyTorch: state dict keys and values (the same power
iteration buffers from the same seed), reprs, outputs, input and parameter gradients, buffers
after training-mode forwards, and PyTorch's errors."""
from __future__ import annotations

import warnings

import pytest
import torch

import loom
from loom import nn
from loom.nn.utils import parametrize as P

from nn_oracle import close, compare_module, error_of, to_loom

TOL = dict(rtol=1e-9, atol=1e-10)


def _seeded(make):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.manual_seed(0)
        tm = make(torch)
        loom.manual_seed(0)
        lm = make(loom)
    return tm, lm


LAYERS = {
    "linear": (lambda lib: lib.nn.Linear(4, 3, dtype=lib.float64), (5, 4)),
    "conv2d": (lambda lib: lib.nn.Conv2d(2, 3, 3, dtype=lib.float64), (2, 2, 5, 5)),
    "convt2d": (lambda lib: lib.nn.ConvTranspose2d(3, 2, 3, dtype=lib.float64), (2, 3, 4, 4)),
}


def _x(shape):
    return torch.randn(*shape, dtype=torch.float64, generator=torch.Generator().manual_seed(1))


@pytest.mark.parametrize("layer", LAYERS)
@pytest.mark.parametrize("dim", [0, 1, None])
@pytest.mark.parametrize("form", ["parametrizations", "hook"])
def test_weight_norm(layer, dim, form):
    make, shape = LAYERS[layer]

    def build(lib):
        fn = lib.nn.utils.parametrizations.weight_norm if form == "parametrizations" \
            else lib.nn.utils.weight_norm
        return fn(make(lib), dim=dim)
    tm, lm = _seeded(build)
    assert repr(lm) == repr(tm)
    assert type(lm).__name__ == type(tm).__name__
    ts, ls = tm.state_dict(), lm.state_dict()
    assert list(ls) == list(ts)
    for k in ts:
        close(ls[k], ts[k], what=k, **TOL)
    compare_module(tm, lm, _x(shape), **TOL)


def test_weight_norm_hook_warns_and_removes():
    with pytest.warns(FutureWarning, match="`torch.nn.utils.weight_norm` is deprecated"):
        m = nn.utils.weight_norm(nn.Linear(3, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert error_of(lambda: nn.utils.weight_norm(m)) == error_of(
            lambda: torch.nn.utils.weight_norm(torch.nn.utils.weight_norm(
                torch.nn.Linear(3, 2))))
    w = m.weight.detach().clone()
    nn.utils.remove_weight_norm(m)
    assert list(m.state_dict()) == ["bias", "weight"]
    assert isinstance(m.weight, nn.Parameter)
    close(m.weight, torch.from_numpy(w.numpy()))
    assert error_of(lambda: nn.utils.remove_weight_norm(m))[0] is ValueError


@pytest.mark.parametrize("layer", LAYERS)
@pytest.mark.parametrize("form", ["parametrizations", "hook"])
@pytest.mark.parametrize("iters", [1, 3])
def test_spectral_norm(layer, form, iters):
    make, shape = LAYERS[layer]

    def build(lib):
        fn = lib.nn.utils.parametrizations.spectral_norm if form == "parametrizations" \
            else lib.nn.utils.spectral_norm
        return fn(make(lib), n_power_iterations=iters)
    tm, lm = _seeded(build)
    assert repr(lm) == repr(tm)
    ts, ls = tm.state_dict(), lm.state_dict()
    assert list(ls) == list(ts)
    for k in ts:   # the same random start and power iterations
        close(ls[k], ts[k], what=k, **TOL)
    for train in (True, False):
        compare_module(tm, lm, _x(shape), train=train, **TOL)
        compare_module(tm, lm, _x(shape), train=train, **TOL)


def test_spectral_norm_options_and_errors():
    tm, lm = _seeded(lambda lib: lib.nn.utils.parametrizations.spectral_norm(
        lib.nn.Linear(4, 3, dtype=lib.float64), dim=1, eps=1e-3))
    compare_module(tm, lm, _x((2, 4)), **TOL)
    for bad in [lambda lib: lib.nn.utils.parametrizations.spectral_norm(lib.nn.Linear(2, 2),
                                                                         dim=2),
                lambda lib: lib.nn.utils.parametrizations.spectral_norm(lib.nn.Linear(2, 2),
                                                                         n_power_iterations=0),
                lambda lib: lib.nn.utils.spectral_norm(lib.nn.Linear(2, 2),
                                                       n_power_iterations=0),
                lambda lib: lib.nn.utils.spectral_norm(lib.nn.utils.spectral_norm(
                    lib.nn.Linear(2, 2)))]:
        expected = error_of(lambda: bad(torch))
        assert expected is not None
        assert error_of(lambda: bad(loom)) == expected
    m = nn.utils.spectral_norm(nn.Linear(3, 3))
    nn.utils.remove_spectral_norm(m)
    assert list(m.state_dict()) == ["bias", "weight"]


class _Symmetric:
    @staticmethod
    def make(lib):
        class Symmetric(lib.nn.Module):
            def forward(self, x):
                return x.triu() + x.triu(1).transpose(-1, -2)

            def right_inverse(self, a):
                return a.triu()
        return Symmetric


class _Scale:
    @staticmethod
    def make(lib):
        class Scale(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.s = lib.nn.Parameter(lib.tensor(2.0, dtype=lib.float64))

            def forward(self, x):
                return x * self.s

            def right_inverse(self, x):
                return x / self.s
        return Scale


def test_register_parametrization_chain_matches_torch():
    def build(lib):
        m = lib.nn.Linear(4, 4, dtype=lib.float64)
        P_ = lib.nn.utils.parametrize
        P_.register_parametrization(m, "weight", _Symmetric.make(lib)())
        P_.register_parametrization(m, "weight", _Scale.make(lib)())
        return m
    tm, lm = _seeded(build)
    assert repr(lm) == repr(tm)
    assert list(lm.state_dict()) == list(tm.state_dict())
    assert [n for n, _ in lm.named_parameters()] == [n for n, _ in tm.named_parameters()]
    compare_module(tm, lm, _x((3, 4)), **TOL)
    # assigning goes through the right inverses
    a = torch.arange(16.0, dtype=torch.float64).reshape(4, 4)
    with torch.no_grad():
        tm.weight = a
    lm.weight = to_loom(a)
    close(lm.weight, tm.weight)
    close(lm.parametrizations.weight.original, tm.parametrizations.weight.original)
    assert P.is_parametrized(lm) and P.is_parametrized(lm, "weight")
    assert not P.is_parametrized(lm, "bias")
    assert P.type_before_parametrizations(lm) is nn.Linear
    with P.cached():
        assert lm.weight is lm.weight
    assert lm.weight is not lm.weight


@pytest.mark.parametrize("leave", [True, False])
def test_remove_parametrizations(leave):
    def build(lib):
        m = lib.nn.Linear(3, 3, dtype=lib.float64)
        lib.nn.utils.parametrize.register_parametrization(m, "weight", _Symmetric.make(lib)())
        lib.nn.utils.parametrize.remove_parametrizations(m, "weight", leave_parametrized=leave)
        return m
    tm, lm = _seeded(build)
    assert type(lm) is nn.Linear and repr(lm) == repr(tm)
    assert list(lm.state_dict()) == list(tm.state_dict())
    close(lm.weight, tm.weight)
    assert isinstance(lm.weight, nn.Parameter)
    wn = nn.utils.parametrizations.weight_norm(nn.Linear(3, 3))
    assert error_of(lambda: P.remove_parametrizations(wn, "weight", False)) == error_of(
        lambda: torch.nn.utils.parametrize.remove_parametrizations(
            torch.nn.utils.parametrizations.weight_norm(torch.nn.Linear(3, 3)), "weight",
            False))
    P.remove_parametrizations(wn, "weight")
    assert list(wn.state_dict()) == ["bias", "weight"]


def test_parametrize_errors():
    class Shrink(nn.Module):
        def forward(self, x):
            return x[:1]

    class TShrink(torch.nn.Module):
        def forward(self, x):
            return x[:1]
    assert error_of(lambda: P.register_parametrization(nn.Linear(2, 2), "weight", Shrink())) \
        == error_of(lambda: torch.nn.utils.parametrize.register_parametrization(
            torch.nn.Linear(2, 2), "weight", TShrink()))
    m = P.register_parametrization(nn.Linear(2, 2), "weight", Shrink(), unsafe=True)
    assert tuple(m.weight.shape) == (1, 2)
    err = error_of(lambda: P.register_parametrization(nn.Linear(2, 2), "foo", Shrink()))
    assert err[0] is ValueError and "does not have a parameter, a buffer" in err[1]
    err = error_of(lambda: P.remove_parametrizations(nn.Linear(2, 2), "weight"))
    assert err[0] is ValueError and "does not have a parametrization on weight" in err[1]
