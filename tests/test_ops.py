"""Operator tests generated from the registry: every registered operator (bundled or from a
third-party op pack) is checked by the same machinery.

* metadata: every op has samples and an oracle; every differentiable op has a float sample with
  ``grad=True``.
* forward: every sample, in float32 and float64, against PyTorch (``op.torch_name``: a ``torch``
  function, else a Tensor method) or, when ``torch_name`` is None, the op's NumPy ``reference``;
  values, shapes and dtypes.  Factories are seeded (``torch.manual_seed(0)`` and
  ``loom.manual_seed(0)``) and must agree exactly.
* backward: every float64 ``grad=True`` sample of a differentiable op, by a directional central
  finite difference (random input direction v, random output cotangent u) and against PyTorch's
  gradients for the same cotangent.
* create_graph: one sample per differentiable op; first-order gradients computed with
  ``create_graph=True`` (backward rule running on loom tensors) equal those with
  ``create_graph=False``, and are differentiable exactly where PyTorch's are.
* promotion: binary ops on mixed dtypes (float/int tensors, int tensor and Python float, bool
  operands, 0-dim tensors) give PyTorch's result dtype and values, or raise where PyTorch raises.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

import loom
from loom.registry import registry

SEED = 0
DTYPES = (np.float32, np.float64)
FD_EPS = 1e-6


# ----------------------------------------------------------------------------- helpers

def _ops():
    return sorted(registry.ops.values(), key=lambda op: op.name)


def _samples(op, dt):
    """The op's samples for `dt`, regenerated from a fixed seed (so collection and test agree)."""
    if op.samples is None:
        return []
    return list(op.samples(np.random.default_rng(SEED), dt) or [])


def _dt_name(dt):
    return np.dtype(dt).name


def _is_float_array(x):
    return isinstance(x, np.ndarray) and x.dtype.kind == "f"


def _map_arrays(x, fn):
    """Apply `fn` to every NumPy array in `x`, looking inside lists and tuples (cat/stack take a
    list of arrays)."""
    if isinstance(x, np.ndarray):
        return fn(x)
    if isinstance(x, list):
        return [_map_arrays(e, fn) for e in x]
    if isinstance(x, tuple):
        return tuple(_map_arrays(e, fn) for e in x)
    if isinstance(x, dict):
        return {k: _map_arrays(v, fn) for k, v in x.items()}
    return x


def _arrays(x):
    """The NumPy arrays in `x` (depth first, the order `_map_arrays` visits them)."""
    out = []
    _map_arrays(x, lambda a: out.append(a) or a)
    return out


def _copy(a):
    # order="K" keeps the sample's memory layout (e.g. the transposed input of `contiguous`)
    return a.copy(order="K")


def _torch_value(v):
    if isinstance(v, loom.dtype):
        return getattr(torch, v.name)
    if isinstance(v, list):
        return [_torch_value(e) for e in v]
    if isinstance(v, tuple):
        return tuple(_torch_value(e) for e in v)
    return v


def _loom_args(s):
    return (_map_arrays(s.args, lambda a: loom.from_numpy(_copy(a))),
            {k: _map_arrays(v, lambda a: loom.from_numpy(_copy(a))) for k, v in s.kwargs.items()})


def _torch_args(s):
    args = _map_arrays(s.args, lambda a: torch.from_numpy(_copy(a)))
    kwargs = {k: _map_arrays(v, lambda a: torch.from_numpy(_copy(a)))
              for k, v in s.kwargs.items()}
    return tuple(_torch_value(a) for a in args), {k: _torch_value(v) for k, v in kwargs.items()}


def _torch_fn(op):
    """A callable running the PyTorch counterpart of `op`: ``torch.<torch_name>`` if it exists,
    else the Tensor method ``first_arg.<torch_name>(*rest)``."""
    name = op.torch_name
    fn = getattr(torch, name, None)
    if callable(fn):
        return fn

    def method(first, *rest, **kw):
        return getattr(first, name)(*rest, **kw)
    return method


def _has_oracle(op):
    return op.torch_name is not None or op.reference is not None


def _tuple(out):
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def _loom_np(t):
    assert isinstance(t, loom.Tensor), f"expected a loom Tensor output, got {type(t).__name__}"
    return np.asarray(t.detach().numpy())


def _torch_dtype_name(d):
    return str(d).removeprefix("torch.")


def _compare(got, want, rtol, atol, exact, what=""):
    """Compare loom outputs with oracle outputs (torch tensors or NumPy values); returns a list of
    mismatch messages."""
    errors = []
    got, want = _tuple(got), _tuple(want)
    if len(got) != len(want):
        return [f"{what}{len(got)} outputs, expected {len(want)}"]
    for i, (g, w) in enumerate(zip(got, want)):
        tag = f"{what}output {i}: " if len(got) > 1 else what
        if not isinstance(g, loom.Tensor):
            errors.append(f"{tag}expected a loom Tensor, got {type(g).__name__}")
            continue
        gv = _loom_np(g)
        if isinstance(w, torch.Tensor):
            wv = w.detach().numpy()
            w_dt = _torch_dtype_name(w.dtype)
        else:
            wv = np.asarray(w)
            w_dt = wv.dtype.name
        if tuple(g.shape) != tuple(wv.shape):
            errors.append(f"{tag}shape {tuple(g.shape)}, expected {tuple(wv.shape)}")
            continue
        if g.dtype.name != w_dt:
            errors.append(f"{tag}dtype {g.dtype.name}, expected {w_dt}")
        try:
            if exact or gv.dtype.kind in "biu" or wv.dtype.kind in "biu":
                np.testing.assert_array_equal(gv, wv)
            else:
                np.testing.assert_allclose(gv, wv, rtol=rtol, atol=atol, equal_nan=True)
        except AssertionError as e:
            errors.append(f"{tag}values differ:{e}")
    return errors


def _sample_params(pred=lambda op, dt, s: True, dtypes=DTYPES):
    params = []
    for op in _ops():
        for dt in dtypes:
            try:
                ss = _samples(op, dt)
            except Exception:
                params.append(pytest.param(op.name, 0, dt,
                                           id=f"{op.name}-samples_error-{_dt_name(dt)}"))
                continue
            for i, s in enumerate(ss):
                if pred(op, dt, s):
                    params.append(pytest.param(op.name, i, dt,
                                               id=f"{op.name}-sample{i}-{_dt_name(dt)}"))
    return params


def _grad_sample(op, dt, s):
    return op.backward is not None and s.grad and any(_is_float_array(a) for a in
                                                      _arrays((s.args, s.kwargs)))


# ----------------------------------------------------------------------------- 1. metadata

@pytest.mark.parametrize("name", [op.name for op in _ops()])
def test_op_has_samples(name):
    op = registry.get(name)
    assert op.samples is not None, f"operator '{name}' has no samples"
    for dt in DTYPES:
        assert _samples(op, dt), f"operator '{name}' yields no samples for {_dt_name(dt)}"
    if op.backward is not None:
        assert any(_grad_sample(op, np.float64, s) for s in _samples(op, np.float64)), (
            f"differentiable operator '{name}' has no float64 sample with grad=True and float "
            f"inputs, so its backward rule is never checked")


@pytest.mark.parametrize("name", [op.name for op in _ops()])
def test_op_has_oracle(name):
    op = registry.get(name)
    assert _has_oracle(op), (
        f"operator '{name}' has neither torch_name nor reference: nothing to compare it with")
    if op.torch_name is not None:
        assert callable(getattr(torch, op.torch_name, None)) or \
            hasattr(torch.Tensor, op.torch_name), \
            f"torch_name '{op.torch_name}' of '{name}' is neither torch.* nor a Tensor method"


# ----------------------------------------------------------------------------- 2. forward

def _run_loom(op, s):
    args, kwargs = _loom_args(s)
    if op.kind == "factory":
        torch.manual_seed(0)
        loom.manual_seed(0)
    return op.call(*args, **kwargs)


def _run_oracle(op, s):
    if op.torch_name is None:
        return op.reference(*s.args, **s.kwargs)
    args, kwargs = _torch_args(s)
    if op.kind == "factory":
        torch.manual_seed(0)
        loom.manual_seed(0)
    return _torch_fn(op)(*args, **kwargs)


@pytest.mark.parametrize("name,idx,dt", _sample_params())
def test_forward(name, idx, dt):
    op = registry.get(name)
    s = _samples(op, dt)[idx]
    assert _has_oracle(op), f"operator '{name}' has neither torch_name nor reference"
    want = _run_oracle(op, s)
    got = _run_loom(op, s)
    errors = _compare(got, want, s.rtol, s.atol, exact=op.kind == "factory")
    assert not errors, f"{name} {s.note or ''}: " + "; ".join(errors)


# ----------------------------------------------------------------------------- 3. backward

def _grad_case(op, s):
    """Loom args with float arrays as leaves requiring grad, the leaves, and the raw arrays."""
    raw = [a for a in _arrays((s.args, s.kwargs)) if _is_float_array(a)]
    leaves = []

    def conv(a):
        t = loom.from_numpy(_copy(a))
        if _is_float_array(a):
            t.requires_grad_(True)
            leaves.append(t)
        return t
    args = _map_arrays(s.args, conv)
    kwargs = {k: _map_arrays(v, conv) for k, v in s.kwargs.items()}
    return args, kwargs, leaves, raw


def _float_outputs(out):
    return [o for o in _tuple(out) if isinstance(o, loom.Tensor) and o.dtype.is_floating_point]


def _shifted(s, vs, h):
    """`s`'s args with the i-th float array a (in `_arrays` order; one array may occur twice)
    replaced by a + h * vs[i]."""
    it = iter(vs)

    def conv(a):
        if _is_float_array(a):
            return loom.from_numpy(np.asarray(a + h * next(it), dtype=a.dtype))
        return loom.from_numpy(_copy(a))
    args = _map_arrays(s.args, conv)
    return args, {k: _map_arrays(v, conv) for k, v in s.kwargs.items()}


def _loom_grads(op, s, us, create_graph):
    args, kwargs, leaves, raw = _grad_case(op, s)
    outs = _float_outputs(op.call(*args, **kwargs))
    diff = [(o, u) for o, u in zip(outs, us) if o.requires_grad]
    assert diff, f"{op.name}: no output requires grad although inputs do"
    gs = loom.autograd.grad([o for o, _ in diff], leaves,
                            grad_outputs=[loom.from_numpy(u.copy()) for _, u in diff],
                            create_graph=create_graph, allow_unused=True)
    return leaves, gs


@pytest.mark.parametrize("name,idx,dt", _sample_params(_grad_sample, dtypes=(np.float64,)))
def test_backward(name, idx, dt):
    op = registry.get(name)
    s = _samples(op, dt)[idx]
    rng = np.random.default_rng(SEED + 1)
    raw = [a for a in _arrays((s.args, s.kwargs)) if _is_float_array(a)]
    with loom.no_grad():
        outs = _float_outputs(_run_loom(op, s))
    assert outs, f"{name}: grad sample without floating-point output"
    us = [rng.standard_normal(tuple(o.shape)) for o in outs]
    vs = [rng.standard_normal(a.shape) for a in raw]

    leaves, gs = _loom_grads(op, s, us, create_graph=False)
    assert len(gs) == len(leaves)
    errors = []
    for i, (x, g) in enumerate(zip(leaves, gs)):
        if g is not None:
            if tuple(g.shape) != tuple(x.shape):
                errors.append(f"grad {i} has shape {tuple(g.shape)}, input {tuple(x.shape)}")
            if g.dtype.name != x.dtype.name:
                errors.append(f"grad {i} has dtype {g.dtype.name}, input {x.dtype.name}")
    assert not errors, f"{name}: " + "; ".join(errors)

    # directional finite difference: u . (f(x + eps v) - f(x - eps v)) / 2eps  vs  grad . v
    with loom.no_grad():
        pa, pk = _shifted(s, vs, FD_EPS)
        ma, mk = _shifted(s, vs, -FD_EPS)
        plus = _float_outputs(op.call(*pa, **pk))
        minus = _float_outputs(op.call(*ma, **mk))
    numerical = sum(float(np.sum(u * (_loom_np(p) - _loom_np(m)) / (2 * FD_EPS)))
                    for p, m, u in zip(plus, minus, us))
    analytical = sum(0.0 if g is None else float(np.sum(_loom_np(g) * v))
                     for g, v in zip(gs, vs))
    assert abs(analytical - numerical) <= 1e-6 + 1e-5 * abs(numerical), (
        f"{name} {s.note}: directional derivative mismatch: analytical {analytical!r}, "
        f"numerical {numerical!r}")

    if op.torch_name is None:
        return
    _, tgs = _torch_grads(op, s, us, create_graph=False)
    for i, (g, tg, x) in enumerate(zip(gs, tgs, raw)):
        gv = np.zeros(x.shape) if g is None else _loom_np(g)
        tv = np.zeros(x.shape) if tg is None else tg.numpy()
        np.testing.assert_allclose(gv, tv, rtol=s.rtol, atol=s.atol, equal_nan=True,
                                   err_msg=f"{name} {s.note}: gradient {i} differs from torch")


def _torch_grads(op, s, us, create_graph):
    """PyTorch's leaves and gradients for sample `s` and output cotangents `us`."""
    targs, tkw = _torch_args(s)
    leaves = [t for t in _arrays_t((targs, tkw)) if t.dtype.is_floating_point]
    for t in leaves:
        t.requires_grad_(True)
    outs = [o for o in _tuple(_torch_fn(op)(*targs, **tkw))
            if isinstance(o, torch.Tensor) and o.dtype.is_floating_point]
    diff = [(o, torch.from_numpy(u.copy())) for o, u in zip(outs, us) if o.requires_grad]
    gs = torch.autograd.grad([o for o, _ in diff], leaves, grad_outputs=[u for _, u in diff],
                             allow_unused=True, create_graph=create_graph)
    return leaves, gs


def _arrays_t(x):
    """The torch tensors in `x` (args tuple, kwargs dict), in `_arrays` order."""
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


# ----------------------------------------------------------------------------- 4. create_graph

def _first_grad_sample():
    params = []
    for op in _ops():
        if op.backward is None:
            continue
        try:
            ss = _samples(op, np.float64)
        except Exception:
            continue
        for i, s in enumerate(ss):
            if _grad_sample(op, np.float64, s):
                params.append(pytest.param(op.name, i, id=f"{op.name}-sample{i}-float64"))
                break
    return params


@pytest.mark.parametrize("name,idx", _first_grad_sample())
def test_create_graph(name, idx):
    op = registry.get(name)
    s = _samples(op, np.float64)[idx]
    rng = np.random.default_rng(SEED + 2)
    with loom.no_grad():
        outs = _float_outputs(_run_loom(op, s))
    us = [rng.standard_normal(tuple(o.shape)) for o in outs]
    _, plain = _loom_grads(op, s, us, create_graph=False)
    leaves, graph = _loom_grads(op, s, us, create_graph=True)
    for i, (g0, g1) in enumerate(zip(plain, graph)):
        assert (g0 is None) == (g1 is None), f"{name}: grad {i} is None in only one mode"
        if g0 is None:
            continue
        assert isinstance(g1, loom.Tensor)
        np.testing.assert_allclose(_loom_np(g1), _loom_np(g0), rtol=1e-12, atol=1e-12,
                                   err_msg=f"{name}: create_graph=True gradient {i} differs")
    if op.torch_name is None:
        return
    # The create_graph gradients must be differentiable where PyTorch's are: compare the
    # second-order term d/dx sum(w * grad) with PyTorch's (a gradient that does not require grad
    # counts as constant, i.e. a zero second-order term).
    ws = [rng.standard_normal(tuple(x.shape)) for x in leaves]
    tleaves, tgs = _torch_grads(op, s, us, create_graph=True)
    second = _second_order(leaves, graph, ws, loom)
    tsecond = _second_order(tleaves, tgs, ws, torch)
    for i, (h, th, x) in enumerate(zip(second, tsecond, leaves)):
        hv = np.zeros(tuple(x.shape)) if h is None else _loom_np(h)
        thv = np.zeros(tuple(x.shape)) if th is None else th.detach().numpy(force=True)
        np.testing.assert_allclose(
            hv, thv, rtol=s.rtol, atol=s.atol, equal_nan=True,
            err_msg=f"{name}: second-order term for input {i} differs from torch (the "
                    f"create_graph gradient is not differentiated correctly)")


def _second_order(leaves, grads, ws, lib):
    terms = [(g * lib.from_numpy(w.copy())).sum() for g, w in zip(grads, ws)
             if g is not None and g.requires_grad]
    if not terms:
        return [None] * len(leaves)
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return lib.autograd.grad(total, leaves, allow_unused=True)


# ----------------------------------------------------------------------------- 5. promotion

def _promo_cases():
    r = np.random.default_rng(SEED + 3)
    f32 = r.uniform(0.5, 2.0, (3, 4)).astype(np.float32)
    f64_0d = np.array(1.25)
    f32_0d = np.array(1.75, np.float32)
    i64 = r.integers(1, 4, (3, 4)).astype(np.int64)
    i64_col = r.integers(1, 4, (3, 1)).astype(np.int64)
    i32 = r.integers(1, 4, (4,)).astype(np.int32)
    b = r.integers(0, 2, (3, 4)).astype(bool)
    b2 = r.integers(0, 2, (4,)).astype(bool)
    return {
        "f32_i64": (f32, i64),
        "i64_f32": (i64, f32),
        "i64_pyfloat": (i64, 1.5),
        "i64_pyint": (i64, 2),
        "i32_i64_broadcast": (i32, i64_col),
        "f32_f64_0dim": (f32, f64_0d),
        "i64_f32_0dim": (i64, f32_0d),
        "f32_pyint": (f32, 3),
        "bool_bool": (b, b2),
        "bool_i64": (b, i64),
        "bool_pyfloat": (b, 0.5),
        "bool_pybool": (b, True),
        "i32_pybool": (i32, True),
    }


_PROMO = _promo_cases()


@pytest.mark.parametrize("name,case", [
    pytest.param(op.name, c, id=f"{op.name}-{c}") for op in _ops() if op.kind == "binary"
    for c in _PROMO])
def test_binary_promotion(name, case):
    op = registry.get(name)
    a, b = _PROMO[case]
    la, lb = (loom.from_numpy(_copy(x)) if isinstance(x, np.ndarray) else x for x in (a, b))
    if op.torch_name is None:
        pytest.fail(f"binary operator '{name}' has no torch_name to compare promotion with")
    ta, tb = (torch.from_numpy(_copy(x)) if isinstance(x, np.ndarray) else x for x in (a, b))
    try:
        want = _torch_fn(op)(ta, tb)
    except Exception as e:  # torch refuses the combination: loom must refuse it too
        with pytest.raises(Exception):
            got = op.call(la, lb)
            pytest.fail(f"torch raises ({type(e).__name__}: {e}) but loom returns "
                        f"{got.dtype.name} {got.numpy()!r}")
        return
    got = op.call(la, lb)
    errors = _compare(got, want, 1e-6, 1e-6, exact=False)
    assert not errors, f"{name} {case}: " + "; ".join(errors)
