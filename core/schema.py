"""The schema of a custom op: read from a Python function's type hints (or given as text), in
the words of `torch.library` (``mylib::f(Tensor x, Tensor? w=None, SymInt n=2) -> Tensor``).

`loom.library.custom_op` turns the parsed parameters into an `OpSpec`: each parameter's kind
says whether it is a graph input (a tensor, an optional tensor, a sequence of tensors) or a
parameter of the kernel.
"""
from __future__ import annotations

import collections.abc
import inspect
import typing
from typing import Callable, Iterable, Optional, Union

from . import dtypes as _dtypes
from .device import device as _device
from .tensor import Tensor

__all__ = ["infer_schema", "parse_hints", "parse_schema", "schema_text", "Param"]

# schema type names, as torch.library writes them
_SCALARS = {int: "SymInt", float: "float", bool: "bool", str: "str", _dtypes.dtype: "ScalarType",
            _device: "Device"}
_SCHEMA_TYPES = {"Tensor": "T", "Tensor?": "T?", "Tensor[]": "T[]"}
_SCHEMA_TYPES.update({n: "v" for n in ("SymInt", "int", "float", "bool", "str", "ScalarType",
                                        "Device", "SymInt?", "int?", "float?", "bool?", "str?",
                                        "ScalarType?", "Device?", "SymInt[]", "int[]",
                                        "float[]", "bool[]")})


def _type_name(hint) -> Optional[str]:
    """The schema name of a parameter's type hint, or None when it is not supported."""
    if hint is Tensor:
        return "Tensor"
    if hint in _SCALARS:
        return _SCALARS[hint]
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is Union and len(args) == 2 and type(None) in args:
        inner = _type_name(args[0] if args[1] is type(None) else args[1])
        return inner + "?" if inner and not inner.endswith(("?", "]")) else None
    if origin in (list, collections.abc.Sequence) and len(args) == 1:
        inner = _type_name(args[0])
        return inner + "[]" if inner in ("Tensor", "SymInt", "float", "bool") else None
    return None


def _return_names(hint) -> Optional[list]:
    if hint is None or hint is type(None):
        return []
    if hint is Tensor:
        return ["Tensor"]
    if typing.get_origin(hint) is tuple and typing.get_args(hint) and \
            all(a is Tensor for a in typing.get_args(hint)):
        return ["Tensor"] * len(typing.get_args(hint))
    return None


class Param(typing.NamedTuple):
    name: str
    type: str          # schema type ("Tensor", "Tensor?", "SymInt", ...)
    kind: str          # "T" one tensor, "T?" optional tensor, "T[]" tensors, "v" a value
    default: object    # inspect.Parameter.empty when required


def infer_schema(fn: Callable, *, mutates_args: Iterable[str] = (),
                 op_name: Optional[str] = None) -> str:
    """The schema of `fn` from its type hints, as `torch.library.infer_schema` writes it:
    ``(Tensor x, SymInt n=2) -> Tensor``; ValueError for a parameter without a supported
    annotation."""
    params, returns = parse_hints(fn, tuple(mutates_args))
    return schema_text(params, returns, tuple(mutates_args), op_name)


def parse_hints(fn, mutates):
    sig = inspect.signature(fn)
    try:
        hints = typing.get_type_hints(fn)
    except Exception as e:
        raise ValueError(f"infer_schema(func): could not read the type hints of {fn!r}: "
                         f"{e}") from None
    where = f"Got func with signature {sig})"
    params = []
    for p in sig.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise ValueError(f"infer_schema(func): Parameter {p.name} cannot be *args or "
                             f"**kwargs. {where}")
        if p.name not in hints:
            raise ValueError(f"infer_schema(func): Parameter {p.name} must have a type "
                             f"annotation. {where}")
        t = _type_name(hints[p.name])
        if t is None:
            raise ValueError(
                f"infer_schema(func): Parameter {p.name} has unsupported type "
                f"{hints[p.name]}. The valid types are: Tensor, Optional[Tensor], "
                f"Sequence[Tensor], int, float, bool, str, dtype, device (and Optional or "
                f"Sequence of the numbers). {where}")
        params.append(Param(p.name, t, _SCHEMA_TYPES[t], p.default))
    unknown = set(mutates) - {p.name for p in params}
    if unknown:
        raise ValueError(f"infer_schema(func): {unknown} in mutates_args were not found in the "
                         f"custom op's signature. mutates_args should contain the names of all "
                         f"args that the custom op mutates. {where}")
    if "return" not in hints:
        raise ValueError(f"infer_schema(func): No return type annotation was provided. Please "
                         f"add one. {where}")
    returns = _return_names(hints["return"])
    if returns is None:
        raise ValueError(f"infer_schema(func): Return has unsupported type {hints['return']}. "
                         f"The valid types are: Tensor, tuple[Tensor, ...], None. {where}")
    return params, returns


def schema_text(params, returns, mutates, op_name=None) -> str:
    args = []
    for i, p in enumerate(params):
        t = p.type
        if p.name in mutates:
            t = t.replace("Tensor", f"Tensor(a{i}!)", 1)
        d = "" if p.default is inspect.Parameter.empty else f"={p.default!r}"
        args.append(f"{t} {p.name}{d}")
    ret = "()" if not returns else returns[0] if len(returns) == 1 else \
        f"({', '.join(returns)})"
    return f"{op_name or ''}({', '.join(args)}) -> {ret}"


def parse_schema(schema: str, fn: Callable, mutates):
    """Params and returns from a schema string ``"(Tensor x, SymInt n=2) -> Tensor"``, matched
    against `fn`'s parameters."""
    head, sep, ret = schema.partition("->")
    head = head.strip()
    if not sep or not head.startswith("(") or not head.endswith(")"):
        raise ValueError(f"custom_op: schema {schema!r} is not of the form "
                         f"'(Tensor x, ...) -> Tensor'")
    sig = inspect.signature(fn)
    params = []
    for item in filter(None, (s.strip() for s in head[1:-1].split(","))):
        decl, _, default = item.partition("=")
        t, _, name = decl.strip().rpartition(" ")
        t = t.replace("(a!)", "").strip()
        if "(" in t:
            t = t[:t.index("(")] + t[t.index(")") + 1:]
        if t not in _SCHEMA_TYPES or name not in sig.parameters:
            raise ValueError(f"custom_op: schema {schema!r}: cannot read {item!r} (type one of "
                             f"{', '.join(_SCHEMA_TYPES)}; a parameter of the function)")
        params.append(Param(name, t, _SCHEMA_TYPES[t], sig.parameters[name].default))
    ret = ret.strip()
    returns = [] if ret == "()" else [r.strip() for r in ret.strip("()").split(",")]
    if any(r != "Tensor" for r in returns):
        raise ValueError(f"custom_op: schema {schema!r}: returns must be Tensor, a tuple of "
                         f"Tensors or ()")
    return params, returns
