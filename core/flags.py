"""Process-wide switches PyTorch scripts set at the top: determinism, thread counts, float32
matmul precision, and the ``loom.backends.<name>`` flag namespaces (``cudnn.benchmark``,
``mps.is_available()``, ...).

loom runs its CPU kernels through NumPy, which is deterministic for a given input and thread
count, so the determinism switches are recorded and answered, never acted on; the thread
counts are recorded for the scripts that read them back (NumPy's BLAS keeps its own pool).
The backend namespaces describe a build without CUDA, cuDNN or MPS, as PyTorch's CPU build
does: their flags are plain attributes a script may set.
"""
from __future__ import annotations

import contextlib
import os
import types

__all__ = ["use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
           "is_deterministic_algorithms_warn_only_enabled", "set_deterministic_debug_mode",
           "get_deterministic_debug_mode", "set_num_threads", "get_num_threads",
           "set_num_interop_threads", "get_num_interop_threads",
           "set_float32_matmul_precision", "get_float32_matmul_precision", "backend_flags"]

_state = {"deterministic": False, "warn_only": False,
          "threads": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
          else (os.cpu_count() or 1),
          "interop": None, "matmul_precision": "highest"}
_state["interop"] = _state["threads"]


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Ask for deterministic algorithms (``torch.use_deterministic_algorithms``). loom's
    operators are deterministic already; the setting is recorded and read back."""
    if not isinstance(mode, bool):
        raise TypeError("_set_deterministic_algorithms(): argument 'mode' (position 1) must "
                        f"be bool, not {type(mode).__name__}")
    if not isinstance(warn_only, bool):
        raise TypeError("_set_deterministic_algorithms(): argument 'warn_only' must be bool, "
                        f"not {type(warn_only).__name__}")
    _state["deterministic"], _state["warn_only"] = mode, warn_only


def are_deterministic_algorithms_enabled() -> bool:
    """Whether `use_deterministic_algorithms(True)` is in force."""
    return _state["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """Whether `use_deterministic_algorithms` was called with ``warn_only=True``."""
    return _state["warn_only"]


_DEBUG_MODES = {"default": 0, "warn": 1, "error": 2}


def set_deterministic_debug_mode(debug_mode) -> None:
    """0/"default": off; 1/"warn": deterministic, warn only; 2/"error": deterministic."""
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError("invalid value of debug_mode, expected one of `default`, "
                               f"`warn`, `error`, but got {debug_mode}")
        debug_mode = _DEBUG_MODES[debug_mode]
    elif not isinstance(debug_mode, int) or isinstance(debug_mode, bool):
        raise TypeError("debug_mode must be str or int, but got "
                        f"{type(debug_mode).__name__}")
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got "
                           f"{debug_mode}")
    use_deterministic_algorithms(debug_mode != 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode() -> int:
    """2 if deterministic algorithms are on, 1 if on with ``warn_only``, else 0."""
    if not _state["deterministic"]:
        return 0
    return 1 if _state["warn_only"] else 2


def _positive(name: str, n) -> int:
    if not isinstance(n, int) or isinstance(n, bool):
        raise RuntimeError(f"{name} expects an int, but got {type(n).__name__}")
    if n <= 0:
        raise RuntimeError(f"{name} expects a positive integer")
    return n


def set_num_threads(int) -> None:  # noqa: A002 (PyTorch's parameter name)
    """Record the number of intra-op threads (``torch.set_num_threads``)."""
    _state["threads"] = _positive("set_num_threads", int)


def get_num_threads() -> int:
    """The number of intra-op threads: the CPUs this process may run on, or what
    `set_num_threads` set."""
    return _state["threads"]


def set_num_interop_threads(int) -> None:  # noqa: A002
    """Record the number of inter-op threads (``torch.set_num_interop_threads``)."""
    _state["interop"] = _positive("set_num_interop_threads", int)


def get_num_interop_threads() -> int:
    """The number of inter-op threads."""
    return _state["interop"]


def set_float32_matmul_precision(precision: str) -> None:
    """"highest", "high" or "medium" (``torch.set_float32_matmul_precision``): recorded; loom's
    float32 matmuls run in float32 whatever it says. Another value warns and changes
    nothing, as in PyTorch."""
    if precision not in ("highest", "high", "medium"):
        import warnings
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current "
                      "setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    _state["matmul_precision"] = precision


def get_float32_matmul_precision() -> str:
    """What `set_float32_matmul_precision` set ("highest" by default)."""
    return _state["matmul_precision"]


def _false() -> bool:
    return False


def _namespace(name: str, doc: str, **attrs) -> types.ModuleType:
    mod = types.ModuleType(f"loom.backends.{name}", doc)
    mod.__dict__.update(attrs)

    @contextlib.contextmanager
    def flags(**kw):
        """The switches set to `kw` within the block, restored after it."""
        before = {k: getattr(mod, k) for k in kw}
        mod.__dict__.update(kw)
        try:
            yield
        finally:
            mod.__dict__.update(before)
    mod.flags = flags
    return mod


def backend_flags() -> dict:
    """The ``loom.backends`` flag namespaces, fresh (the backends module holds the one set)."""
    matmul = types.SimpleNamespace(allow_tf32=False, allow_fp16_reduced_precision_reduction=True,
                                   allow_bf16_reduced_precision_reduction=True)
    return {
        "cudnn": _namespace(
            "cudnn", "cuDNN's switches: no cuDNN in this build (`is_available()` is False); "
                     "`deterministic`, `benchmark`, `enabled`, `allow_tf32` are settable.",
            is_available=_false, version=lambda: None, deterministic=False, benchmark=False,
            enabled=True, allow_tf32=True, benchmark_limit=10),
        "cuda": _namespace(
            "cuda", "CUDA's switches: this build has no CUDA (`is_built()` is False).",
            is_built=_false, matmul=matmul, flash_sdp_enabled=lambda: True,
            mem_efficient_sdp_enabled=lambda: True, math_sdp_enabled=lambda: True),
        "mps": _namespace("mps", "Apple's Metal: not in this build.",
                          is_available=_false, is_built=_false),
        "mkldnn": _namespace("mkldnn", "oneDNN: not used by loom.", is_available=_false,
                             enabled=True),
        "openmp": _namespace("openmp", "OpenMP: not used by loom.", is_available=_false),
        "mkl": _namespace("mkl", "Intel MKL: not used by loom.", is_available=_false),
        "cpu": _namespace("cpu", "The CPU.", get_cpu_capability=lambda: "DEFAULT"),
    }
