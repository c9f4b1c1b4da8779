"""The operators loom composes as PyTorch does (diff, trapezoid, cov, corrcoef, cdist,
cartesian_prod, combinations, block_diag, diagflat, vander, tril/triu_indices, isin,
heaviside, signbit, view_as_real/view_as_complex), run under PyTorch and loom: values,
dtypes, errors and gradients."""
import pytest

import loom
from snippets import check, torch

CASES = [
    'torch.diff(torch.tensor([1,3,2]))',
    'torch.diff(torch.tensor([True,False,False]))',
    'torch.diff(torch.tensor(1.))',
    'torch.diff(torch.tensor([1.,2]),n=-1)',
    'torch.diff(torch.tensor([1.,2]),n=0)',
    'torch.diff(torch.tensor([1.,2]),n=5)',
    'torch.diff(torch.tensor([1,3]),prepend=torch.tensor([0.5]))',
    'torch.diff(torch.tensor([[1,3],[2,4]]),dim=0,append=torch.tensor([[9,9]]))',
    'torch.diff(torch.tensor([[1,3],[2,4]]),append=torch.tensor([9]))',
    'a = torch.tensor([1, 3, 2])\ntorch.diff(a)',
    'a = torch.tensor([1, 3, 2])\nb = torch.tensor([4, 5])\ntorch.diff(a, append=b)',
    'c = torch.tensor([[1, 2, 3], [3, 4, 5]])\ntorch.diff(c, dim=0)',
    'c = torch.tensor([[1, 2, 3], [3, 4, 5]])\ntorch.diff(c, dim=1)',
    'c = torch.tensor([[1, 2, 3], [3, 4, 5]])\nc.diff(n=2)',
    'a = torch.tensor([[0.5, -1.2, 2.0, 0.3], [1.5, 0.1, -0.7, 2.2], [0.0, 0.9, -1.1, 0.4]], dtype=torch.float64, requires_grad=True)\ny = torch.diff(a, n=2, dim=1)\ny.sum().backward()\n(y, a.grad)',
    'a = torch.tensor([[0.5, -1.2, 2.0, 0.3], [1.5, 0.1, -0.7, 2.2], [0.0, 0.9, -1.1, 0.4]], dtype=torch.float64, requires_grad=True)\ny = torch.diff(a, dim=0, prepend=a[:1] * 2)\n(y * y).sum().backward()\n(y, a.grad)',
    'torch.trapezoid(torch.tensor([1,2,3]))',
    'torch.trapezoid(torch.tensor([1.,2,3]),torch.tensor([1,3,6]))',
    'torch.trapezoid(torch.tensor([1.,2,3]),dx=2)',
    'torch.trapezoid(torch.tensor([1,2,3]),dx=2)',
    'torch.trapz(torch.tensor([1.,2,3]),dx=2)',
    'torch.trapezoid(torch.tensor([[1.,2,3],[4,5,6]]),torch.tensor([1.,3,6]))',
    'torch.trapezoid(torch.tensor([[1.,2,3],[4,5,6]]),torch.tensor([1.,3]),dim=0)',
    'torch.trapezoid(torch.tensor([1.,2,3]),torch.tensor([1.,3]))',
    'torch.cumulative_trapezoid(torch.tensor([1,2,3]))',
    'torch.trapezoid(torch.tensor([]))',
    'torch.trapezoid(torch.tensor(1.))',
    'y = torch.tensor([1, 5, 10])\ntorch.trapezoid(y)',
    'y = torch.tensor([1, 5, 10])\ntorch.trapezoid(y, dx=2)',
    'x = torch.tensor([1, 3, 6])\ny = torch.tensor([1, 5, 10])\ntorch.trapezoid(y, x)',
    'y = torch.arange(9).reshape(3, 3)\ntorch.trapezoid(y)',
    'y = torch.arange(9).reshape(3, 3)\ntorch.trapezoid(y, dim=0)',
    'y = torch.ones(3, 3)\nx = torch.tensor([[1, 2, 3], [1, 3, 5], [1, 4, 7]])\ntorch.trapezoid(y, x)',
    'y = torch.ones(3, 3)\nx = torch.tensor([1, 3, 6])\ntorch.trapezoid(y, x)',
    'y = torch.ones(3, 3)\nx = torch.tensor([1, 3, 6])\ntorch.cumulative_trapezoid(y, x)',
    'y = torch.arange(9).reshape(3, 3)\ntorch.cumulative_trapezoid(y, dim=0)',
    'y = torch.arange(9.).reshape(3, 3)\ntorch.trapezoid(y, x=torch.tensor([1., 2., 4.], dtype=torch.float64))',
    'y = torch.ones(2, 3)\ntorch.trapezoid(y, torch.ones(3, dtype=torch.int64) * 2)',
    'a = torch.tensor([[0.5, -1.2, 2.0, 0.3], [1.5, 0.1, -0.7, 2.2], [0.0, 0.9, -1.1, 0.4]], dtype=torch.float64, requires_grad=True)\nb = torch.tensor([0.2, 0.3, 1.0, 1.3], dtype=torch.float64, requires_grad=True)\ny = torch.trapezoid(a, b)\ny.sum().backward()\n(y, a.grad, b.grad)',
    'a = torch.tensor([[0.5, -1.2, 2.0, 0.3], [1.5, 0.1, -0.7, 2.2], [0.0, 0.9, -1.1, 0.4]], dtype=torch.float64, requires_grad=True)\ny = torch.cumulative_trapezoid(a, dx=0.5, dim=0)\ny.sum().backward()\n(y, a.grad)',
    'torch.cov(torch.tensor([[0,1,2],[2,1,0]]))',
    'torch.cov(torch.tensor([1.,2,3]))',
    'torch.cov(torch.tensor([1.,2,3]),correction=0)',
    'torch.cov(torch.tensor([1.]))',
    'torch.cov(torch.ones(2,2,2))',
    'torch.corrcoef(torch.tensor([[0,1,2],[2,1,0]]))',
    'torch.corrcoef(torch.tensor([1.,2]))',
    'torch.cov(torch.tensor([[0,1,2],[2,1,0.]]),fweights=torch.tensor([1,2,1]),aweights=torch.tensor([0.5,1,2]))',
    'x = torch.tensor([[0, 2], [1, 1], [2, 0]]).T\ntorch.cov(x)',
    'x = torch.tensor([[0, 2], [1, 1], [2, 0]]).T\ntorch.cov(x, correction=0)',
    'x = torch.tensor([[0, 2], [1, 1], [2, 0]]).T\nfw = torch.tensor([5, 2, 10])\naw = torch.tensor([0.4282, 0.0255, 0.4144])\ntorch.cov(x, fweights=fw, aweights=aw)',
    'x = torch.tensor([[0, 2], [1, 1], [2, 0]]).T\nfw = torch.tensor([5, 2, 10])\ntorch.cov(x, fweights=fw)',
    'x = torch.tensor([[0, 2], [1, 1], [2, 0]]).T\ntorch.cov(x, fweights=torch.tensor([1., 2, 3]))',
    'x = torch.tensor([[1+1j, 2, 3j], [0.5, 1j, -1]])\ntorch.cov(x)',
    'x = torch.tensor([[1+1j, 2, 3j], [0.5, 1j, -1]])\ntorch.corrcoef(x)',
    'x = torch.tensor([[0.7308, 1.0060, 0.5270, 1.4516], [-0.1383, 1.5706, 0.4724, 0.4141], [0.1193, 0.2829, 0.9037, 0.3957], [-0.8202, -0.6474, -0.1631, -0.6543]])\ntorch.corrcoef(x)',
    'x = torch.tensor([[1., 1., 1.], [1., 2., 3.]])\ntorch.corrcoef(x)',
    'a = torch.tensor([[0.5, -1.2, 2.0, 0.3], [1.5, 0.1, -0.7, 2.2], [0.0, 0.9, -1.1, 0.4]], dtype=torch.float64, requires_grad=True)\nc = torch.cov(a)\nc.sum().backward()\n(c, a.grad)',
    'a = torch.tensor([[0.5, -1.2, 2.0, 0.3], [1.5, 0.1, -0.7, 2.2], [0.0, 0.9, -1.1, 0.4]], dtype=torch.float64, requires_grad=True)\nc = torch.corrcoef(a)\n(c * torch.arange(9.).reshape(3,3)).sum().backward()\n(c, a.grad)',
    'torch.cartesian_prod(torch.tensor([1,2,3]),torch.tensor([4,5]))',
    'torch.cartesian_prod(torch.tensor([1,2,3]))',
    'torch.cartesian_prod(torch.tensor([1,2]),torch.tensor([4.]))',
    'torch.cartesian_prod(torch.ones(2,2))',
    'a = [1, 2, 3]\nb = [4, 5]\ntorch.cartesian_prod(torch.tensor(a), torch.tensor(b))',
    'a = torch.tensor([[0.5, -1.2, 2.0, 0.3], [1.5, 0.1, -0.7, 2.2], [0.0, 0.9, -1.1, 0.4]], dtype=torch.float64, requires_grad=True)\ny = torch.cartesian_prod(a[0], a[1, :2])\n(y * y).sum().backward()\n(y, a.grad)',
    'torch.combinations(torch.tensor([1,2,3]))',
    'torch.combinations(torch.tensor([1,2,3]),r=3)',
    'torch.combinations(torch.tensor([1,2,3]),r=4)',
    'torch.combinations(torch.tensor([1,2,3]),r=0)',
    'torch.combinations(torch.tensor([1,2,3]),with_replacement=True)',
    'torch.combinations(torch.tensor([1,2,3]),r=1)',
    'a = torch.tensor([[0.5, -1.2, 2.0, 0.3], [1.5, 0.1, -0.7, 2.2], [0.0, 0.9, -1.1, 0.4]], dtype=torch.float64, requires_grad=True)\ny = torch.combinations(a[0], 3)\n(y * y).sum().backward()\n(y, a.grad)',
    'torch.diagflat(torch.tensor([1,2]))',
    'torch.diagflat(torch.tensor([[1,2],[3,4]]),1)',
    'a = torch.tensor([-0.2956, -0.9068, 0.1695])\ntorch.diagflat(a)',
    'a = torch.tensor([-0.2956, -0.9068, 0.1695])\ntorch.diagflat(a, 1)',
    'x = torch.tensor([[0.5, 1.], [2, 3]])\nx.diagflat()',
    'torch.vander(torch.tensor([1, 2, 3, 5]))',
    'torch.vander(torch.tensor([1, 2, 3, 5]), N=3, increasing=True)',
    'torch.vander(torch.tensor([1., 2]))',
    'torch.vander(torch.tensor([True]))',
    'x = torch.tensor([1, 2, 3, 5])\ntorch.vander(x, N=3)',
    'x = torch.tensor([1, 2, 3, 5], dtype=torch.int32)\ntorch.vander(x, N=0)',
    'torch.vander(torch.ones(2, 2))',
    'torch.vander(torch.tensor([1., 2]), N=-1)',
    'torch.cdist(torch.tensor([[0.9041, 0.0196], [-0.3108, -2.4423], [-0.4821, 1.059]]), torch.tensor([[-2.1763, -0.4713], [-0.6986, 1.3702]]), p=2)',
    'torch.cdist(torch.ones(2,3),torch.ones(3,3),p=0)',
    'torch.cdist(torch.ones(2,3),torch.ones(3,4))',
    'torch.cdist(torch.ones(2,3,dtype=torch.int64),torch.ones(3,3))',
    'torch.cdist(torch.ones(2,3),torch.ones(3,3),p=-1)',
    "a = torch.tensor([[0.5, -1.2, 2.0, 0.3], [1.5, 0.1, -0.7, 2.2], [0.0, 0.9, -1.1, 0.4]], dtype=torch.float64, requires_grad=True)\nb = torch.tensor([[0.2, 0.3, -1.0, 1.3], [2.5, -0.1, 0.7, 0.2]], dtype=torch.float64, requires_grad=True)\n[torch.cdist(a, b, p=p) for p in (0, 0.5, 1, 1.5, 2, 3, float('inf'))]",
    'a = torch.tensor([[0.5, -1.2, 2.0, 0.3], [1.5, 0.1, -0.7, 2.2], [0.0, 0.9, -1.1, 0.4]], dtype=torch.float64, requires_grad=True)\nb = torch.tensor([[0.2, 0.3, -1.0, 1.3], [2.5, -0.1, 0.7, 0.2]], dtype=torch.float64, requires_grad=True)\ny = torch.cdist(a, b)\ny.sum().backward()\n(y, a.grad, b.grad)',
    'a = torch.tensor([[0.5, -1.2, 2.0, 0.3], [1.5, 0.1, -0.7, 2.2], [0.0, 0.9, -1.1, 0.4]], dtype=torch.float64, requires_grad=True)\nb = torch.tensor([[0.2, 0.3, -1.0, 1.3], [2.5, -0.1, 0.7, 0.2]], dtype=torch.float64, requires_grad=True)\ny = torch.cdist(a, b, p=1)\ny.sum().backward()\n(y, a.grad, b.grad)',
    'a = torch.tensor([[0.5, -1.2, 2.0, 0.3], [1.5, 0.1, -0.7, 2.2], [0.0, 0.9, -1.1, 0.4]], dtype=torch.float64, requires_grad=True)\nb = torch.tensor([[0.2, 0.3, -1.0, 1.3], [2.5, -0.1, 0.7, 0.2]], dtype=torch.float64, requires_grad=True)\ny = torch.cdist(a, b, p=3)\ny.sum().backward()\n(y, a.grad, b.grad)',
    "a = torch.tensor([[0.5, -1.2, 2.0, 0.3], [1.5, 0.1, -0.7, 2.2], [0.0, 0.9, -1.1, 0.4]], dtype=torch.float64, requires_grad=True)\nb = torch.tensor([[0.2, 0.3, -1.0, 1.3], [2.5, -0.1, 0.7, 0.2]], dtype=torch.float64, requires_grad=True)\ny = torch.cdist(a, b, p=float('inf'))\ny.sum().backward()\n(y, a.grad, b.grad)",
    'a = torch.tensor([[0.5, -1.2, 2.0, 0.3], [1.5, 0.1, -0.7, 2.2], [0.0, 0.9, -1.1, 0.4]], dtype=torch.float64, requires_grad=True)\ny = torch.cdist(a, a)\ny.sum().backward()\n(y, a.grad)',
    'torch.cdist(torch.ones(2, 3, 4), torch.zeros(1, 2, 4))',
    'torch.cdist(torch.ones(3), torch.zeros(2, 3))',
    'torch.cdist(torch.ones(2, 3), torch.zeros(2, 3, dtype=torch.float64))',
    'torch.isin(torch.tensor([[1, 2], [3, 4]]), torch.tensor([2, 3]))',
    'torch.isin(3, torch.tensor([2, 3]))',
    'torch.isin(torch.tensor([1,2]), 2)',
    'torch.isin(torch.tensor([1,2]), torch.tensor([2.]), invert=True)',
    'torch.isin(torch.tensor([1.,float("nan")]), torch.tensor([float("nan")]))',
    'torch.isin(torch.tensor([1.5, 2]), torch.tensor([2]))',
    'torch.isin(torch.tensor([1j]), torch.tensor([2]))',
    'torch.isin(torch.tensor([], dtype=torch.long), torch.tensor([2]))',
    'torch.isin(torch.tensor([1, 2]), torch.tensor([], dtype=torch.long))',
    'torch.isin(torch.tensor([True, False]), torch.tensor([True]))',
    'torch.isin(torch.tensor([1, 2]), torch.tensor([[2, 9]]), assume_unique=True)',
    'torch.tril_indices(3,3)',
    'torch.tril_indices(4,3,-1)',
    'torch.triu_indices(4,3,1)',
    'torch.triu_indices(3,3,dtype=torch.int32)',
    'torch.tril_indices(0,3)',
    'torch.tril_indices(3,3,dtype=torch.float32)',
    'torch.tril_indices(3, 3)',
    'torch.tril_indices(4, 3, -1)',
    'torch.tril_indices(4, 3, 1)',
    'torch.triu_indices(3, 3)',
    'torch.triu_indices(4, 3, -1)',
    'torch.triu_indices(4, 3, 1)',
    'torch.triu_indices(3, 0)',
    'torch.tril_indices(3, 3, 10)',
    'torch.triu_indices(3, 3, -10)',
    'x = torch.arange(9.).reshape(3, 3)\nx[tuple(torch.triu_indices(3, 3, 1))]',
    'torch.block_diag(torch.tensor([[0, 1], [1, 0]]), torch.tensor([[3, 4, 5], [6, 7, 8]]), torch.tensor(7), torch.tensor([1, 2, 3]), torch.tensor([[4], [5], [6]]))',
    'torch.block_diag(torch.tensor([1]),torch.tensor([2.]))',
    'torch.block_diag(torch.ones(2,2,2))',
    'torch.block_diag(torch.ones(2, 0), torch.ones(1, 2))',
    'a = torch.tensor([[0.5, -1.2, 2.0, 0.3], [1.5, 0.1, -0.7, 2.2], [0.0, 0.9, -1.1, 0.4]], dtype=torch.float64, requires_grad=True)\ny = torch.block_diag(a, a[0], a[1, 1], a.float())\n(y * torch.arange(float(y.numel())).reshape(y.shape)).sum().backward()\n(y, a.grad)',
    'torch.heaviside(torch.tensor([-1.5, 0, 2.0]), torch.tensor([0.5]))',
    'torch.heaviside(torch.tensor([-1.5, 0, 2.0]), torch.tensor([1.2, -2.0, 3.5]))',
    'torch.heaviside(torch.tensor([-1, 0, 2]), torch.tensor([0.5]))',
    'torch.heaviside(torch.tensor([-1.5, 0, 2.0]), 0.5)',
    'torch.heaviside(torch.tensor([-1, 0, 2]), torch.tensor([7]))',
    'x = torch.tensor([-1., 0, 2])\nx.heaviside_(torch.tensor(0.5))\nx',
    'torch.tensor([[-1.], [0.]]).heaviside(torch.tensor([3., 4.]))',
    'torch.signbit(torch.tensor([0.7, -1.2, 0., 2.3]))',
    'torch.signbit(torch.tensor([-0.0, 0.0]))',
    'torch.signbit(torch.tensor([-1,2]))',
    'torch.signbit(torch.tensor([1j]))',
    'torch.tensor([True]).signbit()',
    'torch.tensor([-2.], dtype=torch.float16).signbit()',
    'torch.tensor(-3).signbit()',
    'x = torch.tensor([1+2j, 3-1j, 0.5j], requires_grad=True)\n(x.imag * torch.tensor([2., 3, 4])).sum().backward()\nx.grad',
    'x = torch.tensor([1+2j, 3-1j, 0.5j], requires_grad=True)\n(x.real * torch.tensor([2., 3, 4])).sum().backward()\nx.grad',
    'x = torch.tensor([1+2j, 3-1j, 0.5j], requires_grad=True)\n(torch.view_as_real(x) * torch.arange(6.).reshape(3, 2)).sum().backward()\nx.grad',
    'x = torch.tensor([1+2j, 3-1j, 0.5j], requires_grad=True)\n(torch.view_as_real(x * x) ** 2).sum().backward()\nx.grad',
    'x = torch.tensor([1+2j, 3-1j, 0.5j], requires_grad=True)\n(x.imag ** 2 + x.real * x.imag).sum().backward()\nx.grad',
    'y = torch.tensor([[1., 2], [3, 4]], requires_grad=True)\nz = torch.view_as_complex(y)\n(z * torch.tensor([1j, 2])).abs().sum().backward()\ny.grad',
    'y = torch.tensor([[1., 2], [3, 4]], requires_grad=True)\nz = torch.view_as_complex(y)\n(z * z).real.sum().backward()\ny.grad',
    'y = torch.tensor([[1., 2], [3, 4]], requires_grad=True)\nz = torch.view_as_complex(y)\nz.imag.sum().backward()\ny.grad',
    'torch.view_as_real(torch.tensor([1+2j, 3-1j]))',
    'torch.view_as_real(torch.tensor(1+2j))',
    'torch.view_as_complex(torch.tensor([1., 2.]))',
    'torch.view_as_real(torch.tensor([[1+2j], [3-1j]]).T)',
    'torch.view_as_real(torch.tensor([1+2j], dtype=torch.complex128))',
]


@pytest.mark.parametrize("src", CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_snippet(src):
    check(src, tol=1e-4)


def test_vander_gradient_is_right():
    # PyTorch's own vander backward fails (it differentiates an in-place cumprod), so the
    # gradient is checked numerically here
    x = loom.tensor([0.5, -1.2, 2.0], dtype=loom.float64, requires_grad=True)
    assert loom.autograd.gradcheck(lambda t: loom.vander(t, 4), (x,))
    assert loom.autograd.gradcheck(lambda t: loom.vander(t, 3, increasing=True), (x,))


@pytest.mark.parametrize("name, call", [
    ("diff", lambda m, x: m.diff(x, n=2, dim=0)),
    ("trapezoid", lambda m, x: m.trapezoid(x, dx=0.3)),
    ("cov", lambda m, x: m.cov(x)),
    ("corrcoef", lambda m, x: m.corrcoef(x)),
    ("cdist", lambda m, x: m.cdist(x, x[:2] * 2, p=1.5)),
    ("block_diag", lambda m, x: m.block_diag(x, x[0])),
])
def test_gradgradcheck(name, call):
    x = loom.tensor([[0.5, -1.2, 2.0], [1.5, 0.1, -0.7], [0.3, 0.9, -1.1]],
                    dtype=loom.float64, requires_grad=True)
    assert loom.autograd.gradcheck(lambda t: call(loom, t), (x,))
    assert loom.autograd.gradgradcheck(lambda t: call(loom, t), (x,))


def test_cdist_gradient_where_points_coincide_is_zero():
    def grad(lib):
        a = lib.tensor([[1.0, 2.0], [0.0, 0.0]], requires_grad=True)
        lib.cdist(a, a.detach()).sum().backward()
        return a.grad.tolist()
    assert grad(loom) == grad(torch)


def test_cov_warns_without_degrees_of_freedom():
    for lib in (torch, loom):
        with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
            assert lib.cov(lib.tensor([1.0])).isnan()


def test_view_as_real_and_complex_share_memory():
    z = loom.tensor([1 + 2j, 3 - 1j])
    r = loom.view_as_real(z)
    r[0, 1] = 7.0
    assert z.tolist() == [1 + 7j, 3 - 1j]
    assert r._base is z or r.untyped_storage().data_ptr() == z.untyped_storage().data_ptr()
    f = loom.tensor([[1.0, 2.0], [3.0, 4.0]])
    c = loom.view_as_complex(f)
    c[1] = 5j
    assert f.tolist() == [[1.0, 2.0], [0.0, 5.0]]


@pytest.mark.parametrize("name", ["diff", "cov", "corrcoef", "diagflat", "signbit",
                                  "heaviside", "heaviside_"])
def test_tensor_methods_exist_as_in_torch(name):
    assert hasattr(loom.Tensor, name) == hasattr(torch.Tensor, name)


def test_node_names_of_getitem_as_printed():
    keys = [0, -1, slice(1, None), (slice(None), 0), (Ellipsis, 1), None, (None, 0), (0, 1),
            (slice(1, 2), None), Ellipsis, slice(None), (0,), (0, Ellipsis, None), [0, 1],
            (slice(None), [0, 2]), True, (slice(None), Ellipsis), (0, slice(None))]
    for k in keys:
        names = []
        for lib in (torch, loom):
            x = lib.arange(12.0).reshape(3, 4).requires_grad_()
            names.append(x[k].grad_fn.name())
        assert names[0] == names[1], (k, names)


# edge cases found by fuzzing: integer wrap-around, infinities, bool and half inputs,
# empty and 0-dim inputs, shapes that do not broadcast
EDGE_CASES = [
    "torch.vander(torch.tensor([float('inf'), 0., float('nan'), -float('inf')]), 3)",
    "torch.vander(torch.tensor([float('inf'), 0.]), 3, increasing=True)",
    'torch.trapezoid(torch.tensor([[100, 120], [127, 90]], dtype=torch.int8), torch.tensor([1, 3], dtype=torch.int8))',
    "torch.trapezoid(torch.tensor([1., float('inf'), 2.]))",
    'torch.trapezoid(torch.tensor([1., 2.]), None)',
    'torch.cumulative_trapezoid(torch.tensor([100, 120, 127], dtype=torch.int8), torch.tensor([1, 3, 9], dtype=torch.int8))',
    'torch.trapezoid(torch.tensor([0.1, 0.7, 1.3], dtype=torch.float16), dx=0.5)',
    'torch.trapezoid(torch.ones(2, 0), torch.ones(3, 4), dim=0)',
    'torch.cosine_similarity(torch.ones(2, 3) * 1j, torch.ones(2, 3))',
    'torch.cosine_similarity(torch.ones(0), torch.ones(3), 0)',
    'torch.pairwise_distance(torch.ones(2, 0), torch.ones(3, 4))',
    'torch.renorm(torch.ones(2, 0), 1., 1, 2.)',
    'torch.renorm(torch.tensor(1.), 1., 0, 2.)',
    'torch.renorm(torch.ones(3), 1., 0, 2.)',
    'torch.mvlgamma(torch.tensor([True]), 2)',
    'torch.mvlgamma(torch.tensor(2.5), 3)',
    'torch.cov(torch.tensor([True, False]))',
    'torch.cdist(torch.ones(2, 3, dtype=torch.float16), torch.ones(2, 3, dtype=torch.float16))',
    'torch.pdist(torch.ones(2, 3, dtype=torch.float16))',
    'torch.pairwise_distance(torch.ones(2, 3, dtype=torch.int32), torch.zeros(2, 3, dtype=torch.int32))',
]


@pytest.mark.parametrize("src", EDGE_CASES, ids=[f"edge{i}" for i in range(len(EDGE_CASES))])
def test_edge_snippet(src):
    check(src, tol=1e-4)
