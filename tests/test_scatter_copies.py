"""select_scatter, slice_scatter, diagonal_scatter, narrow_copy and renorm, run under PyTorch
and loom: values, errors and gradients."""
import pytest

from snippets import check

CASES = [
    'a = torch.zeros(2, 2)\nb = torch.ones(2)\ntorch.select_scatter(a, b, 0, 0)',
    'torch.select_scatter(torch.zeros(2, 2), torch.ones(2, dtype=torch.long), 0, 0)',
    'torch.select_scatter(torch.zeros(2, 2), torch.ones(3), 0, 0)',
    'torch.select_scatter(torch.zeros(2, 2), torch.ones(2), 0, 5)',
    'torch.zeros(2, 3).select_scatter(torch.ones(2), 1, -1)',
    'a = torch.zeros(8, 8)\nb = torch.ones(2, 8)\ntorch.slice_scatter(a, b, start=6)',
    'a = torch.zeros(8, 8)\nb = torch.ones(8, 2)\ntorch.slice_scatter(a, b, dim=1, start=2, end=6, step=2)',
    'torch.slice_scatter(torch.zeros(8, 8), torch.ones(8, 3), dim=1, start=2, end=6, step=2)',
    'torch.slice_scatter(torch.zeros(5), torch.ones(2), end=2)',
    'a = torch.zeros(3, 3)\ntorch.diagonal_scatter(a, torch.ones(3), 0)',
    'a = torch.zeros(3, 3)\ntorch.diagonal_scatter(a, torch.ones(2), 1)',
    'torch.diagonal_scatter(torch.zeros(2, 3, 4), torch.ones(3, 2), 0, 0, 2)',
    'torch.diagonal_scatter(torch.zeros(2, 3, 3), torch.arange(4.).reshape(2, 2), -1, 1, 2)',
    'torch.diagonal_scatter(torch.zeros(3, 3), torch.ones(2), 0)',
    'torch.narrow_copy(torch.arange(9).reshape(3, 3), 0, 0, 2)',
    'torch.arange(9).reshape(3, 3).narrow_copy(1, 1, 2)',
    'x = torch.tensor([[1., 1, 1], [2, 2, 2], [3, 3, 3]])\ntorch.renorm(x, 1, 0, 5)',
    'torch.renorm(torch.tensor([[1, 1, 1], [2, 2, 2]]), 1, 0, 5)',
    'torch.renorm(torch.arange(12.).reshape(3, 4), 2, 1, 4.)',
    'x = torch.arange(12.).reshape(3, 4)\nx.renorm_(2, 0, 3)\nx',
    'a = torch.arange(12.).reshape(3, 4).requires_grad_()\nb = torch.ones(4, requires_grad=True)\ny = torch.select_scatter(a * 2, b * 3, 0, 1)\n(y * torch.arange(12.).reshape(3, 4)).sum().backward()\n(y, a.grad, b.grad)',
    'a = torch.arange(12.).reshape(3, 4).requires_grad_()\nb = torch.ones(3, 2, requires_grad=True)\ny = torch.slice_scatter(a, b, 1, 0, 4, 2)\n(y * y).sum().backward()\n(y, a.grad, b.grad)',
    'a = torch.arange(12.).reshape(3, 4).requires_grad_()\nb = torch.ones(3, requires_grad=True)\ny = torch.diagonal_scatter(a, b, 1)\n(y * y).sum().backward()\n(y, a.grad, b.grad)',
    'a = torch.arange(12.).reshape(3, 4).requires_grad_()\ny = torch.renorm(a, 2, 0, 5.)\n(y * torch.arange(12.).reshape(3, 4)).sum().backward()\n(y, a.grad)',
    'a = torch.arange(12.).reshape(3, 4).requires_grad_()\ny = torch.narrow_copy(a, 1, 1, 2)\ny.sum().backward()\n(y, a.grad)',
]


@pytest.mark.parametrize("src", CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_snippet(src):
    check(src, tol=1e-4)
