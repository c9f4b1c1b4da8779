"""`loom.optim`: optimizers and learning-rate schedules with `torch.optim`'s API and update
rules, written against loom's public API (plain tensors with ``requires_grad``, or any
module's ``parameters()``)."""
from __future__ import annotations

from . import lr_scheduler
from .adadelta import Adadelta, Adamax
from .adagrad import Adagrad
from .adam import Adam
from .adamw import AdamW
from .lbfgs import LBFGS
from .nadam import NAdam, RAdam
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax",
           "NAdam", "RAdam", "Rprop", "LBFGS", "lr_scheduler"]
