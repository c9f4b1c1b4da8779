"""`loom.ops`: custom operators by qualified name, ``loom.ops.<namespace>.<name>``.

An operator registered under a qualified name ``"ns::name"`` (what `loom.library.custom_op`
makes, or a plugin spec named so) is published here as the same callable dispatch built for it:
``loom.ops.mylib.mysin(x)`` costs what ``loom.sin(x)`` costs to reach its kernel. Namespaces
are made on first access, as ``torch.ops`` makes them.
"""
from __future__ import annotations

from typing import Callable

from .registry import OpEntry, registry

__all__ = ["OpNamespace", "publish"]


class OpNamespace:
    """The operators of one namespace: ``loom.ops.mylib`` holds ``mylib::*`` as attributes."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, name: str):
        # only reached for names no operator of this namespace holds
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(f"'_OpNamespace' '{self._name}' object has no attribute '{name}'")

    def __repr__(self) -> str:
        return f"<loom.ops namespace '{self._name}'>"

    def __dir__(self):
        return sorted(k for k in vars(self) if not k.startswith("_"))


_namespaces: dict = {}


def _namespace(ns: str) -> OpNamespace:
    space = _namespaces.get(ns)
    if space is None:
        space = _namespaces[ns] = OpNamespace(ns)
        # a plain module attribute: later accesses do not go through __getattr__
        globals()[ns] = space
    return space


def __getattr__(name: str):
    if name.startswith("__"):
        raise AttributeError(name)
    return _namespace(name)


def publish(qualified: str, fn: Callable) -> None:
    """Make `fn` the callable of ``loom.ops.<ns>.<name>`` for operator ``"ns::name"`` (used by
    `loom.library` for an op that returns nothing: its registry callable gives ``()``)."""
    ns, name = qualified.split("::", 1)
    setattr(_namespace(ns), name, fn)


def _install(op: OpEntry) -> None:
    if "::" in op.name:
        publish(op.name, op.call)


def _uninstall(op: OpEntry) -> None:
    if "::" in op.name:
        ns, name = op.name.split("::", 1)
        space = _namespaces.get(ns)
        if space is not None and registry.ops.get(op.name) is not op:
            space.__dict__.pop(name, None)


registry.add_installer(_install, _uninstall)
