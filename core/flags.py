"""Process-wide settings PyTorch code sets and reads: thread counts, deterministic
algorithms, float32 matmul precision, and `compile`. loom's kernels are NumPy's (always
deterministic, threads chosen by its BLAS), so these record what was asked and report it back;
`compile` hands its function or module back unchanged, which computes the same results."""
from __future__ import annotations

import warnings

__all__ = ["set_num_threads", "get_num_threads", "set_num_interop_threads",
           "get_num_interop_threads", "use_deterministic_algorithms",
           "are_deterministic_algorithms_enabled", "is_deterministic_algorithms_warn_only_enabled",
           "set_deterministic_debug_mode", "get_deterministic_debug_mode",
           "set_float32_matmul_precision", "get_float32_matmul_precision", "compile"]

_state = {"threads": 1, "interop": 1, "deterministic": False, "warn_only": False,
          "precision": "highest"}


def _positive(name, n):
    if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
        raise RuntimeError(f"{name} expects a positive integer")
    return n


def set_num_threads(int) -> None:  # noqa: A002 - PyTorch's parameter name
    """Record the intra-op thread count (NumPy's BLAS keeps its own)."""
    _state["threads"] = _positive("set_num_threads", int)


def get_num_threads() -> int:
    return _state["threads"]


def set_num_interop_threads(int) -> None:  # noqa: A002
    _state["interop"] = _positive("set_num_interop_threads", int)


def get_num_interop_threads() -> int:
    return _state["interop"]


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Record the request; loom's kernels are deterministic whatever it is."""
    if not isinstance(mode, bool):
        raise TypeError(f"use_deterministic_algorithms expects a bool, but got "
                        f"{type(mode).__name__}")
    _state["deterministic"], _state["warn_only"] = mode, bool(warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    return _state["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _state["warn_only"]


def set_deterministic_debug_mode(debug_mode) -> None:
    modes = {"default": 0, "warn": 1, "error": 2}
    mode = modes.get(debug_mode, debug_mode) if isinstance(debug_mode, str) else debug_mode
    if mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected one of `default`, `warn`, "
                           f"`error`, but got {debug_mode}")
    use_deterministic_algorithms(mode > 0, warn_only=mode == 1)


def get_deterministic_debug_mode() -> int:
    return 0 if not _state["deterministic"] else 1 if _state["warn_only"] else 2


def set_float32_matmul_precision(precision: str) -> None:
    """Record 'highest', 'high' or 'medium' (loom's float32 matmul is NumPy's, always full)."""
    if precision not in ("highest", "high", "medium"):
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      f"setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    _state["precision"] = precision


def get_float32_matmul_precision() -> str:
    return _state["precision"]


def compile(model=None, **options):  # noqa: A001 - PyTorch's name
    """`model` (a function or module) as it is: loom runs it eagerly, with the results a
    compiled one gives. Works bare and as ``@compile(...)``."""
    if model is None:
        return lambda m: m
    return model
