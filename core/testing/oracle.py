"""The conformance kit's side of the oracle: PyTorch imported when it can be, each side's
arguments built from a sample, and results compared (values, dtypes, shapes, exceptions), with
the failures the checks raise."""
from __future__ import annotations

import warnings

import numpy as np

import loom

from . import _ops

SEED = 0

# Finite differences in float64: central differences with this step are accurate to ~1e-10
# relative, so the tolerances can be far tighter than PyTorch's gradcheck defaults.
EPS = 1e-6
GRAD_ATOL, GRAD_RTOL = 1e-6, 1e-5
GRADGRAD_ATOL, GRADGRAD_RTOL = 1e-5, 1e-4


def _is_grad_sample(op, s) -> bool:
    return op.differentiable and s.grad and any(_is_float(a) for a in
                                                 _arrays((s.args, s.kwargs)))


class CheckFailure(AssertionError):
    """A conformance check found the operator wrong; the message says how."""


class CheckSkipped(Exception):
    """A conformance check cannot run here (no PyTorch, no second device); the message says
    why."""


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


def _torch_attr(torch, name):
    """``torch.<name>``, following dots (``linalg.solve``); None if it does not exist."""
    for part in name.split("."):
        torch = getattr(torch, part, None)
    return torch


def _torch_fn(torch, name):
    """``torch.<name>`` if it exists, else the Tensor method ``first.<name>(*rest)``."""
    fn = _torch_attr(torch, name)
    if callable(fn):
        return fn

    def method(first, *rest, **kw):
        return getattr(first, name)(*rest, **kw)
    return method


def _torch_resolves(torch, name) -> bool:
    return callable(_torch_attr(torch, name)) or hasattr(torch.Tensor, name)


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
