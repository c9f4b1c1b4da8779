"""The conformance kit's only window onto operator records and the registry.

Everything else in `loom.testing` sees an operator as a `KitOp` and reaches the registry, the
record's callables and its samples through the functions here, so a change of the record format
(or of where the registry keeps run-time callables) is a change of this file alone.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, Optional

from ..registry import registry

__all__ = ["KitOp", "all_ops", "get_op", "provider_of", "call_of", "inplace_call_of",
           "out_call_of", "samples_of", "error_samples_of", "plugin_problem"]


@dataclasses.dataclass(frozen=True)
class KitOp:
    """What the kit reads of one operator."""

    name: str
    kind: str                       # "unary", "binary", "generic" or "factory"
    plugin: str
    torch_name: Optional[str]       # torch.<name> or Tensor.<name>, the oracle when importable
    reference: Optional[Callable]   # NumPy reference of the forward, the oracle otherwise
    differentiable: bool
    inplace: Optional[str]          # the Tensor method of the in-place form
    supports_out: bool
    functions: tuple
    methods: tuple
    holomorphic: bool
    random: bool
    takes_complex_grad: bool
    doc: str
    has_samples: bool
    has_error_samples: bool
    record: Any = dataclasses.field(repr=False, compare=False, default=None)


def _kit_op(rec) -> KitOp:
    # an op declared differentiable without a backward rule is checked as differentiable: its
    # gradient checks then fail with the error its backward raises
    return KitOp(name=rec.name, kind=rec.kind.value, plugin=rec.plugin,
                 torch_name=rec.torch_name, reference=rec.reference,
                 differentiable=bool(rec.differentiable),
                 inplace=rec.inplace, supports_out=bool(rec.supports_out),
                 functions=tuple(rec.functions), methods=tuple(rec.methods),
                 holomorphic=bool(rec.holomorphic), random=bool(rec.random),
                 takes_complex_grad=bool(rec.takes_complex_grad),
                 doc=rec.doc or "",
                 has_samples=rec.samples is not None,
                 has_error_samples=getattr(rec, "error_samples", None) is not None, record=rec)


def all_ops(plugin: Optional[str] = None) -> list:
    """The registered operators (of `plugin` only, if given), sorted by name."""
    return [_kit_op(rec) for name, rec in sorted(registry.ops.items())
            if plugin is None or registry.providers.get(name) == plugin]


def get_op(name: str) -> KitOp:
    """The operator registered as `name`; the registry's error (naming the plugin that would
    provide it) when there is none."""
    return _kit_op(registry.get(name))


def provider_of(name: str) -> Optional[str]:
    """The plugin providing operator `name`."""
    return registry.providers.get(name)


def call_of(op: KitOp) -> Callable:
    """The operator's callable, as dispatch built it (``loom.<name>`` without ``out=``)."""
    return registry.get(op.name).call


def inplace_call_of(op: KitOp) -> Optional[Callable]:
    """``fn(tensor, *rest, **kwargs)`` running the in-place form, or None."""
    rec = registry.get(op.name)
    if rec.inplace is None:
        return None
    from ..tensor import Tensor
    method = getattr(Tensor, rec.inplace, None)
    if method is None:
        return None
    return lambda t, *args, **kwargs: method(t, *args, **kwargs)


def out_call_of(op: KitOp) -> Optional[Callable]:
    """The ``loom.<function>`` that takes ``out=``, or None. An overload with no function of
    its own (clamp's tensor bounds) is reached through the function of its PyTorch name."""
    rec = registry.get(op.name)
    name = rec.functions[0] if rec.functions else rec.torch_name
    if not rec.supports_out or not name:
        return None
    import loom
    fn = loom
    for part in name.split("."):  # linalg.solve: loom.linalg.solve
        fn = getattr(fn, part, None)
    return fn


def samples_of(op: KitOp, rng, np_dtype) -> list:
    """The operator's `SampleInput`s for floating dtype `np_dtype` (empty without samples)."""
    fn = op.record.samples
    if fn is None:
        return []
    return list(fn(rng, np_dtype) or [])


def error_samples_of(op: KitOp, rng) -> list:
    """The operator's `ErrorInput`s: calls PyTorch rejects, with the exception type."""
    fn = getattr(op.record, "error_samples", None)
    if fn is None:
        return []
    return list(fn(rng) or [])


def plugin_problem(name: str) -> Optional[str]:
    """None if plugin `name` is loaded; otherwise why it cannot be checked, naming the loaded
    plugins."""
    from .. import plugins
    entry = plugins.plugin_table.get(name)
    if entry is not None and entry.get("status") == "loaded":
        return None
    if entry is None and name in registry.providers.values():
        return None  # ops registered at run time (`loom.plugin.register(op, plugin=name)`)
    loaded = sorted(n for n, e in plugins.plugin_table.items() if e.get("status") == "loaded")
    return (f"plugin '{name}' {plugins.status_of(name)} "
            f"(loaded plugins: {', '.join(loaded) if loaded else 'none'})")
