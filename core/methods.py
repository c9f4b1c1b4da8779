"""How a registered operator becomes Tensor methods and `loom.*` functions.

Dunder methods (``__add__``) are the operator's dispatch callable itself, so ``a + b`` costs one
Python call before the kernel; named methods and functions add the keyword forms (``alpha=``,
``out=``) around it.
"""
from __future__ import annotations

import functools

from . import dispatch, grad_mode, inplace, linalg, special
from .promotion import scaled_by_alpha
from .registry import OpEntry
from .spec import Kind, View, inplace_functions, inplace_names
from .tensor import Tensor

__all__ = ["install_names", "uninstall_names", "publish_into", "functions", "namespaces"]


class _Functions:
    """The operators' `loom.*` functions as attributes: the namespace backward rules get from
    `loom.plugin.xp_of` for tensors (``xp.where``, ``xp.log``), kept here so that it exists
    below the `loom` package."""

    def __getattr__(self, name):
        raise AttributeError(f"no registered operator provides the function '{name}'")


functions = _Functions()
_targets: list = [functions.__dict__]  # namespaces that receive every op's functions


# the namespace modules of `loom` (spec.NAMESPACES): a function "linalg.solve" goes into
# loom.linalg's globals, and only there
namespaces = {"linalg": linalg.__dict__, "special": special.__dict__}


def publish_into(namespace: dict) -> None:
    """Also install every operator's functions into `namespace` (the `loom` package's)."""
    _targets.append(namespace)


def _out_error(op):
    return RuntimeError(f"{op.name}(): functions with out=... arguments don't support automatic "
                        f"differentiation, but one of the arguments requires grad.")


def _write_out(op, r, out):
    if isinstance(r, tuple) and isinstance(out, (tuple, list)):
        # several results (sort, max(dim)): one out tensor each, the same named tuple back
        if len(out) != len(r):
            raise TypeError(f"{op.name}(): argument 'out' must be tuple of {len(r)} Tensors")
        written = [_write_out(op, x, o) for x, o in zip(r, out)]
        return type(r)(*written) if hasattr(r, "_fields") else tuple(written)
    if not isinstance(out, Tensor):
        raise TypeError(f"{op.name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if grad_mode.state.enabled and (r._rg or out._rg):
        raise _out_error(op)
    if out._data.shape != r._data.shape:
        if out._data.size:
            import warnings
            warnings.warn(f"An output with one or more elements was resized since it had shape "
                          f"{list(out._data.shape)}, which does not match the required output "
                          f"shape {list(r._data.shape)}.", UserWarning, stacklevel=3)
        out._data = r._data.astype(out._data.dtype, copy=False)
    else:
        inplace.write_into(op.name, out, r._data)
    inplace.bump_version(out)
    return out


def _binary_function(op: OpEntry):
    call = op.call
    if dispatch.takes_keywords(op):
        def with_keywords(input, other, *, out=None, **kw):  # div(a, b, rounding_mode=...)
            r = call(input, other, **kw)
            return r if out is None else _write_out(op, r, out)
        return with_keywords

    scalar_first = op.spec.scalar_first

    def fn(input, other, *, alpha=None, out=None):
        if not scalar_first and not isinstance(input, Tensor):
            raise TypeError(f"{op.name}() received an invalid combination of arguments - got "
                            f"({type(input).__name__}, {type(other).__name__}), but expected "
                            f"(Tensor input, Tensor other) or (Tensor input, Number other)")
        if alpha is not None:
            other = scaled_by_alpha(op, input, other, alpha)
        if out is None:
            return call(input, other)
        return _write_out(op, call(input, other), out)

    return fn


def _generic_function(op: OpEntry):
    call = op.call
    if not op.supports_out:
        return call

    def fn(*args, out=None, **kw):
        r = call(*args, **kw)
        return r if out is None else _write_out(op, r, out)

    return fn


# Signature stubs for the callables of ops whose kernel is an `xp` function: `help()` and
# `inspect.signature` follow `__wrapped__` to them.
def _unary_signature(input, *, out=None): ...
def _binary_signature(input, other, *, alpha=1, out=None): ...


def _signature_of(op: OpEntry):
    spec = op.spec
    if spec.signature:
        # a declared signature: a stub compiled once, when the op is installed
        scope: dict = {}
        name = spec.name.replace("::", "__")  # a custom op's "ns::name"
        exec(f"def {name}{spec.signature}: ...", scope)
        return scope[name]
    if spec.kernel is not None:
        # the kernel without its leading `xp` (or backend) parameter
        return functools.partial(spec.kernel, None)
    return _binary_signature if spec.kind is Kind.BINARY else _unary_signature


def _describe(fn, name: str, op: OpEntry, wrapped) -> None:
    """Give a generated callable its op's name, docstring and signature."""
    try:
        fn.__name__ = fn.__qualname__ = name
        fn.__doc__ = op.spec.doc or f"The operator '{op.name}' of plugin '{op.plugin}'."
        fn.__module__ = "loom"
        fn.__wrapped__ = wrapped
    except (AttributeError, TypeError):  # a builtin (an xp function used as the callable)
        pass


def install_names(op: OpEntry) -> None:
    """Attach `op` to Tensor and to the `loom` namespace under the names it declares."""
    dispatch.install(op)
    call = op.call
    installed = op.installed
    sig = _signature_of(op)
    _describe(call, op.name, op, sig)

    def method(name, fn):
        setattr(Tensor, name, fn)
        installed.append((Tensor, name, fn))

    def function(name, fn):
        ns, dot, short = name.rpartition(".")
        if dot:
            namespaces[ns][short] = fn
            installed.append((namespaces[ns], short, fn))
            return
        for target in _targets:
            target[name] = fn
            installed.append((target, name, fn))

    if op.kind is Kind.FACTORY:
        for f in op.functions:
            function(f, call)
        return
    fn = _binary_function(op) if op.kind is Kind.BINARY else _generic_function(op)
    if fn is not call:
        _describe(fn, op.name, op, sig)
    # Python operators pass no keywords: the bare callable (or the binary op's operator form,
    # which answers NotImplemented for an operand it cannot take)
    dunder = op.dunder or getattr(call, "without_keywords", call)
    if dunder is not call:
        _describe(dunder, op.name, op, sig)
    for m in op.methods:
        # Tensor methods take no out= (and generic ops no alpha=): the bare callable serves them
        method(m, dunder if m.startswith("__") else call if op.kind is not Kind.BINARY else fn)
    for m in op.rmethods:
        # ``2 * t`` is ``t * 2`` for a commutative operator, as PyTorch records it (the tensor
        # first); the others swap their operands
        method(m, dunder if m in _COMMUTATIVE else _reflected(dunder))
    for m in op.properties:
        method(m, property(call, doc=op.spec.doc))
    for f in op.functions:
        function(f, fn)
    if op.inplace:
        ip = (inplace.build_inplace_view if op.view is View.ALWAYS else
              inplace.build_inplace)(op)
        _describe(ip, op.inplace, op, sig)
        for name in inplace_names(op.spec):  # sub_, and its alias subtract_
            method(name, ip)
        for name in inplace_functions(op.spec):  # loom.exp_(t), as torch.exp_
            function(name, ip)
        for m in op.methods:
            if m.startswith("__") and m not in ("__eq__", "__ne__", "__lt__", "__le__", "__gt__",
                                                "__ge__"):
                method("__i" + m[2:], ip)


def uninstall_names(op: OpEntry) -> None:
    """Remove the names `op` installed (when the plugin that registered it is rolled back)."""
    installed, op.installed = op.installed, []
    for target, name, fn in installed:
        if type(target) is dict:
            if target.get(name) is fn:
                del target[name]
        elif Tensor.__dict__.get(name) is fn:
            delattr(Tensor, name)


_COMMUTATIVE = frozenset({"__radd__", "__rmul__", "__rand__", "__ror__", "__rxor__"})


def _reflected(call):
    def r(self, other):
        return call(other, self)
    return r
