"""`loom.optim.NAdam`, step for step as `torch.optim.NAdam`."""
from __future__ import annotations

import loom

from .adamax import _check_betas
from .optimizer import Optimizer, _check_lr, _check_range, _step_value

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """Adam with Nesterov momentum and a momentum schedule
    ``mu_t = beta1 (1 - 0.5 * 0.96^(t momentum_decay))``; `decoupled_weight_decay` makes it
    NAdamW."""

    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach=None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False) -> None:
        _check_lr(lr)
        _check_range("eps", eps, label="epsilon value")
        _check_betas(betas)
        _check_range("weight_decay", weight_decay, label="weight_decay value")
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
        lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], \
            group["weight_decay"]
        md = group["momentum_decay"]
        for p, grad, state in self._params_with_grad(group):
            if not state:
                state["step"] = loom.tensor(0.0)
                state["mu_product"] = loom.tensor(1.0)   # float32, as PyTorch's
                state["exp_avg"] = loom.zeros_like(p)
                state["exp_avg_sq"] = loom.zeros_like(p)
            g = -grad if group["maximize"] else grad
            step = _step_value(state)
            bias_correction2 = 1 - beta2 ** step
            if wd != 0:
                if group["decoupled_weight_decay"]:
                    p.mul_(1 - lr * wd)
                else:
                    g = g.add(p, alpha=wd)
            mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * md))
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * md))
            mu_product = state["mu_product"]
            mu_product.mul_(mu)
            exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
            exp_avg.lerp_(g, 1 - beta1)
            exp_avg_sq.mul_(beta2).add_(g * g, alpha=1 - beta2)
            denom = exp_avg_sq.div(bias_correction2).sqrt()
            mp = mu_product.item()
            mu_product_next = mp * mu_next
            denom.add_(eps)
            p.add_(g / denom, alpha=-lr * (1.0 - mu) / (1.0 - mp))
            p.add_(exp_avg / denom, alpha=-lr * mu_next / (1.0 - mu_product_next))
