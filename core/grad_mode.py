"""Thread-local gradient mode: `no_grad`, `enable_grad`, `set_grad_enabled`."""
from __future__ import annotations

import functools
import threading

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode"]


class _State(threading.local):
    def __init__(self):
        # `enabled` is read on every dispatched call: a plain attribute on a thread-local.
        self.enabled = True


state = _State()


class _Off:
    """How many threads currently have grad mode off. Dispatch reads `off` (a plain slot,
    ~4x cheaper than the thread-local) and consults `state.enabled` only when it is non-zero."""

    __slots__ = ("off",)


counts = _Off()
counts.off = 0
_lock = threading.Lock()


def set_enabled(flag: bool) -> bool:
    """Set this thread's grad mode; returns the previous one. Every write goes through here so
    that `counts.off` stays exact."""
    prev = state.enabled
    if prev != flag:
        with _lock:
            counts.off += -1 if flag else 1
        state.enabled = flag
    return prev


def is_grad_enabled() -> bool:
    """True when operations record a graph in this thread."""
    return state.enabled


class _GradMode:
    """Context manager and decorator that sets grad mode for a block, restoring it after."""

    _mode = True

    def __init__(self):
        self._prev = []

    def __enter__(self):
        self._prev.append(set_enabled(self._mode))

    def __exit__(self, *exc):
        set_enabled(self._prev.pop())
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)
        return wrapper

    def clone(self):
        return self.__class__()


class _BareDecorator(_GradMode):
    # `@no_grad` without parentheses decorates the function directly, as in PyTorch
    def __new__(cls, orig_func=None):
        self = super().__new__(cls)
        if orig_func is not None and callable(orig_func):
            cls.__init__(self)
            return self(orig_func)
        return self

    def __init__(self, orig_func=None):
        self._prev = []  # _GradMode's, set here: `with no_grad():` is on training loops' path


class no_grad(_BareDecorator):
    """Disable gradient recording inside the block (or decorated function)."""
    _mode = False


class enable_grad(_BareDecorator):
    """Enable gradient recording inside the block (or decorated function)."""
    _mode = True


class inference_mode(no_grad):
    """Accepted for compatibility: behaves like `no_grad`."""

    def __init__(self, mode: bool = True):
        super().__init__()
        self._mode = not mode


class set_grad_enabled(_GradMode):
    """Set grad mode to `mode`: at once when called, and for the block as a context manager."""

    def __init__(self, mode: bool):
        super().__init__()
        self._mode = bool(mode)
        self._prev.append(set_enabled(self._mode))

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        set_enabled(self._prev.pop())
        return False

    def clone(self):
        return self.__class__(self._mode)

    def __call__(self, fn):
        set_enabled(self._prev.pop())
        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)
        return wrapper
