"""`loom.optim.Adagrad`, step for step as `torch.optim.Adagrad`."""
from __future__ import annotations

import loom

from .optimizer import Optimizer, _check_lr, _check_range, _step_value

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad: the sum of squared gradients divides each step,
    ``p -= clr * g / (sqrt(sum) + eps)`` with ``clr = lr / (1 + (step - 1) * lr_decay)``."""

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, foreach=None, *,
                 maximize: bool = False, differentiable: bool = False, fused=None) -> None:
        _check_lr(lr)
        _check_range("lr_decay", lr_decay, label="lr_decay value")
        _check_range("weight_decay", weight_decay, label="weight_decay value")
        _check_range("initial_accumulator_value", initial_accumulator_value,
                     label="initial_accumulator_value value")
        _check_range("eps", eps, label="epsilon value")
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps,
                                      weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      foreach=foreach, maximize=maximize,
                                      differentiable=differentiable, fused=fused))
        for group in self.param_groups:  # PyTorch makes Adagrad's state up front
            for p in group["params"]:
                self.state[p]["step"] = loom.tensor(0.0)
                self.state[p]["sum"] = loom.full_like(p, group["initial_accumulator_value"])

    def step(self, closure=None):
        """One Adagrad step over every group; returns the closure's loss if one is given."""
        return self._run_step(self._group_step, closure)

    def _group_step(self, group) -> None:
        lr, lr_decay, wd, eps = group["lr"], group["lr_decay"], group["weight_decay"], group["eps"]
        for p, grad, state in self._params_with_grad(group):
            g = -grad if group["maximize"] else grad
            step = _step_value(state)
            if wd != 0:
                g = g.add(p, alpha=wd)
            clr = lr / (1 + (step - 1) * lr_decay)
            # add_/div rather than addcmul_/addcdiv_: the same values, faster in loom (see Adam)
            state["sum"].add_(g * g)
            std = state["sum"].sqrt().add_(eps)
            p.add_(g / std, alpha=-clr)
