"""cosine_similarity, pairwise_distance, PReLU, LogSigmoid and the margin, embedding and
likelihood losses (TripletMargin(WithDistance), MarginRanking, HingeEmbedding,
CosineEmbedding, SoftMargin, MultiLabelSoftMargin, PoissonNLL, GaussianNLL) against PyTorch in
float64: values for each reduction, input and parameter gradients, module reprs and state
dicts, and PyTorch's errors."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as TF

import loom
import loom.nn.functional as F
from loom import nn

from nn_oracle import close, compare_module, error_of, to_loom

TOL = dict(rtol=1e-9, atol=1e-10)


def _t(*shape, seed=0, positive=False, sign=False):
    g = torch.Generator().manual_seed(seed)
    if sign:
        return (torch.randint(0, 2, shape, generator=g) * 2 - 1).double()
    x = torch.randn(shape, dtype=torch.float64, generator=g)
    return x.abs() + 0.1 if positive else x


def _check(name, args, grads, **kw):
    """Call F.<name> in both libraries on `args` (torch tensors), compare the value and the
    gradients of the args whose index is in `grads`."""
    targs = [a.detach().clone().requires_grad_(i in grads) if isinstance(a, torch.Tensor)
             else a for i, a in enumerate(args)]
    largs = [to_loom(a).requires_grad_(i in grads) if isinstance(a, torch.Tensor) else a
             for i, a in enumerate(args)]
    t = getattr(TF, name)(*targs, **kw)
    out = getattr(F, name)(*largs, **kw)
    close(out, t, what=f"{name} {kw}", **TOL)
    g = torch.randn(t.shape, dtype=t.dtype, generator=torch.Generator().manual_seed(9))
    t.backward(g)
    out.backward(to_loom(g))
    for i in grads:
        close(largs[i].grad, targs[i].grad, what=f"{name} grad {i}", **TOL)


@pytest.mark.parametrize("shapes,dim", [(((4, 5), (4, 5)), 1), (((4, 5), (1, 5)), 1),
                                        (((3, 4, 5), (3, 4, 5)), -1), (((5,), (5,)), 0),
                                        (((2, 3, 4), (3, 1)), 0)])
def test_cosine_similarity(shapes, dim):
    a, b = _t(*shapes[0]), _t(*shapes[1], seed=1)
    _check("cosine_similarity", [a, b], {0, 1}, dim=dim)
    _check("cosine_similarity", [a, b], {0, 1}, dim=dim, eps=0.5)
    tm, lm = torch.nn.CosineSimilarity(dim), nn.CosineSimilarity(dim)
    assert repr(lm) == repr(tm)
    compare_module(tm, lm, a, b, **TOL)


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, float("inf")])
@pytest.mark.parametrize("keepdim", [False, True])
def test_pairwise_distance(p, keepdim):
    a, b = _t(4, 5), _t(4, 5, seed=1)
    _check("pairwise_distance", [a, b], {0, 1}, p=p, keepdim=keepdim)
    _check("pairwise_distance", [a[0], b], {0, 1}, p=p, keepdim=keepdim)
    tm, lm = torch.nn.PairwiseDistance(p, keepdim=keepdim), nn.PairwiseDistance(p,
                                                                               keepdim=keepdim)
    assert repr(lm) == repr(tm)
    compare_module(tm, lm, a, b, **TOL)


@pytest.mark.parametrize("call", [
    lambda F, a: F.cosine_similarity(a, a[:2, :3]), lambda F, a: F.pairwise_distance(a, a[:2]),
    lambda F, a: F.cosine_similarity(a.long(), a.long()),
    lambda F, a: F.cosine_similarity(a[0, 0], a[0, 0])])
def test_distance_errors(call):
    a = torch.randn(3, 4)
    expected = error_of(lambda: call(TF, a))
    assert expected is not None
    assert error_of(lambda: call(F, to_loom(a))) == expected


@pytest.mark.parametrize("num,shape", [(1, (2, 3, 4)), (3, (2, 3, 4)), (3, (2, 3)), (1, (5,)),
                                       (1, ()), (4, (2, 4, 3, 3))])
def test_prelu(num, shape):
    tm, lm = torch.nn.PReLU(num, init=0.1, dtype=torch.float64), \
        nn.PReLU(num, init=0.1, dtype=loom.float64)
    assert repr(lm) == repr(tm)
    with torch.no_grad():
        tm.weight.uniform_(-1, 1, generator=torch.Generator().manual_seed(2))
    compare_module(tm, lm, _t(*shape), **TOL)


def test_prelu_errors_and_logsigmoid():
    for w in [torch.ones(3), torch.ones(1, 3)]:
        for x in [torch.randn(2, 4), torch.tensor(1.0), torch.randn(2, 3)]:
            assert error_of(lambda: F.prelu(to_loom(x), to_loom(w))) == \
                error_of(lambda: TF.prelu(x, w))
    assert nn.PReLU().weight.item() == 0.25 and list(nn.PReLU(2).state_dict()) == ["weight"]
    x = torch.tensor([-30.0, -1.0, 0.0, 1.0, 30.0], dtype=torch.float64)
    _check("logsigmoid", [x], {0})
    assert repr(nn.LogSigmoid()) == "LogSigmoid()"


REDUCTIONS = ["mean", "sum", "none"]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kw", [{}, {"margin": 0.5, "p": 1.0}, {"swap": True},
                                {"p": 3.0, "eps": 1e-3}], ids=str)
def test_triplet_margin_loss(reduction, kw):
    a, p, n = _t(6, 4), _t(6, 4, seed=1), _t(6, 4, seed=2)
    _check("triplet_margin_loss", [a, p, n], {0, 1, 2}, reduction=reduction, **kw)
    _check("triplet_margin_with_distance_loss", [a, p, n], {0, 1, 2}, reduction=reduction,
           swap=kw.get("swap", False))
    tm = torch.nn.TripletMarginLoss(reduction=reduction, **kw)
    lm = nn.TripletMarginLoss(reduction=reduction, **kw)
    assert repr(lm) == repr(tm)
    compare_module(tm, lm, a, p, n, **TOL)


def test_triplet_with_custom_distance():
    a, p, n = _t(6, 4), _t(6, 4, seed=1), _t(6, 4, seed=2)
    tm = torch.nn.TripletMarginWithDistanceLoss(
        distance_function=lambda x, y: 1 - TF.cosine_similarity(x, y), margin=0.3, swap=True)
    lm = nn.TripletMarginWithDistanceLoss(
        distance_function=lambda x, y: 1 - F.cosine_similarity(x, y), margin=0.3, swap=True)
    compare_module(tm, lm, a, p, n, **TOL)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_pair_losses(reduction):
    x1, x2, y = _t(7), _t(7, seed=1), _t(7, seed=2, sign=True)
    for margin in (0.0, 0.4):
        _check("margin_ranking_loss", [x1, x2, y], {0, 1}, margin=margin, reduction=reduction)
    y3 = y.clone()
    y3[0] = 0.5   # neither 1 nor -1: both terms, as PyTorch
    for margin in (1.0, 0.3):
        _check("hinge_embedding_loss", [x1, y3], {0}, margin=margin, reduction=reduction)
    _check("soft_margin_loss", [x1, y], {0}, reduction=reduction)
    a, b, t = _t(5, 4), _t(5, 4, seed=1), _t(5, seed=3, sign=True)
    for margin in (0.0, 0.2, -0.5):
        _check("cosine_embedding_loss", [a, b, t], {0, 1}, margin=margin, reduction=reduction)
    _check("cosine_embedding_loss", [a[0], b[0], t[0]], {0, 1}, reduction=reduction)
    w = _t(4, seed=5, positive=True)
    target = (_t(5, 4, seed=6) > 0).double()
    _check("multilabel_soft_margin_loss", [a, target], {0}, reduction=reduction)
    _check("multilabel_soft_margin_loss", [a, target, w], {0}, reduction=reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_likelihood_losses(reduction):
    x, rate = _t(4, 5), _t(4, 5, seed=1, positive=True)
    counts = torch.randint(0, 6, (4, 5), generator=torch.Generator().manual_seed(2)).double()
    for kw in [{}, {"full": True}, {"log_input": False}, {"log_input": False, "full": True}]:
        inp = x if kw.get("log_input", True) else rate
        _check("poisson_nll_loss", [inp, counts], {0}, reduction=reduction, **kw)
    var = _t(4, 5, seed=3, positive=True)
    t = _t(4, 5, seed=4)
    for v in [var, var[:, :1], var[:, 0], 0.5]:
        for kw in [{}, {"full": True}, {"eps": 0.3}]:
            grads = {0, 1, 2} if isinstance(v, torch.Tensor) else {0, 1}
            _check("gaussian_nll_loss", [x, t, v], grads, reduction=reduction, **kw)


@pytest.mark.parametrize("make,nargs", [
    (lambda m: m.MarginRankingLoss(margin=0.2), 3), (lambda m: m.HingeEmbeddingLoss(0.5), 2),
    (lambda m: m.SoftMarginLoss(reduction="sum"), 2),
    (lambda m: m.CosineEmbeddingLoss(margin=0.1), 3),
    (lambda m: m.MultiLabelSoftMarginLoss(reduction="none"), 2),
    (lambda m: m.PoissonNLLLoss(full=True), 2), (lambda m: m.GaussianNLLLoss(full=True), 3)])
def test_loss_modules(make, nargs):
    tm, lm = make(torch.nn), make(nn)
    assert repr(lm) == repr(tm)
    assert list(lm.state_dict()) == list(tm.state_dict())
    name = type(tm).__name__
    if name == "CosineEmbeddingLoss":
        args = [_t(5, 4), _t(5, 4, seed=1), _t(5, seed=2, sign=True)]
    elif name == "GaussianNLLLoss":
        args = [_t(5, 4), _t(5, 4, seed=1), _t(5, 4, seed=2, positive=True)]
    elif name == "PoissonNLLLoss":
        args = [_t(5, 4), _t(5, 4, seed=1, positive=True) * 3]
    elif name == "MultiLabelSoftMarginLoss":
        args = [_t(5, 4), (_t(5, 4, seed=1) > 0).double()]
    else:
        args = [_t(6), _t(6, seed=1), _t(6, seed=2, sign=True)][:nargs - 1] + \
            [_t(6, seed=2, sign=True)]
    if name == "SoftMarginLoss":  # PyTorch refuses a target that requires grad
        close(lm(*map(to_loom, args)), tm(*args), **TOL)
        return
    compare_module(tm, lm, *args, **TOL)


@pytest.mark.parametrize("call", [
    lambda F, a: F.soft_margin_loss(a, a.requires_grad_()),
    lambda F, a: F.soft_margin_loss(a, a, reduction="foo"),
    lambda F, a: F.hinge_embedding_loss(a, a, reduction="x"),
    lambda F, a: F.poisson_nll_loss(a, a, reduction="x"),
    lambda F, a: F.multilabel_soft_margin_loss(a, a, reduction="x"),
    lambda F, a: F.gaussian_nll_loss(a, a, a, reduction="x"),
    lambda F, a: F.cosine_embedding_loss(a, a, a[:, :1]),
    lambda F, a: F.cosine_embedding_loss(a, a, a[0, 0]),
    lambda F, a: F.cosine_embedding_loss(a[0], a[0], a[:, 0]),
    lambda F, a: F.triplet_margin_loss(a, a[0], a),
    lambda F, a: F.triplet_margin_loss(a, a, a, margin=0),
    lambda F, a: F.triplet_margin_with_distance_loss(a, a, a, reduction="y"),
    lambda F, a: F.margin_ranking_loss(a, a, a[0]),
    lambda F, a: F.gaussian_nll_loss(a, a, a[:, :2].abs()),
    lambda F, a: F.gaussian_nll_loss(a, a, -1.0),
    lambda F, a: F.gaussian_nll_loss(a, a, -a.abs()),
])
def test_loss_errors(call):
    a = torch.randn(3, 4)
    expected = error_of(lambda: call(TF, a))
    assert expected is not None
    assert error_of(lambda: call(F, to_loom(a))) == expected
    for make in [lambda m: m.TripletMarginLoss(margin=-1),
                 lambda m: m.TripletMarginWithDistanceLoss(margin=0)]:
        assert error_of(lambda: make(nn)) == error_of(lambda: make(torch.nn))
