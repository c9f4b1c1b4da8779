"""Operator records and the registry that holds them.

An operator is one `OpDef`: its forward kernel (written against the array namespace `xp`),
optional per-device kernels, its backward rule, the names it appears under and its sample
inputs. The registry maps names to records, records which plugin provides each, resolves
clashes by an explicit rule, and builds each operator's callable once (see `dispatch`).
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, Optional

__all__ = ["OpDef", "Registry", "OperatorClashError", "MissingOperatorError", "registry",
           "BUNDLED_CATALOG"]


@dataclasses.dataclass
class OpDef:
    """One operator, described once.

    kind: "binary" (two operands, tensors or Python scalars, PyTorch type promotion, broadcasting),
    "unary" (one tensor), "generic" (`n_inputs` tensors then parameters), "factory" (no tensor
    input; makes a tensor on a device).
    forward: ``forward(xp, *arrays, **params)`` for unary/binary/generic ops; for factories
    ``forward(backend, *args, **params)``. Kernels see raw arrays of the call's device.
    ufunc: name of an `xp` function that *is* the kernel (``"add"``): dispatch then calls
    ``xp.add`` directly, without a Python frame in between.
    device_kernels: {device type: kernel} overriding `forward` on that device.
    backward: ``backward(ctx, grad) -> tuple`` of one gradient (or None) per tensor input, written
    in operations both loom tensors and raw arrays offer (see `loom.plugin`). `ctx.saved`,
    `ctx.needs_input_grad`, `ctx.shapes`, `ctx.params` are available.
    scalars: whether a binary op accepts Python scalars (``torch.maximum`` does not).
    holomorphic: the op is complex-differentiable, so the engine derives PyTorch's complex
    gradient from the real rule (conj of the rule applied to conj(grad)); set False for ops like
    abs or maximum, whose complex gradients then raise NotImplementedError.
    check: ``check(dtype_a, dtype_b, result_dtype, rank_a, rank_b)`` (rank 0: a Python
    scalar, 1: a 0-dim tensor, 2: a tensor with dimensions) raising PyTorch's error for operand
    dtypes the op refuses (a bool subtraction); runs once per call off the fast path.
    save: which values the backward rule uses: input positions, and -1 for the output.
    """

    name: str
    forward: Callable
    kind: str = "generic"
    backward: Optional[Callable] = None
    ufunc: Optional[str] = None
    device_kernels: dict = dataclasses.field(default_factory=dict)
    n_inputs: int = 1
    save: tuple = ()
    methods: tuple = ()
    functions: tuple = ()
    rmethods: tuple = ()
    inplace: Optional[str] = None
    supports_out: bool = False
    promote: Optional[str] = None
    result: Optional[str] = None
    view: bool = False
    differentiable: bool = True
    node_name: Optional[str] = None
    scalar_node_name: Optional[str] = None
    scalars: bool = True
    holomorphic: bool = True
    check: Optional[Callable] = None
    samples: Optional[Callable] = None
    torch_name: Optional[str] = None
    reference: Optional[Callable] = None
    parse: Optional[Callable] = None
    prepare: Optional[Callable] = None
    alpha: bool = False
    doc: str = ""
    plugin: str = ""
    # filled by the registry
    call: Any = None
    call_inplace: Any = None
    extra: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        if self.node_name is None:
            self.node_name = "".join(p.capitalize() for p in self.name.split("_")) + "Backward0"
        if self.kind == "binary":
            self.n_inputs = 2
        elif self.kind in ("unary",):
            self.n_inputs = 1
        elif self.kind == "factory":
            self.n_inputs = 0
            self.differentiable = False
        if self.backward is None:
            self.differentiable = False

    @property
    def has_backward(self) -> bool:
        return self.backward is not None


class OperatorClashError(RuntimeError):
    """Two plugins offer the same operator and configuration does not say which wins."""


class MissingOperatorError(AttributeError):
    """An operator is not registered (its plugin is missing, blocked or failed)."""


# Operators of the bundled plugins, so that an error can name the plugin to install or unblock
# when one of them did not load. tests/test_plugins.py checks it against what they register.
BUNDLED_CATALOG = {
    "ops_linalg": ("mm", "matmul", "bmm", "dot", "mv", "outer"),
    "ops_basic": (
        "_to_device", "_to_dtype", "abs", "add", "all", "amax", "amin", "any", "arange", "cat",
        "clone", "contiguous", "cos", "div", "empty", "eq", "exp", "expand", "expand_as", "eye",
        "flatten", "full", "full_like", "ge", "getitem", "gt", "index_put", "le", "linspace",
        "log", "lt",
        "maximum", "mean", "minimum", "mul", "ne", "neg", "norm", "ones", "ones_like",
        "ops_index_backward", "permute", "pow", "rand", "randn", "relu", "reshape", "sigmoid",
        "sign", "sin", "sqrt", "squeeze", "stack", "sub", "sum", "t", "tanh", "transpose",
        "unsqueeze", "view", "where", "zeros", "zeros_like"),
}


class Registry:
    """name -> OpDef, plus who provides what and which names each op is installed under."""

    def __init__(self):
        self.ops: dict[str, OpDef] = {}
        self.providers: dict[str, str] = {}
        self.overridden: list[tuple[str, str, str]] = []
        self._installers: list[Callable[[OpDef], None]] = []
        self._uninstallers: list[Callable[[OpDef], None]] = []

    def add_installer(self, fn: Callable[[OpDef], None], undo=None) -> None:
        """`fn(op)` runs for every registered op (dispatch builds the callable and the names
        are attached to Tensor and `loom`); `undo(op)` reverses it on `unregister`."""
        self._installers.append(fn)
        if undo is not None:
            self._uninstallers.append(undo)
        for op in self.ops.values():
            fn(op)

    def unregister(self, name: str, restore: Optional[OpDef] = None) -> None:
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

    def register(self, op: OpDef, plugin: str, override: bool = False) -> None:
        """Add `op` as provided by `plugin`. A clash raises `OperatorClashError` unless
        `override` is set or configuration (`op_providers`) names the winner."""
        from . import config

        op.plugin = plugin
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

    def get(self, name: str) -> OpDef:
        op = self.ops.get(name)
        if op is None:
            raise missing_operator(name)
        return op

    def __contains__(self, name: str) -> bool:
        return name in self.ops

    def __iter__(self):
        return iter(list(self.ops.values()))


def missing_operator(name: str) -> MissingOperatorError:
    """The error for an operator nobody registered, naming the plugin that would provide it."""
    from .plugins import failed_names, status_of

    for plugin, names in BUNDLED_CATALOG.items():
        if name in names:
            why = status_of(plugin)
            return MissingOperatorError(
                f"operator '{name}' is not available: it is provided by plugin '{plugin}', "
                f"which {why}")
    for op in registry.ops.values():
        if name in op.methods or name in op.functions:
            return MissingOperatorError(f"operator '{name}' is not available")
    failed = failed_names()
    hint = f" (plugins that failed to load: {', '.join(failed)})" if failed else ""
    return MissingOperatorError(f"no operator named '{name}' is registered{hint}")


registry = Registry()
