"""Finite-difference checks of analytical gradients: `gradcheck` and `gradgradcheck`, with
PyTorch's signatures, defaults and messages.

Both compare, for every pair (differentiable output j, input i that requires grad), the Jacobian
the backward rules give (one vector-Jacobian product per output element) with central
differences ``(f(x + eps e) - f(x - eps e)) / 2 eps``. ``fast_mode=True`` compares one number per
pair instead, ``u_j^T J_ji v_i`` for random unit vectors, and computes the full Jacobians only
when that number disagrees, to say which entries are wrong.

Inputs are never written to: each perturbed evaluation gets fresh tensors, so `func` may keep
references to its arguments and inputs may be expanded or read-only.

Complex values follow PyTorch's convention: a complex input is two real coordinates (real and
imaginary part), a complex output two real functions, and the gradient of a real loss ``L`` is
``dL/dRe + i dL/dIm``. Then the derivative of ``L = Re(sum(conj(u) * out))`` along ``v`` is
``Re(sum(conj(grad) * v))`` and every check reduces to the real case.

`loom.testing` builds its operator checks from these functions and reads the structured fields
of `GradcheckError`.
"""
from __future__ import annotations

import warnings
from typing import Callable, Optional, Sequence, Union

import numpy as np

from ..backends import backend_of
from ..tensor import Tensor, wrap
from .gradients import grad

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]

_TensorOrTensors = Union[Tensor, Sequence[Tensor]]


class GradcheckError(RuntimeError):
    """Analytical and numerical gradients disagree, or backward misbehaves.

    For a Jacobian mismatch, `output_index` and `input_index` name the pair (counting outputs
    that require grad and inputs that require grad), `numerical` and `analytical` hold what was
    compared (Jacobians as arrays of shape (input coordinates, output coordinates), or the two
    numbers of fast mode), and `entries` lists up to ten differing Jacobian entries as
    ``(input index tuple, output index tuple, numerical, analytical)``."""

    def __init__(self, message: str, *, output_index: Optional[int] = None,
                 input_index: Optional[int] = None, numerical=None, analytical=None,
                 entries: tuple = (), n_entries: int = 0):
        super().__init__(message)
        self.output_index = output_index
        self.input_index = input_index
        self.numerical = numerical
        self.analytical = analytical
        self.entries = entries
        self.n_entries = n_entries


# ----------------------------------------------------------------------------- real coordinates

def _as_tuple(x) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _is_fc(t) -> bool:
    return isinstance(t, Tensor) and t._data.dtype.kind in "fc"


def _host(t: Tensor) -> np.ndarray:
    a = t._data
    if type(a) is not np.ndarray:
        a = backend_of(a).to_host(a)
    return np.asarray(a, dtype=np.complex128 if a.dtype.kind == "c" else np.float64)


def _n_coords(t: Tensor) -> int:
    return t._data.size * (2 if t._data.dtype.kind == "c" else 1)


def _coords(a: np.ndarray) -> np.ndarray:
    """A host array as a real vector: its elements, or real parts then imaginary parts."""
    if a.dtype.kind == "c":
        return np.concatenate([a.real.ravel(), a.imag.ravel()])
    return a.ravel().astype(np.float64, copy=False)


def _from_coords(vec: np.ndarray, like: Tensor) -> np.ndarray:
    """The inverse of `_coords`: a host array shaped like `like`."""
    shape = like._data.shape
    if like._data.dtype.kind == "c":
        n = like._data.size
        return (vec[:n] + 1j * vec[n:]).reshape(shape)
    return vec.reshape(shape)


def _unit(like: Tensor, k: int) -> np.ndarray:
    e = np.zeros(_n_coords(like))
    e[k] = 1.0
    return _from_coords(e, like)


def _on_device_of(t: Tensor, host: np.ndarray):
    """`host` as an array of `t`'s dtype on `t`'s device."""
    arr = host.astype(t._data.dtype, copy=False)
    if type(t._data) is np.ndarray:
        return arr
    return backend_of(t._data).asarray(arr, t.device.index)


def _outputs(func, inputs):
    return _as_tuple(func(*inputs))


def _float_outputs(outs):
    return [o for o in outs if _is_fc(o)]


def _shifted(inputs, idx, delta):
    """`inputs` with input `idx` replaced by a fresh tensor ``x + delta`` that requires grad
    as `x` does (`func` may itself differentiate, as gradgradcheck's does)."""
    x = inputs[idx]
    arr = x._data + _on_device_of(x, delta)
    t = wrap(np.asarray(arr) if isinstance(arr, np.generic) else arr)  # 0-dim: a NumPy scalar
    if x._rg:
        t.requires_grad_(True)
    args = list(inputs)
    args[idx] = t
    return args


def _central(func, inputs, idx, delta, eps, n_out):
    """``(f(x + delta) - f(x - delta)) / 2 eps`` for every float output, as host arrays."""
    plus = _float_outputs(_outputs(func, _shifted(inputs, idx, delta)))
    minus = _float_outputs(_outputs(func, _shifted(inputs, idx, -delta)))
    if len(plus) != n_out or len(minus) != n_out:
        raise GradcheckError("function returned a different number of floating-point outputs "
                             "at a perturbed input")
    out = []
    for p, m in zip(plus, minus):
        hp, hm = _host(p), _host(m)
        if hp.shape != hm.shape:
            raise GradcheckError("function returned outputs of different shapes at perturbed "
                                 "inputs")
        out.append((hp - hm) / (2 * eps))
    return out


def numerical_jacobian(func, inputs, outs, eps) -> list:
    """J[i][j]: the central-difference Jacobian of float output j w.r.t. input i (the i-th
    input that requires grad), shape (coordinates of input i, coordinates of output j)."""
    diff_idx = [k for k, x in enumerate(inputs) if isinstance(x, Tensor) and x._rg]
    result = []
    for idx in diff_idx:
        x = inputs[idx]
        cols = [np.zeros((_n_coords(x), _n_coords(o))) for o in outs]
        for k in range(_n_coords(x)):
            for j, d in enumerate(_central(func, inputs, idx, eps * _unit(x, k), eps,
                                           len(outs))):
                cols[j][k] = _coords(d)
        result.append(cols)
    return result


def _vjp(outputs, diff_inputs, cotangents, create_graph=False):
    gos = [wrap(_on_device_of(o, c)) for o, c in zip(outputs, cotangents)]
    return grad(list(outputs), list(diff_inputs), gos, retain_graph=True,
                create_graph=create_graph, allow_unused=True)


def _check_grads(gs, diff_inputs, check_grad_dtypes):
    for g, x in zip(gs, diff_inputs):
        if g is None:
            continue
        if check_grad_dtypes and g._data.dtype != x._data.dtype:
            raise GradcheckError("Gradient has dtype mismatch")
        if g._data.shape != x._data.shape:
            raise GradcheckError("Analytical gradient has incorrect size")


def _grad_coords(g, x) -> np.ndarray:
    """The row of real coordinates a gradient `g` of input `x` contributes: for a complex
    input the derivative along the imaginary unit is Im(g) (PyTorch's convention)."""
    if g is None:
        return np.zeros(_n_coords(x))
    h = _host(g)
    if x._data.dtype.kind == "c":
        h = h.astype(np.complex128)
        return np.concatenate([h.real.ravel(), h.imag.ravel()])
    return h.real.ravel() if h.dtype.kind == "c" else h.ravel()


def analytical_jacobian(diff_outs, diff_inputs, nondet_tol=0.0, check_grad_dtypes=False) -> list:
    """J[i][j] from backward: one vector-Jacobian product per coordinate of output j, each run
    twice (a backward that gives different results is "not reentrant")."""
    result = [[np.zeros((_n_coords(x), _n_coords(o))) for o in diff_outs] for x in diff_inputs]
    for j, o in enumerate(diff_outs):
        for c in range(_n_coords(o)):
            cot = [np.zeros(p._data.shape, _host_dtype(p)) for p in diff_outs]
            cot[j] = _unit(o, c)
            rows = []
            for _ in range(2):
                gs = _vjp(diff_outs, diff_inputs, cot)
                _check_grads(gs, diff_inputs, check_grad_dtypes)
                rows.append([_grad_coords(g, x) for g, x in zip(gs, diff_inputs)])
            for i, (r1, r2) in enumerate(zip(*rows)):
                if r1.size and np.max(np.abs(r1 - r2)) > nondet_tol:
                    raise GradcheckError(_not_reentrant(nondet_tol))
                result[i][j][:, c] = r1
    return result


def _host_dtype(t):
    return np.complex128 if t._data.dtype.kind == "c" else np.float64


def _not_reentrant(tol):
    return ("Backward is not reentrant, i.e., running backward with same input and grad_output "
            "multiple times gives different values, although analytical gradient matches "
            f"numerical gradient.The tolerance for nondeterminism was {tol}.")


def _allclose(a, n, rtol, atol) -> bool:
    return bool(np.all(np.abs(a - n) <= atol + rtol * np.abs(n)))


def _index(flat: int, t: Tensor) -> tuple:
    """The element index of real coordinate `flat` of `t` (with "imag" for the second half of
    a complex tensor's coordinates)."""
    n = t._data.size
    shape = t._data.shape
    if t._data.dtype.kind == "c" and flat >= n:
        return tuple(int(i) for i in np.unravel_index(flat - n, shape)) + ("imag",)
    return tuple(int(i) for i in np.unravel_index(flat, shape)) if shape else ()


def mismatched_entries(numerical, analytical, x, o, rtol, atol, limit=10):
    """The differing entries of one Jacobian pair, as (input index, output index, numerical,
    analytical), at most `limit` of them, and how many there are."""
    bad = np.argwhere(~(np.abs(analytical - numerical) <= atol + rtol * np.abs(numerical)))
    entries = tuple((_index(int(k), x), _index(int(c), o), float(numerical[k, c]),
                     float(analytical[k, c])) for k, c in bad[:limit])
    return entries, len(bad)


def _mismatch_message(j, i, numerical, analytical):
    return (f"Jacobian mismatch for output {j:d} with respect to input {i:d},\n"
            f"numerical:{_show(numerical)}\nanalytical:{_show(analytical)}\n")


def _show(value):
    """As PyTorch prints the compared quantities: a Jacobian as a float64 tensor, the numbers
    of fast mode as Python floats."""
    if isinstance(value, float):
        return repr(value)
    return repr(wrap(np.asarray(value, dtype=np.float64)))


def _check_inputs(inputs):
    any_rg = False
    for idx, x in enumerate(inputs):
        if isinstance(x, Tensor) and x._rg:
            if x._data.dtype not in (np.float64, np.complex128):
                warnings.warn(f"Input #{idx} requires gradient and is not a double precision "
                              f"floating point or complex. This check will likely fail if all "
                              f"the inputs are not of double precision floating point or "
                              f"complex. ", stacklevel=3)
            if not all(st > 0 or sz <= 1 for st, sz in zip(x.stride(), x.shape)):
                raise RuntimeError(
                    f"The {idx}th input has a dimension with stride 0. gradcheck only supports "
                    f"inputs that are non-overlapping to be able to compute the numerical "
                    f"gradients correctly. You should call .contiguous on the input before "
                    f"passing it to gradcheck.")
            any_rg = True
    if not any_rg:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but "
                         "none of them have requires_grad=True.")


def _no_differentiable_outputs(func, inputs, outs, eps, nondet_tol):
    # With no output requiring grad the function must not depend on the inputs at all.
    for per_input in numerical_jacobian(func, inputs, outs, eps):
        for jac in per_input:
            if jac.size and np.max(np.abs(jac)) > nondet_tol:
                raise GradcheckError("Numerical gradient for function expected to be zero")


def _random_unit(rng, n):
    # PyTorch's fast mode: non-negative entries, unit norm
    v = rng.random(n)
    norm = np.linalg.norm(v)
    return v / norm if norm else v


def _slow(func, inputs, diff_outs, float_outs, eps, rtol, atol, nondet_tol, check_grad_dtypes):
    diff_inputs = [x for x in inputs if isinstance(x, Tensor) and x._rg]
    numerical = numerical_jacobian(func, inputs, float_outs, eps)
    keep = [k for k, o in enumerate(float_outs) if o._rg]
    analytical = analytical_jacobian(diff_outs, diff_inputs, nondet_tol, check_grad_dtypes)
    for j, k in enumerate(keep):
        for i, x in enumerate(diff_inputs):
            n, a = numerical[i][k], analytical[i][j]
            if not _allclose(a, n, rtol, atol):
                entries, count = mismatched_entries(n, a, x, diff_outs[j], rtol, atol)
                raise GradcheckError(_mismatch_message(j, i, n, a), output_index=j,
                                     input_index=i, numerical=n, analytical=a,
                                     entries=entries, n_entries=count)


def _fast(func, inputs, diff_outs, float_outs, eps, rtol, atol, nondet_tol, check_grad_dtypes,
          rng):
    diff_idx = [k for k, x in enumerate(inputs) if isinstance(x, Tensor) and x._rg]
    diff_inputs = [inputs[k] for k in diff_idx]
    keep = [k for k, o in enumerate(float_outs) if o._rg]
    vs = [_random_unit(rng, _n_coords(x)) for x in diff_inputs]
    us = [_random_unit(rng, _n_coords(o)) for o in diff_outs]
    # numerical u_j . J_ji v_i: one central difference per input along v_i
    numerical = []
    for idx, x, v in zip(diff_idx, diff_inputs, vs):
        d = _central(func, inputs, idx, eps * _from_coords(v, x), eps, len(float_outs))
        numerical.append([float(np.dot(u, _coords(d[k]))) for k, u in zip(keep, us)])
    # analytical: one vector-Jacobian product per output, twice (reentrancy)
    analytical = [[0.0] * len(diff_outs) for _ in diff_inputs]
    for j, (o, u) in enumerate(zip(diff_outs, us)):
        cot = [np.zeros(p._data.shape, _host_dtype(p)) for p in diff_outs]
        cot[j] = _from_coords(u, o)
        runs = []
        for _ in range(2):
            gs = _vjp(diff_outs, diff_inputs, cot)
            _check_grads(gs, diff_inputs, check_grad_dtypes)
            runs.append([float(np.dot(_grad_coords(g, x), v))
                         for g, x, v in zip(gs, diff_inputs, vs)])
        for i, (a1, a2) in enumerate(zip(*runs)):
            if abs(a1 - a2) > nondet_tol:
                raise GradcheckError(_not_reentrant(nondet_tol))
            analytical[i][j] = a1
    for i, x in enumerate(diff_inputs):
        for j, o in enumerate(diff_outs):
            n, a = numerical[i][j], analytical[i][j]
            adjusted = atol * float(us[j].sum()) * float(vs[i].sum())
            if abs(a - n) <= adjusted + rtol * abs(n):
                continue
            # the full Jacobians of this pair, to say which entries differ
            sn = numerical_jacobian(func, inputs, float_outs, eps)[i][keep[j]]
            sa = analytical_jacobian(diff_outs, diff_inputs, nondet_tol)[i][j]
            entries, count = mismatched_entries(sn, sa, x, o, rtol, atol)
            msg = (_mismatch_message(j, i, n, a) +
                   "\nThe above quantities relating the numerical and analytical jacobians are "
                   "computed \nin fast mode. Below, we recompute numerical and analytical "
                   "jacobians in slow mode:\n\n"
                   f"Numerical:\n {_show(sn)}\nAnalytical:\n{_show(sa)}\n\n"
                   f"The max per-element difference (slow mode) is: "
                   f"{float(np.max(np.abs(sn - sa))) if sn.size else 0.0}.\n")
            if _allclose(sa, sn, rtol, atol):
                msg += ("\nFast gradcheck failed but element-wise differences are small. This "
                        "means that the test might've passed in slow_mode!")
            raise GradcheckError(msg, output_index=j, input_index=i, numerical=n,
                                 analytical=a, entries=entries, n_entries=count)


def _backward_mul_by_grad_output(diff_outs, inputs):
    diff_inputs = [x for x in inputs if isinstance(x, Tensor) and x._rg]
    zeros = [np.zeros(o._data.shape, _host_dtype(o)) for o in diff_outs]
    for g, x in zip(_vjp(diff_outs, diff_inputs, zeros), diff_inputs):
        if g is None:
            continue
        if np.any(_host(g) != 0):
            raise GradcheckError("backward not multiplied by grad_output")
        if g._data.dtype != x._data.dtype:
            raise GradcheckError("grad is incorrect type")
        if g.device != x.device:
            raise GradcheckError("grad is incorrect device")
        if g._data.shape != x._data.shape:
            raise GradcheckError("grad is incorrect size")


def _unsupported(**flags):
    for name, (value, why) in flags.items():
        if value:
            raise NotImplementedError(f"{name}=True is not supported: {why}")


def gradcheck(func: Callable[..., _TensorOrTensors], inputs: _TensorOrTensors, *,
              eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, nondet_tol: float = 0.0,
              check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
              check_batched_grad: bool = False, check_batched_forward_grad: bool = False,
              check_forward_ad: bool = False, check_backward_ad: bool = True,
              fast_mode: bool = False, masked: Optional[bool] = None,
              seed: int = 0) -> bool:
    """Check the gradients backward computes against finite differences, for the inputs that
    are floating-point or complex tensors with ``requires_grad=True``, as
    `torch.autograd.gradcheck` does.

    The comparison is ``|analytical - numerical| <= atol + rtol * |numerical|`` elementwise on
    the Jacobian of every output that requires grad w.r.t. every input that does. With
    ``fast_mode=True`` one number per (output, input) pair is compared: ``u^T J v`` for random
    unit vectors (seeded by `seed`, so a run is repeatable); only when it disagrees are the full
    Jacobians computed, for the message.

    The defaults are meant for float64 inputs. Returns True, or on failure raises
    `GradcheckError` ("Jacobian mismatch for output 0 with respect to input 0, ...") or, with
    ``raise_exception=False``, returns False. Forward-mode and batched checks are not available
    (loom has neither forward-mode AD nor vmap); `check_undefined_grad` and `masked` have no
    effect (loom has no undefined gradients and no sparse tensors).
    """
    _unsupported(check_batched_grad=(check_batched_grad, "loom has no vmap"),
                 check_batched_forward_grad=(check_batched_forward_grad, "loom has no vmap"),
                 check_forward_ad=(check_forward_ad, "loom has no forward-mode AD"))
    if not check_backward_ad:
        raise AssertionError("Expected at least one of check_forward_ad or check_backward_ad to "
                             "be True")
    try:
        inputs = _as_tuple(inputs)
        _check_inputs(inputs)
        float_outs = _float_outputs(_outputs(func, inputs))
        diff_outs = [o for o in float_outs if o._rg]
        if not diff_outs:
            _no_differentiable_outputs(func, inputs, float_outs, eps, nondet_tol)
            return True
        if fast_mode:
            _fast(func, inputs, diff_outs, float_outs, eps, rtol, atol, nondet_tol,
                  check_grad_dtypes, np.random.default_rng(seed))
        else:
            _slow(func, inputs, diff_outs, float_outs, eps, rtol, atol, nondet_tol,
                  check_grad_dtypes)
        _backward_mul_by_grad_output(diff_outs, inputs)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def gradgradcheck(func: Callable[..., _TensorOrTensors], inputs: _TensorOrTensors,
                  grad_outputs: Optional[_TensorOrTensors] = None, *, eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3,
                  gen_non_contig_grad_outputs: bool = False, raise_exception: bool = True,
                  nondet_tol: float = 0.0, check_undefined_grad: bool = True,
                  check_grad_dtypes: bool = False, check_batched_grad: bool = False,
                  check_fwd_over_rev: bool = False, check_rev_over_rev: bool = True,
                  fast_mode: bool = False, masked: bool = False, seed: int = 0) -> bool:
    """Check second derivatives as `torch.autograd.gradgradcheck` does: `gradcheck` of the
    function ``(inputs, grad_outputs) -> grad(func(inputs), inputs, grad_outputs,
    create_graph=True)``, so the gradients of the gradients w.r.t. both the inputs and the
    output gradients are compared with finite differences.

    Without `grad_outputs`, random ones (uniform in [-1, 1), requiring grad, seeded by `seed`)
    are used. Returns True, or raises `GradcheckError` (returns False with
    ``raise_exception=False``).
    """
    _unsupported(check_batched_grad=(check_batched_grad, "loom has no vmap"),
                 check_fwd_over_rev=(check_fwd_over_rev, "loom has no forward-mode AD"))
    if not check_rev_over_rev:
        raise AssertionError("Expected at least one of check_fwd_over_rev or check_rev_over_rev "
                             "to be True")
    inputs = _as_tuple(inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(seed)
        outs = [o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor) and o._rg]
        gos = []
        for o in outs:
            dt = o._data.dtype if o._data.dtype.kind in "fc" else np.dtype(np.float64)
            host = rng.uniform(-1, 1, o._data.shape)
            if dt.kind == "c":
                host = host + 1j * rng.uniform(-1, 1, o._data.shape)
            g = wrap(_on_device_of(o, host.astype(dt)))
            if gen_non_contig_grad_outputs and g.dim() >= 1:
                g = wrap(g._data.repeat(2, axis=-1)[..., ::2])
            gos.append(g.requires_grad_(True))
        grad_outputs = tuple(gos)
    else:
        grad_outputs = _as_tuple(grad_outputs)
    n_out = len(grad_outputs)
    diff_in = {i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x._rg}

    def new_func(*args):
        ins = args[:-n_out] if n_out else args
        outs = [o for o in _as_tuple(func(*ins)) if isinstance(o, Tensor) and o._rg]
        diff = [x for i, x in enumerate(ins) if i in diff_in]
        gs = grad(outs, diff, list(args[-n_out:]) if n_out else None, create_graph=True,
                  allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(new_func, inputs + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol,
                     check_undefined_grad=check_undefined_grad,
                     check_grad_dtypes=check_grad_dtypes, fast_mode=fast_mode, masked=masked,
                     seed=seed)
