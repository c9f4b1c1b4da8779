"""`loom.utils`: data loading (`loom.utils.data`) and a progress bar for training loops
(`loom.utils.progress`)."""
from __future__ import annotations

from . import data
from .progress import progress

__all__ = ["data", "progress"]
