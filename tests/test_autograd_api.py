"""Differential tests of loom's autograd against PyTorch (the oracle): Variable, custom
Functions, deep graphs, higher-order gradients, hooks and leaf gradient buffers."""
import warnings

import pytest

import loom
from oracle import LIBS, both, close as _close, node_name, r, structure, torch

# ---------------------------------------------------------------------------- Variable

def test_variable_returns_tensor():
    def scenario(lib):
        t = lib.tensor([1.0, 2.0])
        v = lib.autograd.Variable(t, requires_grad=True)
        w = lib.autograd.Variable(t)
        return (type(v) is lib.Tensor, isinstance(v, lib.Tensor), v.requires_grad, v.is_leaf,
                v.data_ptr() == t.data_ptr(), t.requires_grad, w.requires_grad, r(v))
    got, want = both(scenario)
    assert want[:7] == (True, True, True, True, True, False, False)
    assert got == want


def test_variable_volatile_warns():
    def scenario(lib):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            v = lib.autograd.Variable(lib.tensor([1.0]), volatile=True)
        return [(c.category.__name__, "volatile" in str(c.message)) for c in w], \
            type(v) is lib.Tensor
    got, want = both(scenario)
    assert want == ([("UserWarning", True)], True)
    assert got == want


# ---------------------------------------------------------------------------- Function

def _make_functions(lib):
    class MyExp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y

    class ScaledMul(lib.autograd.Function):
        seen = []

        @staticmethod
        def forward(ctx, a, b, k):
            ctx.save_for_backward(a, b)
            ctx.k = k
            ScaledMul.seen.append(("forward", tuple(ctx.needs_input_grad),
                                   lib.is_grad_enabled()))
            return a * b * k

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            ScaledMul.seen.append(("backward", tuple(ctx.needs_input_grad)))
            ga = g * b * ctx.k if ctx.needs_input_grad[0] else None
            gb = g * a * ctx.k if ctx.needs_input_grad[1] else None
            return ga, gb, None

    return MyExp, ScaledMul


def test_custom_function():
    def scenario(lib):
        MyExp, ScaledMul = _make_functions(lib)
        x = lib.tensor([0.0, 1.0], requires_grad=True)
        y = MyExp.apply(x)
        out = [node_name(y.grad_fn), y.grad_fn.name(), y.requires_grad, y.is_leaf,
               structure(y.grad_fn)]
        y.sum().backward()
        out.append(r(x.grad))
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = lib.tensor([3.0, 4.0])
        z = ScaledMul.apply(a, b, 2.0)
        out.append(r(z))
        z.sum().backward()
        out += [r(a.grad), b.grad, ScaledMul.seen]
        with lib.no_grad():
            out.append(MyExp.apply(x).requires_grad)
        out.append(MyExp.apply(lib.tensor([0.0])).requires_grad)
        return out
    got, want = both(scenario)
    assert want[:2] == ["MyExpBackward", "MyExpBackward"]
    assert want[5] == "tensor([1.0000, 2.7183])"
    assert want[6] == "tensor([ 6., 16.], grad_fn=<ScaledMulBackward>)"
    assert want[9] == [("forward", (True, False, False), False),
                       ("backward", (True, False, False))]
    assert got == want


@LIBS
def test_custom_function_saved_tensors_freed_after_backward(lib):
    MyExp, _ = _make_functions(lib)
    x = lib.tensor([0.0, 1.0], requires_grad=True)
    y = MyExp.apply(x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


# ---------------------------------------------------------------------------- deep graphs
# Only loom runs the long chains (torch needs no checking and the module must stay fast); the
# expected values come from torch without the chain.

def test_chain_of_100000_ops_backpropagates():
    x = loom.tensor([1.0, 2.0], dtype=loom.float64, requires_grad=True)
    k = loom.tensor(1.00001, dtype=loom.float64)
    y = x
    for _ in range(50_000):  # 100,000 graph nodes: a tensor product and a scalar add each
        y = y * k
        y = y + 0
    y.sum().backward()
    want = (torch.tensor(1.00001, dtype=torch.float64) ** 50_000).item()
    assert _close(x.grad.tolist(), [want, want], rtol=1e-9)
    del y  # freeing the chain must not recurse either


# ---------------------------------------------------------------------------- higher order

def test_second_derivative_with_create_graph():
    def scenario(lib):
        x = lib.tensor([1.0, 2.0, -3.0], dtype=lib.float64, requires_grad=True)
        y = (x ** 3).sum()
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        out = [r(g), g.requires_grad]
        (g2,) = lib.autograd.grad(g.sum(), x, create_graph=True)
        out += [r(g2)]
        (g3,) = lib.autograd.grad(g2.sum(), x)
        out += [r(g3), x.grad]
        return out
    got, want = both(scenario)
    assert want[2] == "tensor([  6.,  12., -18.], dtype=torch.float64, grad_fn=<MulBackward0>)"
    assert want[3] == "tensor([6., 6., 6.], dtype=torch.float64)"
    assert got == want


def test_second_derivative_scalar_x_cubed():
    def scenario(lib):
        x = lib.tensor(2.0, requires_grad=True)
        y = x ** 3
        (dy,) = lib.autograd.grad(y, x, create_graph=True)
        (d2y,) = lib.autograd.grad(dy, x)
        return dy.item(), d2y.item(), d2y.requires_grad
    got, want = both(scenario)
    assert want == (12.0, 12.0, False)
    assert got == want


def test_backward_with_create_graph_then_grad_of_grad():
    def scenario(lib):
        x = lib.tensor([0.5, 1.5], requires_grad=True)
        y = (x * x * x).sum()
        y.backward(create_graph=True)
        gx = x.grad
        out = [gx.requires_grad, r(gx.detach())]
        (h,) = lib.autograd.grad(gx.sum(), x)
        out.append(r(h))
        return out
    got, want = both(scenario)
    assert want == [True, "tensor([0.7500, 6.7500])", "tensor([3., 9.])"]
    assert got == want


def test_autograd_grad_does_not_touch_dot_grad():
    def scenario(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        w = lib.tensor([3.0, 4.0], requires_grad=True)
        (gx, gw) = lib.autograd.grad((x * w).sum(), [x, w])
        return r(gx), r(gw), x.grad, w.grad
    got, want = both(scenario)
    assert want == ("tensor([3., 4.])", "tensor([1., 2.])", None, None)
    assert got == want


@LIBS
def test_autograd_grad_unused_input_raises(lib):
    x = lib.tensor([1.0], requires_grad=True)
    u = lib.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        lib.autograd.grad((x * x).sum(), [x, u])


# ---------------------------------------------------------------------------- hooks

def test_register_hook_on_leaf_and_non_leaf():
    def scenario(lib):
        seen = []
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        hx = x.register_hook(lambda g: g * 10)
        y = x * x
        y.register_hook(lambda g: seen.append(r(g)))
        y.register_hook(lambda g: g + 1)
        y.sum().backward()
        out = [r(x.grad), seen]
        hx.remove()
        x.grad = None
        (x * x).sum().backward()
        out.append(r(x.grad))
        return out
    got, want = both(scenario)
    assert want == ["tensor([40., 80.])", ["tensor([1., 1.])"], "tensor([2., 4.])"]
    assert got == want


@LIBS
def test_register_hook_on_tensor_without_grad_raises(lib):
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        lib.tensor([1.0]).register_hook(lambda g: g)


def test_retain_grad():
    def scenario(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * x
        y.retain_grad()
        z = y * 3.0
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            z.sum().backward(retain_graph=True)
            gy = r(y.grad)
            z2 = (y * y).sum()
            z2.backward()
            gy2 = r(y.grad)
        return [y.retains_grad, x.retains_grad, gy, gy2, r(x.grad), len(w)]
    got, want = both(scenario)
    assert want == [True, False, "tensor([3., 3.])", "tensor([ 5., 11.])",
                    "tensor([10., 44.])", 0]
    assert got == want


def test_leaf_grads_never_share_memory():
    # The engine reuses a temporary gradient array as a leaf's .grad when nothing else refers
    # to it; an array handed to two inputs (add passes one array to both) must be copied.
    x = loom.ones(3, requires_grad=True)
    y = loom.ones(3, requires_grad=True)
    g = loom.full((3,), 2.0)
    (x + y).backward(g)
    x.grad.add_(1)
    assert y.grad.tolist() == [2.0, 2.0, 2.0]
    assert g.tolist() == [2.0, 2.0, 2.0]
    a = loom.ones(3, requires_grad=True)
    b = loom.ones(3, requires_grad=True)
    (a * b).sum().backward()
    a.grad.mul_(5)
    assert b.grad.tolist() == [1.0, 1.0, 1.0]
    assert x.grad.untyped_storage().data_ptr() != y.grad.untyped_storage().data_ptr()


def test_complex_gradients_follow_pytorch_convention():
    # grad = g * conj(f'(z)): derived by the engine from the real rules of holomorphic ops
    import numpy as np
    z0 = np.array([1 + 2j, -0.5 + 0.3j])
    w0 = np.array([0.3 - 1j, 2 + 0.5j])
    m0 = np.array([[1 + 1j, 2 - 1j], [0.5j, 1]])

    def scenario(lib):
        z, w, m = (lib.tensor(a, requires_grad=True) for a in (z0, w0, m0))
        out = ((z * w).exp() / (w + 1) + (m @ z) ** 2 - z.log() * 1j).sum()
        out.backward(lib.tensor(1 + 0.5j, dtype=lib.complex128))
        x = lib.tensor(z0, requires_grad=True)
        x.abs().sum().backward()  # real output: a real incoming gradient
        return [t.grad.tolist() for t in (z, w, m, x)]
    got, want = both(scenario)
    for g, w in zip(got, want):
        np.testing.assert_allclose(np.array(g), np.array(w), rtol=1e-12)


def test_complex_gradient_through_non_holomorphic_op_raises():
    x = loom.tensor([1 + 2j, 3 - 1j], requires_grad=True)
    y = (x.sgn() * x).sum()
    with pytest.raises(NotImplementedError, match="SgnBackward0.*complex.*'sgn'"):
        y.backward(loom.tensor(1 + 0j, dtype=loom.complex128))
