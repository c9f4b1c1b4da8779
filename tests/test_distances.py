"""cosine_similarity, pairwise_distance, pdist (as torch.* and nn.functional functions and
as nn modules), run under PyTorch and loom: values, errors and gradients, where vectors
vanish or coincide too."""
import pytest

from snippets import check

CASES = [
    'input1 = torch.tensor([[0.5, -1.2, 2.0], [1.5, 0.1, -0.7]])\ninput2 = torch.tensor([[0.2, 0.3, -1.0], [2.5, -0.1, 0.7]])\ntorch.cosine_similarity(input1, input2)',
    'torch.cosine_similarity(torch.tensor([1., 0]), torch.tensor([0., 1]), dim=0)',
    'torch.cosine_similarity(torch.zeros(3), torch.ones(3), dim=0)',
    'torch.cosine_similarity(torch.tensor([1, 2]), torch.tensor([2, 4]), dim=0)',
    'torch.cosine_similarity(torch.ones(2, 3), torch.ones(3), dim=1)',
    'torch.cosine_similarity(torch.ones(2, 3), torch.ones(3))',
    'torch.cosine_similarity(torch.ones(2, 3), torch.ones(2, 3), dim=-1)',
    'a = torch.tensor([[0.5, -1.2, 2.0, 0.3], [1.5, 0.1, -0.7, 2.2], [0.0, 0.9, -1.1, 0.4]], dtype=torch.float64, requires_grad=True)\nb = torch.tensor([[0.2, 0.3, -1.0, 1.3], [2.5, -0.1, 0.7, 0.2], [0.0, 0.9, -1.1, 0.4]], dtype=torch.float64, requires_grad=True)\ny = torch.cosine_similarity(a, b)\ny.sum().backward()\n(y, a.grad, b.grad)',
    'a = torch.tensor([[0.5, -1.2, 2.0, 0.3], [1.5, 0.1, -0.7, 2.2], [0.0, 0.9, -1.1, 0.4]], dtype=torch.float64, requires_grad=True)\nb = torch.tensor([[0.2, 0.3, -1.0, 1.3], [2.5, -0.1, 0.7, 0.2], [0.0, 0.9, -1.1, 0.4]], dtype=torch.float64, requires_grad=True)\ny = torch.cosine_similarity(a, b, dim=0)\n(y * torch.arange(4.)).sum().backward()\n(y, a.grad, b.grad)',
    'a = torch.zeros(2, 3, requires_grad=True)\ny = torch.cosine_similarity(a, torch.ones(2, 3))\ny.sum().backward()\n(y, a.grad)',
    'torch.pairwise_distance(torch.tensor([[1., 2], [3, 4]]), torch.tensor([[0., 0], [1, 1]]))',
    'torch.pairwise_distance(torch.ones(2, 3), torch.zeros(2, 3), p=1)',
    'torch.pairwise_distance(torch.ones(2, 3), torch.zeros(2, 3), keepdim=True)',
    'torch.pairwise_distance(torch.ones(3), torch.zeros(3))',
    'torch.pairwise_distance(torch.tensor(1.), torch.tensor(3.))',
    "torch.pairwise_distance(torch.ones(2, 3), torch.zeros(3), p=float('inf'))",
    'torch.pairwise_distance(torch.ones(2, 3), torch.ones(2, 3), p=0)',
    'a = torch.tensor([[0.5, -1.2, 2.0, 0.3], [1.5, 0.1, -0.7, 2.2], [0.0, 0.9, -1.1, 0.4]], dtype=torch.float64, requires_grad=True)\nb = torch.tensor([[0.2, 0.3, -1.0, 1.3], [2.5, -0.1, 0.7, 0.2], [0.0, 0.9, -1.1, 0.4]], dtype=torch.float64, requires_grad=True)\ny = torch.pairwise_distance(a, b)\ny.sum().backward()\n(y, a.grad, b.grad)',
    'a = torch.tensor([[0.5, -1.2, 2.0, 0.3], [1.5, 0.1, -0.7, 2.2], [0.0, 0.9, -1.1, 0.4]], dtype=torch.float64, requires_grad=True)\nb = torch.tensor([[0.2, 0.3, -1.0, 1.3], [2.5, -0.1, 0.7, 0.2], [0.0, 0.9, -1.1, 0.4]], dtype=torch.float64, requires_grad=True)\ny = torch.pairwise_distance(a, b, p=3)\ny.sum().backward()\n(y, a.grad, b.grad)',
    'x = torch.tensor([[0., 0], [3, 4], [6, 8]])\ntorch.pdist(x)',
    'x = torch.tensor([[0., 0], [3, 4], [6, 8]])\ntorch.pdist(x, p=1)',
    "x = torch.tensor([[0., 0], [3, 4], [6, 8]])\ntorch.pdist(x, p=float('inf'))",
    'torch.pdist(torch.ones(1, 3))',
    'torch.pdist(torch.ones(3))',
    'torch.pdist(torch.ones(2, 3, dtype=torch.int64))',
    'torch.pdist(torch.ones(2, 3), p=-1)',
    'a = torch.tensor([[0.5, -1.2, 2.0, 0.3], [1.5, 0.1, -0.7, 2.2], [0.0, 0.9, -1.1, 0.4]], dtype=torch.float64, requires_grad=True)\ny = torch.pdist(a)\ny.sum().backward()\n(y, a.grad)',
    'a = torch.tensor([[0.5, -1.2, 2.0, 0.3], [1.5, 0.1, -0.7, 2.2], [0.0, 0.9, -1.1, 0.4]], dtype=torch.float64, requires_grad=True)\ny = torch.pdist(a, p=1.5)\ny.sum().backward()\n(y, a.grad)',
    'a = torch.tensor([[1., 2], [1, 2], [0, 1]], requires_grad=True)\ny = torch.pdist(a)\ny.sum().backward()\n(y, a.grad)',
    "a = torch.tensor([[1., 2, 3], [0, 1, 0]])\nb = torch.tensor([[1., 0, 3], [1, 1, 1]])\nimport importlib\nF = importlib.import_module(torch.__name__ + '.nn.functional')\n(F.cosine_similarity(a, b), F.pairwise_distance(a, b), F.pdist(a))",
    'a = torch.tensor([[1., 2, 3], [0, 1, 0]])\nb = torch.tensor([[1., 0, 3], [1, 1, 1]])\n(torch.nn.CosineSimilarity(dim=0)(a, b), torch.nn.PairwiseDistance(p=1, keepdim=True)(a, b), repr(torch.nn.PairwiseDistance()), repr(torch.nn.CosineSimilarity()))',
]


@pytest.mark.parametrize("src", CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_snippet(src):
    check(src)
