"""`loom.library`: custom operators in a few lines, with `torch.library`'s vocabulary.

::

    import loom
    from loom import Tensor

    @loom.library.custom_op("mylib::mysin", mutates_args=())
    def mysin(x: Tensor) -> Tensor:
        return x.sin()

    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x.cos()

    mysin.register_autograd(backward, setup_context=setup_context)
    loom.ops.mylib.mysin(x)          # or mysin(x)

`custom_op` reads the schema from the function's type hints and builds the same `OpSpec` a
plugin writes (`loom.plugin.op`), registered through the same registry (clash checks, rollback).
The function is the op's kernel: it receives loom tensors without history (the op records one
node for the whole call) and returns new tensors. Each ``register_*`` call rebuilds the spec and
replaces the registered operator, so the call path stays a lookup and a kernel call.
"""
from __future__ import annotations

import inspect
import typing
from typing import Callable, Optional, Sequence, Union

from . import grad_mode as _grad_mode
from . import ops as _ops
from .autograd.gradcheck import gradcheck as _gradcheck
from .inplace import bump_version as _bump_version
from .registry import OperatorClashError, registry
from .schema import infer_schema, parse_hints, parse_schema, schema_text
from .spec import Kind, OpSpec
from .tensor import Tensor, wrap

_new = object.__new__

__all__ = ["custom_op", "CustomOpDef", "infer_schema", "opcheck", "OperatorClashError",
           "register_autograd", "register_fake", "register_kernel"]

_defs: dict = {}  # "ns::name" -> its CustomOpDef, for the functions taking an op by name

# ----------------------------------------------------------------------------- the op


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


class CustomOpDef:
    """A custom operator made by `custom_op`: callable like the function it wraps, with
    `register_autograd`, `register_kernel`, `register_fake` and `register_samples` to add to it
    (the registered spec is rebuilt each time)."""

    def __init__(self, qualname, fn, mutates_args, device_types, schema, tensor_method):
        self._qualname = qualname
        self._namespace, self._name = qualname.split("::")
        self._init_fn = fn
        self._provider = getattr(fn, "__module__", None) or "user"
        if schema is None:
            self._params, self._returns = parse_hints(fn, mutates_args)
        else:
            self._params, self._returns = parse_schema(schema, fn, mutates_args)
        self._mutates = tuple(mutates_args)
        self._schema = schema_text(self._params, self._returns, self._mutates, qualname)
        self._kernels = {}
        if device_types is None:
            self._default = fn
        else:
            self._default = None
            for t in [device_types] if isinstance(device_types, str) else device_types:
                self._kernels[t] = fn
        self._backward = self._setup = self._fake = None
        self._samples = self._error_samples = None
        self._method = self._name if tensor_method is True else tensor_method or None
        self._entry = None
        self.__doc__ = fn.__doc__
        self.__name__ = self._name
        self.__wrapped__ = fn
        self._register()

    # ------------------------------------------------------------------ public API

    def __call__(self, *args, **kwargs):
        return self._call(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<CustomOpDef({self._qualname})>"

    @property
    def schema(self) -> str:
        """The op's schema, e.g. ``mylib::mysin(Tensor x) -> Tensor``."""
        return self._schema

    @property
    def spec(self) -> OpSpec:
        """The `OpSpec` registered for this op."""
        return self._entry.spec

    def register_autograd(self, backward: Callable, /, *,
                          setup_context: Optional[Callable] = None) -> None:
        """Make the op differentiable: ``setup_context(ctx, inputs, output)`` saves what
        ``backward(ctx, *grads)`` needs (``ctx.save_for_backward``, attributes); `backward`
        returns one gradient per argument (None for non-tensors and inputs that need none),
        written in loom operations so that it is differentiable again under
        ``create_graph=True``."""
        if not callable(backward) or setup_context is not None and not callable(setup_context):
            raise TypeError(f"{self._qualname}: register_autograd expects a backward function "
                            f"and optionally a setup_context function")
        self._backward, self._setup = backward, setup_context
        self._register()

    def register_kernel(self, device_types: Union[str, Sequence[str]],
                        fn: Optional[Callable] = None, /):
        """The kernel of the op on `device_types` (``"cuda"``), with the op's signature; usable
        as a decorator."""
        def register(f):
            for t in [device_types] if isinstance(device_types, str) else device_types:
                self._kernels[t] = f
            self._register()
            return f
        return register if fn is None else register(fn)

    def register_fake(self, fn: Optional[Callable] = None, /):
        """The op's shape rule: ``fn(*args)`` returns tensors of the shapes, dtypes and devices
        the op would return (``x.new_empty(...)``, ``loom.empty_like(x)``) without computing
        them; `opcheck` compares it with the kernel. Usable as a decorator."""
        def register(f):
            self._fake = f
            return f
        return register if fn is None else register(fn)

    def register_samples(self, samples: Callable, error_samples: Optional[Callable] = None):
        """Sample inputs for the conformance kit (``samples(rng, np_dtype) -> [SampleInput]``,
        ``error_samples(rng) -> [ErrorInput]``), so that ``loom.testing.opcheck`` and
        ``python -m loom check`` test the op like any plugin operator."""
        self._samples, self._error_samples = samples, error_samples
        self._register()

    def fake(self, *args, **kwargs):
        """The op's results as its `register_fake` rule gives them (shapes only)."""
        if self._fake is None:
            raise RuntimeError(f"There was no fake impl registered for {self!r}. Please use "
                               f"`{self._name}.register_fake` to add a fake impl.")
        return self._fake(*args, **kwargs)

    # ------------------------------------------------------------------ building the spec

    def _general(self) -> bool:
        """Whether calls need the general path (tensors not all leading and required, or
        mutated arguments): a `prepare` step that puts the tensors first."""
        kinds = [p.kind for p in self._params]
        n = 0
        while n < len(kinds) and kinds[n] == "T":
            n += 1
        return bool(self._mutates) or any(k != "v" for k in kinds[n:])

    def _spec(self) -> OpSpec:
        params = self._params
        general = self._general()
        n_lead = len(params) if general else next(
            (i for i, p in enumerate(params) if p.kind != "T"), len(params))
        has_bw = self._backward is not None
        kernel = _make_kernel(self, general, n_lead)
        device_kernels = {t: _make_kernel(self, general, n_lead, f)
                          for t, f in self._kernels.items()}
        fields = dict(
            kind="generic", kernel=kernel, device_kernels=device_kernels,
            backward=_make_backward(self, general, n_lead) if has_bw else None,
            save_inputs=tuple(range(n_lead)) if has_bw and not general else (),
            save_output=has_bw and bool(self._returns),
            methods=(self._method,) if self._method else (), functions=(),
            torch_name=None, doc=self._init_fn.__doc__ or f"The custom op {self._schema}.",
            samples=self._samples, error_samples=self._error_samples)
        if general:
            fields.update(variadic=True, inputs=1, prepare=_make_prepare(self),
                          parse=lambda call: {"_call": call})
        elif len(params) == 1 and n_lead == 1 and len(self._returns) == 1:
            # one tensor in, one out: the unary calling convention, dispatch's shortest path
            # (the custom_op10 case of benchmarks/run.py measures it)
            fields.update(kind="unary")
        else:
            fields.update(inputs=n_lead, parse=_make_parse(self, params[n_lead:]))
        return OpSpec(self._qualname, **fields)

    def _register(self) -> None:
        spec = self._spec()
        old = self._entry
        if old is not None:
            registry.unregister(old)
        try:
            entry = registry.register(spec, self._provider)
        except BaseException:
            if old is not None:
                registry.register(old.spec, old.plugin)
            raise
        self._entry = entry if entry is not None else registry.ops[spec.name]
        _defs[self._qualname] = self
        call = self._entry.call
        if not self._returns:  # an op returning nothing: its registry callable gives ()
            def call(*args, _inner=call, **kwargs):
                _inner(*args, **kwargs)
        elif spec.kind is Kind.UNARY and not self._kernels and self._default is not None:
            call = _direct(self, call)
        self._call = call
        _ops.publish(self._qualname, call)
        if self._method and not self._returns:
            setattr(Tensor, self._method, call)  # the registry installed the () form


def _direct(op: CustomOpDef, recorded: Callable) -> Callable:
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


def _direct_result(op: CustomOpDef, out, a):
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


def _make_parse(op: CustomOpDef, rest: list):
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


def _make_prepare(op: CustomOpDef):
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


def _make_kernel(op: CustomOpDef, general: bool, n_lead: int, fn=None):
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


def _make_backward(op: CustomOpDef, general: bool, n_lead: int):
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


def custom_op(name: str, fn: Optional[Callable] = None, /, *, mutates_args,
              device_types: Union[str, Sequence[str], None] = None,
              schema: Optional[str] = None, tensor_method: Union[bool, str] = False):
    """Make a Python function an operator ``name`` (``"namespace::name"``), as
    `torch.library.custom_op`: the schema comes from its type hints (Tensor, Optional[Tensor],
    Sequence[Tensor], int, float, bool, str, dtype, device; returns Tensor, a tuple of Tensors
    or None) unless `schema` gives it. `mutates_args` names the arguments the function writes
    in place (their version counters are bumped, as an in-place op's); `device_types` limits
    the function to those device types (others come through `register_kernel`);
    `tensor_method` (True or a name) installs it as a Tensor method too.

    The op is registered at once and callable as ``loom.ops.<namespace>.<name>`` and through
    the returned `CustomOpDef`. Usable as a decorator or called with the function."""
    if not isinstance(name, str) or name.count("::") != 1 or not all(
            part.isidentifier() for part in name.split("::")):
        raise ValueError(f"custom_op: expected a qualified name 'namespace::name' of two "
                         f"identifiers, got {name!r}")
    if isinstance(mutates_args, str) and mutates_args != "unknown":
        raise ValueError(f"custom_op: mutates_args must be a sequence of argument names, got "
                         f"the string {mutates_args!r}")
    if mutates_args == "unknown":
        raise NotImplementedError("custom_op: mutates_args='unknown' is not supported; name the "
                                  "arguments the function mutates")

    def make(f):
        return CustomOpDef(name, f, tuple(mutates_args), device_types, schema, tensor_method)
    return make if fn is None else make(fn)


def _def_of(op) -> CustomOpDef:
    if isinstance(op, CustomOpDef):
        return op
    found = _defs.get(op) if isinstance(op, str) else None
    if found is None:
        raise ValueError(f"{op!r} is not a custom op made by loom.library.custom_op (known: "
                         f"{', '.join(sorted(_defs)) or 'none'})")
    return found


def register_autograd(op, backward: Callable, /, *, setup_context: Optional[Callable] = None):
    """`CustomOpDef.register_autograd` for an op given by name (``"mylib::mysin"``) or
    object, as `torch.library.register_autograd`."""
    _def_of(op).register_autograd(backward, setup_context=setup_context)


def register_kernel(op, device_types, fn: Optional[Callable] = None, /):
    """`CustomOpDef.register_kernel` for an op given by name or object."""
    return _def_of(op).register_kernel(device_types, fn)


def register_fake(op, fn: Optional[Callable] = None, /):
    """`CustomOpDef.register_fake` for an op given by name or object."""
    return _def_of(op).register_fake(fn)


def _as_tensor_args(args):
    return tuple(args) if isinstance(args, (tuple, list)) else (args,)


def opcheck(op, args, kwargs: Optional[dict] = None, *, test_utils=None,
            raise_exception: bool = True) -> dict:
    """Check one call of a custom op, as `torch.library.opcheck` does: the schema accepts the
    arguments and the results do not alias the inputs (``test_schema``), gradients by finite
    differences in float64 when it has autograd and an input requires grad
    (``test_autograd_registration``), and its `register_fake` rule gives the kernel's shapes,
    dtypes and devices (``test_faketensor``). Returns ``{test: "SUCCESS" | "SKIPPED" |
    <message>}``; raises `OpCheckError`-like RuntimeError on the first failure when
    `raise_exception`."""
    if not isinstance(op, CustomOpDef):
        raise TypeError(f"opcheck() expects a CustomOpDef (made by loom.library.custom_op), got "
                        f"{type(op).__name__}; use loom.testing.opcheck for a registered "
                        f"operator by name")
    kwargs = dict(kwargs or {})
    allowed = {"test_schema", "test_autograd_registration", "test_faketensor"}
    chosen = list(allowed) if test_utils is None else \
        [test_utils] if isinstance(test_utils, str) else list(test_utils)
    bad = set(chosen) - allowed
    if bad:
        raise ValueError(f"opcheck(): unknown test_utils {sorted(bad)}; choose from "
                         f"{sorted(allowed)}")
    out = {}

    def record(test, fn):
        if test not in chosen:
            return
        try:
            out[test] = fn() or "SUCCESS"
        except Exception as e:
            if raise_exception:
                raise RuntimeError(f"opcheck(op, ...): {test} failed with {e}") from e
            out[test] = f"{type(e).__name__}: {e}"

    def schema():
        result = op(*args, **kwargs)
        results = () if result is None else _as_tensor_args(result)
        inputs = [a for a in args if isinstance(a, Tensor)]
        for r in results:
            if any(r.data_ptr() == i.data_ptr() and r.numel() and i.numel() for i in inputs):
                raise RuntimeError(_alias_message(op))

    def autograd():
        diff = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
        if not diff:
            return "SKIPPED"
        if op._backward is None:
            raise RuntimeError(f"{op._qualname} has inputs that require grad but no autograd "
                               f"formula; use register_autograd")
        base = [a.detach().double() if isinstance(a, Tensor) and a.is_floating_point() else a
                for a in args]

        def f(*xs):
            full = list(base)
            for i, x in zip(diff, xs):
                full[i] = x
            return op(*full, **kwargs)
        xs = tuple(base[i].clone().requires_grad_(True) for i in diff)
        _gradcheck(f, xs, raise_exception=True)

    def fake():
        if op._fake is None:
            raise RuntimeError(f"There was no fake impl registered for {op!r}. Please use "
                               f"`{op._name}.register_fake` to add a fake impl.")
        real = op(*args, **kwargs)
        guess = op._fake(*args, **kwargs)
        real = () if real is None else _as_tensor_args(real)
        guess = () if guess is None else _as_tensor_args(guess)
        if len(real) != len(guess):
            raise RuntimeError(f"the fake rule gives {len(guess)} result(s), the kernel "
                               f"{len(real)}")
        for i, (r, g) in enumerate(zip(real, guess)):
            if (tuple(r.shape), r.dtype, r.device) != (tuple(g.shape), g.dtype, g.device):
                raise RuntimeError(
                    f"result {i}: the fake rule gives shape {tuple(g.shape)}, dtype {g.dtype}, "
                    f"device {g.device}; the kernel gives shape {tuple(r.shape)}, dtype "
                    f"{r.dtype}, device {r.device}")

    record("test_schema", schema)
    record("test_autograd_registration", autograd)
    record("test_faketensor", fake)
    return out
