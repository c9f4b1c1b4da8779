"""`F.ctc_loss` and `nn.CTCLoss`: connectionist temporal classification, the per-sample loss
from the ``ctc_loss`` operator of ops_nn (its backward is PyTorch's), reduced as PyTorch
reduces it ('mean' divides each loss by its target length first)."""
from __future__ import annotations

import loom
from loom.plugin import registry as _registry

from .loss import _Loss

__all__ = ["ctc_loss", "CTCLoss"]


def _lengths(x, device):
    if isinstance(x, loom.Tensor):
        return x
    return loom.tensor(list(x) if isinstance(x, (list, tuple)) else [x], dtype=loom.int64,
                       device=device)


def _softmax_term(op, log_probs, targets, il, tl, blank, zero_infinity):
    """Zero, with gradient ``exp(log_probs)`` at each sample's time steps: PyTorch's ctc_loss
    gradient is the derivative plus this term (the gradient for log-softmax inputs, whose
    normalisation then cancels it)."""
    steps = loom.arange(log_probs.shape[0], device=log_probs.device).unsqueeze(1)
    live = steps < il.unsqueeze(0)                                   # (T, N)
    if zero_infinity:   # PyTorch gives no gradient to the samples it zeroes
        with loom.no_grad():
            raw = op(log_probs, targets, il, tl, blank=blank, zero_infinity=False)
        live = live & ~loom.isinf(raw).unsqueeze(0)
    e = (loom.exp(log_probs) * live.unsqueeze(-1).to(log_probs.dtype)).sum((0, 2))
    return e - e.detach()


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False):
    """CTC loss of `log_probs` (T, N, C) or unbatched (T, C) against `targets` (N, S) padded,
    or all targets concatenated (sum(target_lengths),)."""
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    unbatched = log_probs.dim() == 2
    if unbatched:
        log_probs = log_probs.unsqueeze(1)
        targets = targets.unsqueeze(0)
    il = _lengths(input_lengths, log_probs.device).reshape(-1)
    tl = _lengths(target_lengths, log_probs.device).reshape(-1)
    op = _registry.get("ctc_loss").call
    loss = op(log_probs, targets, il, tl, blank=blank, zero_infinity=zero_infinity)
    if loss.requires_grad:
        loss = loss + _softmax_term(op, log_probs, targets, il, tl, blank, zero_infinity)
    if reduction == "mean":
        return (loss / loom.clamp(tl.to(loss.dtype), min=1)).mean()
    if reduction == "sum":
        return loss.sum()
    return loss.squeeze(0) if unbatched else loss


class CTCLoss(_Loss):
    """`ctc_loss` with its blank index, reduction and `zero_infinity`."""

    __constants__ = ["blank", "reduction"]

    def __init__(self, blank: int = 0, reduction: str = "mean",
                 zero_infinity: bool = False) -> None:
        super().__init__(reduction=reduction)
        self.blank, self.zero_infinity = blank, zero_infinity

    def forward(self, log_probs, targets, input_lengths, target_lengths):
        return ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank,
                        self.reduction, self.zero_infinity)
