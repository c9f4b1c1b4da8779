"""The nodes that published scripts print or walk (``print(t)``'s grad_fn, the "Neural
Networks" tutorial's ``loss.grad_fn.next_functions[0][0]``), named and ordered as PyTorch's."""
from __future__ import annotations

import pytest
import torch

import loom

from nn_oracle import copy_weights, to_loom


def _pair(*shape):
    t = torch.randn(*shape, generator=torch.Generator().manual_seed(0)).requires_grad_()
    return t, to_loom(t).requires_grad_()


@pytest.mark.parametrize("key", [
    0, (0, 1), (slice(None), 0), (slice(1, None),), (None,), (0, None), (None, 0),
    (slice(1, None), 0), (0, slice(1, None)), (Ellipsis,), (slice(None),), (Ellipsis, None),
    (slice(0, None, 2),), (0, Ellipsis), (Ellipsis, 0), [0, 1], (True,), "mask", "tensor0",
])
def test_getitem_node_is_the_last_view_step(key):
    tx, lx = _pair(4, 5)
    tk, lk = key, key
    if key == "mask":
        tk, lk = tx > 0, lx > 0
    elif key == "tensor0":
        tk, lk = torch.tensor(1), loom.tensor(1)
    assert lx[lk].grad_fn.name() == tx[tk].grad_fn.name()
    assert repr(lx[lk].grad_fn).split(" object")[0] == repr(tx[tk].grad_fn).split(" object")[0]


@pytest.mark.parametrize("kw", [{}, {"reduction": "none"}, {"reduction": "sum"},
                                {"label_smoothing": 0.1}, {"ignore_index": 1}])
def test_cross_entropy_node(kw):
    tx, lx = _pair(4, 5)
    y = torch.tensor([1, 2, 3, 0])
    t = torch.nn.functional.cross_entropy(tx, y, **kw)
    lo = loom.nn.functional.cross_entropy(lx, to_loom(y), **kw)
    assert lo.grad_fn.name() == t.grad_fn.name()
    assert loom.nn.functional.nll_loss(lx, to_loom(y)).grad_fn.name() == "NllLossBackward0"


def _names(node):
    return [None if f is None else f.name() for f, _ in node.next_functions]


def test_lenet_graph_walk_as_the_tutorial_prints_it():
    """loss.grad_fn -> MseLossBackward0, .next_functions[0][0] -> AddmmBackward0 (the last
    Linear), whose first input is its bias (AccumulateGrad)."""
    tm = torch.nn.Sequential(torch.nn.Linear(6, 4), torch.nn.ReLU(), torch.nn.Linear(4, 3))
    lm = loom.nn.Sequential(loom.nn.Linear(6, 4), loom.nn.ReLU(), loom.nn.Linear(4, 3))
    copy_weights(tm, lm)
    x = torch.randn(2, 6)
    target = torch.randn(2, 3)
    tl = torch.nn.MSELoss()(tm(x), target)
    ll = loom.nn.MSELoss()(lm(to_loom(x)), to_loom(target))
    for t, lo in ((tl.grad_fn, ll.grad_fn),
                  (tl.grad_fn.next_functions[0][0], ll.grad_fn.next_functions[0][0]),
                  (tl.grad_fn.next_functions[0][0].next_functions[0][0],
                   ll.grad_fn.next_functions[0][0].next_functions[0][0])):
        assert lo.name() == t.name()
    addmm_t, addmm_l = tl.grad_fn.next_functions[0][0], ll.grad_fn.next_functions[0][0]
    assert _names(addmm_l)[:2] == _names(addmm_t)[:2]  # bias, input (weight: TBackward0 there)
    assert addmm_l.next_functions[0][0].variable is lm[2].bias
    assert addmm_l.next_functions[2][0].variable is lm[2].weight
    ll.backward()
    tl.backward()
    for (n, tp), lp in zip(tm.named_parameters(), lm.parameters()):
        assert torch.allclose(torch.from_numpy(lp.grad.numpy()), tp.grad, atol=1e-6), n


@pytest.mark.parametrize("fn,wshape,bias,kw", [
    ("conv2d", (3, 2, 3, 3), True, {}), ("conv2d", (3, 2, 3, 3), False, dict(padding=1)),
    ("conv1d", (3, 2, 2), True, dict(stride=2)),
    ("conv_transpose2d", (2, 3, 3, 3), True, dict(stride=2)),
    ("conv_transpose1d", (2, 4, 3), True, {}),
])
def test_convolution_is_one_node_with_its_bias_as_pytorch(fn, wshape, bias, kw):
    """``print(conv(x))`` shows grad_fn=<ConvolutionBackward0>; the node's inputs are
    (input, weight, bias); ``torch.conv2d(x, w, b)`` takes the bias positionally."""
    k = len(wshape) - 2
    tx, lx = _pair(*((2, 2) + (6,) * k))
    tw, lw = _pair(*wshape)
    out = wshape[1] if "transpose" in fn else wshape[0]
    tb, lb = _pair(out) if bias else (None, None)
    t = getattr(torch, fn)(tx, tw, tb, **kw)
    lo = getattr(loom, fn)(lx, lw, lb, **kw)
    assert lo.grad_fn.name() == t.grad_fn.name() == "ConvolutionBackward0"
    # (without a bias PyTorch lists a third, None, input; loom's node has two)
    assert _names(lo.grad_fn) == _names(t.grad_fn)[:3 if bias else 2]
    assert repr(lo).endswith("grad_fn=<ConvolutionBackward0>)")
    g = torch.randn(t.shape, generator=torch.Generator().manual_seed(1))
    t.backward(g)
    lo.backward(to_loom(g))
    for a, b_ in ((lx, tx), (lw, tw)) + (((lb, tb),) if bias else ()):
        assert torch.allclose(torch.from_numpy(a.grad.numpy()), b_.grad, atol=1e-5), fn
    nn_t = getattr(torch.nn.functional, fn)(tx, tw, tb, **kw)
    nn_l = getattr(loom.nn.functional, fn)(lx, lw, lb, **kw)
    assert torch.allclose(torch.from_numpy(nn_l.detach().numpy()), nn_t.detach(), atol=1e-5)


def test_convolution_argument_errors_match_torch():
    for lib in (torch, loom):
        x, w = lib.ones(1, 2, 5, 5), lib.ones(3, 2, 3, 3)
        with pytest.raises(RuntimeError, match=r"Given weight of size \[3, 2, 3, 3\], expected "
                                               r"bias to be 1-dimensional with 3 elements, but "
                                               r"got bias of size \[4\] instead"):
            lib.conv2d(x, w, lib.ones(4))
        with pytest.raises(RuntimeError, match=r"Input type \(float\) and bias type \(double\) "
                                               r"should be the same"):
            lib.conv2d(x, w, lib.ones(3, dtype=lib.float64))
        with pytest.raises(TypeError):
            lib.conv2d(x, None)
        with pytest.raises(TypeError):
            lib.nn.functional.conv2d(x, w, "b")


def test_composed_losses_and_dropout_name_their_last_node_as_torch():
    """PyTorch composes l1_loss, kl_div and dropout of other operators; printing their result
    shows the last one (MeanBackward0, DivBackward0, MulBackward0); kl_div's 'mean' warns."""
    import warnings
    for lib in (torch, loom):
        F = lib.nn.functional
        x = lib.randn(4, 3, requires_grad=True)
        y = lib.rand(4, 3)
        names = [F.l1_loss(x, y, reduction=r).grad_fn.name() for r in ("mean", "sum", "none")]
        names += [F.kl_div(x, y, reduction=r).grad_fn.name() for r in ("sum", "none",
                                                                         "batchmean")]
        names += [F.kl_div(x, y, reduction="none", log_target=True).grad_fn.name(),
                  F.dropout(x, 0.3).grad_fn.name()]
        assert names == ["MeanBackward0", "SumBackward0", "AbsBackward0", "SumBackward0",
                         "SubBackward0", "DivBackward0", "MulBackward0", "MulBackward0"], lib
        with pytest.warns(UserWarning, match="reduction: 'mean' divides the total loss by both"):
            assert F.kl_div(x, y).grad_fn.name() == "MeanBackward0"
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            F.kl_div(x, y, reduction="batchmean")


def test_dropout_draws_and_scales_as_torch():
    x = torch.randn(50, 8, dtype=torch.float64)
    torch.manual_seed(3)
    t = torch.nn.functional.dropout(x, 0.3)
    loom.manual_seed(3)
    lo = loom.nn.functional.dropout(to_loom(x), 0.3)
    assert torch.equal(torch.from_numpy(lo.numpy()), t)


@pytest.mark.parametrize("call", [
    lambda x: x[0], lambda x: x[1:], lambda x: x[None], lambda x: x[...], lambda x: x[[0, 1]],
    lambda x: x.sum(), lambda x: x.sum(0), lambda x: x.max(0).values, lambda x: x.split(2, 1)[0],
])
def test_the_node_class_is_named_as_the_node(call):
    # ``type(t.grad_fn).__name__`` (what graph drawers read) matches ``name()`` and PyTorch
    names = []
    for lib in (torch, loom):
        fn = call(lib.ones(3, 4, requires_grad=True)).grad_fn
        names.append((type(fn).__name__, fn.name()))
    assert names[0] == names[1]
