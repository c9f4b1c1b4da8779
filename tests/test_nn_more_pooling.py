"""Adaptive max/avg pooling, LP pooling, max unpooling, unfold/fold and embedding_bag (and
their modules) against torch.nn: outputs, indices, gradients, reprs, errors."""
import numpy as np
import pytest
import torch

import loom
from nn_oracle import close, compare_module, to_loom


def _x(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed),
                       dtype=torch.float64)


def _both(fn, *tensors, grad=True, **kw):
    """fn(F, *tensors, **kw) on torch and loom: outputs and input gradients compared."""
    tt = [t.clone().requires_grad_(grad and t.is_floating_point()) for t in tensors]
    lt = [to_loom(t).requires_grad_(grad and t.is_floating_point()) for t in tensors]
    to, lo = fn(torch.nn.functional, *tt, **kw), fn(loom.nn.functional, *lt, **kw)
    to1 = to[0] if isinstance(to, tuple) else to
    lo1 = lo[0] if isinstance(lo, tuple) else lo
    close(lo, to, 1e-7, 1e-9, "output")
    if grad:
        g = _x(*to1.shape, seed=5)
        to1.backward(g)
        lo1.backward(to_loom(g))
        for a, b in zip(lt, tt):
            if b.requires_grad:
                close(a.grad, b.grad, 1e-7, 1e-9, "grad")


@pytest.mark.parametrize("shape,size", [((2, 3, 7, 5), 3), ((2, 3, 7, 5), (2, 4)),
                                        ((3, 6, 6), (None, 2)), ((1, 2, 5, 5), 5)])
def test_adaptive_max_pool2d_values_indices_and_grads(shape, size):
    _both(lambda F, x: F.adaptive_max_pool2d(x, size, return_indices=True), _x(*shape))


@pytest.mark.parametrize("shape,size", [((2, 3, 7), 3), ((3, 10), 4)])
def test_adaptive_pool1d(shape, size):
    _both(lambda F, x: F.adaptive_max_pool1d(x, size, return_indices=True), _x(*shape))
    _both(lambda F, x: F.adaptive_avg_pool1d(x, size), _x(*shape))


@pytest.mark.parametrize("p", [2.0, 3.0, 1.5])
def test_lp_pool(p):
    x = _x(2, 3, 6, 6).abs() + 0.1
    _both(lambda F, x: F.lp_pool2d(x, p, 2), x)
    _both(lambda F, x: F.lp_pool2d(x, p, (3, 2), stride=2), x)
    _both(lambda F, x: F.lp_pool1d(x, p, 3, stride=2), _x(2, 3, 9).abs() + 0.1)


@pytest.mark.parametrize("k,s,out", [(2, None, None), (3, 2, None), (2, None, (7, 7))])
def test_max_unpool2d_inverts_max_pool2d(k, s, out):
    x = _x(2, 3, 7, 7) if k == 3 else _x(2, 3, 6, 6)
    v, i = torch.nn.functional.max_pool2d(x, k, s, return_indices=True)
    _both(lambda F, v, i: F.max_unpool2d(v, i, k, s, output_size=out), v, i)
    x1 = _x(2, 3, 8)
    v1, i1 = torch.nn.functional.max_pool1d(x1, k, s, return_indices=True)
    _both(lambda F, v, i: F.max_unpool1d(v, i, k, s), v1, i1)


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=(2, 3), stride=2),
                                dict(kernel_size=3, padding=1, dilation=2),
                                dict(kernel_size=(3, 2), padding=(1, 0), stride=(2, 1))])
def test_unfold_and_fold(kw):
    x = _x(2, 3, 7, 6)
    _both(lambda F, x: F.unfold(x, **kw), x)
    _both(lambda F, x: F.unfold(x, **kw), x[0])  # unbatched
    cols = torch.nn.functional.unfold(x, **kw)
    _both(lambda F, c: F.fold(c, (7, 6), **kw), cols)
    _both(lambda F, c: F.fold(c, (7, 6), **kw), cols[0])


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("case", [
    dict(input=[1, 2, 4, 5, 4, 3, 2, 9], offsets=[0, 4]),
    dict(input=[1, 2, 3], offsets=[0, 0, 2]),  # an empty bag
    dict(input=[[1, 2], [4, 5], [0, 0]]),
    dict(input=[1, 0, 3, 0], offsets=[0, 1, 2], padding_idx=0),
    dict(input=[0, 0, 3], offsets=[0, 2], padding_idx=0),
])
def test_embedding_bag(mode, case):
    case = dict(case)
    inp = torch.tensor(case.pop("input"))
    offsets = case.pop("offsets", None)
    weight = _x(10, 3)
    if offsets is None:
        _both(lambda F, w: F.embedding_bag(torch_or(F, inp), w, mode=mode, **case), weight)
    else:
        _both(lambda F, w: F.embedding_bag(torch_or(F, inp), w, torch_or(F, torch.tensor(offsets)),
                                           mode=mode, **case), weight)


def test_embedding_bag_per_sample_weights_and_last_offset():
    inp, w, psw = torch.tensor([1, 2, 3, 7]), _x(10, 3), _x(4)
    _both(lambda F, w, p: F.embedding_bag(torch_or(F, inp), w, torch_or(F, torch.tensor([0, 1])),
                                          mode="sum", per_sample_weights=p), w, psw)
    for mode in ("sum", "mean", "max"):  # the last offset is the input's length, as documented
        _both(lambda F, w: F.embedding_bag(torch_or(F, inp), w,
                                           torch_or(F, torch.tensor([0, 1, 4])), mode=mode,
                                           include_last_offset=True), w)


def torch_or(F, t):
    return t if F is torch.nn.functional else to_loom(t)


@pytest.mark.parametrize("call", [
    lambda T: T.nn.functional.embedding_bag(T.tensor([1, 2]), T.ones(10, 3)),
    lambda T: T.nn.functional.embedding_bag(T.tensor([1, 2]), T.ones(10, 3), T.tensor([0]),
                                            mode="mean", per_sample_weights=T.ones(2)),
    lambda T: T.nn.functional.embedding_bag(T.tensor([1, 2]), T.ones(10, 3), T.tensor([0]),
                                            mode="avg"),
    lambda T: T.nn.functional.adaptive_max_pool2d(T.ones(4, 4), 2),
    lambda T: T.nn.functional.adaptive_avg_pool1d(T.ones(5), 3),
    lambda T: T.nn.functional.fold(T.ones(1, 7, 4), (3, 3), 2),
    lambda T: T.nn.functional.fold(T.ones(1, 8, 5), (3, 3), 2),
    lambda T: T.nn.functional.max_unpool2d(T.ones(1, 1, 2, 2), T.zeros(1, 1, 2, 2,
                                                                        dtype=T.int64),
                                           2, output_size=(9, 9)),
])
def test_errors_as_torch(call):
    def kind(lib):
        try:
            call(lib)
        except Exception as e:  # noqa: BLE001 - the exception type is compared
            return type(e).__name__
    assert kind(loom) == kind(torch) is not None


@pytest.mark.parametrize("ctor", [
    lambda nn: nn.AdaptiveMaxPool2d(2), lambda nn: nn.AdaptiveMaxPool2d((2, None)),
    lambda nn: nn.AdaptiveMaxPool1d(3), lambda nn: nn.AdaptiveAvgPool1d(3),
    lambda nn: nn.LPPool2d(2, 3), lambda nn: nn.LPPool1d(2, 3, stride=2),
    lambda nn: nn.MaxUnpool2d(2), lambda nn: nn.MaxUnpool1d(2, stride=1),
    lambda nn: nn.Unfold(2), lambda nn: nn.Unfold((2, 3), dilation=2, padding=1, stride=2),
    lambda nn: nn.Fold((4, 4), 2), lambda nn: nn.EmbeddingBag(10, 3),
    lambda nn: nn.EmbeddingBag(10, 3, mode="max", padding_idx=0),
    lambda nn: nn.EmbeddingBag(10, 3, mode="sum", max_norm=1.0, scale_grad_by_freq=True),
])
def test_module_reprs_as_torch(ctor):
    assert repr(ctor(loom.nn)) == repr(ctor(torch.nn))


def test_embedding_bag_module_trains_as_torch_and_zeroes_the_padding_row():
    tm = torch.nn.EmbeddingBag(10, 4, mode="mean", padding_idx=2).double()
    lm = loom.nn.EmbeddingBag(10, 4, mode="mean", padding_idx=2).double()
    assert lm.weight[2].tolist() == [0.0] * 4 and list(lm.state_dict()) == ["weight"]
    compare_module(tm, lm, torch.tensor([1, 2, 4, 5, 2, 3]), torch.tensor([0, 2, 5]),
                   grad_inputs=False, rtol=1e-7, atol=1e-9)
    frozen = loom.nn.EmbeddingBag.from_pretrained(loom.ones(3, 2))
    assert not frozen.weight.requires_grad and frozen(loom.tensor([[0, 1]])).tolist() == [[1.0, 1.0]]


def test_adaptive_max_pool_module_in_a_cnn_head():
    tm = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3), torch.nn.AdaptiveMaxPool2d((2, 2)),
                             torch.nn.Flatten(), torch.nn.Linear(12, 2)).double()
    lm = loom.nn.Sequential(loom.nn.Conv2d(2, 3, 3), loom.nn.AdaptiveMaxPool2d((2, 2)),
                            loom.nn.Flatten(), loom.nn.Linear(12, 2)).double()
    compare_module(tm, lm, _x(2, 2, 7, 6), rtol=1e-7, atol=1e-9)
    assert np.isfinite(lm[0].weight.grad.numpy()).all()
