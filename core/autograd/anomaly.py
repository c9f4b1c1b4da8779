"""`detect_anomaly` and `set_detect_anomaly` (`torch.autograd.anomaly_mode`).

While anomaly mode is on, each recorded node keeps the stack of the forward call that made it,
and backward raises ``RuntimeError("Function 'XBackward0' returned nan values in its 0th
output.")`` when a node's gradient holds a NaN, after a warning showing that forward stack.
"""
from __future__ import annotations

import functools
import warnings

from ..anomaly import state

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled"]


def is_anomaly_enabled() -> bool:
    return state.enabled


def is_anomaly_check_nan_enabled() -> bool:
    return state.check_nan


class detect_anomaly:
    """Context manager and decorator that turns anomaly detection on for its block."""

    def __init__(self, check_nan: bool = True):
        self.prev = state.enabled
        self.check_nan = check_nan
        self.prev_check_nan = state.check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", stacklevel=2)

    def __enter__(self):
        state.enabled = True
        state.check_nan = self.check_nan

    def __exit__(self, *exc):
        state.enabled = self.prev
        state.check_nan = self.prev_check_nan
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__(self.check_nan):
                return fn(*args, **kwargs)
        return wrapper


class set_detect_anomaly:
    """Turn anomaly detection on or off: at once when called, and for the block as a context
    manager (restoring the previous setting after it)."""

    def __init__(self, mode: bool, check_nan: bool = True):
        self.prev = state.enabled
        self.prev_check_nan = state.check_nan
        state.enabled = bool(mode)
        state.check_nan = bool(check_nan)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        state.enabled = self.prev
        state.check_nan = self.prev_check_nan
        return False
