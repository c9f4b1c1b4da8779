"""loom: tensors and autograd with PyTorch's programming model, as a small core plus plugins.

``import loom as torch`` runs PyTorch-style code. Operators and device backends arrive as
plugins (entry points in the group ``loom.plugins``); see `loom.plugin` to write one and
``python -m loom info`` to see what is loaded.
"""
from __future__ import annotations

import warnings as _warnings  # noqa: E402

# NumPy's floating-point warnings ("divide by zero encountered in log") raised inside loom's
# kernels: PyTorch computes the same inf and nan silently. Only warnings attributed to loom's
# own modules and plugins are ignored; the user's NumPy code warns as before.
_warnings.filterwarnings("ignore", message=r".*encountered in ", category=RuntimeWarning,
                         module=r"loom(_ops_\w+|_device_\w+)?(\.|$)")

from .version import __version__  # noqa: E402,F401
from . import config, dtypes, grad_mode  # noqa: E402
from .flags import (  # noqa: E402,F401
    are_deterministic_algorithms_enabled, get_deterministic_debug_mode,
    get_float32_matmul_precision, get_num_interop_threads, get_num_threads,
    is_deterministic_algorithms_warn_only_enabled, set_deterministic_debug_mode,
    set_float32_matmul_precision, set_num_interop_threads, set_num_threads,
    use_deterministic_algorithms,
)
from .device import device  # noqa: E402
from .formats import (  # noqa: E402,F401
    channels_last, channels_last_3d, contiguous_format, layout, memory_format, preserve_format,
    strided,
)
from .dtypes import (  # noqa: E402,F401
    bfloat16, bool, cdouble, cfloat, complex64, complex128, double, dtype, float, float16,
    float32, float64, get_default_dtype, half, int, int8, int16, int32, int64, long,
    promote_types, set_default_dtype, short, uint8, can_cast, finfo, iinfo,
)
from .grad_mode import (  # noqa: E402,F401
    enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled,
)
from .registry import registry as _registry, missing_operator as _missing  # noqa: E402
from .tensor import Size, Tensor  # noqa: E402,F401
from .tensor_str import set_printoptions  # noqa: E402,F401
from .creation import as_tensor, asarray, from_dlpack, from_numpy, tensor  # noqa: E402,F401
from .promotion import result_type  # noqa: E402,F401
from . import methods as _methods  # noqa: E402
from . import autograd, linalg, return_types  # noqa: E402,F401
from .legacy import make_legacy_types as _legacy  # noqa: E402
from .device_module import cuda, get_device_module  # noqa: E402,F401
from . import tensor_api as _tensor_api  # noqa: E402
from . import tensor_more as _tensor_more  # noqa: E402

_tensor_api.attach()
_tensor_more.attach()

globals().update(_legacy())
_methods.publish_into(globals())
_registry.add_installer(_methods.install_names, _methods.uninstall_names)


def is_tensor(obj) -> "builtins.bool":
    """True if `obj` is a loom Tensor."""
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> "builtins.int":
    """The number of elements of `input`."""
    return input.numel()


def is_floating_point(input: Tensor) -> "builtins.bool":
    """True if `input`'s dtype is a floating type (float16, bfloat16, float32, float64)."""
    return input.is_floating_point()


def is_complex(input: Tensor) -> "builtins.bool":
    """True if `input`'s dtype is complex."""
    return input.is_complex()


def is_nonzero(input: Tensor) -> "builtins.bool":
    """The truth of a one-element tensor (RuntimeError for more or none)."""
    return input.is_nonzero()


def is_same_size(input: Tensor, other: Tensor) -> "builtins.bool":
    """True if both tensors have the same shape."""
    return input.is_same_size(other)


def is_inference(input: Tensor) -> "builtins.bool":
    """False: loom has no inference-mode tensors."""
    return input.is_inference()


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A 0-dim tensor holding the number `s` (the default float dtype unless `dtype`)."""
    return tensor(s, dtype=dtype or dtypes.get_default_dtype(), device=device,
                  requires_grad=requires_grad)


def unravel_index(indices, shape) -> tuple:
    """The coordinates in `shape` of flat `indices` (an integer tensor), one tensor per
    dimension."""
    if not isinstance(indices, Tensor):
        indices = tensor(indices)
    if indices.is_floating_point() or indices.is_complex() or indices.dtype is dtypes.bool:
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    shape = (shape,) if isinstance(shape, builtins.int) else tuple(shape)
    if builtins.any(s < 0 for s in shape):
        raise ValueError("'shape' cannot have negative values, but got "
                         f"{tuple(shape)}")
    coords, rest = [], indices.to(dtypes.int64)
    for size in reversed(shape):
        coords.append(rest.remainder(size) if size else rest * 0)
        rest = rest.div(size, rounding_mode="floor") if size else rest
    return tuple(reversed(coords))


def is_conj(input: Tensor) -> "builtins.bool":
    """False: loom conjugates eagerly, so no tensor carries a lazy conjugate bit."""
    return input.is_conj()


def is_neg(input: Tensor) -> "builtins.bool":
    """False: loom negates eagerly, so no tensor carries a lazy negative bit."""
    return input.is_neg()


def resolve_conj(input: Tensor) -> Tensor:
    """`input` itself: loom's conjugates are already materialised."""
    return input.resolve_conj()


def resolve_neg(input: Tensor) -> Tensor:
    """`input` itself: loom's negations are already materialised."""
    return input.resolve_neg()


def is_signed(input: Tensor) -> "builtins.bool":
    """True if `input`'s dtype is signed (every type but bool and uint8)."""
    return input.is_signed()


from .generator import Generator  # noqa: E402,F401


def broadcast_shapes(*shapes) -> Size:
    """The shape that tensors of `shapes` broadcast to (an int is a 1-D shape), without
    making any tensor; RuntimeError as PyTorch's for shapes that do not broadcast."""
    sizes = [(s,) if isinstance(s, builtins.int) else tuple(s) for s in shapes]
    out = [1] * builtins.max(map(len, sizes), default=0)
    for i, s in enumerate(sizes):
        for j in range(-1, -len(s) - 1, -1):
            if s[j] != 1 and s[j] != out[j]:
                if out[j] != 1 or s[j] < 0:
                    raise RuntimeError(
                        f"Attempting to broadcast a dimension of length {s[j]} at {j}! "
                        f"Mismatching argument at index {i} had {shapes[i]!r}; but expected "
                        f"shape should be broadcastable to {out}")
                out[j] = s[j]
    return Size(out)


def manual_seed(seed: "builtins.int"):
    """Seed the default random generators of every device backend; returns the CPU's
    `Generator` (`default_generator`), as PyTorch does."""
    from .backends import available as _available, backends
    for be in backends.values():
        if _available(be):
            be.manual_seed(seed)
    return _default_generator()


def _default_generator() -> Generator:
    g = globals().get("default_generator")
    if g is None:  # made on first use: the CPU generator loads lazily
        from .backends import backends
        g = globals()["default_generator"] = Generator._wrapping(backends["cpu"].generator, "cpu")
    return g


def seed() -> "builtins.int":
    """Seed every default generator from the operating system's randomness; the seed."""
    s = _default_generator().seed()
    manual_seed(s)
    return s


def initial_seed() -> "builtins.int":
    """The seed of the CPU's default generator."""
    return _default_generator().initial_seed()


def get_rng_state() -> Tensor:
    """The CPU default generator's state, as a uint8 tensor (PyTorch's 5056 bytes)."""
    return _default_generator().get_state()


def set_rng_state(new_state: Tensor) -> None:
    """Restore the CPU default generator's state from `get_rng_state`."""
    _default_generator().set_state(new_state)


def detach(input: Tensor) -> Tensor:
    """`input.detach()`: the same data, out of the graph."""
    return input.detach()


def detach_(input: Tensor) -> Tensor:
    """`input.detach_()`: `input` itself taken out of the graph."""
    return input.detach_()


def set_default_device(dev) -> None:
    """Device that factories and `loom.tensor` use when none is given."""
    config.set("default_device", str(device(dev)) if dev is not None else "cpu")


def get_default_device() -> device:
    return device(config.get("default_device"))


# names defined by modules written against loom's public API (above this package): attributes
# of loom reached on first use
_LAZY = {"save": "serialization", "load": "serialization", "vmap": "func",
         "compile": "compiler", "autocast": "amp", "is_autocast_enabled": "amp",
         "get_autocast_dtype": "amp", "set_autocast_enabled": "amp"}


def __getattr__(name):
    # Reached only for names that are not defined: an operator no plugin registered.
    if name.startswith("__"):
        raise AttributeError(name)
    if name == "default_generator":
        return _default_generator()
    if name in _LAZY:  # loom.save/loom.load live above the package, found on first use
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    if "." in name:  # getattr(loom, "linalg.solve"): not an attribute (loom.linalg.solve is)
        raise AttributeError(f"module 'loom' has no attribute '{name}'")
    if importlib.util.find_spec(f"{__name__}.{name}") is not None:
        return importlib.import_module(f"{__name__}.{name}")
    raise _missing(name)


import builtins  # noqa: E402
import importlib  # noqa: E402
import importlib.util  # noqa: E402

from . import plugins as _plugins  # noqa: E402


def _reserve_own_names() -> None:
    # Everything defined so far, and loom's submodules, belong to loom: no operator may take
    # them (an op named `backward` or `no_grad` would silently change what loom computes).
    import os
    here = os.path.dirname(__file__)
    modules = {n.removesuffix(".py") for n in os.listdir(here)
               if n.endswith(".py") or os.path.isdir(os.path.join(here, n))}
    # the names loom.linalg defines itself (LinAlgError) are loom's too
    own_linalg = {f"linalg.{n}" for n in vars(linalg) if not n.startswith("_")}
    _registry.reserve(functions=set(globals()) | modules | own_linalg | set(_LAZY) |
                      {"nn", "optim", "linalg", "utils", "ops", "fft", "special"},
                      methods={n for n in dir(Tensor)
                               if n not in ("__eq__", "__ne__", "__lt__", "__le__", "__gt__",
                                            "__ge__")})


_reserve_own_names()
_plugins.load_all()
