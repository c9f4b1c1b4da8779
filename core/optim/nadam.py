"""`loom.optim.NAdam` and `loom.optim.RAdam`, step for step as PyTorch's."""
from __future__ import annotations

import math

import loom

from .optimizer import Optimizer, _check_lr, _check_range, _step_value

__all__ = ["NAdam", "RAdam"]


def _adam_checks(lr, betas, eps, weight_decay):
    _check_lr(lr)
    _check_range("eps", eps, label="epsilon value")
    _check_range("betas", betas[0], high=1.0, label="beta parameter at index 0")
    _check_range("betas", betas[1], high=1.0, label="beta parameter at index 1")
    _check_range("weight_decay", weight_decay, label="weight_decay value")


def _decay(p, g, lr, wd, decoupled):
    if wd != 0:
        if decoupled:
            p.mul_(1 - lr * wd)
        else:
            g = g.add(p, alpha=wd)
    return g


class NAdam(Optimizer):
    """Adam with Nesterov momentum (Dozat), its momentum warmed up by `momentum_decay`."""

    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach=None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        _adam_checks(lr, betas, eps, weight_decay)
        _check_range("momentum_decay", momentum_decay, label="momentum_decay value")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize, foreach=foreach,
                                      capturable=capturable, differentiable=differentiable))

    def step(self, closure=None):
        """One NAdam step over every group; returns the closure's loss if one is given."""
        return self._run_step(self._group_step, closure)

    def _group_step(self, group) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        md = group["momentum_decay"]
        for p, grad, state in self._params_with_grad(group):
            if not state:
                state["step"] = loom.tensor(0.0)
                state["mu_product"] = loom.tensor(1.0)
                state["exp_avg"] = loom.zeros_like(p)
                state["exp_avg_sq"] = loom.zeros_like(p)
            g = -grad if group["maximize"] else grad
            step = _step_value(state)
            bias_correction2 = 1 - beta2 ** step
            g = _decay(p, g, lr, group["weight_decay"], group["decoupled_weight_decay"])
            mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * md)))
            mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * md)))
            mu_product = state["mu_product"]
            mu_product.mul_(mu)
            mu_prod = mu_product.item()
            exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
            exp_avg.mul_(beta1).add_(g, alpha=1 - beta1)
            exp_avg_sq.mul_(beta2).add_(g * g, alpha=1 - beta2)
            denom = exp_avg_sq.div(bias_correction2).sqrt().add_(eps)
            p.add_(g / denom, alpha=-lr * (1.0 - mu) / (1.0 - mu_prod))
            p.add_(exp_avg / denom, alpha=-lr * mu_next / (1.0 - mu_prod * mu_next))


class RAdam(Optimizer):
    """Rectified Adam: plain momentum SGD while the variance estimate is unreliable
    (``rho_t <= 5``), then Adam's step scaled by the rectification term."""

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 foreach=None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        _adam_checks(lr, betas, eps, weight_decay)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize, foreach=foreach,
                                      capturable=capturable,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      differentiable=differentiable))

    def step(self, closure=None):
        """One RAdam step over every group; returns the closure's loss if one is given."""
        return self._run_step(self._group_step, closure)

    def _group_step(self, group) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        for p, grad, state in self._params_with_grad(group):
            if not state:
                state["step"] = loom.tensor(0.0)
                state["exp_avg"] = loom.zeros_like(p)
                state["exp_avg_sq"] = loom.zeros_like(p)
            g = -grad if group["maximize"] else grad
            step = _step_value(state)
            g = _decay(p, g, lr, group["weight_decay"], group["decoupled_weight_decay"])
            exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
            exp_avg.mul_(beta1).add_(g, alpha=1 - beta1)
            exp_avg_sq.mul_(beta2).add_(g * g, alpha=1 - beta2)
            bias_correction1 = 1 - beta1 ** step
            bias_correction2 = 1 - beta2 ** step
            corrected = exp_avg / bias_correction1
            rho_inf = 2 / (1 - beta2) - 1
            rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
            if rho_t > 5.0:
                rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf /
                                 ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                adaptive = (bias_correction2 ** 0.5) / exp_avg_sq.sqrt().add_(eps)
                p.add_(corrected * lr * adaptive * rect, alpha=-1.0)
            else:
                p.add_(corrected * lr, alpha=-1.0)
