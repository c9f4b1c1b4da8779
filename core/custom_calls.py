"""How a custom op runs: the pieces `library.CustomOpDef` builds its `OpSpec` from. They are
the kernel (the user's function over a call's arrays), the backward rule (the user's
`setup_context` and `backward`), the general path's `prepare` and parser, and the direct call
of a one-tensor op that records nothing."""
from __future__ import annotations

import inspect
import typing
from typing import Callable

from . import grad_mode as _grad_mode
from .inplace import bump_version as _bump_version
from .tensor import Tensor, wrap

_new = object.__new__

__all__ = []  # library's helpers; the public names are library's


class _Ctx:
    """The `ctx` of a custom op's `setup_context` and backward, as `torch.autograd.Function`'s:
    `save_for_backward`, `saved_tensors`, `needs_input_grad` (one per argument), and any
    attribute set on it."""

    def __init__(self, needs_input_grad):
        self.needs_input_grad = needs_input_grad
        self.saved_tensors = ()

    def save_for_backward(self, *tensors):
        self.saved_tensors = tensors


class _Call(typing.NamedTuple):
    """One call of a general-path op: which schema arguments were tensors (their counts) and
    the other values, carried as the op's parameter ``_call``."""
    counts: tuple      # per argument: number of tensors it gave (-1: not a tensor argument)
    values: tuple      # per argument: the value (None for tensor arguments)
    inputs: tuple      # the tensors, in order (their graph history, for create_graph)


def _direct(op, recorded: Callable) -> Callable:
    """The callable of a one-tensor op: a call that records nothing (no input requiring grad,
    or grad mode off) runs the function on the caller's tensor itself, as PyTorch's custom op
    passes its inputs to the implementation, without wrapping arrays into fresh tensors and
    back; any other call goes through `recorded`, the registry's callable (one node)."""
    fn = op._default
    gs, go = _grad_mode.state, _grad_mode.counts

    def call(a):
        if type(a) is not Tensor or (a._rg and (not go.off or gs.enabled)):
            return recorded(a)
        out = fn(a)
        if type(out) is Tensor and out._base is None and not out._rg and \
                out._data is not a._data:
            return out  # a new tensor without history: the common case, in four tests
        return _direct_result(op, out, a)
    call.__doc__ = recorded.__doc__
    return call


def _direct_result(op, out, a):
    """The checks of `_direct`'s call for a result that is not a plain new tensor."""
    if type(out) is not Tensor:
        return wrap(_unwrap(op, out, (a._data,)))
    base = out._base
    if out._data is a._data or (base is not None and (base is a or base is a._base)):
        raise RuntimeError(_alias_message(op))
    if out._rg:
        # a tensor the function closed over gave the result a history: the op is opaque to
        # autograd (its own rule, if any, is the only one), as when the call is recorded
        return wrap(out._data)
    return out


def _make_parse(op, rest: list):
    """(rest, kw) -> the op's non-tensor parameters, by the function's signature."""
    sig = inspect.Signature([inspect.Parameter(p.name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                               default=p.default) for p in rest])
    name = op._qualname

    def parse(*args, **kw):
        try:
            bound = sig.bind(*args, **kw)
        except TypeError as e:
            raise TypeError(f"{name}() {e}") from None
        bound.apply_defaults()
        return bound.arguments
    return parse


def _make_prepare(op):
    """A `prepare` with the op's own signature: the call's tensors first (one graph input
    each), then a `_Call` describing the rest; it bumps the version counter of each mutated
    argument, as an in-place op does."""
    params = op._params
    kinds = tuple(p.kind for p in params)
    mutated = tuple(i for i, p in enumerate(params) if p.name in op._mutates)
    name = op._qualname

    def flatten(*args):
        tensors, counts, values = [], [], []
        for i, (k, a) in enumerate(zip(kinds, args)):
            if k == "v":
                counts.append(-1)
                values.append(a)
                continue
            values.append(None)
            if k == "T[]":
                if isinstance(a, Tensor) or not all(isinstance(t, Tensor) for t in a):
                    raise TypeError(f"{name}(): argument '{params[i].name}' must be a sequence "
                                    f"of Tensors, not {type(a).__name__}")
                tensors.extend(a)
                counts.append(len(a))
            elif a is None and k == "T?":
                counts.append(0)
            elif isinstance(a, Tensor):
                tensors.append(a)
                counts.append(1)
            else:
                raise TypeError(f"{name}(): argument '{params[i].name}' (position {i + 1}) must "
                                f"be Tensor, not {type(a).__name__}")
        for i in mutated:
            a = args[i]
            for t in (a if isinstance(a, (list, tuple)) else (a,)):
                if isinstance(t, Tensor):
                    # bumped before the kernel writes: a node that saved it sees the change
                    _bump_version(t)
        if not tensors:
            raise TypeError(f"{name}(): expected at least one Tensor argument")
        return (*tensors, _Call(tuple(counts), tuple(values), tuple(tensors)))

    # a function with the op's own parameters, so that keyword arguments reach it by name
    sig = ", ".join(p.name if p.default is inspect.Parameter.empty else f"{p.name}=_d{i}"
                    for i, p in enumerate(params))
    scope = {"_flatten": flatten, **{f"_d{i}": p.default for i, p in enumerate(params)}}
    exec(f"def prepare({sig}):\n    return _flatten({', '.join(p.name for p in params)})",
         scope)
    return scope["prepare"]


def _unwrap(op, out, arrays):
    """The kernel's result as arrays: a tensor, a tuple of tensors, or () for nothing."""
    if type(out) is Tensor:
        d = out._data
        for a in arrays:
            if d is a:
                raise RuntimeError(_alias_message(op))
        return d
    if out is None and not op._returns:
        return ()
    if isinstance(out, (tuple, list)) and all(isinstance(o, Tensor) for o in out):
        ds = tuple(o._data for o in out)
        if any(d is a for d in ds for a in arrays):
            raise RuntimeError(_alias_message(op))
        return ds
    raise RuntimeError(f"{op._qualname}: the function returned {type(out).__name__}; its "
                       f"schema says {op._schema.rpartition('-> ')[2]}")


def _alias_message(op):
    return (f"{op._name}: The output of this custom operator (1) must not also be an input to "
            f"this custom operator and (2) may not alias any inputs to this custom operator or "
            f"other returns. Please instead return a clone of the offending output tensor(s) "
            f"(e.g. return x.clone()) or refactor the custom operator to not return y.")


def _no_kernel(op):
    def kernel(xp, *arrays, **params):
        raise NotImplementedError(
            f"{op._qualname}: no kernel registered for this device (kernels for: "
            f"{', '.join(sorted(op._kernels)) or 'none'}); use register_kernel")
    return kernel


def _make_kernel(op, general: bool, n_lead: int, fn=None):
    """The spec's kernel: the user's function on tensors over the call's arrays."""
    fn = fn or op._default
    if fn is None:
        return _no_kernel(op)
    if not general and n_lead == 1 and len(op._params) == 1:
        # the common one-tensor op, unrolled: no argument list or dict is built per call
        # (the custom_op case of benchmarks/run.py measures what this buys)
        def kernel(xp, a):
            t = _new(Tensor)  # `wrap(a)` inlined: this is most of a custom op's own cost
            t._data = a
            t._rg = False
            t.grad_fn = t._vc = t._grad = t._base = None
            out = fn(t)
            if type(out) is Tensor:
                d = out._data
                if d is a or out._base is t:  # the input, or a view of it
                    raise RuntimeError(_alias_message(op))
                return d
            return _unwrap(op, out, (a,))
    elif not general:
        def kernel(xp, *arrays, **params):
            # fresh tensors with no history: the op records one node for the whole call
            return _unwrap(op, fn(*[wrap(a) for a in arrays], **params), arrays)
    else:
        def kernel(xp, *arrays, _call):
            # the tensors the function sees share the callers' version counters, so that an
            # in-place write inside counts on the caller's tensor, as in PyTorch
            shared = iter(_call.inputs)

            def as_tensor(a):
                t, orig = wrap(a), next(shared)
                if orig._vc is None:
                    orig._vc = [0]
                t._vc = orig._vc
                return t
            return _unwrap(op, fn(*_arguments(op, arrays, _call, as_tensor)), arrays)
    kernel.__signature__ = inspect.Signature(
        [inspect.Parameter("xp", inspect.Parameter.POSITIONAL_ONLY)] +
        [inspect.Parameter(p.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=p.default)
         for p in op._params])
    return kernel


def _arguments(op, tensors, call, as_tensor):
    """The call's arguments in schema order, tensors as `as_tensor` makes them."""
    it = iter(tensors)
    out = []
    for k, c, v in zip((p.kind for p in op._params), call.counts, call.values):
        if c == -1:
            out.append(v)
        elif k == "T[]":
            out.append([as_tensor(next(it)) for _ in range(c)])
        else:
            out.append(as_tensor(next(it)) if c else None)
    return out


def _make_backward(op, general: bool, n_lead: int):
    """The spec's backward rule: the user's `setup_context` and `backward` on tensors. Under
    ``create_graph=True`` they get the graph's tensors (so the rule is recorded); otherwise
    tensors over the raw arrays, and the gradients go back as arrays."""
    user_bw, setup = op._backward, op._setup
    params = op._params
    n_out = len(op._returns)

    def backward(ctx, g):
        first = next((x for x in g if x is not None), None) if type(g) is tuple else g
        graph = type(first) is Tensor
        as_t = (lambda t: t) if graph else \
            (lambda a: a if a is None or type(a) is Tensor else wrap(a))
        saved = ctx.saved
        if general:
            call = ctx.params["_call"]
            inputs = _arguments(op, call.inputs if graph else [t._data for t in call.inputs],
                                call, as_t)
            output = saved[-1] if saved else None
        else:
            inputs = [as_t(s) for s in saved[:n_lead]]
            inputs += [ctx.params[p.name] for p in params[n_lead:]]
            output = saved[n_lead] if len(saved) > n_lead else None
        if output is not None:
            output = tuple(as_t(o) for o in output) if n_out > 1 else as_t(output)
        # needs_input_grad per argument, from the node's per-tensor-input flags
        flags = iter(ctx.needs_input_grad)
        counts = ctx.params["_call"].counts if general else (1,) * n_lead + (-1,) * (
            len(params) - n_lead)
        needs = tuple(False if c == -1 else any([next(flags) for _ in range(c)]) if c != 1
                      else next(flags) for c in counts)
        uctx = _Ctx(needs)
        if setup is not None:
            setup(uctx, tuple(inputs), output)
        if n_out > 1:
            # PyTorch materializes the gradient of an unused output as zeros
            grads = user_bw(uctx, *[as_t(gi) if gi is not None else o * 0
                                    for gi, o in zip(g, output)])
        else:
            grads = user_bw(uctx, as_t(g))
        if not isinstance(grads, (tuple, list)) or len(params) == 1 and counts[0] > 1:
            grads = (grads,)
        out = []
        for c, gi in zip(counts, list(grads) + [None] * (len(counts) - len(grads))):
            if c <= 0:
                continue
            parts = [] if gi is None else list(gi) if isinstance(gi, (list, tuple)) else [gi]
            parts += [None] * (c - len(parts))
            for p in parts[:c]:
                out.append(p if graph or p is None or type(p) is not Tensor else p._data)
        return tuple(out)
    return backward
