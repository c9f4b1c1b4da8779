"""The "npdev" device's arrays and array namespace.

`NpArray` is NumPy memory with a type of its own: loom tells devices apart by the class of their
arrays, so a second NumPy-backed device needs a class the CPU (`numpy.ndarray`) does not use.
Being a subclass, every method and ufunc applied to an `NpArray` gives an `NpArray` back;
`xp` wraps the rest of NumPy's functions (factories such as `zeros`, and functions that build
a new array from their arguments) so that each returns one too. That is the contract a backend's
`xp` keeps: kernels written once against `xp` allocate on the device their inputs live on.

With ``NPDEV_STRICT=1`` in the environment, ufuncs refuse host arrays as CuPy refuses NumPy's,
so that a kernel mixing host arrays into device work fails on CPU-only machines too.

The module also keeps the device's memory statistics: each buffer an `NpArray` owns or views is
counted once while it lives (a weak reference tells when it is freed).
"""
from __future__ import annotations

import functools
import os
import types
import weakref

import numpy as np

__all__ = ["NpArray", "xp", "on_device", "stats"]


class _Stats:
    """Bytes held by live npdev buffers, and the peak since the last reset."""

    __slots__ = ("allocated", "peak", "live")

    def __init__(self):
        self.allocated = 0
        self.peak = 0
        self.live: dict = {}  # id(buffer) -> bytes; a buffer is counted once however many views

    def track(self, root: np.ndarray) -> None:
        key = id(root)
        if key in self.live:
            return
        n = root.nbytes
        self.live[key] = n
        self.allocated += n
        if self.allocated > self.peak:
            self.peak = self.allocated
        weakref.finalize(root, self._release, key, n)

    def _release(self, key, n) -> None:
        if self.live.pop(key, None) is not None:
            self.allocated -= n


stats = _Stats()


class NpArray(np.ndarray):
    """An array on the "npdev" device: host memory, a class of its own."""

    def __array_finalize__(self, obj):
        # Find the array that owns the memory (views chain through `.base`) and count it.
        root = self
        base = self.base
        while isinstance(base, np.ndarray):
            root = base
            base = base.base
        stats.track(root)

    def __array_wrap__(self, arr, context=None, return_scalar=False):
        # NumPy turns the 0-dim result of a reduction into a scalar, which would leave the
        # device; keep it a 0-dim array here.
        return super().__array_wrap__(arr, context, False)

    def __getitem__(self, key):
        # an element (``a[0]`` of a vector) is a 0-dim array of the device, not a NumPy scalar
        r = np.ndarray.__getitem__(self, key)
        return r if type(r) is NpArray else on_device(r)


def _keep_on_device(name):
    method = getattr(np.ndarray, name)

    @functools.wraps(method)
    def m(self, *args, **kwargs):
        return on_device(method(self, *args, **kwargs))
    return m


def _strict_array_ufunc(self, ufunc, method, *inputs, **kwargs):
    """A ufunc refusing host (CPU) arrays, as CuPy refuses NumPy arrays: a kernel that mixes a
    host array into device work fails here as it would on a GPU."""
    for x in inputs + tuple(kwargs.get("out", ()) or ()):
        if type(x) is np.ndarray and x.ndim > 0:
            raise TypeError(f"npdev (strict): {ufunc.__name__}.{method} was given a host array "
                            f"of shape {x.shape}; move it to the device first")
    args = [x.view(np.ndarray) if isinstance(x, NpArray) else x for x in inputs]
    if "out" in kwargs:
        kwargs["out"] = tuple(o.view(np.ndarray) if isinstance(o, NpArray) else o
                              for o in kwargs["out"])
    r = getattr(ufunc, method)(*args, **kwargs)
    return r if method == "at" else on_device(r)


if os.environ.get("NPDEV_STRICT") == "1":  # off by default: it costs a Python call per ufunc
    NpArray.__array_ufunc__ = _strict_array_ufunc


# ndarray methods that are not ufuncs return NumPy scalars for 0-dim results
for _name in ("argmax", "argmin", "dot", "trace", "ptp", "searchsorted", "nonzero"):
    if hasattr(np.ndarray, _name):
        setattr(NpArray, _name, _keep_on_device(_name))


def on_device(x):
    """`x` (an array, a NumPy scalar, or a tuple / named tuple / list of them) as npdev
    arrays; anything else unchanged. Plain arrays are viewed, not copied."""
    t = type(x)
    if t is NpArray:
        return x
    if t is np.ndarray:
        return x.view(NpArray)
    if isinstance(x, np.generic):
        return np.asarray(x).view(NpArray)
    if isinstance(x, tuple):
        vals = [on_device(e) for e in x]
        return t(*vals) if hasattr(x, "_fields") else t(vals)
    if t is list:
        return [on_device(e) for e in x]
    return x


def _host_view(x):
    """An npdev array (or a list / tuple of them) as plain NumPy views of the same memory:
    NumPy's functions then run as on the CPU (their internal temporaries are host arrays, which
    strict mode would refuse to mix with device ones)."""
    t = type(x)
    if t is NpArray:
        return x.view(np.ndarray)
    if t is list or t is tuple:
        return t(_host_view(e) for e in x)
    return x


def _returning_device(f):
    @functools.wraps(f)
    def g(*args, **kwargs):
        args = [_host_view(a) for a in args]
        if kwargs:
            kwargs = {k: _host_view(v) for k, v in kwargs.items()}
        return on_device(f(*args, **kwargs))
    return g


def _namespace(module, name, submodules=()):
    """A namespace with NumPy `module`'s public names, its functions wrapped to return npdev
    arrays. Ufuncs stay NumPy's own (their `.at`, `.reduce`, `.outer` included): on npdev
    inputs they return npdev arrays already. Types and constants pass through."""
    ns = types.SimpleNamespace()
    for attr in dir(module):
        if attr.startswith("_"):
            continue
        try:
            obj = getattr(module, attr)
        except AttributeError:  # deprecated names that raise on access
            continue
        if isinstance(obj, (np.ufunc, type, types.ModuleType)) or not callable(obj):
            setattr(ns, attr, obj)
        else:
            setattr(ns, attr, _returning_device(obj))
    for sub in submodules:
        setattr(ns, sub, _namespace(getattr(module, sub), f"{name}.{sub}"))
    ns.__name__ = name
    return ns


#: the array namespace of npdev kernels: NumPy, returning `NpArray`
xp = _namespace(np, "loom_npdev.xp", submodules=("linalg", "fft"))
