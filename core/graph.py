"""Graph nodes: what `grad_fn` points to.

A node holds the edges to the nodes of its inputs (`next`, one entry per input: a
``(node, output_nr)`` pair or None) and whatever its backward rule needs. `OpNode` serves every
registered operator and is also the `ctx` its backward rule receives; `AccumulateGrad` ends a
path at a leaf; `FunctionNode` runs a user's `autograd.Function`.
"""
from __future__ import annotations

from .dtypes import from_numpy_dtype
from .tensor import Tensor, wrap, wrap_output

__all__ = ["Node", "OpNode", "AccumulateGrad", "SAVED_FREED_MESSAGE", "FREED",
           "check_version"]

SAVED_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you "
    "call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward "
    "through the graph a second time or if you need to access saved tensors after calling "
    "backward.")


# `OpNode._saved` after backward freed it (None means nothing was saved).
FREED = ("freed",)


class Node:
    """Base of all graph nodes."""

    __slots__ = ("next", "_hooks", "__weakref__")
    inline = False
    n_out = 1

    def name(self) -> str:
        return type(self).__name__

    @property
    def next_functions(self):
        return tuple((None, 0) if e is None else e for e in self.next)

    def register_hook(self, fn):
        """`fn(grad_inputs, grad_outputs)` runs after this node computes its input grads."""
        hooks = getattr(self, "_hooks", None)
        if hooks is None:
            hooks = self._hooks = []
        hooks.append(fn)
        return _Handle(hooks, fn)

    def __repr__(self) -> str:
        return f"<{self.name()} object at {hex(id(self))}>"


class _Handle:
    __slots__ = ("_list", "_fn")

    def __init__(self, lst, fn):
        self._list, self._fn = lst, fn

    def remove(self):
        if self._fn in self._list:
            self._list.remove(self._fn)


class OpNode(Node):
    """The node of a registered operator; it is the `ctx` of the operator's backward rule.

    Built on the per-call path only when some input requires grad, so its fields are plain
    slots filled by dispatch. `_saved` holds loom tensors for inputs and (array, version box)
    for the output: keeping the output's array rather than the output tensor avoids a
    tensor -> node -> tensor cycle.
    """

    __slots__ = ("_saved", "_versions", "params", "shapes", "needs_input_grad", "saved",
                 "dtypes")
    op = None  # each operator's node class carries its OpSpec (dispatch.node_class)
    # the engine runs these inline instead of calling `apply`
    inline = True
    # the rule gets a tuple with one gradient (or None) per output (several outputs, or a
    # kernel that returned a tuple)
    multi = False

    def name(self) -> str:
        n = self.op.node_name
        return type(self).__name__ if type(n) is str else n(self.params)

    @property
    def saved_tensors(self):
        if self._saved is FREED:
            raise RuntimeError(SAVED_FREED_MESSAGE)
        return self._unpack(True)

    def _unpack(self, as_tensors: bool):
        """Saved values as loom tensors (create_graph) or raw arrays, after checking versions."""
        saved = self._saved
        if not saved:
            return ()
        if saved is FREED:
            raise RuntimeError(SAVED_FREED_MESSAGE)
        versions = self._versions
        out = []
        i = 0
        for s in saved:
            t = type(s)
            if t is Tensor:
                v = s._vc  # None: never modified in place, so still version 0
                if v is not None and v[0] != versions[i]:
                    self._version_error(s, v[0], versions[i], s._data)
                out.append(s if as_tensors else s._data)
            elif t is tuple:  # the output: (array, version box, expected version)
                arr, box, ver = s
                if box[0] != ver:
                    self._version_error(None, box[0], ver, arr)
                if as_tensors:
                    out.append(wrap_output(self, arr))
                else:
                    out.append(arr)
            elif t is list:  # every output of a multi-output op, each as above
                outs = []
                for k, (arr, box, ver) in enumerate(s):
                    if box[0] != ver:
                        self._version_error(None, box[0], ver, arr)
                    if not as_tensors:
                        outs.append(arr)
                    else:  # an integer output (indices) has no history
                        outs.append(wrap_output(self, arr, k) if arr.dtype.kind in "fcV"
                                    else wrap(arr))
                out.append(tuple(outs))
            else:
                out.append(s)  # a Python scalar operand
            i += 1
        return out

    def _version_error(self, tensor, current, expected, arr):
        check_version(self, tensor, current, expected, arr)


class AccumulateGrad(Node):
    """Sink of a leaf tensor that requires grad: adds incoming gradients to `variable.grad`."""

    __slots__ = ("variable",)

    def __init__(self, variable):
        self.variable = variable
        self.next = ()

    def name(self) -> str:
        return "AccumulateGrad"


def check_version(node, tensor, current, expected, arr):
    """Raise PyTorch's error for a saved tensor modified in place after it was saved."""
    dt = from_numpy_dtype(arr.dtype)
    what = f"[torch.{dt.legacy or dt.name} {list(arr.shape)}]"
    if tensor is None:
        where = f", which is output 0 of {node.name()},"
    elif tensor.grad_fn is not None:
        where = f", which is output {tensor._edge[1]} of {tensor.grad_fn.name()},"
    else:
        where = ""
    raise RuntimeError(
        f"one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: {what}{where} is at version {current}; expected version {expected} instead "
        f"(needed by {node.name()}). Hint: the backtrace further above shows the operation that "
        f"failed to compute its gradient; clone() the tensor before modifying it in place.")
