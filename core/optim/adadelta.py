"""`loom.optim.Adadelta` and `loom.optim.Adamax`, step for step as PyTorch's."""
from __future__ import annotations

import loom

from .optimizer import Optimizer, _check_lr, _check_range, _step_value

__all__ = ["Adadelta", "Adamax"]


class Adadelta(Optimizer):
    """Adadelta: running averages of the squared gradient and of the squared update;
    ``delta = sqrt(acc_delta + eps) / sqrt(square_avg + eps) * g``, ``p -= lr * delta``."""

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach=None, *, capturable: bool = False,
                 maximize: bool = False, differentiable: bool = False) -> None:
        _check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check_range("eps", eps, label="epsilon value")
        _check_range("weight_decay", weight_decay, label="weight_decay value")
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize, capturable=capturable,
                                      foreach=foreach, differentiable=differentiable))

    def step(self, closure=None):
        """One Adadelta step over every group; returns the closure's loss if one is given."""
        return self._run_step(self._group_step, closure)

    def _group_step(self, group) -> None:
        lr, rho, eps, wd = group["lr"], group["rho"], group["eps"], group["weight_decay"]
        for p, grad, state in self._params_with_grad(group):
            if not state:
                state["step"] = loom.tensor(0.0)
                state["square_avg"] = loom.zeros_like(p)
                state["acc_delta"] = loom.zeros_like(p)
            _step_value(state)
            g = -grad if group["maximize"] else grad
            if wd != 0:
                g = g.add(p, alpha=wd)
            square_avg, acc_delta = state["square_avg"], state["acc_delta"]
            square_avg.mul_(rho).add_(g * g, alpha=1 - rho)
            std = square_avg.add(eps).sqrt_()
            delta = acc_delta.add(eps).sqrt_().div_(std).mul_(g)
            acc_delta.mul_(rho).add_(delta * delta, alpha=1 - rho)
            p.add_(delta, alpha=-lr)


class Adamax(Optimizer):
    """Adamax: Adam with the infinity norm, ``u = max(beta2 * u, |g| + eps)``,
    ``p -= lr / (1 - beta1^t) * m / u``."""

    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, foreach=None, *, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        _check_lr(lr)
        _check_range("eps", eps, label="epsilon value")
        _check_range("betas", betas[0], high=1.0, label="beta parameter at index 0")
        _check_range("betas", betas[1], high=1.0, label="beta parameter at index 1")
        _check_range("weight_decay", weight_decay, label="weight_decay value")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      foreach=foreach, maximize=maximize,
                                      differentiable=differentiable, capturable=capturable))

    def step(self, closure=None):
        """One Adamax step over every group; returns the closure's loss if one is given."""
        return self._run_step(self._group_step, closure)

    def _group_step(self, group) -> None:
        lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], \
            group["weight_decay"]
        for p, grad, state in self._params_with_grad(group):
            if not state:
                state["step"] = loom.tensor(0.0)
                state["exp_avg"] = loom.zeros_like(p)
                state["exp_inf"] = loom.zeros_like(p)
            g = -grad if group["maximize"] else grad
            step = _step_value(state)
            if wd != 0:
                g = g.add(p, alpha=wd)
            exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
            exp_avg.mul_(beta1).add_(g, alpha=1 - beta1)
            loom.maximum(exp_inf.mul_(beta2), g.abs().add_(eps), out=exp_inf)
            p.add_(exp_avg / exp_inf, alpha=-lr / (1 - beta1 ** step))
