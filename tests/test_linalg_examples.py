"""Two worked examples, differentiated end to end and compared with PyTorch step by step:

- a least-squares fit by variable projection: for a frequency w, the amplitudes of
  a sin(w t) + b cos(w t) + c come from `linalg.lstsq`; w itself is fitted by gradient descent
  on the residual, its gradient flowing through the least-squares solution;
- a Gaussian process: the negative log-likelihood of the data under an RBF kernel (through
  `linalg.cholesky`, `cholesky_solve` and `logdet`) minimised over the kernel's
  hyperparameters (log signal scale, log length scale, log noise) by gradient descent.
"""
from __future__ import annotations

import math

import numpy as np

import loom

from oracle import torch


def _data():
    rng = np.random.default_rng(11)
    t = np.sort(rng.uniform(0.0, 6.0, 40))
    y = 1.7 * np.sin(1.3 * t) - 0.4 * np.cos(1.3 * t) + 0.5 + 0.05 * rng.standard_normal(40)
    return t, y


def _fit_frequency(lib, steps=40, lr=0.002):
    t_np, y_np = _data()
    t, y = lib.tensor(t_np), lib.tensor(y_np)
    w = lib.tensor(1.2, dtype=lib.float64, requires_grad=True)
    history = []
    for _ in range(steps):
        design = lib.stack([lib.sin(w * t), lib.cos(w * t), lib.ones_like(t)], dim=1)
        coef = lib.linalg.lstsq(design, y[:, None]).solution
        loss = ((design @ coef - y[:, None]) ** 2).sum()
        (g,) = lib.autograd.grad(loss, [w])
        history.append((loss.item(), g.item()))
        with lib.no_grad():
            w -= lr * g
    return history, w.item(), coef.detach().numpy()


def test_least_squares_fit_of_a_frequency_matches_pytorch():
    (lh, lw, lc), (th, tw, tc) = _fit_frequency(loom), _fit_frequency(torch)
    np.testing.assert_allclose(np.array(lh), np.array(th), rtol=1e-8, atol=1e-10)
    assert abs(lw - tw) < 1e-9
    np.testing.assert_allclose(lc, tc, rtol=1e-8)
    assert lh[-1][0] < 0.2 * lh[0][0]  # the fit improved
    assert abs(lw - 1.3) < 0.05        # and found the frequency


def _gp_data():
    rng = np.random.default_rng(5)
    x = np.sort(rng.uniform(-3.0, 3.0, 25))
    y = np.sin(2.0 * x) + 0.1 * rng.standard_normal(25)
    return x, y


def gp_nll(lib, x, y, log_scale, log_length, log_noise):
    """-log p(y | x) under a zero-mean GP with an RBF kernel and Gaussian noise."""
    d = x[:, None] - x[None, :]
    k = lib.exp(2 * log_scale) * lib.exp(-0.5 * d ** 2 / lib.exp(2 * log_length))
    k = k + lib.exp(2 * log_noise) * lib.eye(x.shape[0], dtype=x.dtype)
    chol = lib.linalg.cholesky(k)
    alpha = lib.cholesky_solve(y[:, None], chol)
    n = x.shape[0]
    return 0.5 * (y[:, None] * alpha).sum() + 0.5 * lib.logdet(k) + 0.5 * n * math.log(2 * math.pi)


def _optimise_gp(lib, steps=60, lr=0.02):
    x_np, y_np = _gp_data()
    x, y = lib.tensor(x_np), lib.tensor(y_np)
    params = [lib.tensor(v, dtype=lib.float64, requires_grad=True) for v in (0.0, 0.0, -1.0)]
    history = []
    for _ in range(steps):
        loss = gp_nll(lib, x, y, *params)
        grads = lib.autograd.grad(loss, params)
        history.append([loss.item()] + [g.item() for g in grads])
        with lib.no_grad():
            for p, g in zip(params, grads):
                p -= lr * g
    return np.array(history), [p.item() for p in params]


def test_gaussian_process_hyperparameters_optimised_as_in_pytorch():
    (lh, lp), (th, tp) = _optimise_gp(loom), _optimise_gp(torch)
    np.testing.assert_allclose(lh, th, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(lp, tp, rtol=1e-8)
    assert lh[-1, 0] < lh[0, 0] - 5  # the likelihood improved markedly


def test_gaussian_process_nll_second_derivatives_match_pytorch():
    # the Hessian of the NLL in the hyperparameters, as a Newton step would use it
    def hessian(lib):
        x_np, y_np = _gp_data()
        x, y = lib.tensor(x_np), lib.tensor(y_np)
        params = [lib.tensor(v, dtype=lib.float64, requires_grad=True) for v in (0.1, -0.2, -1.5)]
        grads = lib.autograd.grad(gp_nll(lib, x, y, *params), params, create_graph=True)
        return np.array([[h.item() for h in lib.autograd.grad(g, params, retain_graph=True)]
                         for g in grads])
    np.testing.assert_allclose(hessian(loom), hessian(torch), rtol=1e-8, atol=1e-9)
