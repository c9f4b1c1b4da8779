"""Family builders: the common shapes of operator in a line or a few.

Each builder returns an `OpSpec`, deriving from the name what can be derived — the kernel (the
`xp` function of that name), the `loom.*` function and Tensor method, the in-place form, the
node name (``ExpBackward0``), the PyTorch counterpart the kit compares with, and default sample
inputs of the family over a declared domain — so an operator's kernel, backward rule, names and
samples stand together::

    unary("exp", dx=lambda y: y)                       # d/dx exp(x) = the output
    unary("log", dx=lambda x: 1 / x, domain=(0.1, 4))
    binary("mul", da=lambda b: b, db=lambda a: a, dunder="mul")

A derivative is a function whose parameter names say what it needs: ``x`` the input, ``y``
the output (unary); ``a``, ``b``, ``y`` (binary); ``g`` the incoming gradient, in which case it
returns the whole gradient instead of the factor the gradient is multiplied by. Only what it
names is saved for backward. It runs on raw arrays and, under ``create_graph=True``, on loom
tensors, so it uses operations both offer (``xp_of(x).where``, arithmetic, comparisons).
"""
from __future__ import annotations

import functools
from typing import Callable, Optional, Sequence, Union

import numpy as np

from .kernel_utils import sum_to_shape
from .spec import ErrorInput, Kind, OpSpec, Promote, SampleInput, View

__all__ = ["op", "unary", "binary", "comparison", "reduction", "view", "factory",
           "unary_samples", "binary_samples", "reduction_samples", "sample_calls"]

Derivative = Union[Callable, int, float, None]


# ----------------------------------------------------------------------------- samples

def unary_samples(low: float = -2.0, high: float = 2.0) -> Callable:
    """Samples of a unary op over the domain [low, high]: a matrix, a 0-dim and an empty
    tensor."""
    def samples(rng, dt):
        return [SampleInput((rng.uniform(low, high, size=s).astype(dt),), note=note)
                for s, note in (((3, 4), ""), ((), "0-dim"), ((2, 0, 3), "empty"))]
    return samples


def binary_samples(low: float = -2.0, high: float = 2.0, b_low: Optional[float] = None,
                   b_high: Optional[float] = None, scalar: bool = True) -> Callable:
    """Samples of a binary op: same shapes, broadcasting one and both operands, a Python
    number (when `scalar`), a 0-dim operand; `b_low`/`b_high` bound the second operand."""
    bl = low if b_low is None else b_low
    bh = high if b_high is None else b_high

    def samples(rng, dt):
        def a(*shape):
            return rng.uniform(low, high, size=shape).astype(dt)

        def b(*shape):
            return rng.uniform(bl, bh, size=shape).astype(dt)
        out = [SampleInput((a(3, 4), b(3, 4))),
               SampleInput((a(2, 3, 4), b(3, 1)), note="broadcast"),
               SampleInput((a(4), b(2, 1)), note="broadcast both"),
               SampleInput((a(), b(5)), note="0-dim")]
        if scalar:
            v = 1.5 if bl <= 1.5 <= bh else round((bl + bh) / 2, 2)
            out.append(SampleInput((a(3, 2), v), note="python scalar"))
        return out
    return samples


def sample_calls(*calls: tuple, inputs: Union[int, Sequence[int]] = 1,
                 domain: Optional[tuple] = None, **fields) -> Callable:
    """Samples from a table of calls, each ``(shape, ..., *args)`` with an optional trailing
    dict of keyword arguments: the first `inputs` entries (or those at the positions `inputs`)
    are the shapes of random arrays of the sample's dtype (standard normal, or uniform over
    `domain`; a number there is a Python scalar operand); NumPy arrays of given values (ties,
    zeros, NaN) may stand anywhere, floating ones cast to that dtype; the rest are passed as
    they are; `fields` (``grad``, ``rtol``, ``atol``, ``note``) apply to every sample::

        view("transpose", ..., samples=sample_calls(((2, 3, 4), 0, 2), ((2, 3), -1, 0)))
        op("mm", ..., samples=sample_calls(((3, 4), (4, 2)), inputs=2, rtol=1e-4))
    """
    arrays = range(inputs) if isinstance(inputs, int) else tuple(inputs)

    def samples(rng, dt):
        def arr(shape):
            if isinstance(shape, np.ndarray):  # given values (ties, zeros, NaN) in this dtype
                return shape.astype(dt) if shape.dtype.kind == "f" else shape
            x = rng.standard_normal(shape) if domain is None else rng.uniform(*domain, shape)
            return x.astype(dt)
        out = []
        for call in calls:
            kw = call[-1] if call and isinstance(call[-1], dict) else None
            args = call[:-1] if kw is not None else call
            out.append(SampleInput(tuple(arr(x) if i in arrays and isinstance(x, tuple) or
                                         isinstance(x, np.ndarray) else x
                                         for i, x in enumerate(args)), dict(kw or {}), **fields))
        return out
    return samples


def _not_a_tensor(rng):
    return [ErrorInput(("not a tensor",), error=TypeError, note="a string as input")]


def _no_broadcast(rng):
    return [ErrorInput((np.ones((2, 3)), np.ones((4,))), error=RuntimeError,
                       match=r"must match the size of tensor b", note="shapes do not broadcast"),
            ErrorInput(("not a tensor", np.ones(2)), error=TypeError, note="a string operand")]


# ----------------------------------------------------------------------------- derivatives

def _params(fn: Callable, allowed: str, who: str) -> tuple:
    code = getattr(fn, "__code__", None)
    if code is None:
        raise TypeError(f"{who}: a derivative must be a Python function or a number")
    names = code.co_varnames[:code.co_argcount]
    bad = [n for n in names if n not in allowed]
    if bad:
        raise TypeError(f"{who}: derivative parameters must be among {', '.join(allowed)}; "
                        f"got {', '.join(bad)}")
    return names


def _factor(d: Derivative, slots: dict, who: str) -> Callable:
    """``f(g, saved) -> gradient`` for derivative `d`, given where each name sits in saved."""
    if d is None:
        return None
    if isinstance(d, (int, float)) and not isinstance(d, bool):
        if d == 1:
            return lambda g, saved: g
        if d == -1:
            return lambda g, saved: -g
        return lambda g, saved: g * d
    names = _params(d, "gxyab", who)
    idx = tuple(slots[n] for n in names if n != "g")
    if "g" in names:
        pos = names.index("g")
        if names == ("g",):
            return lambda g, saved: d(g)
        if len(names) == 2:
            i = idx[0]
            return (lambda g, saved: d(g, saved[i])) if pos == 0 else \
                (lambda g, saved: d(saved[i], g))
        if len(names) == 3 and pos == 0:  # d(g, a, b): the usual form, no list built per call
            i, j = idx
            return lambda g, saved: d(g, saved[i], saved[j])

        def whole(g, saved):
            it = iter(idx)
            return d(*[g if n == "g" else saved[next(it)] for n in names])
        return whole
    if len(idx) == 0:
        return lambda g, saved: g * d()
    if len(idx) == 1:
        i = idx[0]
        return lambda g, saved: g * d(saved[i])
    if len(idx) == 2:
        i, j = idx
        return lambda g, saved: g * d(saved[i], saved[j])
    return lambda g, saved: g * d(*[saved[k] for k in idx])


def _uses(d: Derivative, names: str) -> set:
    if d is None or isinstance(d, (int, float)):
        return set()
    code = getattr(d, "__code__", None)
    return set(code.co_varnames[:code.co_argcount]) & set(names) if code else set()


# ----------------------------------------------------------------------------- builders

_COMPLEX_NAMES = {"complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def _refusing_complex(kernel: Callable, refusal) -> Callable:
    """`kernel` raising PyTorch's error for a complex first input: `refusal` is the name of
    PyTorch's kernel (its NotImplementedError "... not implemented for 'ComplexFloat'"), an
    (exception type, message) pair, or ``refusal(args, kwargs)`` giving either."""
    @functools.wraps(kernel)
    def guarded(xp, a, *args, **kw):
        if a.dtype.kind == "c":
            r = refusal(args, kw) if callable(refusal) else refusal
            if isinstance(r, str):
                raise NotImplementedError(f'"{r}" not implemented for '
                                          f"'{_COMPLEX_NAMES.get(a.dtype.name, a.dtype.name)}'")
            raise r[0](r[1])
        return kernel(xp, a, *args, **kw)
    return guarded


def op(name: str, kernel: Optional[Callable] = None, *, methods: Optional[Sequence[str]] = None,
       functions: Optional[Sequence[str]] = None, aliases: Sequence[str] = (),
       torch_name: Optional[str] = "", error_samples: Optional[Callable] = None,
       no_complex=None, **fields) -> OpSpec:
    """The general form: an `OpSpec` whose method and function default to `name` and its
    `aliases` (pass ``()`` for none), and whose PyTorch counterpart defaults to `name`
    (``torch_name=None`` with a `reference` for no counterpart). `no_complex` makes a complex
    input raise PyTorch's error (see `_refusing_complex`)."""
    if no_complex is not None:
        kernel = _refusing_complex(kernel, no_complex)
    if torch_name == "":
        torch_name = None if fields.get("reference") is not None else name
    names = (name, *aliases)
    return OpSpec(name, kernel=kernel,
                  methods=names if methods is None else tuple(methods),
                  functions=names if functions is None else tuple(functions),
                  torch_name=torch_name, error_samples=error_samples, **fields)


def unary(name: str, kernel: Union[Callable, str, None] = None, *, dx: Derivative = None,
          domain: tuple = (-2.0, 2.0), int_to_float: bool = True, inplace: bool = True,
          aliases: Sequence[str] = (), dunder: Optional[str] = None, **fields) -> OpSpec:
    """An elementwise op of one tensor. `kernel` is an `xp` function name (default: `name`) or
    ``kernel(xp, x)``; `dx` the derivative (see the module docstring); `domain` where samples
    are drawn; `int_to_float`: integer inputs give the default float (``sqrt``), else they keep
    their dtype (``neg``, ``abs``). `aliases` are further names of the function and method."""
    ufunc = None
    if kernel is None or isinstance(kernel, str):
        ufunc, kernel = kernel or name, None
    if dx is not None and "backward" not in fields:
        used = _uses(dx, "xy")
        slots = {}
        if "x" in used:
            slots["x"] = 0
        if "y" in used:
            slots["y"] = len(slots)
        f = _factor(dx, slots, f"unary op '{name}'")
        fields.setdefault("save_inputs", (0,) if "x" in used else ())
        fields.setdefault("save_output", "y" in used)
        fields["backward"] = (lambda ctx, g: (f(g, ctx.saved),)) if slots else \
            (lambda ctx, g: (f(g, ()),))
    names = (name, *aliases)
    return op(name, kernel, kind=Kind.UNARY, ufunc=ufunc,
              methods=fields.pop("methods", names + ((f"__{dunder}__",) if dunder else ())),
              functions=fields.pop("functions", names), inplace=f"{name}_" if inplace else None,
              inplace_function=fields.pop("inplace_function", inplace),
              promote=Promote.INT_TO_FLOAT if int_to_float else Promote.SAME,
              samples=fields.pop("samples", None) or unary_samples(*domain),
              error_samples=fields.pop("error_samples", None) or _not_a_tensor, **fields)


def binary(name: str, kernel: Union[Callable, str, None] = None, *, da: Derivative = None,
           db: Derivative = None, domain: tuple = (-2.0, 2.0), b_domain: Optional[tuple] = None,
           dunder: Optional[str] = None, reflected: bool = True, inplace: bool = True,
           aliases: Sequence[str] = (), int_to_float: bool = False, scalars: bool = True,
           **fields) -> OpSpec:
    """An elementwise op of two operands (tensors or Python numbers) with PyTorch's promotion
    and broadcasting. `kernel` is an `xp` function name (default `name`) or ``kernel(xp, a,
    b)`` (called with both operands already promoted); `da`/`db` the partial
    derivatives in terms of ``a``, ``b``, ``y`` (and ``g``); gradients are summed back to each
    operand's shape. `dunder` (``"add"``) installs ``__add__``, ``__radd__`` (when
    `reflected`) and ``__iadd__``."""
    if (da is not None or db is not None) and "backward" not in fields:
        used = _uses(da, "aby") | _uses(db, "aby")
        save_in = tuple(i for i, n in enumerate("ab") if n in used)
        slots = {n: k for k, n in enumerate([n for n in "ab" if n in used] +
                                            (["y"] if "y" in used else []))}
        fa = _factor(da, slots, f"binary op '{name}'")
        fb = _factor(db, slots, f"binary op '{name}'")

        def backward(ctx, g):
            na, nb = ctx.needs_input_grad
            sa, sb = ctx.shapes
            saved = ctx.saved if slots else ()
            return (sum_to_shape(fa(g, saved), sa) if na and fa is not None else None,
                    sum_to_shape(fb(g, saved), sb) if nb and fb is not None else None)
        if da == 1 and db == 1 and type(da) is int and type(db) is int:
            def backward(ctx, g):  # noqa: F811 (add: the gradient passes to both sides)
                na, nb = ctx.needs_input_grad
                sa, sb = ctx.shapes
                gs = g.shape
                return (None if not na else g if gs == sa else sum_to_shape(g, sa),
                        None if not nb else g if gs == sb else sum_to_shape(g, sb))
        fields.update(backward=backward, save_inputs=save_in, save_output="y" in used)
    names = (name, *aliases)
    methods = fields.pop("methods", names + ((f"__{dunder}__",) if dunder else ()))
    b_lo, b_hi = b_domain if b_domain is not None else (None, None)
    ufunc = None
    if kernel is None or isinstance(kernel, str):
        ufunc, kernel = kernel or name, None
    return op(name, kernel, kind=Kind.BINARY, ufunc=ufunc, methods=methods,
              functions=fields.pop("functions", names),
              rmethods=(f"__r{dunder}__",) if dunder and reflected else (),
              inplace=f"{name}_" if inplace else None, supports_out=True, scalars=scalars,
              promote=Promote.INT_TO_FLOAT if int_to_float else Promote.SAME,
              samples=fields.pop("samples", None) or binary_samples(*domain, b_lo, b_hi,
                                                                     scalar=scalars),
              error_samples=fields.pop("error_samples", None) or _no_broadcast, **fields)


def _comparison_samples(rng, dt):
    a = rng.integers(-2, 3, size=(3, 4)).astype(dt)
    b = rng.integers(-2, 3, size=(3, 4)).astype(dt)
    return [SampleInput((a, b), grad=False), SampleInput((a, b[:1]), grad=False),
            SampleInput((a, 1), grad=False)]


def comparison(name: str, ufunc: Union[str, Callable, None] = None,
               dunder: Optional[str] = None, **fields) -> OpSpec:
    """An elementwise comparison giving a bool tensor (``eq``, ``lt``); not differentiable.
    `ufunc` is an `xp` function name (default `name`) or ``kernel(xp, a, b)``; `dunder`
    (``"eq"``) installs ``__eq__``."""
    kernel = ufunc if callable(ufunc) else None
    return op(name, kernel, kind=Kind.BINARY, ufunc=None if kernel else ufunc or name,
              methods=(name,) + ((f"__{dunder}__",) if dunder else ()), functions=(name,),
              returns_bool=True, differentiable=False, supports_out=True, scalar_first=False,
              samples=fields.pop("samples", None) or _comparison_samples,
              error_samples=fields.pop("error_samples", None) or _no_broadcast,
              doc=fields.pop("doc", f"Elementwise ``{name}`` comparison, a bool tensor."),
              **fields)


def reduction_samples(low: float = -2.0, high: float = 2.0) -> Callable:
    """Samples of a reduction over [low, high]: all dims, one, several with keepdim, a
    negative dim, a 0-dim input."""
    def samples(rng, dt):
        def arr(*shape):
            return rng.uniform(low, high, size=shape).astype(dt)
        return [SampleInput((arr(3, 4),)), SampleInput((arr(2, 3, 4),), {"dim": 1}),
                SampleInput((arr(2, 3, 4),), {"dim": (0, 2), "keepdim": True}),
                SampleInput((arr(3, 4),), {"dim": -1}), SampleInput((arr(),))]
    return samples


def reduction(name: str, kernel: Callable, backward: Optional[Callable] = None,
              **fields) -> OpSpec:
    """A reduction over ``dim`` (int, tuple or None) with ``keepdim``: ``kernel(xp, x, dim=None,
    keepdim=False, ...)``; default samples reduce over all, one, several and negative dims."""
    fields.setdefault("samples", reduction_samples())
    return op(name, kernel, backward=backward, **fields)


def view(name: str, kernel: Callable, backward: Callable, *, maybe: bool = False,
         **fields) -> OpSpec:
    """A shape op whose result is a view of its input (``transpose``); `maybe`: a view when
    the layout allows, else a copy (``reshape``)."""
    return op(name, kernel, backward=backward, view=View.MAYBE if maybe else View.ALWAYS,
              **fields)


def factory(name: str, kernel: Callable, calls: Sequence[tuple], doc: str,
            **fields) -> OpSpec:
    """A factory ``kernel(backend, *args, dtype=None, index=None, ...)``: a `loom.*` function
    only; `calls` are ``(args, kwargs)`` samples, or ``(args, kwargs, fields)`` with
    `SampleInput` fields such as tolerances (random factories are compared seeded)."""
    def samples(rng, dt):  # a call may carry a third item: SampleInput fields (rtol, atol)
        return [SampleInput(tuple(c[0]), dict(c[1]), **{"grad": False, **(c[2] if len(c) > 2
                                                                            else {})})
                for c in calls]
    fields.setdefault("samples", samples)
    return op(name, kernel, kind=Kind.FACTORY, methods=(), doc=doc, **fields)
