"""Every loss module and functional loss against torch.nn: values, gradients of the input
(and of the target where PyTorch gives one), reductions, and PyTorch's errors."""
from __future__ import annotations

import pytest
import torch

import loom
from loom import nn

from nn_oracle import close, to_loom

g = torch.Generator().manual_seed(0)


def _r(*s):
    return torch.randn(*s, dtype=torch.float64, generator=g)


def _p(*s):
    return torch.rand(*s, dtype=torch.float64, generator=g) * 0.9 + 0.05


W = torch.tensor([0.5, 2.0, 1.0, 1.5], dtype=torch.float64)
IDX = torch.tensor([0, 3, 1, 3, 2])

CASES = [
    ("MSELoss", {}, lambda: (_r(3, 4), _r(3, 4))),
    ("MSELoss", {"reduction": "sum"}, lambda: (_r(5,), _r(5,))),
    ("L1Loss", {"reduction": "none"}, lambda: (_r(3, 4), _r(3, 4))),
    ("SmoothL1Loss", {"beta": 0.5}, lambda: (_r(3, 4), _r(3, 4))),
    ("HuberLoss", {"delta": 0.7}, lambda: (_r(3, 4), _r(3, 4))),
    ("NLLLoss", {}, lambda: (torch.log_softmax(_r(5, 4), 1), IDX)),
    ("NLLLoss", {"weight": W, "ignore_index": 3}, lambda: (torch.log_softmax(_r(5, 4), 1), IDX)),
    ("CrossEntropyLoss", {}, lambda: (_r(5, 4), IDX)),
    ("CrossEntropyLoss", {"weight": W, "reduction": "sum"}, lambda: (_r(5, 4), IDX)),
    ("CrossEntropyLoss", {"ignore_index": 1, "label_smoothing": 0.1}, lambda: (_r(5, 4), IDX)),
    ("CrossEntropyLoss", {"weight": W, "label_smoothing": 0.2}, lambda: (_r(5, 4), IDX)),
    ("CrossEntropyLoss", {}, lambda: (_r(2, 4, 3), torch.tensor([[0, 1, 2], [3, 3, 0]]))),
    ("CrossEntropyLoss", {"ignore_index": 3, "reduction": "none"}, lambda: (_r(5, 4), IDX)),
    ("CrossEntropyLoss", {"ignore_index": 3, "weight": W, "label_smoothing": 0.15,
                          "reduction": "none"}, lambda: (_r(5, 4), IDX)),
    ("CrossEntropyLoss", {"weight": W, "ignore_index": 0, "label_smoothing": 0.25},
     lambda: (_r(5, 4), IDX)),
    ("CrossEntropyLoss", {}, lambda: (_r(4, 4), torch.tensor([0, -100, 2, -100]))),
    ("NLLLoss", {"reduction": "sum", "ignore_index": 0},
     lambda: (torch.log_softmax(_r(5, 4), 1), IDX)),
    ("CrossEntropyLoss", {}, lambda: (_r(3, 4), torch.softmax(_r(3, 4), 1))),
    ("CrossEntropyLoss", {"label_smoothing": 0.3, "weight": W},
     lambda: (_r(3, 4), torch.softmax(_r(3, 4), 1))),
    ("BCELoss", {}, lambda: (_p(3, 4), _p(3, 4))),
    ("BCELoss", {"weight": _p(4)}, lambda: (_p(3, 4), _p(3, 4))),
    ("BCEWithLogitsLoss", {}, lambda: (3 * _r(3, 4), _p(3, 4))),
    ("BCEWithLogitsLoss", {"pos_weight": _p(4) * 3, "reduction": "sum"},
     lambda: (3 * _r(3, 4), _p(3, 4))),
    ("KLDivLoss", {"reduction": "batchmean"}, lambda: (torch.log(_p(3, 4)), _p(3, 4))),
    ("KLDivLoss", {"reduction": "sum", "log_target": True},
     lambda: (torch.log(_p(3, 4)), torch.log(_p(3, 4)))),
]


@pytest.mark.parametrize("name,kwargs,make", CASES, ids=[f"{c[0]}-{i}" for i, c in
                                                           enumerate(CASES)])
def test_loss_matches_torch(name, kwargs, make):
    x, t = make()
    tm = getattr(torch.nn, name)(**kwargs)
    lm = getattr(nn, name)(**{k: to_loom(v) if isinstance(v, torch.Tensor) else v
                              for k, v in kwargs.items()})
    tx = x.clone().requires_grad_(True)
    tt = t.clone().requires_grad_(t.is_floating_point())
    lx = to_loom(x).requires_grad_(True)
    lt = to_loom(t).requires_grad_(t.is_floating_point())
    t_out, l_out = tm(tx, tt), lm(lx, lt)
    close(l_out, t_out, 1e-6, 1e-8, "loss")
    cot = torch.randn(t_out.shape, dtype=t_out.dtype, generator=g)
    t_out.backward(cot)
    l_out.backward(to_loom(cot))
    close(lx.grad, tx.grad, 1e-6, 1e-8, "input grad")
    if tt.requires_grad:
        close(lt.grad, tt.grad, 1e-6, 1e-8, "target grad")


def test_cross_entropy_double_backward_matches_torch():
    x, t = _r(4, 3), torch.tensor([0, 2, 1, 1])
    tx = x.clone().requires_grad_(True)
    lx = to_loom(x).requires_grad_(True)
    (tg,) = torch.autograd.grad(torch.nn.functional.cross_entropy(tx, t), tx, create_graph=True)
    (lg,) = loom.autograd.grad(nn.functional.cross_entropy(lx, to_loom(t)), lx,
                               create_graph=True)
    close(lg, tg, 1e-6, 1e-8)
    tg.pow(2).sum().backward()
    lg.pow(2).sum().backward()
    close(lx.grad, tx.grad, 1e-6, 1e-8)


def test_loss_modules_have_torch_reprs_and_legacy_reduction_args():
    assert repr(nn.MSELoss()) == repr(torch.nn.MSELoss()) == "MSELoss()"
    assert nn.L1Loss(size_average=False).reduction == torch.nn.L1Loss(size_average=False).reduction
    assert nn.L1Loss(reduce=False).reduction == "none"


@pytest.mark.parametrize("call,error,match", [
    (lambda F, T: F.cross_entropy(T.ones(3, 4), T.tensor([0, 1])), ValueError,
     r"Expected input batch_size \(3\) to match target batch_size \(2\)"),
    (lambda F, T: F.nll_loss(T.ones(2, 4), T.tensor([0, 4])), IndexError,
     "Target 4 is out of bounds"),
    (lambda F, T: F.mse_loss(T.ones(3), T.ones(3), reduction="avg"), ValueError,
     "avg is not a valid value for reduction"),
    (lambda F, T: F.binary_cross_entropy(T.full((3,), 0.5), T.full((2,), 0.5)), ValueError,
     "different to the input size"),
    (lambda F, T: F.binary_cross_entropy_with_logits(T.ones(3), T.ones(2)), ValueError,
     "must be the same as input size"),
    (lambda F, T: F.cross_entropy(T.ones(2, 3), T.tensor([0, 1]),
                                  weight=T.ones(3, requires_grad=True)), RuntimeError,
     "not differentiable with respect to argument 'weight'"),
])
def test_loss_errors_match_torch(call, error, match):
    with pytest.raises(error, match=match):
        call(torch.nn.functional, torch)
    with pytest.raises(error, match=match):
        call(nn.functional, loom)
