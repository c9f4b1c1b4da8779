"""loom.nn.functional against torch.nn.functional: activations, normalisation, convolution and
pooling with bias and keyword forms, padding, one_hot, attention; values and gradients."""
from __future__ import annotations

import pytest
import torch

import loom
from loom.nn import functional as F

from nn_oracle import close, to_loom

TF = torch.nn.functional
g = torch.Generator().manual_seed(1)


def _r(*s):
    return torch.randn(*s, dtype=torch.float64, generator=g)


CASES = [
    ("relu", lambda: (_r(3, 4),), {}),
    ("leaky_relu", lambda: (_r(3, 4),), {"negative_slope": 0.3}),
    ("gelu", lambda: (_r(3, 4),), {}),
    ("gelu", lambda: (_r(3, 4),), {"approximate": "tanh"}),
    ("silu", lambda: (_r(3, 4),), {}),
    ("mish", lambda: (_r(3, 4),), {}),
    ("elu", lambda: (_r(3, 4),), {"alpha": 0.5}),
    ("softplus", lambda: (_r(3, 4) * 10,), {"beta": 2, "threshold": 5}),
    ("softsign", lambda: (_r(3, 4),), {}),
    ("hardtanh", lambda: (_r(3, 4),), {}),
    ("relu6", lambda: (_r(3, 4) * 4,), {}),
    ("softmax", lambda: (_r(3, 4),), {"dim": 0}),
    ("log_softmax", lambda: (_r(2, 3, 4),), {"dim": -1}),
    ("linear", lambda: (_r(5, 3), _r(4, 3), _r(4)), {}),
    ("linear", lambda: (_r(5, 3), _r(4, 3)), {}),
    ("linear", lambda: (_r(3), _r(4, 3), _r(4)), {}),
    ("linear", lambda: (_r(2, 5, 3), _r(4, 3), _r(4)), {}),
    ("linear", lambda: (_r(2, 5, 3), _r(4, 3)), {}),
    ("linear", lambda: (_r(5, 3), _r(4, 3), _r(5, 4)), {}),
    ("linear", lambda: (_r(5, 3), _r(4, 3), _r(1, 4)), {}),
    ("linear", lambda: (_r(5, 3), _r(4, 3), _r(1)[0]), {}),
    ("linear", lambda: (_r(5, 3), _r(3)), {}),
    ("bilinear", lambda: (_r(5, 3), _r(5, 2), _r(4, 3, 2), _r(4)), {}),
    ("layer_norm", lambda: (_r(2, 3, 4), (3, 4), _r(3, 4), _r(3, 4)), {}),
    ("group_norm", lambda: (_r(2, 6, 5), 3, _r(6), _r(6)), {}),
    ("batch_norm", lambda: (_r(4, 3, 2), torch.zeros(3, dtype=torch.float64),
                            torch.ones(3, dtype=torch.float64), _r(3), _r(3)),
     {"training": True}),
    ("conv1d", lambda: (_r(2, 4, 9), _r(6, 2, 3), _r(6)), {"stride": 2, "groups": 2}),
    ("conv2d", lambda: (_r(2, 3, 6, 6), _r(4, 3, 3, 3), _r(4)), {"padding": 1}),
    ("conv_transpose2d", lambda: (_r(1, 2, 4, 4), _r(2, 3, 3, 3), _r(3)), {"stride": 2}),
    ("max_pool2d", lambda: (_r(2, 3, 6, 6), 2), {}),
    ("avg_pool2d", lambda: (_r(2, 3, 6, 6), 3), {"stride": 2, "padding": 1}),
    ("adaptive_avg_pool2d", lambda: (_r(2, 3, 7, 6), (2, 3)), {}),
    ("pad", lambda: (_r(2, 3, 4), (1, 2, 0, 1)), {"value": 0.5}),
    ("pad", lambda: (_r(2, 5), (-1, 2)), {}),
    ("normalize", lambda: (_r(3, 4),), {"dim": 1}),
    ("scaled_dot_product_attention", lambda: (_r(2, 4, 3), _r(2, 5, 3), _r(2, 5, 3)), {}),
    ("scaled_dot_product_attention", lambda: (_r(2, 4, 3), _r(2, 4, 3), _r(2, 4, 3)),
     {"is_causal": True}),
]


@pytest.mark.parametrize("name,make,kw", CASES, ids=[f"{c[0]}-{i}" for i, c in
                                                     enumerate(CASES)])
def test_functional_matches_torch(name, make, kw):
    args = make()
    t_args = [a.clone().requires_grad_(True) if isinstance(a, torch.Tensor) and
              a.is_floating_point() else a for a in args]
    if name == "batch_norm":
        t_args = [args[0].clone().requires_grad_(True), args[1].clone(), args[2].clone(),
                  args[3].clone().requires_grad_(True), args[4].clone().requires_grad_(True)]
    l_args = [to_loom(a).requires_grad_(a.requires_grad) if isinstance(a, torch.Tensor) else a
              for a in t_args]
    t_out = getattr(TF, name)(*t_args, **kw)
    l_out = getattr(F, name)(*l_args, **kw)
    close(l_out, t_out, 1e-6, 1e-8, "output")
    cot = torch.randn(t_out.shape, dtype=t_out.dtype, generator=g)
    t_out.backward(cot)
    l_out.backward(to_loom(cot))
    for i, (ta, la) in enumerate(zip(t_args, l_args)):
        if isinstance(ta, torch.Tensor) and ta.requires_grad:
            close(la.grad, ta.grad, 1e-6, 1e-8, f"grad of argument {i}")
    if name == "batch_norm":
        close(l_args[1], t_args[1], what="running_mean")
        close(l_args[2], t_args[2], what="running_var")


def test_max_pool_indices_match_torch():
    x = _r(2, 3, 7, 7)
    t_out, t_idx = TF.max_pool2d(x, 3, 2, 1, return_indices=True)
    l_out, l_idx = F.max_pool2d(to_loom(x), 3, 2, 1, return_indices=True)
    close(l_out, t_out)
    close(l_idx, t_idx)
    t_out, t_idx = TF.max_pool1d(x[0], 2, return_indices=True)
    l_out, l_idx = F.max_pool1d(to_loom(x[0]), 2, return_indices=True)
    close(l_idx, t_idx)


def test_one_hot_and_embedding_match_torch():
    idx = torch.tensor([[0, 3], [2, 1]])
    close(F.one_hot(to_loom(idx), 5), TF.one_hot(idx, 5))
    close(F.one_hot(to_loom(idx)), TF.one_hot(idx))
    w = _r(4, 3)
    close(F.embedding(to_loom(idx), to_loom(w)), TF.embedding(idx, w))
    with pytest.raises(IndexError, match="index out of range in self"):
        F.embedding(loom.tensor([5]), to_loom(w))


def test_softmax_without_dim_picks_torch_dim():
    x = _r(2, 3)
    with pytest.warns(UserWarning):
        expect = TF.softmax(x)
    close(F.softmax(to_loom(x)), expect)


@pytest.mark.parametrize("call,error,match", [
    (lambda F, T: F.conv2d(T.ones(1, 3, 5, 5), T.ones(2, 2, 3, 3)), RuntimeError,
     "expected input\\[1, 3, 5, 5\\] to have 2 channels, but got 3 channels instead"),
    (lambda F, T: F.conv2d(T.ones(1, 1, 2, 2), T.ones(1, 1, 3, 3)), RuntimeError,
     "Kernel size can't be greater than actual input size"),
    (lambda F, T: F.max_pool2d(T.ones(1, 1, 4, 4), 2, padding=2), RuntimeError,
     "pad should be at most half of effective kernel size"),
    (lambda F, T: F.dropout(T.ones(2), 1.5), ValueError,
     "dropout probability has to be between 0 and 1, but got 1.5"),
    (lambda F, T: F.layer_norm(T.ones(2, 3), (4,)), RuntimeError,
     r"Given normalized_shape=\[4\], expected input with shape \[\*, 4\]"),
    (lambda F, T: F.linear(T.ones(2, 3), T.ones(4, 2)), RuntimeError,
     r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 2x4\)"),
    (lambda F, T: F.linear(T.ones(2, 2, 5), T.ones(4, 3), T.ones(4)), RuntimeError,
     r"mat1 and mat2 shapes cannot be multiplied \(4x5 and 3x4\)"),
    (lambda F, T: F.linear(T.ones(2, 2, 3), T.ones(4, 3), T.ones(3)), RuntimeError,
     r"The expanded size of the tensor \(4\) must match the existing size \(3\) at "
     r"non-singleton dimension 1.  Target sizes: \[4, 4\].  Tensor sizes: \[3\]"),
    (lambda F, T: F.linear(T.ones(2, 3, dtype=T.float64), T.ones(4, 3)), RuntimeError,
     "expected m1 and m2 to have the same dtype, but got: double != float"),
    (lambda F, T: F.linear(T.ones(2, 3, dtype=T.float64), T.ones(4, 3), T.ones(4)),
     RuntimeError, "mat1 and mat2 must have the same dtype, but got Double and Float"),
    (lambda F, T: F.linear(T.ones(2, 3), T.ones(4, 3), T.ones(4, dtype=T.float64)),
     RuntimeError, "self and mat2 must have the same dtype, but got Double and Float"),
    (lambda F, T: F.linear(T.ones(2, 3, dtype=T.float64), T.ones(4, 3, dtype=T.float64),
                           T.ones(2, 1, 4, dtype=T.float64)), RuntimeError,
     r"expand\(torch.DoubleTensor\{\[2, 1, 4\]\}, size=\[2, 4\]\): the number of sizes "
     r"provided \(2\) must be greater or equal to the number of dimensions in the tensor \(3\)"),
    (lambda F, T: F.linear(T.ones(()), T.ones(4, 3)), RuntimeError,
     "both arguments to linear need to be at least 1D, but they are 0D and 2D"),
    (lambda F, T: F.linear(T.ones(2, 3), T.ones(2, 4, 3)), RuntimeError,
     "t\\(\\) expects a tensor with <= 2 dimensions, but self is 3D"),
    (lambda F, T: F.linear(T.ones(2, 3, dtype=T.bool), T.ones(4, 3, dtype=T.bool)),
     NotImplementedError, "\"addmm_impl_cpu_\" not implemented for 'Bool'"),
    (lambda F, T: F.group_norm(T.ones(2, 3, 4), 2), RuntimeError,
     "Expected number of channels in input to be divisible by num_groups"),
])
def test_functional_errors_match_torch(call, error, match):
    with pytest.raises(error, match=match):
        call(TF, torch)
    with pytest.raises(error, match=match):
        call(F, loom)


@pytest.mark.parametrize("x_shape,bias", [((5, 3), True), ((5, 3), False), ((2, 5, 3), True)])
def test_linear_is_one_node_and_its_weight_grad_is_the_parameters_layout(x_shape, bias):
    """F.linear records one node (PyTorch's AddmmBackward0 / MmBackward0 for a 2-D input) and
    the weight's gradient arrives contiguous, as PyTorch's."""
    x, w, b = _r(*x_shape), _r(4, 3).requires_grad_(), _r(4).requires_grad_()
    lw, lb = to_loom(w).requires_grad_(), to_loom(b).requires_grad_()
    ty = TF.linear(x, w, b if bias else None)
    ly = F.linear(to_loom(x), lw, lb if bias else None)
    if len(x_shape) == 2:
        assert ly.grad_fn.name() == ty.grad_fn.name()
        # PyTorch's order of the node's inputs: addmm(bias, input, weight.t()), mm(input, ...)
        assert len(ly.grad_fn.next_functions) == len(ty.grad_fn.next_functions)
        if bias:
            assert ty.grad_fn.next_functions[0][0].variable is b
            assert ly.grad_fn.next_functions[0][0].variable is lb
    assert ly.grad_fn.next_functions[-1][0].variable is lw
    ly.sum().backward()
    assert lw.grad.is_contiguous() and lw.grad.stride() == lw.stride()
