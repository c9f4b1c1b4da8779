"""The "cuda" device (device_cuda plugin, CuPy): moving tensors, mixed-device errors, a training
step. Device parity of every operator (same values and gradients as on cpu) is the conformance
kit's "device" check, which tests/test_ops.py runs on every available device besides cpu.

These tests need CuPy and an NVIDIA GPU; without them they skip, saying why (the reason the
backend itself reports). CI has no GPU.
"""
from __future__ import annotations

import pytest

import loom

_backend = loom.backends.backends.get("cuda")
pytestmark = pytest.mark.skipif(
    _backend is None or not _backend.is_available(),
    reason="no CUDA device: " + (_backend.unavailable_reason() if _backend is not None
                                 else "the device_cuda plugin is not loaded"))


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
