"""`loom.optim.Adadelta`, step for step as `torch.optim.Adadelta`."""
from __future__ import annotations

import loom

from .optimizer import Optimizer, _check_lr, _check_range, _step_value

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta: running averages (`rho`) of the squared gradient and of the squared update;
    the step is ``sqrt(acc_delta + eps) / sqrt(square_avg + eps) * g``, times `lr`."""

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
