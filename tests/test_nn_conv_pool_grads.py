"""The backward rules of convolution and pooling against PyTorch in float64: input, weight and
bias gradients over groups, stride, dilation, padding ('same', 'valid', asymmetric), output
padding, ceil_mode, count_include_pad, divisor_override and unbatched inputs; gradients of the
gradients (create_graph); only the gradients asked for; max pooling's pick among ties and NaN."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import loom
from loom.nn import functional as F

from nn_oracle import close, to_loom

TF = torch.nn.functional
_gen = torch.Generator().manual_seed(7)


def _r(*s):
    return torch.randn(*s, dtype=torch.float64, generator=_gen)


CONV = [
    ("conv1d", (2, 4, 9), (6, 4, 3), {}),
    ("conv1d", (2, 4, 9), (6, 2, 2), {"stride": 2, "padding": 1, "groups": 2}),
    ("conv1d", (4, 8), (3, 4, 3), {"dilation": 2, "padding": "same"}),
    ("conv1d", (2, 3, 10), (4, 3, 4), {"padding": "same"}),      # asymmetric 'same'
    ("conv1d", (2, 6, 11), (6, 1, 3), {"stride": 3, "dilation": 2, "groups": 6}),
    ("conv1d", (2, 4, 7), (2, 4, 3), {"padding": "valid"}),
    ("conv2d", (2, 3, 6, 5), (4, 3, 3, 2), {}),
    ("conv2d", (1, 4, 7, 7), (4, 2, 3, 3),
     {"stride": (2, 1), "padding": 1, "dilation": (1, 2), "groups": 2}),
    ("conv2d", (3, 5, 5), (2, 3, 3, 3), {"padding": "same"}),
    ("conv2d", (2, 3, 6, 7), (4, 3, 2, 4), {"padding": "same", "dilation": (2, 1)}),
    ("conv2d", (2, 4, 9, 8), (6, 2, 3, 3), {"stride": 2, "padding": (0, 2), "groups": 2}),
    ("conv2d", (2, 3, 8, 8), (5, 3, 1, 1), {"stride": 3}),
    ("conv2d", (1, 2, 4, 4), (3, 2, 4, 4), {}),                 # one window
    ("conv_transpose1d", (2, 4, 5), (4, 3, 3), {}),
    ("conv_transpose1d", (1, 4, 5), (4, 2, 3),
     {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2}),
    ("conv_transpose1d", (2, 3), (2, 3, 3), {"stride": 2, "output_padding": 2, "dilation": 3}),
    ("conv_transpose2d", (2, 3, 4, 4), (3, 2, 3, 3), {}),
    ("conv_transpose2d", (1, 4, 3, 4), (4, 1, 2, 3),
     {"stride": (2, 1), "padding": (0, 1), "groups": 2, "dilation": (1, 2)}),
    ("conv_transpose2d", (2, 3, 3), (2, 3, 3, 3), {"stride": 2, "padding": 1,
                                                   "output_padding": 1}),
    ("conv_transpose2d", (1, 2, 4, 4), (2, 3, 3, 3), {"stride": 2, "padding": 3}),
]


@pytest.mark.parametrize("name,xs,ws,kw", CONV, ids=[f"{c[0]}-{i}" for i, c in enumerate(CONV)])
def test_conv_gradients_match_torch(name, xs, ws, kw):
    out_channels = ws[1] * kw.get("groups", 1) if "transpose" in name else ws[0]
    t_args = [_r(*xs), _r(*ws), _r(out_channels)]
    for a in t_args:
        a.requires_grad_(True)
    l_args = [to_loom(a).requires_grad_(True) for a in t_args]
    t_out, l_out = getattr(TF, name)(*t_args, **kw), getattr(F, name)(*l_args, **kw)
    close(l_out, t_out, 1e-10, 1e-12, "output")
    cot = _r(*t_out.shape)
    t_out.backward(cot)
    l_out.backward(to_loom(cot))
    for what, la, ta in zip(("input", "weight", "bias"), l_args, t_args):
        close(la.grad, ta.grad, 1e-10, 1e-12, f"grad of {what}")


@pytest.mark.parametrize("name,xs,ws,kw", [CONV[1], CONV[7], CONV[9], CONV[15], CONV[17]],
                         ids=["conv1d", "conv2d", "conv2d-same", "transpose1d", "transpose2d"])
def test_conv_gradient_of_gradient_matches_torch(name, xs, ws, kw):
    """A penalty on the input gradient differentiated again (create_graph), in x, w and the
    incoming gradient."""
    def run(lib, f, x, w):
        x, w = x.requires_grad_(True), w.requires_grad_(True)
        y = f(x, w, **kw)
        v = (y.detach() * 0 + 1).requires_grad_(True)
        gx, gw = lib.autograd.grad((y * y * v).sum(), (x, w), create_graph=True)
        return lib.autograd.grad((gx * gx).sum() + (gw ** 3).sum(), (x, w, v))
    x, w = _r(*xs), _r(*ws)
    want = run(torch, getattr(TF, name), x.clone(), w.clone())
    got = run(loom, getattr(F, name), to_loom(x), to_loom(w))
    for what, a, b in zip(("x", "w", "v"), got, want):
        close(a, b, 1e-9, 1e-10, f"second-order gradient in {what}")


def test_conv_computes_only_the_gradients_asked_for():
    tx, tw = _r(2, 3, 6, 6), _r(4, 3, 3, 3)
    x, w = to_loom(tx), to_loom(tw).requires_grad_(True)
    F.conv2d(x, w, padding=1).sum().backward()
    tw.requires_grad_(True)
    TF.conv2d(tx, tw, padding=1).sum().backward()
    assert x.grad is None
    close(w.grad, tw.grad, 1e-10, 1e-12, "grad of weight")
    x.requires_grad_(True)
    (gx,) = loom.autograd.grad(F.conv2d(x, to_loom(tw)).sum(), (x,))
    (tgx,) = torch.autograd.grad(TF.conv2d(tx.requires_grad_(True), tw.detach()).sum(), (tx,))
    close(gx, tgx, 1e-10, 1e-12, "grad of input")


POOL = [
    ("max_pool1d", (2, 3, 7), (2,), {}),
    ("max_pool1d", (3, 8), (3, 2, 1), {"ceil_mode": True}),
    ("max_pool1d", (1, 2, 9), (3,), {"dilation": 2, "padding": 1}),
    ("max_pool2d", (2, 3, 6, 5), (2,), {}),
    ("max_pool2d", (3, 7, 7), (3, 2, 1), {"ceil_mode": True}),
    ("max_pool2d", (1, 2, 7, 6), ((3, 2), (1, 2), (1, 0), (2, 1)), {}),
    ("max_pool2d", (2, 2, 8, 8), (3, 2, 1), {}),               # overlapping windows
    ("avg_pool1d", (2, 3, 7), (2,), {}),
    ("avg_pool1d", (3, 8), (3, 2, 1), {"ceil_mode": True}),
    ("avg_pool1d", (1, 2, 9), (3, 2, 1), {"count_include_pad": False, "ceil_mode": True}),
    ("avg_pool2d", (2, 3, 6, 5), (2,), {}),
    ("avg_pool2d", (3, 7, 7), (3, 2, 1), {"ceil_mode": True}),
    ("avg_pool2d", (1, 2, 7, 6), ((3, 2), (1, 2), (1, 0)), {"count_include_pad": False}),
    ("avg_pool2d", (1, 2, 4, 4), (2,), {"divisor_override": 3}),
    ("avg_pool2d", (2, 2, 8, 7), (3, 2, 1), {"ceil_mode": True, "count_include_pad": False}),
    ("adaptive_avg_pool2d", (2, 3, 7, 5), ((3, 2),), {}),
    ("adaptive_avg_pool2d", (3, 6, 6), (4,), {}),
    ("adaptive_avg_pool2d", (1, 2, 5, 4), ((5, 4),), {}),
    ("adaptive_avg_pool2d", (1, 2, 5, 9), ((None, 4),), {}),
]


@pytest.mark.parametrize("name,xs,args,kw", POOL, ids=[f"{c[0]}-{i}" for i, c in enumerate(POOL)])
def test_pool_gradients_match_torch(name, xs, args, kw):
    tx = _r(*xs).requires_grad_(True)
    lx = to_loom(tx).requires_grad_(True)
    t_out, l_out = getattr(TF, name)(tx, *args, **kw), getattr(F, name)(lx, *args, **kw)
    close(l_out, t_out, 1e-12, 1e-12, "output")
    cot = _r(*t_out.shape)
    t_out.backward(cot)
    l_out.backward(to_loom(cot))
    close(lx.grad, tx.grad, 1e-12, 1e-12, "grad of input")


@pytest.mark.parametrize("name,xs,args,kw", [POOL[4], POOL[9], POOL[13], POOL[15]],
                         ids=["max", "avg", "avg-divisor", "adaptive"])
def test_pool_gradient_of_gradient_matches_torch(name, xs, args, kw):
    """The input gradient's own gradient: in the incoming gradient a scatter, in the input zeros
    (PyTorch's pooling backward takes the input, so no unused-input error)."""
    def run(lib, f, x):
        x = x.requires_grad_(True)
        y = f(x, *args, **kw)
        v = (y.detach() * 0 + 1).requires_grad_(True)
        (gx,) = lib.autograd.grad((y * v).sum(), (x,), create_graph=True)
        return lib.autograd.grad((gx * gx * 3).sum(), (x, v))
    x = _r(*xs)
    want, got = run(torch, getattr(TF, name), x.clone()), run(loom, getattr(F, name), to_loom(x))
    for what, a, b in zip(("x", "v"), got, want):
        close(a, b, 1e-12, 1e-12, f"second-order gradient in {what}")


def test_max_pool_picks_the_first_maximum_and_the_last_nan_as_torch():
    x = torch.tensor([[[np.nan, 1.0, np.nan, 2.0, 3, 3, 1, 3, 5, 5, -np.inf, -np.inf]]],
                     dtype=torch.float64)
    for kw in ({"kernel_size": 4, "stride": 3}, {"kernel_size": 2, "padding": 1}):
        tx, lx = x.clone().requires_grad_(True), to_loom(x).requires_grad_(True)
        t_out, t_idx = TF.max_pool1d(tx, return_indices=True, **kw)
        l_out, l_idx = F.max_pool1d(lx, return_indices=True, **kw)
        assert l_idx.tolist() == t_idx.tolist()
        close(l_out, t_out, what="values")
        t_out.backward(torch.ones_like(t_out))
        l_out.backward(loom.ones_like(l_out))
        close(lx.grad, tx.grad, what="grad of input")


def test_transposed_conv_padding_beyond_the_kernel_matches_torch():
    x, w = _r(1, 2, 5, 5), _r(2, 3, 3, 3)
    close(F.conv_transpose2d(to_loom(x), to_loom(w), stride=2, padding=4),
          TF.conv_transpose2d(x, w, stride=2, padding=4), 1e-10, 1e-12, "output")
    with pytest.raises(RuntimeError, match="Output size is too small"):
        F.conv_transpose2d(loom.ones(1, 2, 2, 2), loom.ones(2, 3, 3, 3), padding=3)


@pytest.mark.parametrize("kw", [{"kernel_size": 3, "stride": 2, "padding": 1},
                                {"kernel_size": 3, "stride": 2, "padding": 1, "dilation": 2},
                                {"kernel_size": 2, "stride": 2, "ceil_mode": True}])
def test_max_pool_windows_of_minus_inf_name_their_first_inner_position_as_torch(kw):
    x = torch.full((1, 1, 5, 5), -np.inf, dtype=torch.float64)
    x[0, 0, 2, 2] = 1.0
    t_out, t_idx = TF.max_pool2d(x, return_indices=True, **kw)
    l_out, l_idx = F.max_pool2d(to_loom(x), return_indices=True, **kw)
    assert l_idx.tolist() == t_idx.tolist()
    close(l_out, t_out, what="values")


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8"])
def test_max_pool_of_integers_with_padding_matches_torch(dtype):
    x = torch.arange(16).reshape(1, 1, 4, 4) - (0 if dtype == "uint8" else 8)
    t_out, t_idx = TF.max_pool2d(x.to(getattr(torch, dtype)), 3, 2, 1, return_indices=True)
    l_out, l_idx = F.max_pool2d(to_loom(x).to(getattr(loom, dtype)), 3, 2, 1, return_indices=True)
    assert l_out.tolist() == t_out.tolist() and l_idx.tolist() == t_idx.tolist()
