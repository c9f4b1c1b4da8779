"""The checks that compute: forward values against the oracle, gradients and second
derivatives by finite differences, the in-place and ``out=`` forms, broadcasting, type
promotion and the dtypes an op accepts."""
from __future__ import annotations

import dataclasses

import numpy as np

import loom

from ..autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck
from ..plugin import SampleInput
from . import _ops
from .oracle import (  # noqa: F401 - shared helpers
    CheckFailure, CheckSkipped, EPS, GRADGRAD_ATOL, GRADGRAD_RTOL, GRAD_ATOL, GRAD_RTOL, SEED,
    _arrays, _builtin_base, _copy, _describe, _dtype_name, _fail, _float_outputs, _host,
    _is_float, _is_grad_sample, _leaves, _loom_args, _map_arrays, _outcome, _paths, _rebuilder,
    _sample_fn, _torch_args, _torch_fn, _tuple, _where, compare, torch_module, value_diff,
)


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
    try:
        tsecond = _second_order(tleaves, tgs, ws, torch)
    except NotImplementedError:  # PyTorch has no second derivative (cdist): step 2 stands
        return
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
