"""The printed forms PyTorch code shows: named-tuple results (max, sort, topk, median,
histogram, std_mean, unique), Size (sliced, added, repeated), dtypes, devices, strides and
tensors that require grad, run under PyTorch and loom."""
import pytest

from snippets import check

CASES = [
    'x = torch.tensor([[3., 1, 2], [0, 5, 4]])\nrepr(torch.max(x, 0))',
    'x = torch.tensor([[3., 1, 2], [0, 5, 4]])\nrepr(torch.sort(x))',
    'x = torch.tensor([[3., 1, 2], [0, 5, 4]])\nrepr(torch.topk(x, 1))',
    'x = torch.tensor([[3., 1, 2], [0, 5, 4]])\nrepr(torch.min(x, 1, keepdim=True))',
    'x = torch.tensor([[3., 1, 2], [0, 5, 4]])\nrepr(x.median(0))',
    'x = torch.tensor([[3., 1, 2], [0, 5, 4]])\nrepr(x.mode(1))',
    'x = torch.tensor([[3., 1, 2], [0, 5, 4]])\nrepr(x.kthvalue(1, 1))',
    'x = torch.tensor([[3., 1, 2], [0, 5, 4]])\nrepr(torch.aminmax(x))',
    'x = torch.tensor([[3., 1, 2], [0, 5, 4]])\nrepr(x.cummax(1))',
    'x = torch.tensor([[3., 1, 2], [0, 5, 4]])\nrepr(torch.histogram(x.flatten(), 2))',
    'x = torch.tensor([[3., 1, 2], [0, 5, 4]])\nrepr(torch.std_mean(x))',
    'x = torch.tensor([[3., 1, 2], [0, 5, 4]])\nrepr(torch.var_mean(x, 0))',
    'x = torch.tensor([[3., 1, 2], [0, 5, 4]])\nrepr(torch.unique(x, return_counts=True))',
    'x = torch.tensor([[3., 1, 2], [0, 5, 4]])\nrepr(torch.frexp(x))',
    'x = torch.tensor([[3., 1, 2], [0, 5, 4]])\nstr(torch.max(x, 0))',
    'x = torch.tensor([[3., 1, 2], [0, 5, 4]])\ntype(torch.max(x, 0)).__name__',
    'x = torch.tensor([[3., 1, 2], [0, 5, 4]])\nv, i = torch.max(x, 0)\n(v, i)',
    'x = torch.tensor([[3., 1, 2], [0, 5, 4]])\ntorch.max(x, 0)[1]',
    'x = torch.tensor([[3., 1, 2], [0, 5, 4]])\ntorch.sort(x).values',
    'x = torch.tensor([[3., 1, 2], [0, 5, 4]])\nrepr(x.shape)',
    'x = torch.tensor([[3., 1, 2], [0, 5, 4]])\nrepr(x.dtype)',
    'x = torch.tensor([[3., 1, 2], [0, 5, 4]])\nrepr(x.device)',
    'x = torch.tensor([[3., 1, 2], [0, 5, 4]])\nstr(x.device)',
    'x = torch.tensor([[3., 1, 2], [0, 5, 4]])\nrepr(x.T.stride())',
    'x = torch.tensor([[3., 1, 2], [0, 5, 4]])\nrepr(x.size())',
    'x = torch.tensor([[3., 1, 2], [0, 5, 4]])\nrepr(torch.Size([]))',
    'x = torch.tensor([[3., 1, 2], [0, 5, 4]])\nx.shape == (2, 3)',
    'x = torch.tensor([[3., 1, 2], [0, 5, 4]])\nx.shape + (1,)',
    'x = torch.tensor([[3., 1, 2], [0, 5, 4]])\ntype(x.shape + (1,)).__name__',
    'x = torch.tensor([[3., 1, 2], [0, 5, 4]])\nx.shape.numel()',
    'x = torch.tensor([[3., 1, 2], [0, 5, 4]])\nx.shape[1:]',
    'x = torch.tensor([[3., 1, 2], [0, 5, 4]])\ntype(x.shape[1:]).__name__',
    'x = torch.tensor([[3., 1, 2], [0, 5, 4]])\nrepr(x.requires_grad_())',
    'x = torch.tensor([[3., 1, 2], [0, 5, 4]])\nrepr((x.requires_grad_() * 2).sum(0))',
    'x = torch.tensor([[3., 1, 2], [0, 5, 4]])\nrepr(x.requires_grad_().max(0))',
    'x = torch.tensor([[3., 1, 2], [0, 5, 4]])\nrepr(torch.nn.Parameter(torch.ones(2)))',
    'x = torch.tensor([[3., 1, 2], [0, 5, 4]])\nrepr(torch.ones(2, dtype=torch.float64, requires_grad=True) * 2)',
    's = torch.Size([2, 3])\n(s[1:], s[::-1], s[0], (1,) + s, s + (4,), s * 2, 2 * s, s[-1], s[:0], s == (2, 3), hash(s) == hash((2, 3)))',
    'torch.Size([2, 3]) + [1]',
    '[1] + torch.Size([2, 3])',
    'torch.zeros(torch.Size([2, 3])[1:])',
    'torch.ones(2, 3).view(torch.Size([2, 3])[::-1]).shape',
    'repr(torch.ones(2, 3, 4).shape[1:])',
]


@pytest.mark.parametrize("src", CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_snippet(src):
    check(src)
