"""`loom.compile` and `loom.compiler` (``torch.compile``, ``torch.compiler``).

loom has no graph compiler: `compile` checks its arguments as PyTorch does and returns a
callable that runs the model eagerly -- what ``torch.compile(..., backend="eager")`` gives.
A module comes back wrapped in `OptimizedModule`, as in PyTorch, so its ``state_dict`` keys
carry the ``_orig_mod.`` prefix and ``compiled._orig_mod`` is the module; a function comes
back as a wrapper of it. Results and gradients are those of the uncompiled model.
"""
from __future__ import annotations

import functools

import loom
import loom.nn

__all__ = ["compile", "OptimizedModule", "disable", "is_compiling", "is_dynamo_compiling",
           "is_exporting", "list_backends", "reset", "allow_in_graph", "assume_constant_result"]

_MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")
_BACKENDS = ("cudagraphs", "inductor", "eager", "aot_eager", "tvm", "openxla")


class OptimizedModule(loom.nn.Module):
    """A compiled module: `_orig_mod` run eagerly. Attributes not found on the wrapper are the
    original module's."""

    def __init__(self, mod, dynamo_ctx=None):
        super().__init__()
        self._orig_mod = mod
        self.dynamo_ctx = dynamo_ctx

    def forward(self, *args, **kwargs):
        return self._orig_mod(*args, **kwargs)

    def __getattr__(self, name):
        try:
            return super().__getattr__(name)
        except AttributeError:
            mods = self.__dict__.get("_modules")
            if name == "_orig_mod" or not mods or "_orig_mod" not in mods:
                raise
            return getattr(mods["_orig_mod"], name)


def list_backends(exclude_tags=("debug", "experimental")) -> list:
    """The backend names `compile` accepts (each runs eagerly in loom)."""
    return sorted(b for b in _BACKENDS if b not in ("eager", "aot_eager"))


def compile(model=None, *, fullgraph: bool = False, dynamic=None, backend="inductor",  # noqa: A001
            mode=None, options=None, disable: bool = False):
    """``torch.compile``: PyTorch's argument checks, then `model` run eagerly (a module in an
    `OptimizedModule`, a function in a wrapper). Without `model`, a decorator."""
    if model is None:
        def decorator(fn):
            return compile(fn, fullgraph=fullgraph, dynamic=dynamic, backend=backend,
                           mode=mode, options=options, disable=disable)
        return decorator
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be "
                           "specified at the same time.")
    if mode is not None and mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(_MODES)}")
    if isinstance(backend, str) and backend not in _BACKENDS:
        raise RuntimeError(f"Invalid backend: {backend!r}, see `torch._dynamo.list_backends()` "
                           "for available backends.")
    if isinstance(model, loom.nn.Module):
        return OptimizedModule(model)
    if not callable(model):
        raise AssertionError(f"A callable function is expected, but {type(model)} is provided.")

    @functools.wraps(model)
    def compiled(*args, **kwargs):
        return model(*args, **kwargs)
    compiled._torchdynamo_orig_callable = model
    return compiled


def disable(fn=None, recursive: bool = True, *, reason=None):
    """Mark `fn` as not to be compiled: `fn` itself (nothing is compiled in loom)."""
    if fn is None:
        return lambda f: f
    return fn


def is_compiling() -> bool:
    """False: loom never traces code for compilation."""
    return False


is_dynamo_compiling = is_compiling


def is_exporting() -> bool:
    return False


def reset() -> None:
    """Clear compilation caches (loom keeps none)."""


def allow_in_graph(fn):
    return fn


def assume_constant_result(fn):
    return fn
