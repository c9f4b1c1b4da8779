"""`loom.distributions` against ``torch.distributions``: samples under one seed, log_prob,
cdf/icdf, entropy, moments, shapes, gradients with respect to the parameters, KL
divergences, and the validation errors."""
import math

import numpy as np
import pytest
import torch

import loom


@pytest.fixture(autouse=True)
def _validation_on():
    # both libraries' default (validation on): other code in the process may have switched
    # PyTorch's off (its compiler does while tracing)
    saved = (torch.distributions.Distribution._validate_args,
             loom.distributions.Distribution._validate_args)
    torch.distributions.Distribution.set_default_validate_args(True)
    loom.distributions.Distribution.set_default_validate_args(True)
    yield
    torch.distributions.Distribution.set_default_validate_args(saved[0])
    loom.distributions.Distribution.set_default_validate_args(saved[1])


def _v(x):
    if isinstance(x, (loom.Tensor, torch.Tensor)):
        return x.detach().numpy()
    return np.asarray(x)


def _close(a, b, rtol=1e-6):
    a, b = _v(a), _v(b)
    assert a.shape == b.shape and str(a.dtype) == str(b.dtype), (a.shape, b.shape, a.dtype, b.dtype)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-7, equal_nan=True)


MAKERS = {
    "normal_scalar": lambda L: L.distributions.Normal(0.5, 2.0),
    "normal_batch": lambda L: L.distributions.Normal(L.tensor([0., 1., -2.]),
                                                     L.tensor([[1.], [0.5]])),
    "uniform": lambda L: L.distributions.Uniform(L.tensor([0., -1.]), L.tensor([1., 3.])),
    "uniform_scalar": lambda L: L.distributions.Uniform(-2.0, 5.0),
    "categorical_probs": lambda L: L.distributions.Categorical(L.tensor([0.1, 0.2, 0.7])),
    "categorical_logits": lambda L: L.distributions.Categorical(
        logits=L.tensor([[0., 1., 2.], [3., -1., 0.5]])),
    "categorical_zero": lambda L: L.distributions.Categorical(L.tensor([0.0, 0.4, 0.6])),
    "bernoulli_probs": lambda L: L.distributions.Bernoulli(L.tensor([0.1, 0.5, 0.9])),
    "bernoulli_logits": lambda L: L.distributions.Bernoulli(logits=L.tensor([-1.0, 0.0, 2.0])),
    "bernoulli_scalar": lambda L: L.distributions.Bernoulli(0.3),
}

VALUES = {
    "normal_scalar": [0.3, [1.0, -4.0]], "normal_batch": [[0.5, 1.0, 2.0]],
    "uniform": [[0.5, 2.0]], "uniform_scalar": [0.0, [4.9, -1.5]],
    "categorical_probs": [[0, 2, 1]], "categorical_logits": [[2, 0], [[1], [2]]],
    "categorical_zero": [[0, 1]],
    "bernoulli_probs": [[0., 1., 1.]], "bernoulli_logits": [[1., 0., 1.]],
    "bernoulli_scalar": [1.0, [0., 1.]],
}


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_shapes_repr_moments_and_entropy(name):
    t, d = MAKERS[name](torch), MAKERS[name](loom)
    assert tuple(d.batch_shape) == tuple(t.batch_shape)
    assert tuple(d.event_shape) == tuple(t.event_shape)
    assert repr(d) == repr(t)
    assert repr(d.support) == repr(t.support)
    assert d.has_rsample == t.has_rsample
    for attr in ("mean", "mode", "variance", "stddev"):
        _close(getattr(d, attr), getattr(t, attr))
    _close(d.entropy(), t.entropy())
    _close(d.perplexity(), t.perplexity())


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_log_prob_matches_torch(name):
    t, d = MAKERS[name](torch), MAKERS[name](loom)
    for v in VALUES[name]:
        dt = torch.long if name.startswith("categorical") else torch.float32
        _close(d.log_prob(loom.tensor(v, dtype=getattr(loom, str(dt)[6:]))),
               t.log_prob(torch.tensor(v, dtype=dt)))


@pytest.mark.parametrize("name", sorted(MAKERS))
@pytest.mark.parametrize("shape", [(), (4,), (2, 3)])
def test_samples_equal_torchs_under_one_seed(name, shape):
    t, d = MAKERS[name](torch), MAKERS[name](loom)
    torch.manual_seed(5)
    loom.manual_seed(5)
    ts, ls = t.sample(shape), d.sample(shape)
    assert str(ls.dtype) == str(ts.dtype)
    _close(ls, ts)
    if t.has_rsample:
        torch.manual_seed(6)
        loom.manual_seed(6)
        _close(d.rsample(shape), t.rsample(shape), rtol=1e-5)


def test_cdf_icdf_match_torch():
    for make in (MAKERS["normal_batch"], MAKERS["uniform"]):
        t, d = make(torch), make(loom)
        v = [[0.2, 0.5]] if d.batch_shape == (2,) else [[0.1, 0.5, 0.9]]
        _close(d.cdf(loom.tensor(v)), t.cdf(torch.tensor(v)))
        _close(d.icdf(loom.tensor(v)), t.icdf(torch.tensor(v)))


def test_gradients_flow_to_parameters_as_torch():
    def run(L):
        loc = L.tensor([0.5, -1.0], requires_grad=True)
        scale = L.tensor([1.5, 0.7], requires_grad=True)
        logits = L.tensor([[0.1, 0.4, -0.3], [1.0, 0.0, 0.5]], requires_grad=True)
        p = L.tensor([0.3, 0.8], requires_grad=True)
        low = L.tensor([0.0, -1.0], requires_grad=True)
        n = L.distributions.Normal(loc, scale)
        L.manual_seed(3)
        total = n.log_prob(L.tensor([0.0, 1.0])).sum() + n.entropy().sum() + \
            n.rsample((3,)).sum() + \
            L.distributions.Categorical(logits=logits).log_prob(L.tensor([2, 0])).sum() + \
            L.distributions.Categorical(logits=logits).entropy().sum() + \
            L.distributions.Bernoulli(p).log_prob(L.tensor([1.0, 0.0])).sum() + \
            L.distributions.Bernoulli(p).entropy().sum() + \
            L.distributions.Uniform(low, 2.0).rsample((2,)).sum() + \
            L.distributions.Uniform(low, 2.0).entropy().sum()
        total.backward()
        return [x.grad for x in (loc, scale, logits, p, low)]
    for a, b in zip(run(loom), run(torch)):
        _close(a, b, rtol=1e-5)


def test_expand_and_enumerate_support():
    for name in ("normal_scalar", "bernoulli_scalar", "categorical_probs"):
        t, d = MAKERS[name](torch).expand((2, 3)), MAKERS[name](loom).expand((2, 3))
        assert tuple(d.batch_shape) == tuple(t.batch_shape)
        torch.manual_seed(1)
        loom.manual_seed(1)
        _close(d.sample(), t.sample())
    for name in ("categorical_logits", "bernoulli_probs"):
        _close(MAKERS[name](loom).enumerate_support(), MAKERS[name](torch).enumerate_support())
        _close(MAKERS[name](loom).enumerate_support(expand=False),
               MAKERS[name](torch).enumerate_support(expand=False))


def test_kl_divergence_matches_torch():
    pairs = [
        lambda L: (L.distributions.Normal(0., 1.), L.distributions.Normal(1., 2.)),
        lambda L: (L.distributions.Normal(L.tensor([0., 1.]), 1.),
                   L.distributions.Normal(1., L.tensor([2., 0.5]))),
        lambda L: (L.distributions.Categorical(L.tensor([0.2, 0.8])),
                   L.distributions.Categorical(logits=L.tensor([0.3, -0.2]))),
        lambda L: (L.distributions.Categorical(L.tensor([0.0, 1.0])),
                   L.distributions.Categorical(L.tensor([0.5, 0.5]))),
        lambda L: (L.distributions.Bernoulli(L.tensor([0.2, 0.0])),
                   L.distributions.Bernoulli(L.tensor([0.6, 0.5]))),
        lambda L: (L.distributions.Uniform(0., 1.), L.distributions.Uniform(-1., 2.)),
        lambda L: (L.distributions.Uniform(0., 1.), L.distributions.Uniform(0.5, 2.)),
    ]
    for make in pairs:
        _close(loom.distributions.kl_divergence(*make(loom)),
               torch.distributions.kl_divergence(*make(torch)), rtol=1e-5)
    with pytest.raises(NotImplementedError):
        loom.distributions.kl_divergence(*[loom.distributions.Normal(0., 1.),
                                           loom.distributions.Bernoulli(0.5)])


def _outcome(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e)
    return None


ERRORS = [
    lambda L: L.distributions.Normal(0., -1.),
    lambda L: L.distributions.Normal(L.tensor([0., 1.]), L.tensor([1., 0.])),
    lambda L: L.distributions.Normal(0., 1.).log_prob(L.tensor(float("nan"))),
    lambda L: L.distributions.Normal(0., 1.).log_prob(0.5),
    lambda L: L.distributions.Normal(L.zeros(3), 1.).log_prob(L.zeros(2)),
    lambda L: L.distributions.Categorical(L.tensor([0.2, -0.1])),
    lambda L: L.distributions.Categorical(probs=L.tensor([0.2, 0.8]), logits=L.tensor([0., 1.])),
    lambda L: L.distributions.Categorical(),
    lambda L: L.distributions.Categorical(L.tensor(0.5)),
    lambda L: L.distributions.Categorical(L.tensor([0.2, 0.8])).log_prob(L.tensor(2)),
    lambda L: L.distributions.Categorical(L.tensor([0.2, 0.8])).log_prob(L.tensor(1.5)),
    lambda L: L.distributions.Categorical(L.tensor([0.2, 0.8])).rsample(),
    lambda L: L.distributions.Bernoulli(L.tensor(1.5)),
    lambda L: L.distributions.Bernoulli(L.tensor(0.3)).log_prob(L.tensor(0.5)),
    lambda L: L.distributions.Uniform(1., 0.),
    lambda L: L.distributions.Uniform(0., 1.).log_prob(L.tensor(2.)),
    lambda L: L.distributions.Normal("a", 1.),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_validation_errors_match_torch(i):
    assert _outcome(lambda: ERRORS[i](loom)) == _outcome(lambda: ERRORS[i](torch))


def test_validation_can_be_turned_off_as_in_torch():
    for lib in (torch, loom):
        d = lib.distributions.Normal(0., -1., validate_args=False)
        assert math.isnan(d.log_prob(lib.tensor(0.)).item())
        u = lib.distributions.Uniform(0., 1., validate_args=False)
        assert u.log_prob(lib.tensor(2.)).item() == -math.inf
        lib.distributions.Distribution.set_default_validate_args(False)
        try:
            lib.distributions.Bernoulli(lib.tensor(1.5))
        finally:
            lib.distributions.Distribution.set_default_validate_args(True)


def test_independent_matches_torch():
    def make(L, n=1):
        return L.distributions.Independent(
            L.distributions.Normal(L.tensor([[0., 1., 2.], [-1., 0., 0.5]]),
                                   L.tensor([[1., 0.5, 2.], [1., 1., 0.3]])), n)
    for n in (0, 1, 2):
        t, d = make(torch, n), make(loom, n)
        assert repr(d) == repr(t) and repr(d.support) == repr(t.support)
        assert tuple(d.batch_shape) == tuple(t.batch_shape)
        assert tuple(d.event_shape) == tuple(t.event_shape)
        v = [[0.1, 0.2, 0.3], [1.0, -1.0, 0.0]]
        _close(d.log_prob(loom.tensor(v)), t.log_prob(torch.tensor(v)))
        _close(d.entropy(), t.entropy())
        for attr in ("mean", "mode", "variance"):
            _close(getattr(d, attr), getattr(t, attr))
        torch.manual_seed(2)
        loom.manual_seed(2)
        _close(d.rsample((4,)), t.rsample((4,)), rtol=1e-5)
    e = make(loom).expand((5, 2))
    assert tuple(e.batch_shape) == tuple(make(torch).expand((5, 2)).batch_shape)
    assert _outcome(lambda: make(loom, 3)) == _outcome(lambda: make(torch, 3))
    nan = [[float("nan")] * 3] * 2
    assert _outcome(lambda: make(loom).log_prob(loom.tensor(nan))) == \
        _outcome(lambda: make(torch).log_prob(torch.tensor(nan)))
