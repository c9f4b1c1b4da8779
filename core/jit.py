"""`loom.jit`: TorchScript's names (``torch.jit``), as pass-throughs.

loom does not compile TorchScript: `script` returns the function or module it is given, and
`trace` runs the function once on the example inputs (so a wrong call fails where PyTorch's
would) and returns it; the decorators `ignore`, `unused`, `export` and `annotate` return
what they are given; `is_scripting` and `is_tracing` are False, so code that branches on
them takes its eager path. `save` and `load` of TorchScript archives raise RuntimeError:
save models' ``state_dict()`` with `loom.save` instead.
"""
from __future__ import annotations

import typing
import warnings

__all__ = ["script", "trace", "trace_module", "ignore", "unused", "export", "annotate",
           "is_scripting", "is_tracing", "Final", "save", "load", "freeze",
           "optimize_for_inference"]

Final = typing.Final


def _deprecated(name: str) -> None:
    warnings.warn(f"`torch.jit.{name}` is deprecated. Please switch to `torch.compile` or "
                  "`torch.export`.", DeprecationWarning, stacklevel=3)


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """`obj` itself: loom runs functions and modules eagerly. Warns that it is deprecated,
    as PyTorch 2.13 does."""
    _deprecated("script")
    return obj


def trace(func, example_inputs=None, optimize=None, check_trace=True, check_inputs=None,
          check_tolerance=1e-5, strict=True, _force_outplace=False, _module_class=None,
          _compilation_unit=None, example_kwarg_inputs=None, _store_inputs=True):
    """`func` itself, after one call on `example_inputs` (a tensor or a tuple of them) or
    `example_kwarg_inputs`, as PyTorch's tracing call. Warns that it is deprecated, as
    PyTorch 2.13 does."""
    import loom
    _deprecated("trace")
    if example_kwarg_inputs is not None:
        func(**example_kwarg_inputs)
    elif example_inputs is not None:
        args = example_inputs if isinstance(example_inputs, tuple) else (example_inputs,)
        with loom.no_grad():
            func(*args)
    return func


def trace_module(mod, inputs, **kwargs):
    """`mod` itself, after calling each named method on its example inputs."""
    for name, args in inputs.items():
        getattr(mod, name)(*(args if isinstance(args, tuple) else (args,)))
    return mod


def ignore(drop=False, **kwargs):
    """Decorator leaving a function out of scripting: the function itself."""
    if callable(drop):
        return drop
    return lambda fn: fn


def unused(fn):
    return fn


def export(fn):
    return fn


def annotate(the_type, the_value):
    return the_value


def is_scripting() -> bool:
    """False: loom never scripts code."""
    return False


def is_tracing() -> bool:
    """False: loom never traces code."""
    return False


def freeze(mod, preserved_attrs=None, optimize_numerics=True):
    return mod


def optimize_for_inference(mod, other_methods=None):
    return mod


def save(m, f, _extra_files=None):
    """Raises RuntimeError: loom writes no TorchScript archive."""
    raise RuntimeError("loom.jit.save cannot write a TorchScript archive: loom does not compile "
                       "TorchScript. Save the model's state_dict() with loom.save.")


def load(f, map_location=None, _extra_files=None, _restore_shapes=False):
    """Raises RuntimeError: loom reads no TorchScript archive."""
    raise RuntimeError("loom.jit.load cannot read a TorchScript archive: loom does not run "
                       "TorchScript. Rebuild the model in Python and load its state_dict "
                       "with loom.load.")
