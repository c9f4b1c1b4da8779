"""`loom.amp`: automatic mixed precision's names (``torch.amp``).

loom does not run operators in lower precision: `autocast` is a context manager (and
decorator) that keeps PyTorch's state -- `is_autocast_enabled`, `get_autocast_dtype`, its
checks and warnings -- while every operator inside it computes in its inputs' dtypes, as
under a disabled autocast. The first enabled autocast warns once that it changes no dtype.
`GradScaler` is PyTorch's loss scaler, working: on ``"cpu"`` it scales the loss, unscales
and checks the gradients, skips steps with inf/NaN gradients and adapts the scale; made for
``"cuda"`` (its default) on a machine without CUDA it warns and is disabled, as PyTorch's
is, so that ``scaler.scale(loss).backward(); scaler.step(opt); scaler.update()`` still
trains.
"""
from __future__ import annotations

from .autocast_mode import (autocast, custom_bwd, custom_fwd, get_autocast_dtype,
                            is_autocast_available, is_autocast_enabled, set_autocast_enabled)
from .grad_scaler import GradScaler, OptState

__all__ = ["autocast", "custom_bwd", "custom_fwd", "get_autocast_dtype", "GradScaler",
           "is_autocast_available", "is_autocast_enabled", "set_autocast_enabled", "OptState"]
