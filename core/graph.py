"""Graph nodes: what `grad_fn` points to.

A node holds the edges to the nodes of its inputs (`next`, one entry per input: a
``(node, output_nr)`` pair or None) and whatever its backward rule needs. `OpNode` serves every
registered operator and is also the `ctx` its backward rule receives; `AccumulateGrad` ends a
path at a leaf; `FunctionNode` runs a user's `autograd.Function`.
"""
from __future__ import annotations

import threading
import weakref

from .dtypes import from_numpy_dtype
from .tensor import Tensor, wrap, wrap_output

__all__ = ["Node", "OpNode", "AccumulateGrad", "NodeHooks", "SAVED_FREED_MESSAGE", "FREED",
           "check_version", "hooks_of", "hooked", "saved_hooks", "Packed", "pack_saved",
           "track_view", "live_views"]


_ref = weakref.ref


def track_view(root, view) -> None:
    """Remember (weakly) a view of a tensor that has history: an in-place write to the root or
    to another of its views must regenerate the view's history, as PyTorch does."""
    try:
        views = root._views
    except AttributeError:
        root._views = [_ref(view)]
        return
    if len(views) & 63 == 63:  # now and then, drop the views that are gone
        views[:] = [w for w in views if w() is not None]
    views.append(_ref(view))


def live_views(root) -> list:
    """The views `track_view` recorded for `root` that still exist."""
    views = getattr(root, "_views", None)
    if not views:
        return []
    return [v for v in (w() for w in views) if v is not None]

# The (pack, unpack) pairs of `autograd.graph.saved_tensors_hooks` blocks, innermost last.
saved_hooks: list = []


class Packed:
    """A saved tensor given to a pack hook: what it returned, and the unpack to call."""

    __slots__ = ("obj", "unpack")

    def __init__(self, obj, unpack):
        self.obj, self.unpack = obj, unpack


def pack_saved(node) -> None:
    """Pass `node`'s saved tensors through the innermost pack hook (dispatch calls this only
    inside a saved_tensors_hooks block)."""
    pack, unpack = saved_hooks[-1]
    out = []
    # operations inside the pack hook save without it (else `t * 1` there would recurse)
    hooks = saved_hooks[:]
    saved_hooks.clear()
    try:
        for s in node._saved:
            t = type(s)
            if t is Tensor:
                out.append(Packed(pack(s), unpack))
            elif t is tuple:  # the output, packed as a tensor without history (no cycle)
                out.append(Packed(pack(wrap(s[0])), unpack))
            else:
                out.append(s)
    finally:
        saved_hooks[:] = hooks
    node._saved = out

SAVED_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you "
    "call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward "
    "through the graph a second time or if you need to access saved tensors after calling "
    "backward.")


# `OpNode._saved` after backward freed it (None means nothing was saved).
FREED = ("freed",)


class NodeHooks:
    """Everything registered on one node, in the order the engine runs it: hooks of the
    tensors the node produced (`tensor`: output_nr -> [hook(grad)]), then retain_grad
    (`retain`: output_nr -> weak reference to the tensor), then the node's pre-hooks
    (`pre`: hook(grad_outputs)) and, after the rule, its post-hooks (`post`:
    hook(grad_inputs, grad_outputs)). Held by the node only, so hooks go with the graph; the
    retained tensor is held weakly so that it never keeps its own node alive."""

    __slots__ = ("tensor", "retain", "pre", "post", "post_acc")

    def __init__(self):
        self.tensor = {}
        self.retain = {}
        self.pre = []
        self.post = []
        self.post_acc = []  # AccumulateGrad only: hook(tensor) after .grad is updated
        with _hooked_lock:
            hooked[0] += 1

    def __del__(self):
        with _hooked_lock:
            hooked[0] -= 1


# How many nodes carry hooks: the engine looks for hooks on each node only when this is not 0,
# so a backward without hooks pays one test per pass rather than one per node.
hooked = [0]
_hooked_lock = threading.RLock()  # re-entrant: __del__ may run inside __init__ (gc)


def hooks_of(node) -> NodeHooks:
    """The node's hooks, created on first use."""
    h = getattr(node, "_hooks", None)
    if h is None:
        h = node._hooks = NodeHooks()
    return h


class Node:
    """Base of all graph nodes (`torch.autograd.graph.Node`)."""

    __slots__ = ("next", "_hooks", "__weakref__")
    inline = False
    n_out = 1

    def name(self) -> str:
        return type(self).__name__

    @property
    def next_functions(self):
        return tuple((None, 0) if e is None else e for e in self.next)

    @property
    def metadata(self) -> dict:
        """A dict for the user's own data about this node (kept with the node)."""
        md = _metadata.get(self)
        if md is None:
            md = _metadata[self] = {}
        return md

    def register_hook(self, fn):
        """`fn(grad_inputs, grad_outputs)` runs after this node computes its input grads; it
        may return a tuple that replaces `grad_inputs`. Returns a handle with `remove()`."""
        lst = hooks_of(self).post
        lst.append(fn)
        return _Handle(lst, fn)

    def register_prehook(self, fn):
        """`fn(grad_outputs)` runs before this node's backward; it may return a tuple that
        replaces `grad_outputs`. Returns a handle with `remove()`."""
        lst = hooks_of(self).pre
        lst.append(fn)
        return _Handle(lst, fn)

    def __repr__(self) -> str:
        return f"<{self.name()} object at {hex(id(self))}>"


# node -> metadata dict; weak, so that the dict lives only as long as its node
_metadata: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


class _Handle:
    """What `register_hook` returns: `remove()` takes the hook out again."""

    __slots__ = ("_list", "_fn")

    def __init__(self, lst, fn):
        self._list, self._fn = lst, fn

    def remove(self):
        lst = self._list
        for i, f in enumerate(lst):
            if f is self._fn:
                del lst[i]
                break

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class OpNode(Node):
    """The node of a registered operator; it is the `ctx` of the operator's backward rule.

    Built on the per-call path only when some input requires grad, so its fields are plain
    slots filled by dispatch. `_saved` holds loom tensors for inputs and (array, version box)
    for the output: keeping the output's array rather than the output tensor avoids a
    tensor -> node -> tensor cycle.
    """

    __slots__ = ("_saved", "_versions", "params", "shapes", "needs_input_grad", "saved",
                 "dtypes")
    op = None  # each operator's node class carries its OpSpec (recording.node_class)
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
        out = []
        for s, expected in zip(saved, self._versions):
            t = type(s)
            if t is Tensor:
                v = s._vc  # None: never modified in place, so still version 0
                if v is not None and v[0] != expected:
                    self._version_error(s, v[0], expected, s._data)
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
            elif t is Packed:
                u = s.unpack(s.obj)
                if not isinstance(u, Tensor):
                    raise TypeError(f"Output of saved tensor unpack_hook expected to be a Tensor "
                                    f"but got result of type {type(u).__name__}")
                out.append(u if as_tensors else u._data)
            else:
                out.append(s)  # a Python scalar operand
        return out

    def _version_error(self, tensor, current, expected, arr):
        check_version(self, tensor, current, expected, arr)


class AccumulateGrad(Node):
    """Sink of a leaf tensor that requires grad: adds incoming gradients to `variable.grad`.

    The leaf holds its AccumulateGrad (`Tensor._accum`) and the node holds the leaf weakly, so
    the pair is no reference cycle: a dropped leaf is freed by reference counting. `lock`
    serialises accumulation when several threads run backward into one leaf, as PyTorch's
    per-AccumulateGrad mutex does."""

    __slots__ = ("_var", "lock")

    def __init__(self, variable):
        self._var = weakref.ref(variable)
        self.lock = threading.Lock()
        self.next = ()
        self._hooks = None

    @property
    def variable(self):
        return self._var()

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {hex(id(self))}>"


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
