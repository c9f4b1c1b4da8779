"""`loom.autocast`: PyTorch's autocast state without lower-precision kernels (see
`loom.amp`)."""
from __future__ import annotations

import functools
import threading
import warnings

import loom

__all__ = ["autocast", "custom_bwd", "custom_fwd", "get_autocast_dtype",
           "is_autocast_available", "is_autocast_enabled", "set_autocast_enabled"]

# PyTorch's device types (its error lists them)
_DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip",
                 "ve", "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia",
                 "privateuseone")
_DEFAULT_DTYPES = {"cpu": "bfloat16"}
_state = threading.local()
_warned = []


def _states() -> dict:
    s = getattr(_state, "d", None)
    if s is None:
        s = _state.d = {}
    return s


def _check_type(device_type: str) -> None:
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    t = device_type.split(":")[0]
    if t not in _DEVICE_TYPES and t not in _backend_types():
        raise RuntimeError(f"Expected one of {', '.join(_DEVICE_TYPES)} device type at start of "
                           f"device string: {device_type}")


def _backend_types():
    from loom.backends import backends
    return tuple(backends)


def is_autocast_available(device_type: str) -> bool:
    """Whether autocast accepts `device_type` (PyTorch: cpu, cuda and a few others)."""
    return device_type in ("cpu", "cuda", "xpu", "hpu", "mps", "mtia", "xla", "ipu", "maia") \
        or device_type in _backend_types()


def is_autocast_enabled(device_type: str = "cuda") -> bool:
    """Whether an enabled autocast of `device_type` is in force (no argument: CUDA's, as
    PyTorch)."""
    return _states().get(device_type, (False, None))[0]


def set_autocast_enabled(device_type, enabled=None) -> None:
    """Switch autocast's state for `device_type` (``set_autocast_enabled(True)``: CUDA's)."""
    if enabled is None:
        device_type, enabled = "cuda", device_type
    _states()[device_type] = (bool(enabled), get_autocast_dtype(device_type))


def get_autocast_dtype(device_type: str):
    """The dtype autocast of `device_type` would use: bfloat16 on the CPU, float16 elsewhere,
    or the one the autocast in force names."""
    dt = _states().get(device_type, (False, None))[1]
    if dt is not None:
        return dt
    return getattr(loom, _DEFAULT_DTYPES.get(device_type, "float16"))


class autocast:  # noqa: N801 (PyTorch's name)
    """``torch.autocast(device_type, dtype=None, enabled=True, cache_enabled=None)``: a context
    manager and decorator. loom keeps the state PyTorch scripts read (`is_autocast_enabled`,
    `get_autocast_dtype`) and applies PyTorch's checks: CPU autocast takes bfloat16 or
    float16 (others warn and disable it), a CUDA autocast without CUDA warns and is disabled.
    Operators inside compute in their inputs' dtypes."""

    def __init__(self, device_type: str, dtype=None, enabled: bool = True, cache_enabled=None):
        _check_type(device_type)
        self.device = device_type
        self.fast_dtype = dtype if dtype is not None else get_autocast_dtype(device_type)
        self._cache_enabled = True if cache_enabled is None else cache_enabled
        if device_type == "cpu" and enabled and self.fast_dtype not in (loom.bfloat16,
                                                                          loom.float16):
            warnings.warn("In CPU autocast, but the target dtype is not supported. Disabling "
                          "autocast.\nCPU Autocast only supports dtypes of torch.bfloat16, "
                          "torch.float16 currently.", UserWarning, stacklevel=2)
            enabled = False
        elif device_type == "cuda" and enabled and not loom.cuda.is_available():
            warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.",
                          UserWarning, stacklevel=2)
            enabled = False
        self._enabled = bool(enabled)

    def __enter__(self):
        states = _states()
        self._prev = states.get(self.device)
        states[self.device] = (self._enabled, self.fast_dtype)
        if self._enabled and not _warned:
            _warned.append(True)
            warnings.warn("loom's autocast records the autocast state but runs every operator "
                          f"in its inputs' dtypes (no {self.fast_dtype} kernels are chosen).",
                          UserWarning, stacklevel=2)
        return self

    def __exit__(self, *exc):
        states = _states()
        if self._prev is None:
            states.pop(self.device, None)
        else:
            states[self.device] = self._prev
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self:
                return func(*args, **kwargs)
        return wrapper


def custom_fwd(fwd=None, *, device_type: str, cast_inputs=None):
    """Decorator of a custom Function's forward (``torch.amp.custom_fwd``); with
    `cast_inputs`, floating-point tensor arguments are cast to it while `device_type`'s
    autocast is enabled."""
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def wrapper(*args, **kwargs):
        if cast_inputs is not None and is_autocast_enabled(device_type):
            args = [a.to(cast_inputs) if isinstance(a, loom.Tensor) and a.is_floating_point()
                    else a for a in args]
        return fwd(*args, **kwargs)
    return wrapper


def custom_bwd(bwd=None, *, device_type: str):
    """Decorator of a custom Function's backward (``torch.amp.custom_bwd``)."""
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)
    return bwd
