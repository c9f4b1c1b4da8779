"""`composite`: an operator's kernel and backward rule made from one function, for operators
PyTorch itself defines as a composition of others (matrix_norm, conv via im2col). The kernel
runs the function on raw arrays; the rule runs it again on tensors and takes the
vector-Jacobian product, with ``create_graph`` when the incoming gradients are tensors, so
the rule differentiates again to any order. It costs a second forward in backward: a rule
written out by hand is faster where an operator is hot."""
from __future__ import annotations

import inspect
from typing import Callable, Optional

import numpy as np

from .. import grad_mode
from ..backends import backend_of
from ..tensor import Tensor, wrap
from .gradients import grad as _grad

__all__ = ["composite", "tensor_of"]


def tensor_of(x) -> Tensor:
    """A raw array (or NumPy scalar) as a tensor without history on the array's own device,
    sharing its memory; a tensor is returned as it is."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.generic):
        x = np.asarray(x)
    backend_of(x)  # an array no backend owns is refused here, not deep in a kernel
    return wrap(x)


def composite(fn: Callable, n_inputs: Optional[int]) -> tuple:
    """``(kernel, backward)`` for an `OpSpec` from ``fn(*inputs, **params)`` written in
    operations arrays and tensors both offer (`apply_op`, ``@``, methods). `n_inputs` is the
    number of tensor inputs (all saved: pass ``save_inputs=tuple(range(n))``); None for a
    variadic op, whose inputs are all saved."""
    def kernel(xp, *args, **params):
        return fn(*args, **params)
    # the parser reads the call's parameters from the kernel's signature: fn's, after xp
    sig = inspect.signature(fn)
    kernel.__signature__ = sig.replace(parameters=[
        inspect.Parameter("xp", inspect.Parameter.POSITIONAL_ONLY), *sig.parameters.values()])

    def backward(ctx, g):
        create = isinstance(g if not isinstance(g, tuple) else
                            next(x for x in g if x is not None), Tensor)
        ins = [tensor_of(x) for x in ctx.saved[:n_inputs or len(ctx.shapes)]]
        with grad_mode.set_grad_enabled(True):
            leaves = [x if create or not (x.is_floating_point() or x.is_complex()) else
                      x.detach().requires_grad_(True) for x in ins]
            out = fn(*leaves, **ctx.params)
            outs = out if isinstance(out, tuple) else (out,)
            gs = g if isinstance(g, tuple) else (g,)
            pairs = [(o, tensor_of(gi)) for o, gi in zip(outs, gs)
                     if gi is not None and o.requires_grad]
            wanted = [x for x, need in zip(leaves, ctx.needs_input_grad) if need]
            if not pairs or not wanted:
                return (None,) * len(ins)
            grads = iter(_grad([o for o, _ in pairs], wanted, [gi for _, gi in pairs],
                               create_graph=create, allow_unused=True))
        res = [next(grads) if need else None for need in ctx.needs_input_grad]
        return tuple(r if r is None or create else r._data for r in res)
    return kernel, backward
