"""The "npdev" device's arrays and array namespace.

`NpArray` is NumPy memory with a type of its own: loom tells devices apart by the class of their
arrays, so a second NumPy-backed device needs a class the CPU (`numpy.ndarray`) does not use.
Being a subclass, every method and ufunc applied to an `NpArray` gives an `NpArray` back;
`xp` wraps the rest of NumPy's functions (factories such as `zeros`, and functions that build
a new array from their arguments) so that each returns one too. That is the contract a backend's
`xp` keeps: kernels written once against `xp` allocate on the device their inputs live on.

The module also keeps the device's memory statistics: each buffer an `NpArray` owns or views is
counted once while it lives (a weak reference tells when it is freed).
"""
from __future__ import annotations

import functools
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


def _returning_device(f):
    @functools.wraps(f)
    def g(*args, **kwargs):
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
