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
from typing import Callable

import numpy as np

import loom

from . import _ops
from .oracle import (  # noqa: F401 - the kit's shared helpers
    CheckFailure, CheckSkipped, SEED, _arrays, _builtin_base, _copy, _describe, _dtype_name,
    _fail, _float_outputs, _host, _is_float, _is_grad_sample, _leaves, _loom_args, _map_arrays,
    _outcome, _paths, _rebuilder, _sample_fn, _torch_args, _torch_fn, _torch_resolves, _tuple,
    _where, compare, torch_module, value_diff,
)
from .values import (  # noqa: F401 - the computing checks
    _BROADCASTS, _CASTS, _PROMOTION, _broadcast_base, _check_broadcast, _check_dtypes,
    _check_forward, _check_gradgrad, _check_gradient, _check_inplace, _check_out,
    _check_promotion, _loom_vjp, _run_loom,
)

__all__ = ["CHECKS", "DEFAULT_CHECKS", "Case", "CheckFailure", "CheckSkipped", "cases",
           "torch_module"]

CHECKS = ("metadata", "forward", "gradient", "gradgrad", "inplace", "out", "broadcasting",
          "promotion", "dtypes", "errors", "device")
# "dtypes" holds an op pack to PyTorch's support of integer and bool inputs, which many packs
# (floating-point math) do not aim at: it runs when asked for
DEFAULT_CHECKS = tuple(c for c in CHECKS if c != "dtypes")
DEFAULT_DTYPES = (np.float32, np.float64)


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
