"""`loom.special` against ``torch.special``: values, dtypes and gradients."""
import numpy as np
import pytest
import torch

import loom

rng = np.random.default_rng(0)
_X = rng.uniform(-3, 3, size=(4, 5))
_POS = rng.uniform(0.1, 5, size=(4, 5))
_UNIT = rng.uniform(0.05, 0.95, size=(4, 5))

UNARY = {  # name -> input
    "expit": _X, "logit": _UNIT, "erf": _X, "erfc": _X, "erfinv": _UNIT * 2 - 1,
    "gammaln": _POS, "digamma": _POS, "psi": _POS, "sinc": _X, "log1p": _POS, "expm1": _X,
    "exp2": _X, "round": _X * 3, "ndtr": _X * 4, "entr": np.concatenate([_POS, -_POS[:1]]),
    "log_ndtr": np.concatenate([_X * 4, [[-9.99, -10.0, -10.01, -25.0, -40.0]]]),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_matches_torch_with_gradient(name, dtype):
    a = UNARY[name].astype(dtype)
    t = torch.tensor(a, requires_grad=True)
    x = loom.tensor(a, requires_grad=True)
    ty, y = getattr(torch.special, name)(t), getattr(loom.special, name)(x)
    assert y.dtype == getattr(loom, dtype)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), **tol)
    if name == "round":
        return
    g = rng.standard_normal(a.shape).astype(dtype)
    ty.backward(torch.tensor(g))
    y.backward(loom.tensor(g))
    if name in ("digamma", "psi", "log_ndtr"):  # trigamma (loom's to 1e-9), float32 rounding
        tol = dict(rtol=1e-4 if dtype == "float32" else 1e-8, atol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), **tol)


def test_entr_special_values_and_their_gradients():
    a = [float("nan"), -1.0, 0.0, 1.0, 2.0]
    t, x = torch.tensor(a, requires_grad=True), loom.tensor(a, requires_grad=True)
    assert str(loom.special.entr(x).detach()) == str(torch.special.entr(t).detach())
    torch.special.entr(t).sum().backward()
    loom.special.entr(x).sum().backward()
    assert str(x.grad) == str(t.grad)


def test_integer_inputs_give_the_default_float():
    for name in ("ndtr", "entr", "log_ndtr", "expit"):
        y = getattr(loom.special, name)(loom.tensor([1, 2]))
        ty = getattr(torch.special, name)(torch.tensor([1, 2]))
        assert str(y.dtype) == str(ty.dtype)
        np.testing.assert_allclose(y.numpy(), ty.numpy(), rtol=1e-6)


def test_functions_with_more_arguments():
    a, b = _POS.astype("float32"), _X.astype("float32")
    cases = [
        lambda L: L.special.xlogy(L.tensor(a), L.tensor(a)),
        lambda L: L.special.xlog1py(L.tensor(b), L.tensor(a)),
        lambda L: L.special.xlog1py(L.tensor([0., 0., 1.]), L.tensor([float("nan"), 1., -2.])),
        lambda L: L.special.xlog1py(2, L.tensor([1.])),
        lambda L: L.special.polygamma(2, L.tensor(a)),
        lambda L: L.special.softmax(L.tensor(b), 1),
        lambda L: L.special.log_softmax(L.tensor(b), dim=0),
        lambda L: L.special.logsumexp(L.tensor(b), 1, keepdim=True),
        lambda L: L.special.logit(L.tensor(b), eps=1e-3),
        lambda L: L.special.round(L.tensor(b), decimals=1),
        lambda L: L.special.multigammaln(L.tensor(a) + 2, 3),
        lambda L: L.special.multigammaln(L.tensor([3., 4.]), 8),
    ]
    for c in cases:
        np.testing.assert_allclose(c(loom).numpy(), c(torch).numpy(), rtol=1e-5, atol=1e-6)


def test_xlog1py_and_multigammaln_gradients():
    a = _POS.astype("float64")
    for f in (lambda L, t: L.special.xlog1py(t, t * 2),
              lambda L, t: L.special.multigammaln(t + 2, 4)):
        t, x = torch.tensor(a, requires_grad=True), loom.tensor(a, requires_grad=True)
        f(torch, t).sum().backward()
        f(loom, x).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-10)


def test_errors():
    with pytest.raises(RuntimeError, match="p has to be greater than or equal to 1"):
        loom.special.multigammaln(loom.tensor([3.0]), 0)


def test_a_function_without_an_operator_says_so():
    with pytest.raises(Exception, match="no operator named 'special_zeta'"):
        loom.special.zeta
    assert "expit" in dir(loom.special)
