"""Random sampling under a seed (loom's CPU stream is PyTorch's): factories, in-place
samplers, generators and RNG state, run under PyTorch and loom."""
import pytest

import loom
from snippets import check, torch


@pytest.fixture(autouse=True)
def _keep_rng_state():
    # the snippets seed the global generators: leave them as the other tests found them
    states = torch.get_rng_state(), loom.get_rng_state()
    yield
    torch.set_rng_state(states[0])
    loom.set_rng_state(states[1])


CASES = [
    'torch.manual_seed(0)\ntorch.rand(3)',
    'torch.manual_seed(0)\ntorch.randn(2, 3)',
    'torch.manual_seed(0)\ntorch.randint(0, 10, (5,))',
    'torch.manual_seed(0)\ntorch.randint(3, 10, (2, 2), dtype=torch.int32)',
    'torch.manual_seed(0)\ntorch.randperm(6)',
    'torch.manual_seed(0)\ntorch.normal(0., 1., size=(3,))',
    'torch.manual_seed(0)\ntorch.normal(torch.zeros(3), torch.ones(3))',
    'torch.manual_seed(0)\ntorch.normal(2., torch.arange(1., 4.))',
    'torch.manual_seed(0)\ntorch.multinomial(torch.tensor([0.1, 0.3, 0.6]), 2)',
    'torch.manual_seed(0)\ntorch.multinomial(torch.tensor([0.1, 0.3, 0.6]), 5, replacement=True)',
    'torch.manual_seed(0)\ntorch.bernoulli(torch.full((4,), 0.5))',
    'torch.manual_seed(0)\ntorch.rand(2, 2, dtype=torch.float64)',
    'torch.manual_seed(0)\ntorch.randn(3, dtype=torch.float16)',
    'torch.manual_seed(0)\ntorch.rand(3).uniform_(2, 3)',
    'torch.manual_seed(0)\ntorch.empty(3).normal_(5, 2)',
    'torch.manual_seed(0)\ntorch.empty(3).exponential_()',
    'torch.manual_seed(0)\ntorch.empty(4).random_(0, 5)',
    'torch.manual_seed(0)\ntorch.empty(3).bernoulli_(0.3)',
    'torch.manual_seed(0)\ntorch.rand_like(torch.ones(2))',
    'torch.manual_seed(0)\ntorch.randn_like(torch.ones(2, dtype=torch.float64))',
    'torch.manual_seed(0)\ntorch.randint_like(torch.ones(3), 10)',
    'torch.manual_seed(0)\nx = torch.randn(2, 3)\ntorch.nn.functional.dropout(x, 0.5)',
    'torch.manual_seed(0)\ntorch.randn(4)[torch.randperm(4)]',
    'torch.manual_seed(0)\ng = torch.Generator().manual_seed(3)\ntorch.rand(2, generator=g)',
    'torch.manual_seed(0)\ntorch.rand(2); torch.seed() > 0',
    'torch.manual_seed(0)\ntorch.initial_seed()',
    'torch.manual_seed(0)\ns = torch.get_rng_state()\na = torch.rand(2)\ntorch.set_rng_state(s)\ntorch.rand(2) == a',
    'torch.manual_seed(0)\ntorch.randn(2, 2, requires_grad=True)',
    'torch.manual_seed(0)\ntorch.randint(10, (3,)).dtype',
    'torch.manual_seed(0)\ntorch.rand(3, 3).argmax()',
    'torch.manual_seed(0)\ntorch.randn(100).mean()',
    'torch.manual_seed(0)\ntorch.empty(2, 3).uniform_(-1, 1)',
    'torch.manual_seed(0)\ntorch.empty(3).log_normal_()',
    'torch.manual_seed(0)\ntorch.rand(2, 3).multinomial(1)',
    'torch.manual_seed(0)\ntorch.empty(3).log_normal_()',
    'torch.manual_seed(0)\ntorch.empty(2, dtype=torch.float64).log_normal_(0, 0.5)',
    'torch.manual_seed(0)\ntorch.empty(2).log_normal_(std=0)',
    'torch.manual_seed(0)\ntorch.empty(2, dtype=torch.long).log_normal_()',
    'torch.manual_seed(0)\ntorch.empty(2, requires_grad=True).log_normal_()',
]


@pytest.mark.parametrize("src", CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_snippet(src):
    check(src)


@pytest.mark.parametrize("n,replacement", [(1, True), (1, False), (3, True), (3, False)])
def test_multinomial_draws_pytorchs_indices_for_one_sample_too(n, replacement):
    # PyTorch draws one sample (with or without replacement) by the exponential race
    draws = []
    for lib in (torch, loom):
        g = lib.Generator().manual_seed(3)
        p = lib.tensor([[0.1, 0.9, 0.4, 0.3], [0.5, 0.5, 0.1, 0.2]], dtype=lib.float64)
        draws.append([lib.multinomial(p, n, replacement, generator=g).tolist()
                      for _ in range(5)])
    assert draws[0] == draws[1]
