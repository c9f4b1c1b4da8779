"""In-place operations on views of tensors in the graph, against PyTorch: the base's history
is rebased (CopySlices), the view's node regenerated, the version counter shared, and the
gradients (first and second order) are PyTorch's."""
import pytest

from oracle import LIBS, both, node_name, r


def test_in_place_on_a_slice_of_a_non_leaf():
    def scenario(lib):
        x = lib.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        y = x * 2
        v = y[:2]
        v.mul_(x[:2])
        w = lib.tensor([1.0, 10.0, 100.0, 1000.0])
        (y * w).sum().backward()
        return r(x.grad), node_name(y.grad_fn), node_name(v.grad_fn), y._version, v._version
    got, want = both(scenario)
    assert got == want


def test_in_place_saving_its_output_through_a_reshaped_view_and_using_the_view_after():
    def scenario(lib):
        x = lib.tensor([0.1, 0.2, 0.3, 0.4], requires_grad=True)
        y = x.clone()
        v = y.view(2, 2)
        v.exp_()
        loss = (y * lib.arange(4.0)).sum() + (v ** 2).sum()
        loss.backward()
        return [round(e, 4) for e in x.grad.tolist()]
    got, want = both(scenario)
    assert got == want


def test_in_place_into_a_buffer_that_does_not_require_grad():
    def scenario(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        buf = lib.zeros(2, 3)
        buf[:, 1].add_(x * x)
        (buf * lib.arange(6.0).reshape(2, 3)).sum().backward()
        return r(x.grad), buf.requires_grad, node_name(buf.grad_fn)
    got, want = both(scenario)
    assert got == want


def test_in_place_on_a_transposed_column():
    def scenario(lib):
        x = lib.arange(6.0).reshape(2, 3).requires_grad_(True)
        y = x + 0
        y.t()[1].mul_(3)
        (y ** 2).sum().backward()
        return r(x.grad)
    got, want = both(scenario)
    assert got == want


def test_second_derivatives_through_an_in_place_view_write():
    def scenario(lib):
        def f(a):
            y = a * 1
            y[1:].mul_(a[:-1])
            return (y ** 2).sum()
        a = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad(f(a), a, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), a)
        ok = lib.autograd.gradgradcheck(lambda t: (lambda y: (y[1:].mul_(t[:-1]), y)[1])(t * 1),
                                        (a,))
        return r(g), r(gg), ok
    got, want = both(scenario)
    assert got == want


@LIBS
def test_in_place_on_a_view_of_a_leaf_that_requires_grad_raises(lib):
    x = lib.ones(4, requires_grad=True)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is "
                                           "being used in an in-place operation"):
        x[:2].mul_(2)


def test_views_taken_before_a_write_to_their_base_see_the_new_history():
    def scenario(lib):
        x = lib.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        out = []
        y = x * 2
        v = y[:2]
        y.mul_(3)  # the base itself
        v.sum().backward()
        out.append((r(x.grad), node_name(v.grad_fn)))
        x.grad = None
        y = x * 2
        v1, v2 = y[:2], y[1:3]
        v1.mul_(3)  # a sibling view
        v2.sum().backward()
        out.append(r(x.grad))
        x.grad = None
        buf = lib.zeros(4)
        v = buf[1:3]
        buf.add_(x)  # a buffer without history gets some
        (v * lib.tensor([1.0, 5.0])).sum().backward()
        out.append((r(x.grad), v.requires_grad))
        return out
    got, want = both(scenario)
    assert got == want
