"""The graph executor: runs backward from one or more roots.

It counts dependencies, then walks nodes in topological order with an explicit ready list (no
recursion, so a chain of 100,000 operations is fine), accumulates into leaves' `.grad`, runs
tensor hooks, frees saved values unless `retain_graph`, and checks saved tensors' versions.

With ``create_graph=False`` backward rules run on raw arrays (no Tensor wrapping, no recording);
with ``create_graph=True`` they run on loom tensors with grad mode on, so the backward pass is
itself recorded and can be differentiated again.
"""
from __future__ import annotations

from sys import getrefcount as _refcount

from numpy import asarray as _np_asarray, generic as _np_generic, ndarray as _ndarray

from . import grad_mode
from .anomaly import check_nan, report as _anomaly_report, state as anomaly
from .graph import FREED, SAVED_FREED_MESSAGE, AccumulateGrad, hooked
from .tensor import Tensor as tensor_type, wrap

__all__ = ["run_backward", "accumulate"]


def _probe_fresh_refs():
    """The reference count of an array held only by a result sequence and the loop over it
    (zip keeps its item tuple alive too), measured with the same code shape as run_backward's
    edge loop, so that the check holds on any interpreter: a shared array, or one referenced
    anywhere else, counts more."""
    nxt = (None,)
    outs = (_np_asarray([0.0]).copy(),)
    for e, g in zip(nxt, outs):
        fresh = _refcount(g)
        return fresh


def _probe_pending_refs():
    """The same for an array popped from run_backward's pending list."""
    pending = [(None, _np_asarray([0.0]).copy())]
    while pending:
        m, g = pending.pop()
        fresh = _refcount(g)
        return fresh


_FRESH_REFS = _probe_fresh_refs()
_PENDING_REFS = _probe_pending_refs()


def _dependencies(root_nodes):
    deps = {}
    stack = []
    for n in root_nodes:
        if n not in deps:
            deps[n] = 0
            stack.append(n)
    while stack:
        n = stack.pop()
        for e in n.next:
            if e is not None:
                m = e[0]
                c = deps.get(m)
                if c is None:
                    deps[m] = 1
                    stack.append(m)
                else:
                    deps[m] = c + 1
    return deps


def _as_hook_arg(g, create_graph):
    if g is None or create_graph:
        return g
    return wrap(_np_asarray(g))


def _from_hook(r, create_graph):
    if r is None or create_graph:
        return r
    return r._data


def _run_pre_hooks(node, hk, grads, create_graph):
    """Tensor hooks of the node's outputs, retain_grad, then the node's pre-hooks, as PyTorch
    orders them; `grads` (one per output) is updated in place."""
    with grad_mode.set_grad_enabled(create_graph):
        for nr, hooks in list(hk.tensor.items()):
            if nr < len(grads) and grads[nr] is not None:
                for h in list(hooks):
                    r = h(_as_hook_arg(grads[nr], create_graph))
                    if r is not None:
                        grads[nr] = _from_hook(r, create_graph)
        for nr, ref in list(hk.retain.items()):
            t = ref()
            if t is not None and nr < len(grads) and grads[nr] is not None:
                _retain(t, grads[nr], create_graph)
        for h in list(hk.pre):
            r = h(tuple(_as_hook_arg(g, create_graph) for g in grads))
            if r is not None:
                r = tuple(r)
                if len(r) != len(grads):
                    raise RuntimeError(f"hook '{getattr(h, '__name__', h)}' has returned an "
                                       f"incorrect number of values (got {len(r)}, but "
                                       f"expected {len(grads)})")
                grads[:] = [_from_hook(x, create_graph) for x in r]


def _retain(t, g, create_graph):
    """`retain_grad()`: `.grad` of a non-leaf is a copy of its gradient (summed over uses)."""
    old = t._grad
    if create_graph:
        t._grad = g.clone() if old is None else old + g
    else:
        t._grad = wrap(_np_asarray(g).copy()) if old is None else wrap(old._data + g)


def _run_post_hooks(node, hk, outs, grads, create_graph):
    """The node's post-hooks: `hook(grad_inputs, grad_outputs)` may replace grad_inputs."""
    outs = list(outs) if outs is not None else [None] * len(node.next)
    with grad_mode.set_grad_enabled(create_graph):
        gos = tuple(_as_hook_arg(g, create_graph) for g in grads)
        for h in list(hk.post):
            r = h(tuple(_as_hook_arg(g, create_graph) for g in outs), gos)
            if r is not None:
                r = tuple(r)
                if len(r) != len(outs):
                    raise RuntimeError(f"hook '{getattr(h, '__name__', h)}' has returned an "
                                       f"incorrect number of values (got {len(r)}, but "
                                       f"expected {len(outs)})")
                outs = [_from_hook(x, create_graph) for x in r]
    return outs


def _accumulate(acc, g, create_graph, capture, fresh=False, pre=True):
    if not create_graph and isinstance(g, _np_generic):
        g = _np_asarray(g)  # a 0-dim result of NumPy arithmetic is a NumPy scalar
    if capture is not None:
        if acc in capture:
            hk = acc._hooks
            if hk is not None and hk.tensor:  # the leaf's tensor hooks, then the capture
                grads = [g]
                with grad_mode.set_grad_enabled(create_graph):
                    for h in list(hk.tensor.get(0, ())):
                        r = h(_as_hook_arg(grads[0], create_graph))
                        if r is not None:
                            grads[0] = _from_hook(r, create_graph)
                g = grads[0]
            capture[acc][0] = g if capture[acc][0] is None else capture[acc][0] + g
        return
    var = acc._var()
    if var is None:
        return  # the leaf is gone: nobody can read its .grad
    hk = acc._hooks
    if hk is not None and pre:
        grads = [g]
        _run_pre_hooks(acc, hk, grads, create_graph)
        g = grads[0]
        if g is None:
            return
        fresh = False
    with acc.lock:
        old = var._grad
        if create_graph:
            gt = g if type(g) is tensor_type else wrap(g)
            var._grad = gt if old is None else old + gt
        elif old is None:
            # Copy unless `fresh`: the incoming array may be shared with another input's grad
            # (an add passes one array to both sides), be a read-only broadcast view, or belong
            # to the caller.
            if g.dtype != var._data.dtype:
                arr = g.astype(var._data.dtype)
            else:
                arr = g if fresh else g.copy()
            var._grad = wrap(arr)
        else:
            od = old._data
            if od.flags.writeable and od.shape == g.shape and od.dtype == g.dtype:
                # Accumulate into the existing buffer, as PyTorch does outside create_graph.
                od += g
            else:
                old._data = od + g
    if hk is not None and (hk.post_acc or hk.post):
        with grad_mode.set_grad_enabled(create_graph):
            for h in list(hk.post_acc):
                h(var)
            for h in list(hk.post):
                h((), (_as_hook_arg(g, create_graph),))


def _complex_backward(n, g, create_graph):
    """PyTorch's convention for complex gradients: grad_in = g * conj(f'(z)). Rules are written
    as g * f'(z); for a holomorphic op that is conj(rule(conj(g))). Other ops refuse rather than
    return a wrong gradient."""
    op = n.op
    if not op.holomorphic or create_graph:
        raise NotImplementedError(
            f"{n.name()}: gradients through complex values are not supported for operator "
            f"'{op.name}'" + (" with create_graph=True" if op.holomorphic else ""))
    return [None if o is None else o.conj() for o in op.backward(n, g.conj())]


def _cast_back(outs, dtypes, create_graph):
    """Gradients in the dtype of the inputs they belong to (after a promoting op)."""
    res = []
    for g, d in zip(outs, dtypes):
        if g is not None and d is not None and g.dtype != d:
            if create_graph:
                from .dtypes import from_numpy_dtype
                g = g.to(from_numpy_dtype(d))
            else:
                g = g.astype(d)
        res.append(g)
    return res


def _gather(n, g, buffers):
    """All output grads of a multi-output node (keys (node, nr) for nr > 0)."""
    grads = [g]
    for i in range(1, n.n_out):
        grads.append(buffers.pop((n, i), None))
    return grads


def _gathered(n, g, buffers, capture, direct, hk, create_graph):
    """Every output gradient of node `n` (one per output), captured for autograd.grad and
    passed through the hooks on its outputs."""
    grads = _gather(n, g, buffers) if n.n_out > 1 else [g]
    if hk is not None:  # tensor hooks run before autograd.grad captures, as in PyTorch
        _run_pre_hooks(n, hk, grads, create_graph)
    if not direct and n in capture:
        cap = capture[n]
        for i, gi in enumerate(grads):
            if gi is not None and i < len(cap):
                cap[i] = gi if cap[i] is None else cap[i] + gi
    return grads


def run_backward(roots, root_grads, retain_graph=False, create_graph=False, capture=None):
    """Backpropagate `root_grads` (arrays, or tensors under create_graph) from `roots`
    ((node, output_nr) edges). With `capture` ({node: [None] * outputs}) gradients reaching
    those nodes are collected instead of accumulated into `.grad` (autograd.grad).

    Gradient buffers are keyed by node for output 0 and by the (node, nr) edge otherwise, so
    the common single-output node costs one dictionary entry and no list."""
    deps = _dependencies([e[0] for e in roots])
    buffers = {}
    for e, g in zip(roots, root_grads):
        key = e[0] if e[1] == 0 else e
        old = buffers.get(key)
        buffers[key] = g if old is None else old + g
    ready = []
    for e in roots:
        n = e[0]
        if deps[n] == 0 and n not in ready:
            ready.append(n)
    # Rules on raw arrays record nothing, so grad mode only needs setting for create_graph;
    # user code (hooks, Function.backward) sets it for itself.
    prev_mode = grad_mode.set_enabled(True) if create_graph else None
    # nodes carry hooks only when some exist somewhere: one test per pass, none per node
    has_hooks = hooked[0] != 0
    nan_check = anomaly.enabled
    extra = has_hooks or nan_check
    hk = None
    direct = capture is None
    pending = []
    n = None
    try:
        while ready:
            n = ready.pop()
            g = buffers.pop(n, None)
            if type(n) is AccumulateGrad:
                if g is not None:
                    _accumulate(n, g, create_graph, capture)
                continue
            nxt = n.next
            if has_hooks:
                hk = getattr(n, "_hooks", None)
            if n.inline:
                multi = n.multi
                if multi or hk is not None:
                    # a multi-output operator: its rule gets one gradient (or None) per output
                    grads = _gathered(n, g, buffers, capture, direct, hk, create_graph)
                    if multi:
                        g = None if all(gi is None for gi in grads) else tuple(grads)
                    else:
                        g = grads[0]
                elif not direct and n in capture and g is not None:
                    cap = capture[n]
                    cap[0] = g if cap[0] is None else cap[0] + g
                if g is None:
                    outs = None
                else:
                    saved = n._saved
                    if saved is not None:
                        if saved is FREED:
                            raise RuntimeError(SAVED_FREED_MESSAGE)
                        n.saved = n._unpack(create_graph)
                    op = n.op
                    if multi or (g._data if create_graph else g).dtype.kind != "c" or \
                            op.takes_complex_grad:
                        outs = op.backward(n, g)
                    else:
                        outs = _complex_backward(n, g, create_graph)
                    if n.dtypes is not None:
                        outs = _cast_back(outs, n.dtypes, create_graph)
                    if saved is not None and not retain_graph:
                        n._saved = FREED
                        n.saved = None
            else:
                grads = _gathered(n, g, buffers, capture, direct, hk, create_graph)
                outs = None if all(gi is None for gi in grads) else \
                    n.apply(grads, create_graph, retain_graph)
            if extra:  # hooks somewhere, or anomaly mode: one test per node otherwise
                if hk is not None:
                    if hk.post:
                        outs = _run_post_hooks(n, hk, outs, grads, create_graph)
                    hk = None
                if nan_check and outs is not None:
                    check_nan(n, outs, create_graph)
            if outs is None:
                for e in nxt:
                    if e is not None:
                        m = e[0]
                        c = deps[m] - 1
                        deps[m] = c
                        if c == 0:
                            ready.append(m)
                continue
            for e, g in zip(nxt, outs):
                if e is None:
                    continue
                m = e[0]
                if g is not None:
                    if type(m) is AccumulateGrad and direct and m._hooks is None:
                        # Straight into the leaf's .grad: no buffer, no scheduling.
                        var = m._var()
                        if var is None:
                            continue
                        old = var._grad
                        if old is not None and not create_graph:
                            od = old._data
                            if type(g) is _ndarray and od.shape == g.shape and \
                                    od.dtype == g.dtype and od.flags.writeable:
                                if od.size <= 500:
                                    # NumPy holds the GIL through loops of up to 500 elements
                                    # (NPY_BEGIN_THREADS_THRESHOLDED), so no other thread can
                                    # interleave with this add; larger loops release it
                                    od += g  # into the existing buffer, as PyTorch does
                                    continue
                                lock = m.lock  # acquire/release: a third of a `with` block
                                lock.acquire()
                                try:
                                    od += g
                                finally:
                                    lock.release()
                                continue
                            _accumulate(m, g, False, None)
                            continue
                        # A temporary that nothing else refers to (`outs` and `g` hold the
                        # only references, as in `_probe_fresh_refs`) becomes the .grad buffer
                        # itself instead of being copied.
                        fresh = type(g) is _ndarray and g.base is None and \
                            _refcount(g) <= _FRESH_REFS and g.flags.writeable
                        if fresh and not create_graph and g.dtype is var._data.dtype:
                            # the common first gradient of a leaf (`_accumulate` unrolled):
                            # the fresh array becomes its .grad
                            lock = m.lock
                            lock.acquire()
                            try:
                                if var._grad is None:
                                    var._grad = wrap(g)
                                else:  # another thread accumulated meanwhile
                                    var._grad._data = var._grad._data + g
                            finally:
                                lock.release()
                        elif fresh or create_graph:
                            _accumulate(m, g, create_graph, None, fresh)
                        else:
                            # still shared (an add hands one array to both inputs): settle it
                            # after the walk, when the other users may have let go of it
                            pending.append((m, g))
                        continue
                    key = m if e[1] == 0 else e
                    old = buffers.get(key)
                    buffers[key] = g if old is None else old + g
                c = deps[m] - 1
                deps[m] = c
                if c == 0:
                    ready.append(m)
        outs = g = None
        while pending:
            m, g = pending.pop()
            fresh = type(g) is _ndarray and g.base is None and \
                _refcount(g) <= _PENDING_REFS and g.flags.writeable
            _accumulate(m, g, False, None, fresh)
    except Exception as e:
        if nan_check and n is not None:
            _anomaly_report(n, e)  # where the failing node's forward was called
        raise
    finally:
        if prev_mode is not None:
            grad_mode.set_enabled(prev_mode)


def accumulate(acc, g, create_graph=False) -> None:
    """Add gradient `g` (an array, or a tensor under create_graph) into the leaf of `acc`, as
    backward(inputs=...) does after autograd.grad ran the leaf's tensor hooks: its lock, its
    buffer, its post-accumulate hooks."""
    _accumulate(acc, g, create_graph, None, pre=False)
