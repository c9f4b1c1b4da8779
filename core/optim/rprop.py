"""`loom.optim.Rprop`, step for step as `torch.optim.Rprop`."""
from __future__ import annotations

import loom

from .optimizer import Optimizer, _check_lr, _step_value

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """Resilient backpropagation: each weight's step size grows by ``etas[1]`` while its
    gradient keeps its sign and shrinks by ``etas[0]`` when it flips (that step is skipped);
    the update is ``-sign(g) * step_size``, sizes clamped to `step_sizes`."""

    def __init__(self, params, lr: float = 1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable: bool = False, foreach=None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        _check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        super().__init__(params, dict(lr=lr, etas=etas, step_sizes=step_sizes,
                                      foreach=foreach, maximize=maximize,
                                      differentiable=differentiable, capturable=capturable))

    def step(self, closure=None):
        """One Rprop step over every group; returns the closure's loss if one is given."""
        return self._run_step(self._group_step, closure)

    def _group_step(self, group) -> None:
        etaminus, etaplus = group["etas"]
        lo, hi = group["step_sizes"]
        for p, grad, state in self._params_with_grad(group):
            if not state:
                state["step"] = loom.tensor(0.0)
                state["prev"] = loom.zeros_like(p)
                state["step_size"] = loom.full_like(p, float(group["lr"]))
            g = -grad if group["maximize"] else grad
            _step_value(state)
            prev, step_size = state["prev"], state["step_size"]
            sign = g.mul(prev).sign()
            factor = loom.ones_like(sign).masked_fill_(sign > 0, etaplus)
            step_size.mul_(factor.masked_fill_(sign < 0, etaminus)).clamp_(lo, hi)
            g = loom.where(sign < 0, loom.zeros_like(g), g)
            p.addcmul_(g.sign(), step_size, value=-1)
            prev.copy_(g)
