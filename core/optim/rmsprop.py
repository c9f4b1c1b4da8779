"""`loom.optim.RMSprop`, step for step as `torch.optim.RMSprop` (centered and momentum
variants included)."""
from __future__ import annotations

import loom

from .optimizer import Optimizer, _check_lr, _check_range, _step_value

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop: ``v = alpha * v + (1 - alpha) * g^2``; the step divides the gradient by
    ``sqrt(v) + eps`` (by the standard deviation's estimate when `centered`), through a
    momentum buffer when `momentum` > 0."""

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False,
                 capturable: bool = False, foreach=None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        _check_lr(lr)
        _check_range("eps", eps, label="epsilon value")
        _check_range("momentum", momentum, label="momentum value")
        _check_range("weight_decay", weight_decay, label="weight_decay value")
        _check_range("alpha", alpha, label="alpha value")
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps,
                                      centered=centered, weight_decay=weight_decay,
                                      capturable=capturable, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable))

    def step(self, closure=None):
        """One RMSprop step over every group; returns the closure's loss if one is given."""
        return self._run_step(self._group_step, closure)

    def _group_step(self, group) -> None:
        lr, alpha, eps, wd = group["lr"], group["alpha"], group["eps"], group["weight_decay"]
        momentum, centered, maximize = group["momentum"], group["centered"], group["maximize"]
        for p, grad, state in self._params_with_grad(group):
            if not state:
                state["step"] = loom.tensor(0.0)
                state["square_avg"] = loom.zeros_like(p)
                if momentum > 0:
                    state["momentum_buffer"] = loom.zeros_like(p)
                if centered:
                    state["grad_avg"] = loom.zeros_like(p)
            g = -grad if maximize else grad
            _step_value(state)
            if wd != 0:
                g = g.add(p, alpha=wd)
            square_avg = state["square_avg"]
            # mul_/add_ rather than addcmul_/lerp_/addcdiv_: the same values to rounding, and
            # faster in loom (see Adam)
            square_avg.mul_(alpha).add_(g * g, alpha=1 - alpha)
            if centered:
                grad_avg = state["grad_avg"]
                grad_avg.mul_(alpha).add_(g, alpha=1 - alpha)
                avg = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
            else:
                avg = square_avg.sqrt()
            avg = avg.add_(eps)
            if momentum > 0:
                buf = state["momentum_buffer"]
                buf.mul_(momentum).add_(g / avg)
                p.add_(buf, alpha=-lr)
            else:
                p.add_(g / avg, alpha=-lr)
