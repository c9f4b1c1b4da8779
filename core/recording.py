"""Recording a call in the graph: the node class of an operator (named like PyTorch's
``MulBackward0``), the edge each input feeds, and what the backward rule saves. Dispatch calls
`record` once per recorded call; the unrolled forms in dispatch's fast paths follow it."""
from __future__ import annotations

from .anomaly import note as _note_forward, state as _anomaly
from .graph import AccumulateGrad, OpNode, pack_saved, saved_hooks
from .tensor import Tensor

__all__ = ["edge_of", "node_class", "record", "name_node"]

_new = object.__new__


def edge_of(t):
    """The (node, output_nr) edge a tensor feeds into a new node, or None if it needs no grad."""
    fn = t.grad_fn
    if fn is not None:
        return t._edge
    if t._rg:
        e = t._accum
        if e is None:
            e = t._accum = (AccumulateGrad(t), 0)
        return e
    return None


def node_class(op):
    """The node class of `op`, named like PyTorch's (``MulBackward0``) so that
    ``type(t.grad_fn).__name__`` reads as it does there."""
    cls = op.node_cls
    if cls is None:
        spec = op.spec
        name = spec.node_name if type(spec.node_name) is str else spec.node_name(None)
        if spec.backward is None:
            # differentiable but no rule: record a node whose backward raises, as PyTorch
            # does for a custom op without autograd, rather than dropping requires_grad
            spec = spec.replace(backward=_no_formula(spec.name, op.plugin))
        cls = op.node_cls = _node_type(name, spec)
    return cls


def _no_formula(name, plugin):
    def backward(ctx, g):
        if "::" in name:  # a custom op (loom.library): PyTorch's words for it
            raise RuntimeError(
                f"Trying to backward through {name.replace('::', '.')}.default but no "
                f"autograd formula was registered. Please use register_autograd to add one.")
        raise RuntimeError(
            f"Trying to backward through {name} but no autograd formula was registered "
            f"(operator '{name}' of plugin '{plugin}'). Give its spec a backward rule, or "
            f"declare it differentiable=False if it has no gradient.")
    return backward


_NAMED: dict = {}


def name_node(node) -> None:
    """Give `node` the class named as PyTorch names this call's node, for an operator whose
    node name depends on the call (``t[0]`` is SelectBackward0, ``t[1:]`` SliceBackward0):
    ``type(t.grad_fn).__name__`` then reads as ``t.grad_fn.name()`` does. The subclasses are
    made once per (operator, name)."""
    cls = type(node)
    name = cls.op.node_name(node.params)
    if name != cls.__name__:
        sub = _NAMED.get((cls, name))
        if sub is None:
            sub = _NAMED[(cls, name)] = type(name, (cls,), {"__slots__": ()})
        node.__class__ = sub


def _node_type(name, spec):
    # one class per operator, holding the operator's spec: a node need not store it
    return type(name, (OpNode,), {"__slots__": (), "op": spec,
                                  "n_out": len(spec.outputs) or 1, "multi": bool(spec.outputs)})


def record(op, r, inputs, save, in_dtypes=None, cls=None, outputs=None):
    """Attach a node for `op` to result `r`; `inputs` are the call's operands. A multi-output
    op passes all its result tensors as `outputs`: each floating one becomes output i of the
    node."""
    if cls is None:
        cls = op.node_cls or node_class(op)
    node = _new(cls)
    n_in = len(inputs)
    if n_in == 1 and type(inputs[0]) is Tensor:
        # one tensor (unary and reduction ops, softmax, clamp): unrolled as well
        a = inputs[0]
        fn = a.grad_fn
        if fn is not None:
            ea = a._edge
        else:  # a leaf that requires grad (recording is only asked for when one does)
            ea = edge_of(a)
        node.next = (ea,)
        node.needs_input_grad = _ONE if ea is not None else _NONE
        node.shapes = (a._data.shape,)
    elif n_in == 2:
        # the common binary case, unrolled (no lists, no loops)
        a, b = inputs
        if type(a) is Tensor:
            ea = edge_of(a)
            sa = a._data.shape
        else:
            ea = sa = None
        if type(b) is Tensor:
            eb = edge_of(b)
            sb = b._data.shape
        else:
            eb = sb = None
        node.next = (ea, eb)
        node.needs_input_grad = (ea is not None, eb is not None)
        node.shapes = (sa, sb)
    elif n_in == 3 and type(inputs[0]) is Tensor and type(inputs[1]) is Tensor and \
            type(inputs[2]) is Tensor:
        # three tensors (linear with a bias, where, addcmul), unrolled as well
        a, b, c = inputs
        ea, eb, ec = edge_of(a), edge_of(b), edge_of(c)
        node.next = (ea, eb, ec)
        node.needs_input_grad = (ea is not None, eb is not None, ec is not None)
        node.shapes = (a._data.shape, b._data.shape, c._data.shape)
    else:
        nxt = []
        shapes = []
        for t in inputs:
            if type(t) is Tensor:
                nxt.append(edge_of(t))
                shapes.append(t._data.shape)
            else:
                nxt.append(None)
                shapes.append(None)
        node.next = nxt = tuple(nxt)
        node.needs_input_grad = tuple([e is not None for e in nxt])
        node.shapes = shapes
    node.dtypes = in_dtypes
    node.params = None  # the caller sets the call's parameters, if the op takes any
    if save:
        _save(node, r, inputs, save, outputs)
    else:
        node._saved = None
    if outputs is not None:
        for i, t in enumerate(outputs):
            if t._data.dtype.kind in "fcV":
                t.grad_fn = node
                t._edge = (node, i)
                t._rg = True
        if _anomaly.enabled:
            _note_forward(node)
        return node
    r.grad_fn = node
    r._edge = (node, 0)
    r._rg = True
    if _anomaly.enabled:
        _note_forward(node)
    return node


_BOTH = (0, 1)
_THREE = (0, 1, 2)
_ONE = (True,)
_NONE = (False,)
_FIRST = (True, False)
_SECOND = (False, True)


def _output_box(r):
    box = r._vc
    if box is None:
        box = r._vc = [0]
    return (r._data, box, box[0])


def _save(node, r, inputs, save, outputs=None):
    """Keep what the backward rule needs, with the versions to check it against."""
    if save == _BOTH and len(inputs) > 1 and type(inputs[0]) is Tensor and \
            type(inputs[1]) is Tensor:
        # the first two inputs (a binary op)
        a, b = inputs[0], inputs[1]
        va = a._vc
        vb = b._vc
        node._saved = [a, b]
        node._versions = [0 if va is None else va[0], 0 if vb is None else vb[0]]
        if saved_hooks:
            pack_saved(node)
        return
    if save == _THREE and len(inputs) == 3 and type(inputs[0]) is Tensor and \
            type(inputs[1]) is Tensor and type(inputs[2]) is Tensor:
        # three tensor inputs (linear's bias, input and weight)
        a, b, c = inputs
        va, vb, vc = a._vc, b._vc, c._vc
        node._saved = [a, b, c]
        node._versions = [0 if va is None else va[0], 0 if vb is None else vb[0],
                          0 if vc is None else vc[0]]
        if saved_hooks:
            pack_saved(node)
        return
    if len(save) == 1 and outputs is None:
        # one saved value, the common unary case: the input (relu, clamp) or the output
        # (exp, softmax)
        i = save[0]
        if i == -1:
            node._saved = [_output_box(r)]
            node._versions = [None]
            if saved_hooks:
                pack_saved(node)
            return
        if i == 0 and inputs and type(inputs[0]) is Tensor:
            t = inputs[0]
            v = t._vc
            node._saved = [t]
            node._versions = [0 if v is None else v[0]]
            if saved_hooks:
                pack_saved(node)
            return
    saved = []
    versions = []
    for i in save:
        if i >= len(inputs):  # a variadic op's positions past this call's inputs
            continue
        if i == -1:
            saved.append(_output_box(r) if outputs is None else
                         [_output_box(t) for t in outputs])
            versions.append(None)
        else:
            t = inputs[i]
            saved.append(t)
            if type(t) is Tensor:
                v = t._vc
                versions.append(0 if v is None else v[0])
            else:
                versions.append(None)
    node._saved = saved
    node._versions = versions
    if saved_hooks:
        pack_saved(node)
