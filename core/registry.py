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
from .return_types import structseq
from .spec import OpSpec, inplace_functions, inplace_names

__all__ = ["OpEntry", "Registry", "OperatorClashError", "MissingOperatorError", "registry",
           "missing_operator"]


class OpEntry:
    """The run-time side of one registered operator.

    `spec` and `plugin` say what it is and who provides it; the rest is derived: `kernels`
    (array type -> bound kernel), `call` (the dispatch callable), `dunder` (a binary op's
    callable for Python operators: NotImplemented for operands it cannot take), `direct` (a
    generic op's callable taking its kernel's argument order, without the spec's `prepare`),
    `node_cls`,
    `save` (saved input positions, -1 for the output), `parser`, `slow` (the promoting path of a
    binary op) and `installed` (the names put on Tensor and `loom`). For reading, an entry also
    answers the spec's fields (``entry.name``, ``entry.samples``).
    """

    __slots__ = ("spec", "plugin", "kernels", "call", "dunder", "direct", "node_cls", "save",
                 "parser", "slow", "installed", "result_type")

    def __init__(self, spec: OpSpec, plugin: str):
        self.spec = spec
        self.plugin = plugin
        self.kernels: dict = {}
        self.call = self.dunder = self.direct = None
        self.node_cls = None
        self.save = spec.save_inputs + ((-1,) if spec.save_output else ())
        self.parser = None
        self.slow = None
        self.installed: list = []
        # the named tuple of a multi-output op (loom.return_types.<name>)
        self.result_type = None if not spec.outputs else \
            structseq(spec.name, spec.outputs) if spec.named_outputs else tuple

    def __getattr__(self, name):
        # only reached for names that are not slots: the spec's fields
        return getattr(self.spec, name)

    def __repr__(self) -> str:
        return f"<operator '{self.spec.name}' ({self.spec.kind.value}) from plugin '{self.plugin}'>"


class OperatorClashError(RuntimeError):
    """Two plugins offer the same operator and configuration does not say which wins."""


class MissingOperatorError(AttributeError):
    """An operator is not registered (its plugin is missing, blocked or failed)."""


_COMPARISONS = frozenset(("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"))


def claims_of(spec: OpSpec) -> list:
    """Every name `spec` installs, as ("function", name) and ("method", name) pairs: its
    functions, methods, reflected dunders, in-place method and the ``__iadd__`` forms."""
    out = [("function", f) for f in spec.functions]
    out += [("method", m) for m in spec.methods + spec.rmethods + spec.properties]
    if spec.inplace:
        out += [("method", m) for m in inplace_names(spec)]
        out += [("function", m) for m in inplace_functions(spec)]
        out += [("method", "__i" + m[2:]) for m in spec.methods
                if m.startswith("__") and m not in _COMPARISONS]
    return out


class Registry:
    """name -> `OpEntry`, plus who provides what and which op holds each installed name.

    Every name an operator installs (its op name, `loom.*` functions, Tensor methods) is
    checked against what already holds it: names that belong to loom itself (`reserve`) are
    never given away, and a name another plugin's operator holds is refused with
    `OperatorClashError` naming both plugins, unless configuration (``op_providers``, keyed by
    the name) or an explicit override says who wins. Load order never decides.
    """

    def __init__(self):
        self.ops: dict[str, OpEntry] = {}
        self.providers: dict[str, str] = {}
        self.holders: dict = {}  # ("function" | "method", name) -> OpEntry
        self.reserved: dict = {"function": frozenset(), "method": frozenset()}
        self.overridden: list[tuple[str, str, str]] = []
        self._installers: list[Callable[[OpEntry], None]] = []
        self._uninstallers: list[Callable[[OpEntry], None]] = []
        self._displaced: dict = {}  # id(entry) -> entries it replaced, restored on unregister

    def reserve(self, functions=(), methods=()) -> None:
        """Mark names of `loom` and of `Tensor` as loom's own: no operator may take them."""
        self.reserved = {"function": self.reserved["function"] | frozenset(functions),
                         "method": self.reserved["method"] | frozenset(methods)}

    def add_installer(self, fn: Callable[[OpEntry], None], undo=None) -> None:
        """`fn(op)` runs for every registered op (dispatch builds the callable and the names
        are attached to Tensor and `loom`); `undo(op)` reverses it on `unregister`."""
        self._installers.append(fn)
        if undo is not None:
            self._uninstallers.append(undo)
        for op in self.ops.values():
            fn(op)

    def _remove(self, op: OpEntry) -> None:
        if self.ops.get(op.name) is op:
            del self.ops[op.name]
            del self.providers[op.name]
        for key in claims_of(op.spec):
            if self.holders.get(key) is op:
                del self.holders[key]
        for undo in self._uninstallers:
            undo(op)

    def _add(self, op: OpEntry) -> None:
        self.ops[op.name] = op
        self.providers[op.name] = op.plugin
        for key in claims_of(op.spec):
            self.holders[key] = op
        for fn in self._installers:
            fn(op)

    def unregister(self, entry) -> None:
        """Remove an operator (an entry, or its name) and its names, reinstating the
        operators it had replaced (a plugin that registered it is rolled back)."""
        op = self.ops.get(entry) if isinstance(entry, str) else entry
        if op is None:
            return
        self._remove(op)
        for old in self._displaced.pop(id(op), ()):
            self._add(old)
        self.overridden = [o for o in self.overridden if o[2] != op.plugin or o[0] != op.name]

    def register(self, spec: OpSpec, plugin: str, override: bool = False) -> Optional[OpEntry]:
        """Add `spec` as provided by `plugin`; returns its entry, or None when configuration
        keeps the existing provider. A name loom itself holds raises `OperatorClashError`; a
        name another plugin's operator holds does too, unless `override` is set or
        configuration (``op_providers``: name=plugin) names the winner."""
        if not isinstance(spec, OpSpec):
            raise TypeError(f"plugin '{plugin}' registered {type(spec).__name__} "
                            f"{spec!r:.60}, expected a loom.plugin.OpSpec")
        claims = claims_of(spec)
        own = [f"the {kind} '{name}'" for kind, name in claims if name in self.reserved[kind]]
        if own:
            raise OperatorClashError(
                f"plugin '{plugin}': operator '{spec.name}' declares {', '.join(own)}, which "
                f"belong{'s' if len(own) == 1 else ''} to loom itself and cannot be replaced")
        chosen = config.get("op_providers")
        rivals = []  # (name, entry) held by another plugin's operator
        old = self.ops.get(spec.name)
        if old is not None:
            rivals.append((spec.name, old))
        for key in claims:
            holder = self.holders.get(key)
            if holder is not None and holder is not old:
                rivals.append((key[1], holder))
        displaced, unresolved = [], []
        for name, holder in rivals:
            if holder.plugin == plugin:
                displaced.append(holder)  # a plugin replacing its own operator
                continue
            winner = chosen.get(name) or chosen.get(spec.name)
            if winner == holder.plugin:
                self.overridden.append((spec.name, plugin, holder.plugin))
                return None
            if override or winner == plugin:
                displaced.append(holder)
            else:
                unresolved.append((name, holder))
        if unresolved:
            name, holder = unresolved[0]
            if len(unresolved) == 1 and name == spec.name:
                msg = (f"operator '{name}' is provided by both plugin '{holder.plugin}' and "
                       f"plugin '{plugin}'")
            else:
                held = ", ".join(f"'{n}' (operator '{h.name}' of plugin '{h.plugin}')"
                                 for n, h in unresolved)
                msg = (f"operator '{spec.name}' of plugin '{plugin}' declares names another "
                       f"plugin provides: {held}")
            raise OperatorClashError(
                f"{msg}; choose one with LOOM_OP_PROVIDERS={name}=<plugin> or [tool.loom] "
                f"op_providers, or register with override=True")
        op = OpEntry(spec, plugin)
        for holder in dict.fromkeys(displaced):
            self._remove(holder)
            if holder.plugin != plugin:
                self.overridden.append((holder.name, holder.plugin, plugin))
        try:
            self._add(op)
        except BaseException:
            # an installer failed (a kernel that cannot be bound): leave nothing behind
            self._remove(op)
            for holder in dict.fromkeys(displaced):
                self._add(holder)
            raise
        if displaced:
            self._displaced[id(op)] = list(dict.fromkeys(displaced))
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
