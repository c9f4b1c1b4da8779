"""`loom.optim.swa_utils`: stochastic weight averaging as `torch.optim.swa_utils` — a running
(or exponential) average of a model's parameters (`AveragedModel`), the learning rate that
anneals to a constant SWA rate (`SWALR`), and recomputing batch-norm statistics for the
averaged weights (`update_bn`). An averaged model is an `nn.Module`, so this module sits above
`loom.nn` (`loom.optim` loads it on first use)."""
from __future__ import annotations

import copy
import itertools
import math

import loom
from loom.nn import Module
from loom.nn.normalization import _BatchNorm

from .lr_scheduler import LRScheduler

__all__ = ["AveragedModel", "SWALR", "update_bn", "get_ema_avg_fn", "get_ema_multi_avg_fn",
           "get_swa_avg_fn", "get_swa_multi_avg_fn"]


def get_ema_avg_fn(decay: float = 0.999):
    """``decay * averaged + (1 - decay) * current``."""
    def ema_update(averaged, current, num_averaged):
        return decay * averaged + (1 - decay) * current
    return ema_update


def get_swa_avg_fn():
    """The equal-weight running mean: ``averaged + (current - averaged) / (n + 1)``."""
    def swa_update(averaged, current, num_averaged):
        return averaged + (current - averaged) / (num_averaged + 1)
    return swa_update


def get_ema_multi_avg_fn(decay: float = 0.999):
    """`get_ema_avg_fn` over lists of tensors, in place."""
    def ema_update(averaged, current, num_averaged):
        for a, c in zip(averaged, current):
            a.lerp_(c, 1 - decay)
    return ema_update


def get_swa_multi_avg_fn():
    """`get_swa_avg_fn` over lists of tensors, in place."""
    def swa_update(averaged, current, num_averaged):
        w = 1.0 / float(num_averaged + 1)
        for a, c in zip(averaged, current):
            a.lerp_(c, w)
    return swa_update


class AveragedModel(Module):
    """A copy of `model` whose parameters (and buffers, with `use_buffers`) are the average
    of those `update_parameters` has seen: equal weights by default, or `avg_fn` /
    `multi_avg_fn` (an exponential moving average from `get_ema_multi_avg_fn`)."""

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None,
                 use_buffers: bool = False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", loom.tensor(0, dtype=loom.long, device=device))
        self.avg_fn, self.multi_avg_fn, self.use_buffers = avg_fn, multi_avg_fn, use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def _tracked(self, model):
        return list(itertools.chain(model.parameters(), model.buffers())) if self.use_buffers \
            else list(model.parameters())

    def update_parameters(self, model) -> None:
        """Fold the current values of `model`'s parameters into the average."""
        mine, theirs = self._tracked(self.module), self._tracked(model)
        n = int(self.n_averaged.item())
        with loom.no_grad():
            current = [t.detach().to(a.device) for a, t in zip(mine, theirs)]
            if n == 0:
                for a, c in zip(mine, current):
                    a.copy_(c)
            elif self.avg_fn is not None:
                for a, c in zip(mine, current):
                    a.copy_(self.avg_fn(a.detach(), c, self.n_averaged.to(a.device)))
            elif self.multi_avg_fn is not None:
                self.multi_avg_fn([a.detach() for a in mine], current,
                                  self.n_averaged.to(mine[0].device) if mine else 0)
            else:  # the equal-weight mean, tensor by tensor (integer buffers truncate)
                avg = get_swa_avg_fn()
                for a, c in zip(mine, current):
                    a.copy_(avg(a.detach(), c, n))
            if not self.use_buffers:  # the buffers follow the model's
                for b, mb in zip(self.module.buffers(), model.buffers()):
                    b.copy_(mb.detach().to(b.device))
            self.n_averaged.add_(1)


def update_bn(loader, model, device=None) -> None:
    """Recompute the running statistics of every batch-norm layer of `model` over one pass
    of `loader` (a cumulative average, as with ``momentum=None``)."""
    momenta = {}
    for m in model.modules():
        if isinstance(m, _BatchNorm):
            m.reset_running_stats()
            momenta[m] = m.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for m in momenta:
        m.momentum = None
    with loom.no_grad():
        for batch in loader:
            if isinstance(batch, (list, tuple)):
                batch = batch[0]
            if device is not None:
                batch = batch.to(device)
            model(batch)
    for m, momentum in momenta.items():
        m.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's learning rate to its `swa_lr` over `anneal_epochs` steps (cosine or
    linear), then hold it."""

    def __init__(self, optimizer, swa_lr, anneal_epochs: int = 10, anneal_strategy: str = "cos",
                 last_epoch: int = -1):
        groups = optimizer.param_groups
        lrs = list(swa_lr) if isinstance(swa_lr, (list, tuple)) else [swa_lr] * len(groups)
        if len(lrs) != len(groups):
            raise ValueError(f"swa_lr must have the same length as optimizer.param_groups: "
                             f"swa_lr has {len(lrs)}, optimizer.param_groups has "
                             f"{len(groups)}")
        for lr, group in zip(lrs, groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must by one of 'cos' or 'linear', instead got "
                             f"{anneal_strategy}")
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" \
            else self._linear_anneal
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got "
                             f"{anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _start(lr, swa_lr, alpha):
        # the rate the annealing started from, recovered from the current one
        return swa_lr if alpha == 1 else (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self) -> list:
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        span = max(1, self.anneal_epochs)
        prev_alpha = self.anneal_func(max(0, min(1, (step - 1) / span)))
        alpha = self.anneal_func(max(0, min(1, step / span)))
        out = []
        for group in self.optimizer.param_groups:
            start = self._start(group["lr"], group["swa_lr"], prev_alpha)
            out.append(group["swa_lr"] * alpha + start * (1 - alpha))
        return out
