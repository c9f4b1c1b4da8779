"""The operator registry: which operator specs are registered, who provides each, and the
run-time entry derived from each spec.

A spec (`loom.spec.OpSpec`) is what an author declares; an `OpEntry` is what loom derives from it
(the bound kernel of each device, the node class, the built callables, the names installed) and
never lives in the spec. The registry resolves clashes per name by an explicit rule, never by
load order (see `register`).
"""
from __future__ import annotations

from typing import Callable, Optional

from . import catalog, config
from .spec import OpSpec

__all__ = ["OpEntry", "Registry", "OperatorClashError", "MissingOperatorError", "registry",
           "missing_operator"]


class OpEntry:
    """The run-time side of one registered operator.

    `spec` and `plugin` say what it is and who provides it; the rest is derived: `kernels`
    (array type -> bound kernel), `call` (the dispatch callable), `node_cls`,
    `save` (saved input positions, -1 for the output), `parser`, `slow` (the promoting path of a
    binary op) and `installed` (the names put on Tensor and `loom`). For reading, an entry also
    answers the spec's fields (``entry.name``, ``entry.samples``).
    """

    __slots__ = ("spec", "plugin", "kernels", "call", "node_cls", "save",
                 "parser", "slow", "installed")

    def __init__(self, spec: OpSpec, plugin: str):
        self.spec = spec
        self.plugin = plugin
        self.kernels: dict = {}
        self.call = None
        self.node_cls = None
        self.save = spec.save_inputs + ((-1,) if spec.save_output else ())
        self.parser = None
        self.slow = None
        self.installed: list = []

    def __getattr__(self, name):
        # only reached for names that are not slots: the spec's fields
        return getattr(self.spec, name)

    def __repr__(self) -> str:
        return f"<operator '{self.spec.name}' ({self.spec.kind.value}) from plugin '{self.plugin}'>"


class OperatorClashError(RuntimeError):
    """Two plugins offer the same operator and configuration does not say which wins."""


class MissingOperatorError(AttributeError):
    """An operator is not registered (its plugin is missing, blocked or failed)."""


class Registry:
    """name -> `OpEntry`, plus who provides what and which names each op is installed under."""

    def __init__(self):
        self.ops: dict[str, OpEntry] = {}
        self.providers: dict[str, str] = {}
        self.overridden: list[tuple[str, str, str]] = []
        self._installers: list[Callable[[OpEntry], None]] = []
        self._uninstallers: list[Callable[[OpEntry], None]] = []

    def add_installer(self, fn: Callable[[OpEntry], None], undo=None) -> None:
        """`fn(op)` runs for every registered op (dispatch builds the callable and the names
        are attached to Tensor and `loom`); `undo(op)` reverses it on `unregister`."""
        self._installers.append(fn)
        if undo is not None:
            self._uninstallers.append(undo)
        for op in self.ops.values():
            fn(op)

    def unregister(self, name: str, restore: Optional[OpEntry] = None) -> None:
        """Remove operator `name` and its names; reinstate `restore` (the op it replaced)."""
        op = self.ops.pop(name, None)
        self.providers.pop(name, None)
        if op is not None:
            for undo in self._uninstallers:
                undo(op)
        if restore is not None:
            self.ops[name] = restore
            self.providers[name] = restore.plugin
            for fn in self._installers:
                fn(restore)

    def register(self, spec: OpSpec, plugin: str, override: bool = False) -> Optional[OpEntry]:
        """Add `spec` as provided by `plugin`; returns its entry (None when configuration keeps
        the existing provider). A clash raises `OperatorClashError` unless `override` is set
        or configuration (`op_providers`) names the winner."""
        if not isinstance(spec, OpSpec):
            raise TypeError(f"plugin '{plugin}' registered {type(spec).__name__} "
                            f"{spec!r:.60}, expected a loom.plugin.OpSpec")
        op = OpEntry(spec, plugin)
        old = self.ops.get(op.name)
        if old is not None and old.plugin != plugin:
            chosen = config.get("op_providers").get(op.name)
            if chosen == old.plugin:
                self.overridden.append((op.name, plugin, old.plugin))
                return
            if not (override or chosen == plugin):
                raise OperatorClashError(
                    f"operator '{op.name}' is provided by both plugin '{old.plugin}' and plugin "
                    f"'{plugin}'; choose one with LOOM_OP_PROVIDERS={op.name}=<plugin> or "
                    f"[tool.loom] op_providers, or register with override=True")
            self.overridden.append((op.name, old.plugin, plugin))
        self.ops[op.name] = op
        self.providers[op.name] = plugin
        for fn in self._installers:
            fn(op)
        return op

    def get(self, name: str) -> OpEntry:
        op = self.ops.get(name)
        if op is None:
            raise missing_operator(name)
        return op

    def __contains__(self, name: str) -> bool:
        return name in self.ops

    def __iter__(self):
        return iter(list(self.ops.values()))


def missing_operator(name: str) -> MissingOperatorError:
    """The error for an operator nobody registered, naming the plugin that says it provides
    it (from the data plugins ship) and how that plugin stands."""
    plugin = catalog.provider_of_op(name)
    if plugin is not None:
        hint = catalog.install_hint(plugin)
        return MissingOperatorError(
            f"operator '{name}' is not available: it is provided by plugin '{plugin}', "
            f"which {catalog.status_of(plugin)}" + (f" ({hint})" if hint else ""))
    failed = catalog.failed_names()
    hint = f" (plugins that failed to load: {', '.join(failed)})" if failed else ""
    return MissingOperatorError(f"no operator named '{name}' is registered{hint}")


registry = Registry()
