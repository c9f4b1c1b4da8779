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

from typing import Callable, Optional, Sequence, Union

from . import ops as _ops
from .autograd.gradcheck import gradcheck as _gradcheck
from .custom_calls import (_alias_message, _direct, _make_backward, _make_kernel, _make_parse,
                           _make_prepare)
from .registry import OperatorClashError, registry
from .schema import infer_schema, parse_hints, parse_schema, schema_text
from .spec import Kind, OpSpec
from .tensor import Tensor

__all__ = ["custom_op", "CustomOpDef", "infer_schema", "opcheck", "OperatorClashError",
           "register_autograd", "register_fake", "register_kernel"]

_defs: dict = {}  # "ns::name" -> its CustomOpDef, for the functions taking an op by name

# ----------------------------------------------------------------------------- the op


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
