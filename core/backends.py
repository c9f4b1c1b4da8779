"""Device backends known to loom and how operators' kernels are bound to them.

A backend registers through the `loom_register_devices` hook; each registered operator then
gets a kernel for the backend's array type (its `xp` function, per-device kernel or forward
bound to `xp`), so dispatch finds the kernel of a call with one dictionary lookup on the type
of its arrays.
"""
from __future__ import annotations

import functools

from . import catalog
from .config import get as _config_get
from .device import device as _device
from .registry import OpEntry, registry
from .spec import Kind

__all__ = ["backends", "register_backend", "unregister_backend", "backend_of", "bind",
           "resolve_device", "device_unavailable", "host_array", "available", "providers",
           "DeviceClashError"]

backends: dict = {}             # device type -> DeviceBackend
providers: dict = {}            # device type -> plugin name
_by_array_type: dict = {}        # array class -> DeviceBackend


class DeviceClashError(RuntimeError):
    """Two plugins offer one device type or one array type."""


def _type_name(t) -> str:
    return f"{t.__module__}.{t.__qualname__}"


def available(backend) -> bool:
    """`backend.is_available()`, False when it raises (`loom info` and errors never crash on a
    broken backend)."""
    try:
        return backend.is_available() is True
    except Exception:
        return False


def register_backend(backend, plugin: str = "cpu") -> None:
    """Make a device backend known and build every operator's kernel for its array type.

    The backend is checked first: its device type and array type must be its own (a type
    another plugin serves is refused with `DeviceClashError` naming both plugins; the CPU's
    never changes hands) and `is_available()` must answer True or False."""
    t = getattr(backend, "type", None)
    if not isinstance(t, str) or not t.isidentifier():
        raise TypeError(f"plugin '{plugin}': device backend {type(backend).__name__} has type "
                        f"{t!r}; expected a device type name such as 'cuda'")
    at = getattr(backend, "array_type", None)
    try:
        ok = backend.is_available()
    except Exception as e:
        raise RuntimeError(f"plugin '{plugin}': device backend '{t}': is_available() raised "
                           f"{type(e).__name__}: {e}") from e
    if type(ok) is not bool:
        raise TypeError(f"plugin '{plugin}': device backend '{t}': is_available() returned "
                        f"{ok!r}, expected True or False")
    if ok and (not isinstance(at, type) or at is type(None)):
        raise TypeError(f"plugin '{plugin}': device backend '{t}' must name the class of its "
                        f"arrays in `array_type`, got {at!r}")
    kernels = getattr(backend, "kernels", {})
    if not isinstance(kernels, dict) or not all(
            isinstance(k, str) and callable(v) for k, v in kernels.items()):
        raise TypeError(f"plugin '{plugin}': device backend '{t}': `kernels` must map operator "
                        f"names to kernels, got {kernels!r:.80}")
    holder = providers.get(t)
    if holder is not None and holder != plugin:
        fix = ("the CPU backend is loom's own" if t == "cpu" else
               f"choose one with LOOM_DEVICE_PROVIDERS={t}=<plugin> or [tool.loom] "
               f"device_providers")
        raise DeviceClashError(f"device type '{t}' is provided by both plugin '{holder}' and "
                               f"plugin '{plugin}'; {fix}")
    for other in backends.values():
        if ok and available(other) and other.array_type is at:
            raise DeviceClashError(
                f"plugin '{plugin}': device backend '{t}' declares the array type "
                f"{_type_name(at)}, which device type '{other.type}' of plugin "
                f"'{providers[other.type]}' already uses; each backend needs an array type of "
                f"its own")
    backends[t] = backend
    providers[t] = plugin
    _placement.clear()
    if ok:
        _by_array_type[at] = backend
        for op in registry.ops.values():
            bind(op, backend)


def unregister_backend(device_type: str) -> None:
    """Forget a device backend (a plugin that registered it was rolled back)."""
    be = backends.pop(device_type, None)
    providers.pop(device_type, None)
    _placement.clear()
    if be is not None and _by_array_type.get(be.array_type) is be:
        del _by_array_type[be.array_type]
        for op in registry.ops.values():
            op.kernels.pop(be.array_type, None)


def backend_of(arr):
    """The backend an array belongs to (KeyError for an array type no backend serves)."""
    return _by_array_type[type(arr)]


def bind(op: OpEntry, backend) -> None:
    """Build `op`'s kernel for `backend`'s array type."""
    kernels = op.kernels
    xp = backend.xp
    # the operator's own kernel for this device type first, then the backend's override
    k = op.device_kernels.get(backend.type)
    if k is None:
        k = backend.kernels.get(op.name)
    if k is not None:
        kernels[backend.array_type] = functools.partial(
            k, backend if op.kind is Kind.FACTORY else xp)
    elif op.ufunc is not None:
        kernels[backend.array_type] = getattr(xp, op.ufunc)
    elif op.kind is Kind.FACTORY:
        kernels[backend.array_type] = functools.partial(op.kernel, backend)
    else:
        kernels[backend.array_type] = functools.partial(op.kernel, xp)


_placement: dict = {}  # device spec -> (backend, index), for available backends


def resolve_device(spec):
    """(backend, index) for a device spec (str, `loom.device`, or None for the default);
    RuntimeError naming the plugin and extra when no loaded backend can serve it."""
    if spec is None:
        spec = _config_get("default_device")
    hit = _placement.get(spec)
    if hit is not None:
        return hit
    dev = _device(spec)
    be = backends.get(dev.type)
    if be is None or not available(be):
        raise device_unavailable(dev)
    if dev.index is not None and dev.type != "cpu":  # PyTorch ignores a CPU index
        n = be.device_count()
        if not 0 <= dev.index < n:
            raise RuntimeError(f"invalid device ordinal: device '{dev}' was requested, but "
                               f"device type '{dev.type}' has {n} device(s)")
    hit = _placement[spec] = (be, dev.index)
    return hit


def host_array(arr):
    """`arr` as a host (NumPy) array: itself on the CPU, a copy from any other device."""
    be = _by_array_type[type(arr)]
    return arr if be.type == "cpu" else be.to_host(arr)


def device_unavailable(dev):
    """The error for a device no loaded backend can serve, naming the plugin that provides
    its type (from the data plugins ship) and the extra that installs it."""
    be = backends.get(dev.type)
    provider = catalog.provider_of_device(dev.type)
    hint = catalog.install_hint(provider) if provider else ""
    if be is not None:
        reason = be.unavailable_reason()
    elif provider is not None:
        reason = f"plugin '{provider}', which provides it, {catalog.status_of(provider)}"
    else:
        reason = (f"no installed plugin provides device type '{dev.type}' (loaded device types: "
                  f"{', '.join(sorted(backends))})")
    label = "CUDA" if dev.type == "cuda" else f"device '{dev}'"
    msg = f"{label} is not available: {reason}"
    if hint:
        msg += f". Install it with {hint}"
    return RuntimeError(msg + ".")


# ------------------------------------------------------------------------------------------
# `torch.backends`' switch modules, which training scripts set (``cudnn.benchmark = True``,
# ``cudnn.deterministic = True``) or ask (``mps.is_available()``). loom has no cuDNN, MPS or
# oneDNN of its own: the flags are kept and read back, and each `is_available()` answers
# whether a loaded backend serves that device type here.

import contextlib as _contextlib  # noqa: E402
import sys as _sys  # noqa: E402
import types as _types  # noqa: E402


def _served(device_type: str) -> bool:
    be = backends.get(device_type)
    return be is not None and available(be)


class _FlagModule(_types.ModuleType):
    """One `loom.backends.<name>` module: plain attributes, as PyTorch's flags are."""

    def __init__(self, name: str, doc: str, **flags):
        super().__init__(f"{__name__}.{name}", doc)
        self.__dict__.update(flags)

    @_contextlib.contextmanager
    def flags(self, **kw):
        """The flags set to `kw` within the block, restored after it."""
        before = {k: getattr(self, k) for k in kw}
        self.__dict__.update(kw)
        try:
            yield
        finally:
            self.__dict__.update(before)


cudnn = _FlagModule("cudnn", "cuDNN's switches (kept; loom runs no cuDNN).", enabled=True,
                    benchmark=False, benchmark_limit=10, deterministic=False, allow_tf32=True)
cudnn.is_available = lambda: False
cudnn.version = lambda: None

mkldnn = _FlagModule("mkldnn", "oneDNN's switches (kept; loom runs no oneDNN).", enabled=True,
                     deterministic=False)
mkldnn.is_available = lambda: False

mps = _FlagModule("mps", "Apple's Metal device: whether a loaded backend serves it.")
mps.is_available = lambda: _served("mps")
mps.is_built = lambda: "mps" in backends

cuda = _FlagModule("cuda", "CUDA's switches: `matmul.allow_tf32` and friends, kept.")
cuda.matmul = _types.SimpleNamespace(allow_tf32=False, allow_bf16_reduced_precision_reduction=True,
                                     allow_fp16_reduced_precision_reduction=True)
cuda.is_built = lambda: "cuda" in backends
_SDP = {"flash": True, "mem_efficient": True, "math": True, "cudnn": True}


def _sdp_switches(kind):
    def enable(on: bool) -> None:
        _SDP[kind] = bool(on)
    return enable, lambda: _SDP[kind]


for _kind in tuple(_SDP):
    _on, _read = _sdp_switches(_kind)
    setattr(cuda, f"enable_{_kind}_sdp", _on)
    setattr(cuda, f"{_kind}_sdp_enabled", _read)

for _m in (cudnn, mkldnn, mps, cuda):
    _sys.modules[_m.__name__] = _m  # ``import loom.backends.cudnn as cudnn``
del _m, _kind, _on, _read
