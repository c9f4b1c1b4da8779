"""`loom.optim.Adam`: Adam (and AMSGrad), step for step as `torch.optim.Adam`; `AdamW` is Adam
with decoupled weight decay (adamw.py)."""
from __future__ import annotations

import math

import loom

from .optimizer import Optimizer, _check_lr, _check_range, _step_value

__all__ = ["Adam"]


class Adam(Optimizer):
    """Adam: moving averages ``m`` of the gradient and ``v`` of its square (``betas``),
    bias-corrected; ``p -= lr * m_hat / (sqrt(v_hat) + eps)``. `amsgrad` keeps the maximum of
    ``v``; `weight_decay` adds ``wd * p`` to the gradient (L2), or, with
    `decoupled_weight_decay` (AdamW), shrinks ``p`` by ``lr * wd`` first."""

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, foreach=None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused=None,
                 decoupled_weight_decay: bool = False) -> None:
        _check_lr(lr)
        _check_range("eps", eps, label="epsilon value")
        _check_range("betas", betas[0], high=1.0, label="beta parameter at index 0")
        _check_range("betas", betas[1], high=1.0, label="beta parameter at index 1")
        _check_range("weight_decay", weight_decay, label="weight_decay value")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize, foreach=foreach,
                                      capturable=capturable, differentiable=differentiable,
                                      fused=fused,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def step(self, closure=None):
        """One Adam step over every group; returns the closure's loss if one is given."""
        return self._run_step(self._group_step, closure)

    def _group_step(self, group) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        wd, amsgrad, maximize = group["weight_decay"], group["amsgrad"], group["maximize"]
        decoupled = group.get("decoupled_weight_decay", False)
        for p, grad, state in self._params_with_grad(group):
            if not state:
                state["step"] = loom.tensor(0.0)
                state["exp_avg"] = loom.zeros_like(p)
                state["exp_avg_sq"] = loom.zeros_like(p)
                if amsgrad:
                    state["max_exp_avg_sq"] = loom.zeros_like(p)
            g = -grad if maximize else grad
            if wd != 0:
                if decoupled:
                    p.mul_(1 - lr * wd)
                else:
                    g = g.add(p, alpha=wd)
            exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
            # PyTorch's lerp_/addcmul_ written as mul_ and add_: the same values to rounding,
            # and loom's fused lerp_/addcmul_/addcdiv_ kernels are several times slower than
            # these passes on large parameters (the optimizer-step timings in the report)
            exp_avg.mul_(beta1).add_(g, alpha=1 - beta1)
            exp_avg_sq.mul_(beta2).add_(g * (g.conj() if g.is_complex() else g),
                                        alpha=1 - beta2)
            step = _step_value(state)
            bias_correction1 = 1 - beta1 ** step
            bias_correction2_sqrt = math.sqrt(1 - beta2 ** step)
            if amsgrad:
                loom.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
                second = state["max_exp_avg_sq"]
            else:
                second = exp_avg_sq
            denom = (second.sqrt() / bias_correction2_sqrt).add_(eps)
            p.add_(exp_avg / denom, alpha=-lr / bias_correction1)
