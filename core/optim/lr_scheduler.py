"""`loom.optim.lr_scheduler`: learning-rate schedules over an optimizer's parameter groups, as
`torch.optim.lr_scheduler`. The base class and the first schedules are in `schedules`, the
further ones and the combinators in `lr_scheduler_more`; this module names them all."""
from __future__ import annotations

from .lr_scheduler_more import (ChainedScheduler, ConstantLR,  # noqa: F401
                                CosineAnnealingWarmRestarts, CyclicLR, LinearLR,
                                MultiplicativeLR, PolynomialLR, SequentialLR)
from .schedules import (CosineAnnealingLR, ExponentialLR, LambdaLR, LRScheduler,  # noqa: F401
                        MultiStepLR, OneCycleLR, ReduceLROnPlateau, StepLR, _LRScheduler)

__all__ = ["LRScheduler", "LambdaLR", "StepLR", "MultiStepLR", "ExponentialLR",
           "CosineAnnealingLR", "OneCycleLR", "ReduceLROnPlateau", "LinearLR", "ConstantLR",
           "MultiplicativeLR", "PolynomialLR", "CyclicLR", "CosineAnnealingWarmRestarts",
           "SequentialLR", "ChainedScheduler"]
