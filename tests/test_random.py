"""Random numbers against PyTorch: `Generator` objects, generator= on every random op,
default-generator functions, and the seeded streams of the new random operators."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import loom


def _same(a, b):
    return np.array_equal(np.asarray(a.tolist()), np.asarray(b.tolist()))


@pytest.mark.parametrize("call", [
    lambda lib, g: lib.rand(5, generator=g),
    lambda lib, g: lib.randn(20, generator=g, dtype=lib.float64),
    lambda lib, g: lib.randint(-3, 9, (2, 5), generator=g),
    lambda lib, g: lib.randperm(12, generator=g),
    lambda lib, g: lib.zeros(6).uniform_(-1.0, 1.0, generator=g),
    lambda lib, g: lib.zeros(4, dtype=lib.int64).random_(0, 100, generator=g),
])
def test_a_generator_gives_pytorchs_stream_and_leaves_the_default_alone(call):
    gl, gt = loom.Generator().manual_seed(1234), torch.Generator().manual_seed(1234)
    loom.manual_seed(7)
    torch.manual_seed(7)
    assert _same(call(loom, gl), call(torch, gt))
    assert _same(call(loom, gl), call(torch, gt))  # the generator's state moved on alike
    assert _same(loom.rand(3), torch.rand(3))  # the default stream was not touched


def test_default_generator_functions():
    g = loom.manual_seed(42)
    assert isinstance(g, loom.Generator) and g is loom.default_generator
    assert loom.initial_seed() == 42 == torch.manual_seed(42).initial_seed()
    state = loom.get_rng_state()
    assert state.dtype is loom.uint8 and tuple(state.shape) == tuple(torch.get_rng_state().shape)
    assert _same(state, torch.get_rng_state())
    a = loom.rand(4)
    loom.set_rng_state(state)
    assert _same(loom.rand(4), a)
    s = loom.seed()
    assert loom.initial_seed() == s


def test_generator_state_round_trip_and_errors():
    g = loom.Generator()
    g.manual_seed(3)
    st = g.get_state()
    x = loom.randn(5, generator=g)
    g.set_state(st)
    assert _same(loom.randn(5, generator=g), x)
    assert g.device == loom.device("cpu")
    with pytest.raises(TypeError):
        g.manual_seed(1.5)
    with pytest.raises(TypeError, match="Generator"):
        loom.rand(2, generator="not a generator")


def test_random_like_and_complex_draws_match_torch():
    for lib in (loom, torch):
        lib.manual_seed(0)
    assert _same(loom.rand_like(loom.zeros(2, 3)), torch.rand_like(torch.zeros(2, 3)))
    assert _same(loom.randint_like(loom.zeros(4), 10), torch.randint_like(torch.zeros(4), 10))
    for lib in (loom, torch):
        lib.manual_seed(0)
    a, b = loom.rand(3, dtype=loom.complex64), torch.rand(3, dtype=torch.complex64)
    assert str(a.dtype) == str(b.dtype) and _same(a, b)
    for lib in (loom, torch):
        lib.manual_seed(0)
    a, b = loom.randn(3, dtype=loom.complex64), torch.randn(3, dtype=torch.complex64)
    assert np.allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("call, error", [
    (lambda lib: lib.randint(5, 5, (2,)), RuntimeError),
    (lambda lib: lib.randperm(-1), RuntimeError),
    (lambda lib: lib.normal(0.0, -1.0, (2,)), RuntimeError),
])
def test_random_ops_refuse_what_pytorch_refuses(call, error):
    with pytest.raises(error):
        call(torch)
    with pytest.raises(error):
        call(loom)
