"""Finite-difference checks of analytical gradients (`loom.autograd.gradcheck`)."""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor, wrap

__all__ = ["check", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Analytical and numerical gradients disagree."""


def _outputs(func, inputs):
    # not under no_grad: `func` may itself use autograd (checking a second derivative)
    out = func(*inputs)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return [o._data.astype(np.complex128 if o._data.dtype.kind == "c" else np.float64)
            for o in outs if isinstance(o, Tensor) and o._data.dtype.kind in "fc"]


def check(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
          fast_mode=False, seed=0):
    from .api import grad

    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    diff = [x for x in inputs if isinstance(x, Tensor) and x._rg]
    if not diff:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but "
                         "none of the them have requires_grad=True.")
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor) and x._rg and x._data.dtype != np.float64:
            import warnings
            warnings.warn(f"Input #{i} requires gradient and is not a double "
                          f"precision floating point. This check will likely fail.")
    rng = np.random.default_rng(seed)
    outs = func(*inputs)
    outs = list(outs) if isinstance(outs, (tuple, list)) else [outs]
    outs = [o for o in outs if isinstance(o, Tensor) and o._data.dtype.kind in "fc"]
    diff_outs = [o for o in outs if o._rg]

    def directional(vs, us):
        """Numerical u . J v by central differences along v."""
        saved = [x._data.copy() for x in diff]
        try:
            for x, v, s in zip(diff, vs, saved):
                x._data[...] = s + eps * v
            plus = _outputs(func, inputs)
            for x, v, s in zip(diff, vs, saved):
                x._data[...] = s - eps * v
            minus = _outputs(func, inputs)
        finally:
            for x, s in zip(diff, saved):
                x._data[...] = s
        return sum(float(np.real(np.sum((p - m) / (2 * eps) * u)))
                   for p, m, u in zip(plus, minus, us))

    def analytical(us, vs):
        if not diff_outs:
            return 0.0
        gos = [wrap(u.astype(o._data.dtype)) for o, u in zip(outs, us) if o._rg]
        gs = grad(diff_outs, diff, gos, retain_graph=True, allow_unused=True)
        return sum(0.0 if g is None else float(np.real(np.sum(g._data * v)))
                   for g, v in zip(gs, vs))

    trials = []
    if fast_mode:
        vs = [rng.standard_normal(x._data.shape) for x in diff]
        us = [rng.standard_normal(o._data.shape) for o in outs]
        trials.append((vs, us, "a random direction"))
    else:
        for xi, x in enumerate(diff):
            for j in range(x._data.size):
                vs = [np.zeros(y._data.shape) for y in diff]
                vs[xi].reshape(-1)[j] = 1.0
                for oi, o in enumerate(outs):
                    for k in range(o._data.size):
                        us = [np.zeros(p._data.shape) for p in outs]
                        us[oi].reshape(-1)[k] = 1.0
                        trials.append((vs, us, f"output {oi} element {k} w.r.t. input {xi} "
                                                f"element {j}"))
    for vs, us, what in trials:
        n = directional(vs, us)
        a = analytical(us, vs)
        if not abs(a - n) <= atol + rtol * abs(n):
            if raise_exception:
                raise GradcheckError(f"Jacobian mismatch for {what}: numerical {n!r} vs "
                                     f"analytical {a!r}")
            return False
    return True
