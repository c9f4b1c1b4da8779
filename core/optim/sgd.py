"""`loom.optim.SGD`: stochastic gradient descent with momentum, dampening, Nesterov momentum,
weight decay and maximize, step for step as `torch.optim.SGD`."""
from __future__ import annotations

import loom

from .optimizer import Optimizer, _check_lr, _check_range

__all__ = ["SGD"]


class SGD(Optimizer):
    """SGD: ``g = grad (+ weight_decay * p)``; with momentum ``b = momentum * b +
    (1 - dampening) * g`` (``b = g`` on the first step) and ``g = b``, or ``g + momentum * b``
    with `nesterov`; then ``p -= lr * g`` (``+=`` when `maximize`)."""

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach=None, differentiable: bool = False, fused=None) -> None:
        _check_lr(lr)
        _check_range("momentum", momentum, label="momentum value")
        _check_range("weight_decay", weight_decay, label="weight_decay value")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize, foreach=foreach,
                                      differentiable=differentiable, fused=fused))

    def step(self, closure=None):
        """One SGD step over every group; returns the closure's loss if one is given."""
        return self._run_step(self._group_step, closure)

    def _group_step(self, group) -> None:
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        wd, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
        for p, grad, state in self._params_with_grad(group, momentum != 0):
            g = -grad if maximize else grad
            if wd != 0:
                g = g.add(p, alpha=wd)
            if momentum != 0:
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = g.clone().detach()
                else:
                    buf.mul_(momentum)
                    # alpha=1 (no dampening, the common case) skips a scaled copy of g
                    buf.add_(g) if dampening == 0 else buf.add_(g, alpha=1 - dampening)
                g = g.add(buf, alpha=momentum) if nesterov else buf
            p.add_(g, alpha=-lr)
