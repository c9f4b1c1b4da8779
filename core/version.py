"""`loom.version`: what this build is (``torch.version``). loom is a CPU library with no CUDA
or ROCm toolkit, so `cuda` and `hip` are None, as in PyTorch's CPU build."""
from __future__ import annotations

__all__ = ["__version__", "cuda", "hip", "debug", "git_version"]

__version__ = "0.1.0"
cuda = None
hip = None
debug = False
git_version = "Unknown"
