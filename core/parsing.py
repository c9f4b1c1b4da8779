"""Reading an operator call's parameters: a parser from the forward kernel's signature, with
PyTorch's checks (bool flags take only bools) and NumPy's spellings (``axis``, ``keepdims``)
accepted; positional and keyword calls that name parameters bind without `inspect`."""
from __future__ import annotations

import inspect

from .registry import OpEntry

__all__ = ["make_parser", "param_names"]


_ALIASES = {"axis": "dim", "keepdims": "keepdim"}


def make_parser(op: OpEntry):
    """A function (rest_args, kwargs) -> params dict, from the forward kernel's signature."""
    sig = inspect.signature(op.kernel)
    params = list(sig.parameters.values())[1 + (1 if op.variadic else op.inputs):]
    psig = sig.replace(parameters=params)
    names = {p.name for p in params}
    defaults = {p.name: p.default for p in params
                if p.default is not inspect.Parameter.empty and
                p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    # a parameter whose default is a bool (keepdim, descending) takes only a bool, as PyTorch's
    flags = tuple(k for k, v in defaults.items() if type(v) is bool)
    # Positional arguments alone bind by position, without inspect's bind (about 2 us a call,
    # most of a transpose or select): when the kernel takes nothing but named parameters and
    # every keyword-only one has a default.
    positional = [p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
    required = len(positional) - sum(n in defaults for n in positional)
    by_position = all(p.kind is p.POSITIONAL_OR_KEYWORD or p.kind is p.KEYWORD_ONLY and
                      p.name in defaults for p in params)

    def check(args):
        for k in flags:
            v = args[k]
            if type(v) is not bool:
                raise TypeError(f"{op.name}(): argument '{k}' must be bool, not "
                                f"{type(v).__name__}")
        return args

    n_params = len(names)

    def parse(rest, kw):
        if by_position and len(rest) <= len(positional):
            if not kw:
                if required <= len(rest):
                    p = dict(defaults)
                    p.update(zip(positional, rest))
                    return check(p) if flags else p
            elif names.issuperset(kw) and (not rest or
                                           not any(n in kw for n in positional[:len(rest)])):
                # keywords that name parameters (``sum(dim=1, keepdim=True)``): no bind either
                p = dict(defaults)
                p.update(zip(positional, rest))
                p.update(kw)
                if len(p) == n_params:
                    return check(p) if flags else p
        if kw:
            for k in list(kw):
                alias = _ALIASES.get(k)
                if alias is not None and k not in names and alias in names:
                    kw[alias] = kw.pop(k)
        try:
            bound = psig.bind(*rest, **kw)
        except TypeError as e:
            raise TypeError(f"{op.name}(): {e}") from None
        bound.apply_defaults()
        return check(bound.arguments)

    return parse, defaults


def param_names(fn) -> frozenset:
    code = getattr(fn, "__code__", None)
    return frozenset(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]) \
        if code is not None else frozenset()
