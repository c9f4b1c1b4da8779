"""Autograd under threads and over long runs: accumulation into one leaf from several threads,
thread-local grad mode, graphs freed by reference counting (no cycles), flat memory over many
training steps with hooks and retain_grad.

The reference-counting checks are loom-only: PyTorch's nodes cannot be weakly referenced, and
what is pinned is loom's own property (PyTorch frees the same graphs without the collector)."""
import gc
import threading
import tracemalloc
import weakref

import pytest

import loom
from oracle import LIBS


@LIBS
@pytest.mark.parametrize("size,steps", [(1_000_000, 50), (100, 2000)])
def test_threads_accumulating_into_one_leaf_lose_no_update(lib, size, steps):
    # large: NumPy releases the GIL inside the add (the leaf's lock serialises it); small: it
    # does not, and the engine adds without the lock
    x = lib.ones(size, requires_grad=True)

    def run():
        for _ in range(steps):
            (x * 1.0).sum().backward()
    ts = [threading.Thread(target=run) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert x.grad.min().item() == x.grad.max().item() == 4 * steps


@LIBS
def test_grad_mode_is_thread_local(lib):
    seen = {}
    go = threading.Event()
    done = threading.Event()

    def other():
        go.wait()
        x = lib.ones(2, requires_grad=True)
        seen["other"] = (x * 2).requires_grad
        done.set()
    t = threading.Thread(target=other)
    t.start()
    with lib.no_grad():
        go.set()
        done.wait()
        seen["main"] = (lib.ones(2, requires_grad=True) * 2).requires_grad
    t.join()
    assert seen == {"other": True, "main": False}


class _Scale(loom.autograd.Function):
    @staticmethod
    def forward(ctx, x, k):
        y = x * k
        ctx.k = k
        ctx.save_for_backward(x, y)  # an input and an output
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return g * ctx.k, None


def _graph_refs():
    x = loom.randn(1000, requires_grad=True)
    y = x.exp()
    y.retain_grad()
    z = _Scale.apply(y, 3.0)
    z.register_hook(lambda g: g * 2)
    z.grad_fn.register_hook(lambda gi, go: None)
    w = z.view(10, 100).sum(0)
    loss = (w * w).mean()
    refs = [weakref.ref(t) for t in (y, z, w, loss)]
    refs += [weakref.ref(t.grad_fn) for t in (y, z, w, loss)]
    refs.append(weakref.ref(z.grad_fn.ctx))
    return x, loss, refs


def test_graph_with_function_hooks_and_retain_grad_is_freed_by_reference_counting():
    gc.collect()
    gc.disable()
    try:
        x, loss, refs = _graph_refs()
        loss.backward()
        del loss
        assert [r() is None for r in refs] == [True] * len(refs)
        assert x.grad is not None
        leaf = weakref.ref(x)
        del x
        assert leaf() is None  # a leaf and its AccumulateGrad form no cycle
    finally:
        gc.enable()


def test_graph_kept_by_retain_graph_is_freed_with_its_output():
    gc.collect()
    gc.disable()
    try:
        x, loss, refs = _graph_refs()
        loss.backward(retain_graph=True)
        assert all(r() is not None for r in refs[4:])  # the nodes live while `loss` does
        loss.backward()
        del loss
        assert all(r() is None for r in refs)
    finally:
        gc.enable()


def test_ten_thousand_steps_with_hooks_and_retain_grad_hold_flat_memory():
    w = loom.randn(64, 64, requires_grad=True)
    b = loom.zeros(64, requires_grad=True)
    x = loom.randn(8, 64)
    w.register_post_accumulate_grad_hook(lambda p: None)

    def step():
        h = (x.mm(w) + b).tanh()
        h.retain_grad()
        h.register_hook(lambda g: g * 1.0)
        out = _Scale.apply(h, 0.5)
        loss = (out * out).mean()
        loss.backward()
        with loom.no_grad():
            w.sub_(w.grad * 1e-3)
            w.grad = None
            b.grad = None
        return h.grad

    gc.collect()
    gc.disable()
    tracemalloc.start()
    try:
        for _ in range(1000):
            step()
        start, _ = tracemalloc.get_traced_memory()
        for _ in range(9000):
            step()
        end, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        gc.enable()
    # one step's graph and tensors are ~20 KB; a leak of one object per step would be >200 KB
    assert end - start < 100_000, (start, end)
