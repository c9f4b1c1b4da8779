"""`backward` and `grad`: run the graph backwards from outputs, accumulating into leaves'
`.grad` or returning the gradients of chosen inputs."""
from __future__ import annotations

import numpy as np

from ..recording import edge_of
from ..engine import accumulate, run_backward
from ..graph import AccumulateGrad
from ..tensor import Tensor, wrap

__all__ = ["backward", "grad"]


def _seq(x):
    if x is None:
        return None
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _root_grads(outputs, grad_outputs, create_graph, who):
    roots, grads = [], []
    grad_outputs = _seq(grad_outputs) or [None] * len(outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"{who}: got {len(grad_outputs)} tensors in grad_outputs but "
                           f"{len(outputs)} outputs")
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not isinstance(out, Tensor):
            raise TypeError(f"{who}: expected Tensor outputs, got {type(out).__name__}")
        e = edge_of(out)
        if e is None:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have "
                               f"a grad_fn")
        if g is None:
            if out._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if out._data.dtype.kind not in "fcV":
                raise RuntimeError(f"grad can be implicitly created only for real scalar "
                                   f"outputs but got {out.dtype}")
            arr = out._data.__class__ if False else None
            from ..backends import backend_of
            arr = backend_of(out._data).xp.ones(out._data.shape, out._data.dtype)
            g = wrap(arr) if create_graph else arr
        else:
            if not isinstance(g, Tensor):
                raise TypeError(f"{who}: gradient must be a Tensor, got {type(g).__name__}")
            if g._data.shape != out._data.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of torch.Size("
                    f"{list(g._data.shape)}) and output[{i}] has a shape of torch.Size("
                    f"{list(out._data.shape)}).")
            if g._data.dtype.kind != out._data.dtype.kind and not (
                    g._data.dtype.kind in "fcV" and out._data.dtype.kind in "fcV"):
                raise RuntimeError(f"For complex Tensors, both grad_output and output are "
                                   f"required to have the same dtype. Mismatch in dtype: "
                                   f"grad_output[{i}] has a dtype of {g.dtype} and output[{i}] "
                                   f"has a dtype of {out.dtype}.")
            if not create_graph:
                g = g._data
        roots.append(e)
        grads.append(g)
    return roots, grads


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             grad_variables=None, inputs=None):
    """Accumulate into leaves' `.grad` the gradients of `tensors` (weighted by `grad_tensors`)."""
    outs = _seq(tensors)
    if grad_variables is not None:
        grad_tensors = grad_variables
    if retain_graph is None:
        retain_graph = create_graph
    roots, grads = _root_grads(outs, grad_tensors, create_graph, "backward")
    if inputs is not None:
        ins = _seq(inputs)
        got = grad(outs, ins, [wrap(g) if not isinstance(g, Tensor) else g for g in grads],
                   retain_graph=retain_graph, create_graph=create_graph, allow_unused=True)
        for t, g in zip(ins, got):
            if g is None:
                continue
            if t.grad_fn is None:  # a leaf: its hooks, its lock, its buffer, as backward()
                accumulate(t._accum[0], g if create_graph else g._data, create_graph)
            else:
                t._grad = g if t._grad is None else t._grad + g
        return
    run_backward(roots, grads, retain_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Gradients of `outputs` w.r.t. `inputs`, returned (not accumulated into `.grad`).

    With ``is_grads_batched=True`` the first dimension of every tensor of `grad_outputs` is a
    batch: the result holds, along a new first dimension, the gradients for each of them (one
    backward per batch entry; loom has no vmap)."""
    outs = _seq(outputs)
    ins = _seq(inputs)
    if retain_graph is None:
        retain_graph = create_graph
    if is_grads_batched:
        return _batched_grad(outs, ins, grad_outputs, retain_graph, create_graph, allow_unused,
                             materialize_grads)
    roots, grads = _root_grads(outs, grad_outputs, create_graph, "grad")
    capture = {}
    keys = []
    for i, t in enumerate(ins):
        if not isinstance(t, Tensor):
            raise TypeError(f"grad: inputs must be Tensors, got {type(t).__name__}")
        if not t._rg:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
        if t.grad_fn is None:
            key = t._accum
            if key is None:
                key = t._accum = (AccumulateGrad(t), 0)
        else:
            key = t._edge
        capture.setdefault(key[0], [None] * (key[1] + 1))
        if len(capture[key[0]]) <= key[1]:
            capture[key[0]].extend([None] * (key[1] + 1 - len(capture[key[0]])))
        keys.append(key)
    run_backward(roots, grads, retain_graph, create_graph, capture=capture)
    result = []
    for t, (node, nr) in zip(ins, keys):
        g = capture[node][nr]
        if g is None:
            if materialize_grads:
                g = np.zeros_like(t._data)
            elif not allow_unused:
                raise RuntimeError("One of the differentiated Tensors appears to not have been "
                                   "used in the graph. Set allow_unused=True if this is the "
                                   "desired behavior.")
        if g is not None and not isinstance(g, Tensor):
            g = wrap(np.asarray(g) if isinstance(g, np.generic) else g)
        result.append(g)
    return tuple(result)


def _batched_grad(outs, ins, grad_outputs, retain_graph, create_graph, allow_unused,
                  materialize_grads):
    from .. import stack
    gos = _seq(grad_outputs)
    if gos is None or any(g is None for g in gos):
        raise RuntimeError("grad_outputs must be given (with a batch dimension) when "
                           "is_grads_batched=True")
    n = gos[0].shape[0] if gos[0].dim() else 0
    for i, (g, o) in enumerate(zip(gos, outs)):
        if g.dim() == 0 or g.shape[0] != n or tuple(g.shape[1:]) != tuple(o.shape):
            raise RuntimeError(
                f"If `is_grads_batched=True`, we interpret the first dimension of each grad_output "
                f"as the batch dimension. The sizes of the remaining dimensions are expected to "
                f"match the shape of corresponding output, but a mismatch was detected: "
                f"grad_output[{i}] has a shape of {g.shape} and output[{i}] has a shape of "
                f"{o.shape}. If you only want some tensors in `grad_output` to be considered "
                f"batched, consider using vmap.")
    rows = []
    for k in range(n):
        rows.append(grad(outs, ins, [g[k] for g in gos], retain_graph=True if k < n - 1
                         else retain_graph, create_graph=create_graph,
                         allow_unused=allow_unused, materialize_grads=materialize_grads))
    result = []
    for i, t in enumerate(ins):
        col = [r[i] for r in rows]
        if any(c is None for c in col):
            result.append(None)
        else:
            result.append(stack(col, 0) if col else t.new_zeros((0,) + tuple(t.shape)))
    return tuple(result)
