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
