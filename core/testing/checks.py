"""The conformance checks: what the kit verifies of one operator, as a list of `Case`s.

A case is one check of one operator on one input (or on the operator as a whole); running it
passes, fails with a message naming what is wrong, or is skipped with the reason. The checks:

``metadata``      the operator has sample inputs (float32 and float64), something to compare
                  its forward with, and, if differentiable, a float64 sample with grad=True
``forward``       every sample, float32 and float64: values, shape and dtype against PyTorch
                  (``torch_name``, when torch is importable) or the NumPy ``reference``
``gradient``      every float64 grad sample: backward against central finite differences,
                  one random direction per input/output pair (the full Jacobian only on
                  failure, to name the entries); against PyTorch's gradient too
``gradgrad``      every float64 grad sample: gradients taken with ``create_graph=True`` equal
                  the plain ones and are themselves right (gradgradcheck, directional)
``inplace``       the in-place form (``inplace``): same values as the out-of-place call,
                  returns its input, raises where PyTorch does; gradients through it
``out``           the ``out=`` form (``supports_out``): writes and returns `out`, refuses an
                  ``out`` it cannot cast to and inputs that require grad
``broadcasting``  binary ops: operands reshaped to broadcast (rows, columns, ranks, 0-dim)
                  and an incompatible pair, forward and gradients
``promotion``     binary ops: mixed dtypes and Python scalars give PyTorch's result dtype
``dtypes``        unary and binary ops on integer and bool tensors: PyTorch's result dtype
                  and values, or the same exception type (only when asked for: not in
                  `DEFAULT_CHECKS`)
``errors``        every `ErrorInput`: loom raises the declared exception type (matching
                  ``match``), and so does PyTorch
``device``        every sample on each available device besides cpu gives cpu's values and
                  gradients (no cases when only cpu is there)
"""
from __future__ import annotations

import dataclasses
import re
import warnings
from typing import Callable

import numpy as np

import loom

from ..autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck
from ..plugin import SampleInput
from . import _ops

__all__ = ["CHECKS", "DEFAULT_CHECKS", "Case", "CheckFailure", "CheckSkipped", "cases",
           "torch_module"]

CHECKS = ("metadata", "forward", "gradient", "gradgrad", "inplace", "out", "broadcasting",
          "promotion", "dtypes", "errors", "device")
# "dtypes" holds an op pack to PyTorch's support of integer and bool inputs, which many packs
# (floating-point math) do not aim at: it runs when asked for
DEFAULT_CHECKS = tuple(c for c in CHECKS if c != "dtypes")
DEFAULT_DTYPES = (np.float32, np.float64)
SEED = 0

# Finite differences in float64: central differences with this step are accurate to ~1e-10
# relative, so the tolerances can be far tighter than PyTorch's gradcheck defaults.
EPS = 1e-6
GRAD_ATOL, GRAD_RTOL = 1e-6, 1e-5
GRADGRAD_ATOL, GRADGRAD_RTOL = 1e-5, 1e-4


class CheckFailure(AssertionError):
    """A conformance check found the operator wrong; the message says how."""


class CheckSkipped(Exception):
    """A conformance check cannot run here (no PyTorch, no second device); the message says
    why."""


@dataclasses.dataclass
class Case:
    """One check of one operator: `run()` passes, or raises `CheckFailure` / `CheckSkipped`."""

    op: str
    check: str
    label: str
    fn: Callable[[], None] = dataclasses.field(repr=False)

    @property
    def id(self) -> str:
        return f"{self.op}-{self.check}" + (f"-{self.label}" if self.label else "")

    def run(self) -> None:
        with np.errstate(all="ignore"):
            self.fn()


# ----------------------------------------------------------------------------- the oracle

_TORCH: list = []


def torch_module():
    """PyTorch, or None where it is not importable (the NumPy references are used then)."""
    if not _TORCH:
        try:
            import torch
        except ImportError:
            torch = None
        _TORCH.append(torch)
    return _TORCH[0]


def _torch_fn(torch, name):
    """``torch.<name>`` if it exists, else the Tensor method ``first.<name>(*rest)``."""
    fn = getattr(torch, name, None)
    if callable(fn):
        return fn

    def method(first, *rest, **kw):
        return getattr(first, name)(*rest, **kw)
    return method


def _torch_resolves(torch, name) -> bool:
    return callable(getattr(torch, name, None)) or hasattr(torch.Tensor, name)


# ----------------------------------------------------------------------------- arguments

def _map_arrays(x, fn):
    """Apply `fn` to every NumPy array in `x`, looking inside lists, tuples and dicts (cat and
    stack take a list of arrays)."""
    if isinstance(x, np.ndarray):
        return fn(x)
    if isinstance(x, list):
        return [_map_arrays(e, fn) for e in x]
    if isinstance(x, tuple):
        return tuple(_map_arrays(e, fn) for e in x)
    if isinstance(x, dict):
        return {k: _map_arrays(v, fn) for k, v in x.items()}
    return x


def _arrays(x) -> list:
    """The NumPy arrays in `x`, depth first (the order `_map_arrays` visits them)."""
    out = []
    _map_arrays(x, lambda a: out.append(a) or a)
    return out


def _is_float(a) -> bool:
    return isinstance(a, np.ndarray) and a.dtype.kind == "f"


def _copy(a):
    # order="K" keeps the sample's memory layout (the transposed input of `contiguous`)
    return a.copy(order="K")


def _loom_args(s, device=None):
    def conv(a):
        t = loom.from_numpy(_copy(a))
        return t if device is None else t.to(device)
    return _map_arrays(s.args, conv), {k: _map_arrays(v, conv) for k, v in s.kwargs.items()}


def _torch_value(torch, v):
    if isinstance(v, loom.dtype):
        return getattr(torch, v.name)
    if isinstance(v, list):
        return [_torch_value(torch, e) for e in v]
    if isinstance(v, tuple):
        return tuple(_torch_value(torch, e) for e in v)
    return v


def _torch_args(torch, s):
    args = _map_arrays(s.args, lambda a: torch.from_numpy(_copy(a)))
    kwargs = {k: _map_arrays(v, lambda a: torch.from_numpy(_copy(a)))
              for k, v in s.kwargs.items()}
    return (tuple(_torch_value(torch, a) for a in args),
            {k: _torch_value(torch, v) for k, v in kwargs.items()})


def _paths(s) -> list:
    """Where each float array of sample `s` sits ("args[0]", "args[1][2]", "kwargs['x']"), in
    `_arrays` order: how messages name input i."""
    out = []

    def visit(x, path):
        if isinstance(x, np.ndarray):
            if x.dtype.kind == "f":
                out.append(path)
        elif isinstance(x, (list, tuple)):
            for i, e in enumerate(x):
                visit(e, f"{path}[{i}]")
    for i, a in enumerate(s.args):
        visit(a, f"args[{i}]")
    for k, v in s.kwargs.items():
        visit(v, f"kwargs[{k!r}]")
    return out


def _rebuilder(s, device=None):
    """(fn(*leaves) -> (args, kwargs), float arrays): the sample's call with its float arrays
    replaced by the given tensors, the other arrays fresh tensors each time."""
    floats = [a for a in _arrays((s.args, s.kwargs)) if _is_float(a)]

    def build(*leaves):
        it = iter(leaves)

        def conv(a):
            if _is_float(a):
                return next(it)
            t = loom.from_numpy(_copy(a))
            return t if device is None else t.to(device)
        return (_map_arrays(s.args, conv),
                {k: _map_arrays(v, conv) for k, v in s.kwargs.items()})
    return build, floats


def _sample_fn(op, s, device=None):
    """(fn(*leaves) -> the op's outputs for sample `s` with its float arrays replaced by
    `leaves`, those float arrays)."""
    build, floats = _rebuilder(s, device)
    call = _ops.call_of(op)

    def fn(*leaves):
        args, kwargs = build(*leaves)
        return call(*args, **kwargs)
    return fn, floats


def _leaves(floats, device=None, requires_grad=True):
    out = []
    for a in floats:
        t = loom.from_numpy(_copy(a))
        if device is not None:
            t = t.to(device)
        out.append(t.requires_grad_(requires_grad))
    return out


def _tuple(out) -> tuple:
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def _host(t) -> np.ndarray:
    return np.asarray(t.detach().cpu().numpy())


def _float_outputs(out) -> list:
    return [o for o in _tuple(out) if isinstance(o, loom.Tensor) and o.dtype.is_floating_point]


def _where(s) -> str:
    return f" ({s.note})" if getattr(s, "note", "") else ""


# ----------------------------------------------------------------------------- comparison

def _dtype_name(x) -> str:
    return str(x.dtype).removeprefix("torch.")


def compare(got, want, rtol, atol, exact=False, what="") -> list:
    """Mismatches between loom outputs and oracle outputs (torch tensors or NumPy values):
    count, type, shape, dtype and values."""
    torch = torch_module()
    errors = []
    got, want = _tuple(got), _tuple(want)
    if len(got) != len(want):
        return [f"{what}{len(got)} outputs, expected {len(want)}"]
    for i, (g, w) in enumerate(zip(got, want)):
        tag = f"{what}output {i}: " if len(got) > 1 else what
        if type(w) in (bool, int, float):  # `equal`, `allclose`: a Python number
            if type(g) is not type(w) or g != w:
                errors.append(f"{tag}{type(g).__name__} {g!r}, expected {type(w).__name__} "
                              f"{w!r}")
            continue
        if not isinstance(g, loom.Tensor):
            errors.append(f"{tag}expected a loom Tensor, got {type(g).__name__}")
            continue
        gv = _host(g)
        if torch is not None and isinstance(w, torch.Tensor):
            wv = w.detach().numpy(force=True)
            w_dt = _dtype_name(w)
        elif isinstance(w, loom.Tensor):
            wv = _host(w)
            w_dt = w.dtype.name
        else:
            wv = np.asarray(w)
            w_dt = wv.dtype.name
        if tuple(g.shape) != tuple(wv.shape):
            errors.append(f"{tag}shape {tuple(g.shape)}, expected {tuple(wv.shape)}")
            continue
        if g.dtype.name != w_dt:
            errors.append(f"{tag}dtype {g.dtype.name}, expected {w_dt}")
        diff = value_diff(gv, wv, rtol, atol,
                          exact or gv.dtype.kind in "biu" or wv.dtype.kind in "biu")
        if diff:
            errors.append(f"{tag}{diff}")
    return errors


def value_diff(got, want, rtol, atol, exact=False) -> str:
    """"" when `got` matches `want` (NaN matching NaN), else which elements differ, in one
    line: how many, the largest difference and the first few (got vs expected)."""
    got, want = np.asarray(got), np.asarray(want)
    if exact:
        bad = ~((got == want) | (np.isnan(got) & np.isnan(want)) if got.dtype.kind in "fc"
                else (got == want))
    else:
        bad = ~np.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
    if not bad.any():
        return ""
    idx = [tuple(int(k) for k in i) for i in np.argwhere(bad)[:3]]
    shown = ", ".join(f"{list(i)}: {_num(got[i])} vs {_num(want[i])}" for i in idx)
    with np.errstate(all="ignore"):
        worst = np.nanmax(np.abs(got.astype(np.complex128) - want.astype(np.complex128))) \
            if got.dtype.kind in "fciu" and want.dtype.kind in "fciu" else float("nan")
    return (f"values differ at {int(bad.sum())} of {bad.size} elements (largest difference "
            f"{float(worst):.3g}; got vs expected: {shown})")


def _num(v) -> str:
    v = v.item()
    return f"{v:.6g}" if isinstance(v, float) else repr(v)


def _fail(op, s, errors, prefix=""):
    if errors:
        raise CheckFailure(f"{prefix}{'; '.join(errors)}{_where(s) if s is not None else ''}")


def _builtin_base(exc_type):
    """The first built-in exception class of `exc_type` (torch raises its own subclasses)."""
    for t in exc_type.__mro__:
        if t.__module__ == "builtins":
            return t
    return Exception


def _outcome(fn, quiet=False):
    """("ok", result) or ("raised", exception); `quiet` silences warnings (PyTorch's own
    deprecation notes are not what the kit checks)."""
    with warnings.catch_warnings():
        if quiet:
            warnings.simplefilter("ignore")
        try:
            return "ok", fn()
        except Exception as e:  # the kit compares what each library raises
            return "raised", e


def _describe(e) -> str:
    msg = str(e).strip().splitlines()
    return f"{type(e).__name__}: {msg[0] if msg else ''}"


# ----------------------------------------------------------------------------- metadata

def _check_metadata(op, samples, sample_errors):
    torch = torch_module()
    problems = []
    if not op.has_samples:
        problems.append("no sample inputs: the operator declares no samples, so nothing checks "
                        "its forward or backward")
    else:
        for dt in (np.float32, np.float64):
            name = np.dtype(dt).name
            if name in sample_errors:
                problems.append(f"samples(rng, {name}) raised {sample_errors[name]}")
            elif not samples.get(name):
                problems.append(f"no sample inputs for {name}")
    if op.torch_name is None and op.reference is None:
        problems.append("neither torch_name nor reference: nothing to compare its forward with")
    if torch is not None and op.torch_name is not None and \
            not _torch_resolves(torch, op.torch_name):
        problems.append(f"torch_name '{op.torch_name}' is neither torch.{op.torch_name} nor a "
                        f"Tensor method")
    # an op whose rule takes complex gradients (complex outputs from real inputs) needs complex
    # cotangents, which the real finite differences here do not make: its own tests check it
    if op.differentiable and not op.takes_complex_grad and op.has_samples and \
            "float64" not in sample_errors and not any(_is_grad_sample(op, s) for s in samples.get("float64", [])):
        problems.append("differentiable, but no float64 sample with grad=True and "
                        "floating-point inputs: its backward rule is never checked")
    if problems:
        raise CheckFailure("; ".join(problems))


def _is_grad_sample(op, s) -> bool:
    return op.differentiable and s.grad and any(_is_float(a) for a in
                                                 _arrays((s.args, s.kwargs)))


# ----------------------------------------------------------------------------- forward

def _seeded(torch):
    if torch is not None:
        torch.manual_seed(0)
    loom.manual_seed(0)


def _oracle(op, s):
    """The oracle's outputs for sample `s`; CheckSkipped when there is none here."""
    torch = torch_module()
    if op.torch_name is not None and torch is not None:
        args, kwargs = _torch_args(torch, s)
        if op.kind == "factory" or op.random:
            _seeded(torch)
        return _torch_fn(torch, op.torch_name)(*args, **kwargs)
    if op.reference is not None:
        return op.reference(*s.args, **s.kwargs)
    if op.torch_name is not None:
        raise CheckSkipped(f"PyTorch is not importable and operator '{op.name}' has no NumPy "
                           f"reference")
    raise CheckFailure("neither torch_name nor reference: nothing to compare its forward with")


def _run_loom(op, s, device=None):
    args, kwargs = _loom_args(s, device)
    if op.kind == "factory" or op.random:
        _seeded(torch_module())
        if device is not None:
            kwargs = dict(kwargs, device=device)
    return _ops.call_of(op)(*args, **kwargs)


def _check_forward(op, s):
    want = _oracle(op, s)
    got = _run_loom(op, s)
    # a factory's values (seeded, for a random one) equal PyTorch's exactly, unless the sample
    # loosens the tolerances (a random op whose last bits differ from PyTorch's kernel)
    exact = (op.kind == "factory" or op.random) and \
        (s.rtol, s.atol) == (SampleInput.rtol, SampleInput.atol)
    _fail(op, s, compare(got, want, s.rtol, s.atol, exact=exact))


# ----------------------------------------------------------------------------- gradients

def _gradient_message(e: GradcheckError, paths, what="gradient") -> str:
    if e.input_index is None:
        return f"{what}: {str(e).strip().splitlines()[0]}"
    i, j = e.input_index, e.output_index
    where = f" ({paths[i]})" if i < len(paths) else ""
    msg = (f"{what} mismatch for output {j} with respect to input {i}{where}: "
           f"directional derivative numerical {e.numerical:.6g}, analytical {e.analytical:.6g}")
    if e.n_entries:
        shown = ", ".join(f"d out{list(o)}/d in{list(x)} numerical {n:.6g} analytical {a:.6g}"
                          for x, o, n, a in e.entries[:3])
        msg += f"; {e.n_entries} Jacobian entries differ, e.g. {shown}"
    return msg


def _check_gradient(op, s):
    fn, floats = _sample_fn(op, s)
    paths = _paths(s)

    leaves = _leaves(floats)
    outs = _float_outputs(fn(*leaves))
    if not outs:
        raise CheckFailure(f"grad sample without a floating-point output{_where(s)}")
    if not any(o.requires_grad for o in outs):
        raise CheckFailure(f"no output requires grad although its inputs do (is the backward "
                           f"rule registered?){_where(s)}")
    try:
        gradcheck(fn, leaves, eps=EPS, atol=GRAD_ATOL, rtol=GRAD_RTOL, fast_mode=True,
                  check_grad_dtypes=True, seed=SEED)
    except GradcheckError as e:
        raise CheckFailure(_gradient_message(e, paths) + _where(s)) from None
    torch = torch_module()
    if op.torch_name is None or torch is None:
        return
    # the same vector-Jacobian product as PyTorch's, for random output cotangents
    rng = np.random.default_rng(SEED + 1)
    us = [rng.standard_normal(tuple(o.shape)) for o in outs]
    gs = _loom_vjp(fn, floats, us, create_graph=False)[1]
    tgs = _torch_vjp(torch, op, s, us, create_graph=False)[1]
    for i, (g, tg, a) in enumerate(zip(gs, tgs, floats)):
        gv = np.zeros(a.shape) if g is None else _host(g)
        tv = np.zeros(a.shape) if tg is None else tg.detach().numpy(force=True)
        diff = value_diff(gv, tv, s.rtol, s.atol)
        if diff:
            raise CheckFailure(f"gradient of input {i} ({paths[i]}) differs from PyTorch's: "
                               f"{diff}{_where(s)}")


def _loom_vjp(fn, floats, us, create_graph, device=None):
    leaves = _leaves(floats, device)
    outs = _float_outputs(fn(*leaves))
    diff = [(o, u) for o, u in zip(outs, us) if o.requires_grad]
    if not diff:
        return leaves, [None] * len(leaves)
    gos = []
    for o, u in diff:
        t = loom.from_numpy(u.astype(np.float64)).to(o.dtype)
        gos.append(t if device is None else t.to(device))
    gs = loom.autograd.grad([o for o, _ in diff], leaves, grad_outputs=gos,
                            create_graph=create_graph, allow_unused=True)
    return leaves, list(gs)


def _torch_vjp(torch, op, s, us, create_graph):
    targs, tkw = _torch_args(torch, s)
    leaves = [t for t in _torch_tensors((targs, tkw), torch) if t.dtype.is_floating_point]
    for t in leaves:
        t.requires_grad_(True)
    outs = [o for o in _tuple(_torch_fn(torch, op.torch_name)(*targs, **tkw))
            if isinstance(o, torch.Tensor) and o.dtype.is_floating_point]
    diff = [(o, torch.from_numpy(u.copy()).to(o.dtype)) for o, u in zip(outs, us)
            if o.requires_grad]
    if not diff:
        return leaves, [None] * len(leaves)
    gs = torch.autograd.grad([o for o, _ in diff], leaves, grad_outputs=[u for _, u in diff],
                             allow_unused=True, create_graph=create_graph)
    return leaves, list(gs)


def _torch_tensors(x, torch) -> list:
    """The torch tensors in `x`, in `_arrays` order."""
    out = []

    def visit(v):
        if isinstance(v, torch.Tensor):
            out.append(v)
        elif isinstance(v, (list, tuple)):
            for e in v:
                visit(e)
        elif isinstance(v, dict):
            for e in v.values():
                visit(e)
    visit(x)
    return out


def _check_gradgrad(op, s):
    fn, floats = _sample_fn(op, s)
    paths = _paths(s)

    rng = np.random.default_rng(SEED + 2)
    with loom.no_grad():
        outs = _float_outputs(fn(*_leaves(floats, requires_grad=False)))
    us = [rng.standard_normal(tuple(o.shape)) for o in outs]
    # 1. create_graph=True (the rule on tensors) gives what create_graph=False (on arrays) gives
    _, plain = _loom_vjp(fn, floats, us, create_graph=False)
    leaves, graph = _loom_vjp(fn, floats, us, create_graph=True)
    for i, (g0, g1) in enumerate(zip(plain, graph)):
        if (g0 is None) != (g1 is None):
            raise CheckFailure(f"gradient of input {i} ({paths[i]}) is None in only one of "
                               f"create_graph=False and create_graph=True{_where(s)}")
        if g0 is None:
            continue
        if not np.allclose(_host(g1), _host(g0), rtol=1e-10, atol=1e-12, equal_nan=True):
            raise CheckFailure(f"gradient of input {i} ({paths[i]}) with create_graph=True "
                               f"differs from the one with create_graph=False{_where(s)}")
    # 2. the create_graph gradients are differentiated right: gradgradcheck, one direction
    gos = [loom.from_numpy(u.copy()).requires_grad_(True) for u, o in zip(us, outs)]
    try:
        gradgradcheck(fn, _leaves(floats), gos, eps=EPS, atol=GRADGRAD_ATOL,
                      rtol=GRADGRAD_RTOL, fast_mode=True, seed=SEED)
    except GradcheckError as e:
        names = paths + [f"grad_output[{k}]" for k in range(len(gos))]
        raise CheckFailure(_gradient_message(e, names, "second derivative") + _where(s)) \
            from None
    torch = torch_module()
    if op.torch_name is None or torch is None:
        return
    # 3. and agree with PyTorch's second-order term d/dx sum(w * grad) (a gradient that does
    # not require grad counts as constant: a zero term)
    ws = [rng.standard_normal(tuple(x.shape)) for x in leaves]
    tleaves, tgs = _torch_vjp(torch, op, s, us, create_graph=True)
    second = _second_order(leaves, graph, ws, loom)
    tsecond = _second_order(tleaves, tgs, ws, torch)
    for i, (h, th, x) in enumerate(zip(second, tsecond, leaves)):
        hv = np.zeros(tuple(x.shape)) if h is None else _host(h)
        thv = np.zeros(tuple(x.shape)) if th is None else th.detach().numpy(force=True)
        diff = value_diff(hv, thv, s.rtol, s.atol)
        if diff:
            raise CheckFailure(f"second-order term of input {i} ({paths[i]}) differs from "
                               f"PyTorch's: {diff}{_where(s)}")


def _second_order(leaves, grads, ws, lib):
    terms = [(g * lib.from_numpy(w.copy())).sum() for g, w in zip(grads, ws)
             if g is not None and g.requires_grad]
    if not terms:
        return [None] * len(leaves)
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return lib.autograd.grad(total, leaves, allow_unused=True)


# ----------------------------------------------------------------------------- in-place, out=

def _check_inplace(op, s, dt):
    inplace = _ops.inplace_call_of(op)
    if inplace is None:
        raise CheckFailure(f"declares in-place form '{op.inplace}', but Tensor has no such "
                           f"method")
    if not s.args or not isinstance(s.args[0], np.ndarray):
        raise CheckSkipped("the sample's first argument is not an array")
    returns_self = not op.inplace.startswith("__")  # t[k] = v returns None
    args, kwargs = _loom_args(s)
    target = args[0]
    torch = torch_module()
    if op.random:  # the same draws as the reference's
        _seeded(torch)
    state, got = _outcome(lambda: inplace(target, *args[1:], **kwargs))
    if op.torch_name is not None and torch is not None and hasattr(torch.Tensor, op.inplace):
        targs, tkw = _torch_args(torch, s)
        if op.random:
            _seeded(torch)
        tstate, tgot = _outcome(lambda: getattr(targs[0], op.inplace)(*targs[1:], **tkw),
                                quiet=True)
        want = targs[0]
    else:
        ref_args, ref_kwargs = _loom_args(s)
        if op.random:
            _seeded(torch)
        ref = _ops.call_of(op)(*ref_args, **ref_kwargs)
        fits = isinstance(ref, loom.Tensor) and tuple(ref.shape) == tuple(target.shape) and \
            loom.can_cast(ref.dtype, target.dtype)
        tstate, tgot = ("ok", None) if fits else ("raised", RuntimeError("does not fit"))
        want = ref.to(target.dtype) if fits else None
    if tstate == "raised":
        _same_refusal(f"in-place {op.inplace} ", state, got, tgot, s)
        return
    if state == "raised":
        raise CheckFailure(f"in-place {op.inplace} raises {_describe(got)}{_where(s)}")
    if returns_self and got is not target:
        raise CheckFailure(f"in-place {op.inplace} returns "
                           f"{'a new tensor' if isinstance(got, loom.Tensor) else type(got)}, "
                           f"not its input{_where(s)}")
    _fail(op, s, compare(target, want, s.rtol, s.atol), f"in-place {op.inplace}: ")
    if dt != np.float64 or not _is_grad_sample(op, s) or not _is_float(s.args[0]):
        return
    # gradients through the in-place form equal those of the out-of-place call
    build, floats = _rebuilder(s)
    rng = np.random.default_rng(SEED + 3)
    u = rng.standard_normal(tuple(target.shape))
    call = _ops.call_of(op)

    def through(mode):
        leaves = _leaves(floats)
        a, kw = build(*leaves)
        if mode == "inplace":
            r = a[0].clone()
            inplace(r, *a[1:], **kw)
        else:
            r = call(*a, **kw)
        if not r.requires_grad:
            return [None] * len(leaves)
        return loom.autograd.grad(r, leaves, loom.from_numpy(u.astype(np.float64)),
                                  allow_unused=True)
    for i, (g0, g1) in enumerate(zip(through("call"), through("inplace"))):
        v0 = None if g0 is None else _host(g0)
        v1 = None if g1 is None else _host(g1)
        if (v0 is None) != (v1 is None) or (v0 is not None and
                                             not np.allclose(v0, v1, rtol=1e-10, atol=1e-12)):
            raise CheckFailure(f"gradient of input {i} through in-place {op.inplace} differs "
                               f"from the out-of-place call's{_where(s)}")


def _same_refusal(what, state, got, expected, s):
    """The reference raised `expected`: loom must raise too, an exception of the same kind."""
    if state == "ok":
        raise CheckFailure(f"{what}succeeds where the reference raises "
                           f"{_describe(expected)}{_where(s)}")
    if not isinstance(got, _builtin_base(type(expected))):
        raise CheckFailure(f"{what}raises {_describe(got)}, expected "
                           f"{_builtin_base(type(expected)).__name__}{_where(s)}")


def _check_out(op, s):
    fn = _ops.out_call_of(op)
    if fn is None:
        raise CheckFailure("supports_out, but has no loom function to pass out= to")
    args, kwargs = _loom_args(s)
    ref = _ops.call_of(op)(*args, **kwargs)
    if not isinstance(ref, loom.Tensor):
        raise CheckSkipped("out= with several outputs is not checked")
    torch = torch_module()
    tfn = None
    if op.torch_name is not None and torch is not None and \
            callable(getattr(torch, op.torch_name, None)):
        tfn = getattr(torch, op.torch_name)
    for out_dtype in (ref.dtype, loom.int64 if ref.dtype.is_floating_point else None):
        if out_dtype is None:
            continue
        out = loom.empty(tuple(ref.shape), dtype=out_dtype)
        args, kwargs = _loom_args(s)
        state, got = _outcome(lambda: fn(*args, out=out, **kwargs))
        if tfn is not None:
            targs, tkw = _torch_args(torch, s)
            tout = torch.empty(tuple(ref.shape), dtype=getattr(torch, out_dtype.name))
            tstate, texc = _outcome(lambda: tfn(*targs, out=tout, **tkw), quiet=True)
        # no PyTorch function, or no out= overload for this call (torch.sum without dim):
        # the out-of-place result is the reference
        if tfn is None or tstate == "raised" and isinstance(texc, TypeError):
            fits = loom.can_cast(ref.dtype, out_dtype)
            tstate, texc = ("ok", None) if fits else ("raised", RuntimeError("cannot cast"))
            tout = ref.to(out_dtype) if fits else None
        what = f"out= of dtype {out_dtype.name}: "
        if tstate == "raised":
            _same_refusal(what, state, got, texc, s)
            continue
        if state == "raised":
            if out_dtype != ref.dtype and isinstance(got, RuntimeError):
                # PyTorch casts into this `out` (torch.sum computes in out's dtype); refusing
                # to is stricter, never silently wrong
                continue
            raise CheckFailure(f"{what}raises {_describe(got)}{_where(s)}")
        if got is not out:
            raise CheckFailure(f"{what}returns a new tensor instead of `out`{_where(s)}")
        _fail(op, s, compare(out, tout, s.rtol, s.atol), what)
    if op.differentiable and _is_grad_sample(op, s):
        build, floats = _rebuilder(s)
        a, kw = build(*_leaves(floats))
        out = loom.empty(tuple(ref.shape), dtype=ref.dtype)
        state, got = _outcome(lambda: fn(*a, out=out, **kw))
        if not (state == "raised" and isinstance(got, RuntimeError)):
            raise CheckFailure(f"out= with inputs that require grad must raise RuntimeError "
                               f"(as PyTorch does), got "
                               f"{_describe(got) if state == 'raised' else 'a result'}"
                               f"{_where(s)}")


# ----------------------------------------------------------------------------- broadcasting

_BROADCASTS = {
    "row": lambda x, y: (x, y[:1]),
    "column": lambda x, y: (x[:, :1], y),
    "outer": lambda x, y: (x[:, :1], y[:1]),
    "lower_rank": lambda x, y: (x, y[0]),
    "leading_dim": lambda x, y: (x[None], y),
    "0dim": lambda x, y: (x[0, 0], y),
}


def _broadcast_base(samples):
    """Two (2, 3) operands cut from the first sample with two array operands of 6+ elements
    (keeping the sample's values keeps them in the op's domain), and that sample."""
    for s in samples:
        if len(s.args) >= 2 and all(isinstance(a, np.ndarray) and a.size >= 6
                                    for a in s.args[:2]):
            x, y = (np.ascontiguousarray(a).ravel()[:6].reshape(2, 3) for a in s.args[:2])
            return x, y, s
    return None


def _derived(s, a, b, note):
    return SampleInput((a.copy(), b.copy()) + tuple(s.args[2:]), dict(s.kwargs), grad=s.grad,
                       rtol=s.rtol, atol=s.atol, note=note)


def _check_broadcast(op, base, variant, dt):
    x, y, s = base
    if variant == "incompatible":
        d = _derived(s, x, y[:, :2], "incompatible shapes (2, 3) and (2, 2)")
        args, kwargs = _loom_args(d)
        state, got = _outcome(lambda: _ops.call_of(op)(*args, **kwargs))
        if state != "raised" or not isinstance(got, RuntimeError):
            raise CheckFailure(f"shapes (2, 3) and (2, 2) must raise RuntimeError (as PyTorch "
                               f"does), got {_describe(got) if state == 'raised' else 'a result'}")
        return
    a, b = _BROADCASTS[variant](x, y)
    d = _derived(s, np.asarray(a), np.asarray(b),
                 f"broadcasting {np.shape(a)} with {np.shape(b)}")
    _check_forward(op, d)
    if dt == np.float64 and _is_grad_sample(op, d):
        _check_gradient(op, d)


# ----------------------------------------------------------------------------- dtypes

def _promotion_operands():
    r = np.random.default_rng(SEED + 3)
    f32 = r.uniform(0.5, 2.0, (3, 4)).astype(np.float32)
    i64 = r.integers(1, 4, (3, 4)).astype(np.int64)
    i32 = r.integers(1, 4, (4,)).astype(np.int32)
    b = r.integers(0, 2, (3, 4)).astype(bool)
    return {
        "f32_i64": (f32, i64),
        "i64_f32": (i64, f32),
        "i64_pyfloat": (i64, 1.5),
        "i64_pyint": (i64, 2),
        "i32_i64_broadcast": (i32, r.integers(1, 4, (3, 1)).astype(np.int64)),
        "f32_f64_0dim": (f32, np.array(1.25)),
        "i64_f32_0dim": (i64, np.array(1.75, np.float32)),
        "f32_pyint": (f32, 3),
        "bool_bool": (b, r.integers(0, 2, (4,)).astype(bool)),
        "bool_i64": (b, i64),
        "bool_pyfloat": (b, 0.5),
        "bool_pybool": (b, True),
        "i32_pybool": (i32, True),
    }


_PROMOTION = _promotion_operands()


def _same_as_torch(op, largs, targs, what):
    """loom's call and torch's on the same operands: the same exception type, or the same
    dtype, shape and values."""
    torch = torch_module()
    tstate, want = _outcome(lambda: _torch_fn(torch, op.torch_name)(*targs), quiet=True)
    state, got = _outcome(lambda: _ops.call_of(op)(*largs))
    if tstate == "raised":
        if state == "ok":
            raise CheckFailure(f"{what}: PyTorch raises {_describe(want)}, but loom returns "
                               f"{got.dtype.name if isinstance(got, loom.Tensor) else got!r}")
        if not isinstance(got, _builtin_base(type(want))):
            raise CheckFailure(f"{what}: loom raises {_describe(got)}, PyTorch "
                               f"{_describe(want)}")
        return
    if state == "raised":
        raise CheckFailure(f"{what}: loom raises {_describe(got)}, PyTorch returns "
                           f"{_dtype_name(want) if hasattr(want, 'dtype') else want!r}")
    _fail(op, None, compare(got, want, 1e-6, 1e-6), f"{what}: ")


def _need_torch(op, why):
    torch = torch_module()
    if torch is None:
        raise CheckSkipped(f"PyTorch is not importable: it is the oracle of {why}")
    if op.torch_name is None:
        raise CheckSkipped(f"operator '{op.name}' names no PyTorch counterpart (torch_name) to "
                           f"compare {why} with")
    return torch


def _check_promotion(op, case):
    torch = _need_torch(op, "type promotion")
    a, b = _PROMOTION[case]
    la, lb = (loom.from_numpy(_copy(x)) if isinstance(x, np.ndarray) else x for x in (a, b))
    ta, tb = (torch.from_numpy(_copy(x)) if isinstance(x, np.ndarray) else x for x in (a, b))
    _same_as_torch(op, (la, lb), (ta, tb), case)


_CASTS = {"int64": np.int64, "int32": np.int32, "bool": np.bool_}


def _check_dtypes(op, s, name):
    torch = _need_torch(op, "result dtypes")
    cast = _CASTS[name]

    def conv(a):
        return a.astype(cast) if _is_float(a) else a
    d = dataclasses.replace(s, args=_map_arrays(s.args, conv),
                            kwargs={k: _map_arrays(v, conv) for k, v in s.kwargs.items()})
    largs, _ = _loom_args(d)
    targs, _ = _torch_args(torch, d)
    _same_as_torch(op, largs, targs, f"{name} operands{_where(s)}")


# ----------------------------------------------------------------------------- errors

def _check_error(op, e):
    expected = e.error
    args, kwargs = _loom_args(e)
    state, got = _outcome(lambda: _ops.call_of(op)(*args, **kwargs))
    where = _where(e)
    if state == "ok":
        raise CheckFailure(f"expected {expected.__name__}, but the call returned "
                           f"{type(got).__name__}{where}")
    if not isinstance(got, expected):
        raise CheckFailure(f"expected {expected.__name__}, got {_describe(got)}{where}")
    if e.match is not None and not re.search(e.match, str(got)):
        raise CheckFailure(f"{expected.__name__} message {str(got)!r} does not match "
                           f"{e.match!r}{where}")
    torch = torch_module()
    if torch is None or op.torch_name is None:
        return
    targs, tkw = _torch_args(torch, e)
    tstate, tgot = _outcome(lambda: _torch_fn(torch, op.torch_name)(*targs, **tkw), quiet=True)
    if tstate == "ok":
        raise CheckFailure(f"the error sample is wrong: PyTorch accepts this call (expected "
                           f"{expected.__name__}){where}")
    if not isinstance(tgot, expected):
        raise CheckFailure(f"the error sample is wrong: PyTorch raises {_describe(tgot)}, not "
                           f"{expected.__name__}{where}")


# ----------------------------------------------------------------------------- devices

def other_devices() -> list:
    """Available device types besides cpu (device parity compares each with cpu)."""
    from ..backends import backends
    return sorted(t for t, be in backends.items() if t != "cpu" and be.is_available())


def _is_random_factory(op, s) -> bool:
    """Whether a factory's values depend on the seed (rand, randn): then only shape, dtype and
    device are compared across devices."""
    args, kwargs = _loom_args(s)
    call = _ops.call_of(op)
    loom.manual_seed(0)
    a = call(*args, **kwargs)
    loom.manual_seed(1)
    b = call(*args, **kwargs)
    return not np.array_equal(_host(a), _host(b), equal_nan=True)


def _check_device(op, s, dt, device):
    dev_type = loom.device(device).type
    # a call that names its device (a sample of Tensor.to) places its result there itself
    placed = "device" not in s.kwargs
    if op.kind == "factory":
        cpu, other = _run_loom(op, s), _run_loom(op, s, device)
        random = _is_random_factory(op, s)
    else:
        args, kwargs = _loom_args(s)
        cpu = _ops.call_of(op)(*args, **kwargs)
        args, kwargs = _loom_args(s, device)
        other = _ops.call_of(op)(*args, **kwargs)
        random = op.random
    for i, o in enumerate(_tuple(other)):
        if placed and isinstance(o, loom.Tensor) and o.device.type != dev_type:
            raise CheckFailure(f"output {i} is on {o.device}, expected {device}{_where(s)}")
    if random:
        errors = [f"shape {tuple(o.shape)} vs {tuple(c.shape)} or dtype {o.dtype} vs {c.dtype}"
                  for o, c in zip(_tuple(other), _tuple(cpu))
                  if tuple(o.shape) != tuple(c.shape) or o.dtype != c.dtype]
    else:
        errors = compare(other, cpu, max(s.rtol, 1e-6), max(s.atol, 1e-8))
    _fail(op, s, errors, f"on {device} vs cpu: ")
    if dt != np.float64 or not _is_grad_sample(op, s):
        return
    rng = np.random.default_rng(SEED + 4)
    us = [rng.standard_normal(tuple(o.shape)) for o in _float_outputs(cpu)]
    fn, floats = _sample_fn(op, s)
    _, g_cpu = _loom_vjp(fn, floats, us, create_graph=False)
    fn, floats = _sample_fn(op, s, device)
    _, g_dev = _loom_vjp(fn, floats, us, create_graph=False, device=device)
    for i, (a, b) in enumerate(zip(g_cpu, g_dev)):
        if (a is None) != (b is None):
            raise CheckFailure(f"gradient of input {i} is None on only one of cpu and "
                               f"{device}{_where(s)}")
        if a is not None:
            if b.device.type != dev_type:
                raise CheckFailure(f"gradient of input {i} is on {b.device}, expected "
                                   f"{device}{_where(s)}")
            _fail(op, s, compare(b, a, 1e-6, 1e-8), f"gradient of input {i} on {device} vs "
                                                    f"cpu: ")


# ----------------------------------------------------------------------------- enumeration

def _dtype_label(dt) -> str:
    return np.dtype(dt).name


def _np_dtypes(dtypes) -> tuple:
    out = []
    for d in dtypes or DEFAULT_DTYPES:
        if isinstance(d, loom.dtype):
            d = d.np
        elif isinstance(d, str):
            d = getattr(np, d.removeprefix("torch.").removeprefix("loom."))
        else:
            torch = torch_module()
            if torch is not None and isinstance(d, torch.dtype):
                d = getattr(np, str(d).removeprefix("torch."))
        out.append(np.dtype(d).type)
    return tuple(out)


def cases(op, checks=None, dtypes=None) -> list:
    """Every case of the chosen `checks` (`DEFAULT_CHECKS` by default) for operator `op` (a name
    or a `KitOp`), with samples in floating `dtypes` (float32 and float64 by default; gradients
    are always checked in float64)."""
    if isinstance(op, str):
        op = _ops.get_op(op)
    checks = DEFAULT_CHECKS if checks is None else tuple(checks)
    unknown = [c for c in checks if c not in CHECKS]
    if unknown:
        raise ValueError(f"unknown check(s) {', '.join(map(repr, unknown))}; the checks are "
                         f"{', '.join(CHECKS)}")
    dts = _np_dtypes(dtypes)
    samples, errors = {}, {}
    for dt in sorted(set(dts) | {np.float32, np.float64}, key=lambda d: np.dtype(d).itemsize):
        try:
            samples[_dtype_label(dt)] = _ops.samples_of(op, np.random.default_rng(SEED), dt)
        except Exception as e:  # reported by the metadata check
            errors[_dtype_label(dt)] = _describe(e)
            samples[_dtype_label(dt)] = []
    out = []

    def add(check, label, fn, *args):
        out.append(Case(op.name, check, label, lambda: fn(*args)))

    if "metadata" in checks:
        add("metadata", "", _check_metadata, op, samples, errors)
    f64 = samples.get("float64", [])
    for dt in dts:
        ss = samples[_dtype_label(dt)]
        for i, s in enumerate(ss):
            label = f"{_dtype_label(dt)}-sample{i}"
            if "forward" in checks:
                add("forward", label, _check_forward, op, s)
            if "inplace" in checks and op.inplace is not None:
                add("inplace", label, _check_inplace, op, s, dt)
            if "out" in checks and op.supports_out:
                add("out", label, _check_out, op, s)
            if "device" in checks:
                for dev in other_devices():
                    add("device", f"{dev}-{label}", _check_device, op, s, dt, dev)
    for i, s in enumerate(f64):
        if _is_grad_sample(op, s):
            if "gradient" in checks:
                add("gradient", f"float64-sample{i}", _check_gradient, op, s)
            if "gradgrad" in checks:
                add("gradgrad", f"float64-sample{i}", _check_gradgrad, op, s)
    if op.kind == "binary":
        if "broadcasting" in checks:
            for dt in dts:
                base = _broadcast_base(samples[_dtype_label(dt)])
                if base is None:
                    continue
                for variant in (*_BROADCASTS, "incompatible"):
                    add("broadcasting", f"{_dtype_label(dt)}-{variant}", _check_broadcast, op,
                        base, variant, dt)
        if "promotion" in checks:
            for case in _PROMOTION:
                add("promotion", case, _check_promotion, op, case)
    if "dtypes" in checks and op.kind in ("unary", "binary") and f64:
        for name in _CASTS:
            add("dtypes", f"{name}-sample0", _check_dtypes, op, f64[0], name)
    if "errors" in checks:
        try:
            error_samples = _ops.error_samples_of(op, np.random.default_rng(SEED))
        except Exception as e:
            add("errors", "error_samples", _raise, CheckFailure(f"error_samples(rng) raised "
                                                                f"{_describe(e)}"))
        else:
            for i, e in enumerate(error_samples):
                add("errors", f"error{i}", _check_error, op, e)
    return out


def _raise(exc):
    raise exc
