"""`loom.utils`: data loading (`loom.utils.data`), activation checkpointing
(`loom.utils.checkpoint`) and a progress bar for training loops (`loom.utils.progress`)."""
from __future__ import annotations

from . import checkpoint, data
from .progress import progress

__all__ = ["checkpoint", "data", "progress"]
