"""`loom.optim`: optimizers and learning-rate schedules with `torch.optim`'s API and update
rules, written against loom's public API (plain tensors with ``requires_grad``, or any
module's ``parameters()``)."""
from __future__ import annotations

from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .lbfgs import LBFGS
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD
from .sparse_adam import SparseAdam

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax",
           "NAdam", "RAdam", "Rprop", "LBFGS", "SparseAdam", "lr_scheduler", "swa_utils"]


def __getattr__(name):
    # swa_utils builds on loom.nn, which sits above loom.optim: loaded on first use
    if name == "swa_utils":
        import importlib
        return importlib.import_module(".swa_utils", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
