"""Device parity on CUDA: every registered operator's samples give the same values and
gradients on the "cuda" device (device_cuda plugin, CuPy) as on the CPU.

These tests need CuPy and an NVIDIA GPU; without them they skip, saying why (the reason the
backend itself reports). CI has no GPU.
"""
from __future__ import annotations

import numpy as np
import pytest

import loom
from loom.registry import registry

_backend = loom.backends.backends.get("cuda")
pytestmark = pytest.mark.skipif(
    _backend is None or not _backend.is_available(),
    reason="no CUDA device: " + (_backend.unavailable_reason() if _backend is not None
                                 else "the device_cuda plugin is not loaded"))


def _to(x, device):
    if isinstance(x, np.ndarray):
        return loom.from_numpy(x.copy()).to(device)
    if isinstance(x, list):
        return [_to(e, device) for e in x]
    return x


def _host(x):
    if isinstance(x, loom.Tensor):
        return x.detach().cpu().numpy()
    if isinstance(x, tuple):
        return tuple(_host(e) for e in x)
    return x


def _cases():
    for op in sorted(registry.ops.values(), key=lambda o: o.name):
        if op.kind == "factory" or op.name.startswith("_to_device"):
            continue
        for i, s in enumerate(op.samples(np.random.default_rng(0), np.float64) or []):
            yield pytest.param(op, s, id=f"{op.name}-sample{i}")


@pytest.mark.parametrize("op, sample", list(_cases()))
def test_forward_and_backward_match_cpu(op, sample):
    results = {}
    for device in ("cpu", "cuda"):
        args = [_to(a, device) for a in sample.args]
        diff = [a for a in args if isinstance(a, loom.Tensor) and a.is_floating_point()]
        want_grad = sample.grad and op.differentiable and diff
        for a in diff if want_grad else ():
            a.requires_grad_(True)
        out = op.call(*args, **sample.kwargs)
        grads = ()
        if want_grad and isinstance(out, loom.Tensor) and out.requires_grad:
            g = loom.ones_like(out)
            grads = loom.autograd.grad(out, diff, g, allow_unused=True)
        if isinstance(out, loom.Tensor):
            assert out.device.type == device
        results[device] = (_host(out), [None if g is None else _host(g) for g in grads])
    (cpu_out, cpu_grads), (gpu_out, gpu_grads) = results["cpu"], results["cuda"]
    np.testing.assert_allclose(gpu_out, cpu_out, rtol=1e-6, atol=1e-8)
    for a, b in zip(gpu_grads, cpu_grads):
        if a is None or b is None:
            assert a is b
        else:
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-8)


def test_round_trip_and_mixed_device_error():
    x = loom.arange(6.0).view(2, 3)
    y = x.cuda()
    assert y.is_cuda and y.device == loom.device("cuda", 0)
    assert y.cpu().tolist() == x.tolist()
    with pytest.raises(RuntimeError, match="two devices"):
        x + loom.ones(2, 3, device="cuda")


def test_training_step_on_cuda():
    loom.manual_seed(0)
    w = loom.rand(1, 1, device="cuda", requires_grad=True)
    x = loom.rand(8, 1, device="cuda") * 20
    y = x * 2 + 3
    loss = ((x.mm(w) - y) ** 2).sum()
    loss.backward()
    assert w.grad.is_cuda
    want = (2 * (x.mm(w) - y) * x).sum().item()
    assert abs(w.grad.item() - want) <= 1e-4 * max(1.0, abs(want))
