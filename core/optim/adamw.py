"""`loom.optim.AdamW`: Adam with decoupled weight decay (Loshchilov & Hutter), as
`torch.optim.AdamW`: the parameter shrinks by ``lr * weight_decay`` before the Adam update."""
from __future__ import annotations

from .adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    """Adam whose weight decay (default 1e-2) multiplies the parameter by
    ``1 - lr * weight_decay`` instead of adding to the gradient."""

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False,
                 foreach=None, capturable: bool = False, differentiable: bool = False,
                 fused=None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
