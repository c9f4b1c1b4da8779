"""The operator spec: one frozen, documented record per operator, plus its sample inputs.

An author declares an operator once (`OpSpec`, usually through a family builder of
`loom.plugin`: `unary`, `binary`, `reduction`, `view`, `factory`, `op`); the registry derives
everything it needs at run time (bound kernels, the node class, the callables) into its own
entry and never writes into the spec. The spec checks itself when built: a wrong type, an
unknown kind or a string where a tuple of names belongs is a `TypeError`/`ValueError` naming
the operator (and, at registration, the plugin).
"""
from __future__ import annotations

import dataclasses
import enum
import types
from typing import Any, Callable, Mapping, Optional, Union

__all__ = ["OpSpec", "Kind", "Promote", "View", "SampleInput", "ErrorInput", "node_name_for",
           "inplace_names", "inplace_functions", "NAMESPACES"]

#: namespaces of `loom` that operators' functions may be installed into: a function named
#: ``"linalg.solve"`` becomes ``loom.linalg.solve`` (each is a core module that receives them)
NAMESPACES = ("linalg", "special")


def _is_function_name(n) -> bool:
    """A plain name, or ``namespace.name`` in one of `NAMESPACES`."""
    if not isinstance(n, str):
        return False
    ns, dot, short = n.rpartition(".")
    return short.isidentifier() and (not dot or ns in NAMESPACES)


class Kind(str, enum.Enum):
    """The calling convention of an operator."""

    #: one tensor in, kernel ``kernel(xp, x)``
    UNARY = "unary"
    #: two operands (tensors or Python numbers) with PyTorch's promotion and broadcasting
    BINARY = "binary"
    #: `inputs` tensors (or a sequence of tensors when `variadic`) then parameters
    GENERIC = "generic"
    #: no tensor input; makes a tensor on a device, kernel ``kernel(backend, *args, ...)``
    FACTORY = "factory"


class Promote(str, enum.Enum):
    """How the result dtype follows from the inputs'."""

    #: PyTorch's result type of the operands (``int + int`` is int)
    SAME = "same"
    #: like SAME, but integer and bool results become the default float (``sqrt``, true ``div``)
    INT_TO_FLOAT = "int_to_float"


class View(str, enum.Enum):
    """Whether the result shares memory (and version counter) with the first input."""

    NONE = "none"
    #: always a view (``transpose``, ``expand``)
    ALWAYS = "always"
    #: a view when the kernel could make one, a copy otherwise (``reshape``, ``flatten``)
    MAYBE = "maybe"


@dataclasses.dataclass(frozen=True)
class SampleInput:
    """One call of an operator for the conformance kit: positional `args` (NumPy arrays become
    tensors, lists/tuples of arrays become lists/tuples of tensors, anything else is passed as
    is) and `kwargs`. `grad` says whether the gradient checks run on it; `rtol`/`atol` loosen
    the forward comparison where the algorithm differs from the reference."""

    args: tuple
    kwargs: dict = dataclasses.field(default_factory=dict)
    grad: bool = True
    rtol: float = 1e-5
    atol: float = 1e-6
    note: str = ""


@dataclasses.dataclass(frozen=True)
class ErrorInput:
    """A call PyTorch rejects: `args`/`kwargs` as in `SampleInput`, the exception type PyTorch
    raises (`error`) and optionally a regular expression its message must match (`match`)."""

    args: tuple
    kwargs: dict = dataclasses.field(default_factory=dict)
    error: type = RuntimeError
    match: Optional[str] = None
    note: str = ""


def node_name_for(name: str) -> str:
    """PyTorch's node class name for an operator: ``exp`` -> ``ExpBackward0``; a custom op
    ``mylib::mysin`` -> ``GeneratedBackwardFor_mylib_mysin_defaultBackward``."""
    if "::" in name:
        return f"GeneratedBackwardFor_{name.replace('::', '_')}_defaultBackward"
    return "".join(p.capitalize() for p in name.strip("_").split("_")) + "Backward0"


_NAME_TUPLES = ("methods", "functions", "rmethods", "properties")


@dataclasses.dataclass(frozen=True, eq=False)
class OpSpec:
    """One operator, described once. Every field but `name` has a default; family builders of
    `loom.plugin` fill the usual values from the name.

    Kernels see raw arrays of the call's device; backward rules see gradients as raw arrays
    (``create_graph=False``) or loom tensors (``create_graph=True``) and are written once with
    operations both offer (``g * y``, ``xp_of(g).where``, `loom.plugin.sum_to_shape`).
    """

    #: the operator's name in the registry (and, by default, its `loom.*` function)
    name: str
    #: calling convention (`Kind`)
    kind: Kind = Kind.GENERIC
    #: forward kernel: ``kernel(xp, *arrays, **params)``; factories ``kernel(backend, *args,
    #: dtype=, index=, **params)``. None when `ufunc` names the kernel. A binary kernel may
    #: take keyword parameters (``kernel(xp, a, b, rounding_mode=None)``): a call giving one
    #: computes in the operands' common dtype and the backward rule sees it in ``ctx.params``.
    kernel: Optional[Callable] = None
    #: name of an `xp` function that *is* the kernel (``"add"``): dispatch calls ``xp.add``
    #: directly, with no Python frame in between
    ufunc: Optional[str] = None
    #: {device type: kernel} overriding `kernel` on that device (same signature)
    device_kernels: Mapping[str, Callable] = dataclasses.field(default_factory=dict)
    #: ``backward(ctx, grad) -> tuple`` with one gradient (or None) per tensor input. `ctx`
    #: offers ``saved`` (what `save_inputs`/`save_output` name, in that order),
    #: ``needs_input_grad``, ``shapes`` (input shapes; None for a Python number), ``params``.
    backward: Optional[Callable] = None
    #: False: results never require grad (comparisons, argmax). True without `backward`: the
    #: results of inputs that require grad raise PyTorch's error at backward.
    differentiable: bool = True
    #: number of leading tensor inputs (generic ops)
    inputs: int = 1
    #: the tensor inputs come as one sequence (``cat([a, b])``)
    variadic: bool = False
    #: input positions the backward rule needs (a variadic op's positions past a call's
    #: inputs are skipped: ``tuple(range(k))`` saves up to k of them)
    save_inputs: tuple = ()
    #: whether the backward rule needs the output (saved after the inputs)
    save_output: bool = False
    #: Tensor method names (dunders such as ``__add__`` included)
    methods: tuple = ()
    #: `loom.*` function names; ``"linalg.solve"`` installs ``loom.linalg.solve`` (the
    #: namespaces are `NAMESPACES`)
    functions: tuple = ()
    #: read-only Tensor properties that apply the op to the tensor alone (``mT``)
    properties: tuple = ()
    #: reflected dunders (``__radd__``): called with the operands swapped
    rmethods: tuple = ()
    #: name of the in-place Tensor method (``add_``); dunders get ``__iadd__`` too
    inplace: Optional[str] = None
    #: the op draws random numbers (``generator=``): the conformance kit seeds loom and PyTorch
    #: alike before each call and compares the values exactly
    random: bool = False
    #: the in-place form overwrites every element with one value (``zero_``, ``fill_``), so it
    #: writes directly, with no temporary
    inplace_fill: bool = False
    #: the in-place form is a ``loom.*`` function too (``loom.exp_(t)``, ``loom.zero_(t)``), as
    #: PyTorch gives most unary and fill ops: True for every in-place name, or a tuple of the
    #: names that are (``("abs_",)``: no ``loom.absolute_``); the `unary` builder sets True
    inplace_function: Union[bool, tuple] = False
    #: the function forms take ``out=``
    supports_out: bool = False
    #: result dtype rule (`Promote`)
    promote: Promote = Promote.SAME
    #: the result is a bool tensor (comparisons)
    returns_bool: bool = False
    #: the op answers with a Python number, not a tensor (``equal``, ``allclose``): the
    #: kernel's 0-dim result is returned as ``item()``
    python_result: bool = False
    #: whether the result is a view of the first input (`View`)
    view: View = View.NONE
    #: names of the outputs of an op that returns several (``("values", "indices")``): its
    #: result is a named tuple ``loom.return_types.<name>``, one node records every output, and
    #: the backward rule receives a tuple with one gradient (or None) per output. Empty: one
    #: output, or, when the kernel returns a plain tuple (``split``, ``unbind``), a plain tuple
    #: of as many tensors as the call made, recorded the same way on one node
    outputs: tuple = ()
    #: the backward rule is written for complex incoming gradients in PyTorch's convention
    #: (``grad * conj(df/dz)``) and receives them as they are (``complex``, ``real``)
    takes_complex_grad: bool = False
    #: False: the outputs come as a plain tuple (``std_mean``), not a named one
    named_outputs: bool = True
    #: the node class name (``MulBackward0``), or a function of the call's params giving it
    node_name: Union[str, Callable, None] = None
    #: node class name when one operand is a Python number (``pow(t, 2)``: PowBackward0)
    scalar_node_name: Optional[str] = None
    #: a binary op accepts Python numbers (``torch.maximum`` does not)
    scalars: bool = True
    #: its function form takes a Python number as the first operand (``torch.add(2, t)``);
    #: PyTorch's comparisons refuse it (``torch.eq(2, t)``), their operators do not (``2 < t``)
    scalar_first: bool = True
    #: complex-differentiable: the engine derives PyTorch's complex gradient from the real rule;
    #: False (abs, maximum) makes a complex gradient raise NotImplementedError
    holomorphic: bool = True
    #: ``check(dtype_a, dtype_b, result_dtype, rank_a, rank_b)`` raising PyTorch's error for
    #: operand dtypes a binary op refuses; off the fast path
    check: Optional[Callable] = None
    #: ``parse(*rest, **kw) -> params dict`` replacing the signature-based argument parser
    parse: Optional[Callable] = None
    #: ``prepare(*args) -> args`` rewriting the call's arguments before dispatch (tensor
    #: inputs first); keyword arguments naming one of its parameters are passed to it
    #: (``x.gather(1, index=i)``), the others to the parser
    prepare: Optional[Callable] = None
    #: ``redirect(*args, **kwargs) -> name or None``: the registered operator that serves this
    #: call instead, as PyTorch's overloads do (``max(a, b)`` is ``maximum``); None: this op.
    #: Asked for every call but a lone tensor's
    redirect: Optional[Callable] = None
    #: binary function forms take PyTorch's ``alpha=`` (``add(a, b, alpha=2)``)
    alpha: bool = False
    #: ``samples(rng, np_dtype) -> [SampleInput]`` for the conformance kit
    samples: Optional[Callable] = None
    #: ``error_samples(rng) -> [ErrorInput]``: calls PyTorch rejects
    error_samples: Optional[Callable] = None
    #: the PyTorch counterpart the kit compares with (``torch.<name>`` or ``Tensor.<name>``);
    #: None: compare with `reference`
    torch_name: Optional[str] = None
    #: NumPy reference ``reference(*arrays, **kwargs)`` when there is no PyTorch counterpart
    reference: Optional[Callable] = None
    #: the docstring of every function and method the op installs
    doc: str = ""
    #: the signature shown by ``help()`` and ``inspect.signature``, e.g.
    #: ``"(input, dim=None, keepdim=False, *, dtype=None)"``; derived from the kernel when empty
    signature: str = ""

    def __post_init__(self):
        set_ = object.__setattr__
        where = f"operator spec '{self.name}'"
        if not isinstance(self.name, str) or not all(
                part.isidentifier() for part in self.name.split("::", 1)):
            # "ns::name" is a custom op's qualified name (loom.library), as torch.library's
            raise TypeError(f"operator spec: name must be an identifier string or a qualified "
                            f"'namespace::name', got {self.name!r}")
        try:
            set_(self, "kind", Kind(self.kind))
        except ValueError:
            raise ValueError(f"{where}: unknown kind {self.kind!r}; expected one of "
                             f"{', '.join(k.value for k in Kind)}") from None
        for field, enum_type in (("promote", Promote), ("view", View)):
            value = getattr(self, field)
            try:
                set_(self, field, enum_type(value))
            except ValueError:
                raise ValueError(f"{where}: unknown {field} {value!r}; expected one of "
                                 f"{', '.join(k.value for k in enum_type)}") from None
        for field in _NAME_TUPLES + ("outputs",):
            value = getattr(self, field)
            if isinstance(value, str) or not isinstance(value, (tuple, list)):
                raise TypeError(f"{where}: {field} must be a tuple of names, got "
                                f"{type(value).__name__} {value!r}")
            for n in value:
                ok = _is_function_name(n) if field == "functions" else \
                    isinstance(n, str) and n.isidentifier()
                if not ok:
                    raise TypeError(f"{where}: {field} has {n!r}, which is not a name" +
                                    (f" (a namespaced function is one of "
                                     f"{', '.join(NAMESPACES)} and a name)"
                                     if field == "functions" and "." in str(n) else ""))
            set_(self, field, tuple(value))
        if not (type(self.inplace_function) is bool or
                isinstance(self.inplace_function, tuple) and
                set(self.inplace_function) <= set(inplace_names(self))):
            raise TypeError(f"{where}: inplace_function must be True, False or a tuple of its "
                            f"in-place names, got {self.inplace_function!r}")
        if self.inplace is not None and (not isinstance(self.inplace, str) or
                                         not self.inplace.isidentifier()):
            raise TypeError(f"{where}: inplace must be a method name or None, got "
                            f"{self.inplace!r}")
        if isinstance(self.save_inputs, (str, int)) or not all(
                type(i) is int for i in self.save_inputs):
            raise TypeError(f"{where}: save_inputs must be a tuple of input positions, got "
                            f"{self.save_inputs!r}")
        set_(self, "save_inputs", tuple(self.save_inputs))
        for field in ("kernel", "backward", "check", "parse", "prepare", "redirect", "samples",
                      "error_samples", "reference"):
            value = getattr(self, field)
            if value is not None and not callable(value):
                raise TypeError(f"{where}: {field} must be callable or None, got "
                                f"{type(value).__name__}")
        if not isinstance(self.device_kernels, Mapping) or not all(
                isinstance(k, str) and callable(v) for k, v in self.device_kernels.items()):
            raise TypeError(f"{where}: device_kernels must map device types to kernels")
        set_(self, "device_kernels", types.MappingProxyType(dict(self.device_kernels)))
        if self.kernel is None and self.ufunc is None:
            raise ValueError(f"{where}: give a kernel or the name of an xp function (ufunc)")
        if self.ufunc is not None and not isinstance(self.ufunc, str):
            raise TypeError(f"{where}: ufunc must be the name of an xp function")
        for field in ("differentiable", "variadic", "save_output", "supports_out", "inplace_fill",
                      "random", "takes_complex_grad", "named_outputs",
                      "returns_bool", "python_result", "scalars", "scalar_first", "holomorphic",
                      "alpha"):
            if type(getattr(self, field)) is not bool:
                raise TypeError(f"{where}: {field} must be True or False, got "
                                f"{getattr(self, field)!r}")
        if type(self.inputs) is not int or self.inputs < 0:
            raise TypeError(f"{where}: inputs must be a non-negative int, got {self.inputs!r}")
        kind = self.kind
        if kind is Kind.BINARY:
            set_(self, "inputs", 2)
        elif kind is Kind.UNARY:
            set_(self, "inputs", 1)
        elif kind is Kind.FACTORY:
            set_(self, "inputs", 0)
            set_(self, "differentiable", False)
        n = self.inputs
        if not self.variadic and any(not 0 <= i < n for i in self.save_inputs):
            raise ValueError(f"{where}: save_inputs {self.save_inputs} names an input beyond "
                             f"its {n} tensor input(s)")
        if self.node_name is None:
            set_(self, "node_name", node_name_for(self.name))
        elif not (isinstance(self.node_name, str) or callable(self.node_name)):
            raise TypeError(f"{where}: node_name must be a string or a function of the params")
        if not isinstance(self.doc, str) or not isinstance(self.signature, str):
            raise TypeError(f"{where}: doc and signature must be strings")

    @property
    def has_backward(self) -> bool:
        """Whether the op has a backward rule."""
        return self.backward is not None

    def replace(self, **changes: Any) -> "OpSpec":
        """A copy with some fields changed (the spec itself is frozen)."""
        return dataclasses.replace(self, **changes)


def inplace_names(spec: OpSpec) -> tuple:
    """The in-place method of `spec` and, when it is named after the op (``sub_``), the same
    for each of its other named methods (``subtract_``), as PyTorch's aliases have."""
    if not spec.inplace:
        return ()
    if spec.inplace != spec.name + "_":
        return (spec.inplace,)
    return (spec.inplace, *(m + "_" for m in spec.methods
                            if m != spec.name and not m.startswith("__")))


def inplace_functions(spec: OpSpec) -> tuple:
    """The in-place names `spec` installs as ``loom.*`` functions too."""
    f = spec.inplace_function
    return inplace_names(spec) if f is True else f or ()
