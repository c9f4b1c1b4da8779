"""F.ctc_loss and nn.CTCLoss against PyTorch: padded and concatenated targets, each reduction,
blank index, zero_infinity with infeasible samples, unbatched input, lengths as tensors or
lists; losses and the log-probability gradients (PyTorch's, which include exp(log_probs)), in
float64 and float32; PyTorch's argument errors."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import loom
import loom.nn.functional as F
from loom import nn

from nn_oracle import close, error_of, to_loom

T, N, C, S = 8, 3, 5, 4


def _case(seed, dtype, padded, blank=0, infeasible=False, normalized=True):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(T, N, C, dtype=dtype, generator=g)
    lp = x.log_softmax(-1) if normalized else x
    labels = [c for c in range(C) if c != blank]
    tg = torch.tensor(labels)[torch.randint(0, C - 1, (N, S), generator=g)]
    tg[0] = torch.tensor([labels[1], labels[1], labels[2], labels[2]])
    tl = torch.tensor([4, 2, 0])
    il = torch.tensor([8, 3, 6]) if not infeasible else torch.tensor([5, 3, 6])
    if not padded:
        tg = torch.cat([tg[b, :tl[b]] for b in range(N)])
    return lp.detach(), tg, il, tl


def _compare(lp, tg, il, tl, conv=to_loom, **kw):
    tol = 1e-9 if lp.dtype == torch.float64 else 2e-5
    tlp = lp.clone().requires_grad_()
    llp = to_loom(lp).requires_grad_()
    t = TF.ctc_loss(tlp, tg, il, tl, **kw)
    out = F.ctc_loss(llp, to_loom(tg), conv(il), conv(tl), **kw)
    close(out, t, tol, tol, f"loss {kw}")
    g = torch.rand(t.shape, dtype=lp.dtype, generator=torch.Generator().manual_seed(5))
    t.backward(g)
    out.backward(to_loom(g))
    np.testing.assert_allclose(llp.grad.numpy(), tlp.grad.numpy(), rtol=tol, atol=tol,
                               err_msg=f"grad {kw}")


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=str)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("padded", [True, False])
def test_ctc_loss_matches_torch(dtype, reduction, padded):
    _compare(*_case(0, dtype, padded), reduction=reduction)


@pytest.mark.parametrize("kw", [{"blank": 4}, {"blank": 2, "reduction": "sum"}])
def test_blank_index(kw):
    _compare(*_case(1, torch.float64, True, blank=kw["blank"]), **kw)


@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_zero_infinity(reduction):
    lp, tg, il, tl = _case(2, torch.float64, True, infeasible=True)
    _compare(lp, tg, il, tl, reduction=reduction, zero_infinity=True)
    t = TF.ctc_loss(lp, tg, il, tl, reduction="none")
    out = F.ctc_loss(to_loom(lp), to_loom(tg), to_loom(il), to_loom(tl), reduction="none")
    assert out[0].item() == float("inf") == t[0].item()


def test_unnormalized_inputs_lists_and_unbatched():
    lp, tg, il, tl = _case(3, torch.float64, True, normalized=False)
    _compare(lp, tg, il, tl, reduction="sum")
    _compare(lp, tg, il, tl, conv=lambda t: t.tolist(), reduction="mean")
    _compare(lp[:, 0], tg[0], il[0], tl[0], conv=lambda t: int(t), reduction="none")


def test_module():
    tm, lm = torch.nn.CTCLoss(blank=1, zero_infinity=True), nn.CTCLoss(blank=1,
                                                                       zero_infinity=True)
    assert repr(lm) == repr(tm) and list(lm.state_dict()) == []
    lp, tg, il, tl = _case(4, torch.float64, False, blank=1, infeasible=True)
    close(lm(to_loom(lp), to_loom(tg), to_loom(il), to_loom(tl)), tm(lp, tg, il, tl))


@pytest.mark.parametrize("call", [
    lambda F, lp, tg, il, tl: F.ctc_loss(lp, tg, il + 10, tl),
    lambda F, lp, tg, il, tl: F.ctc_loss(lp, tg[:, :2], il, tl),
    lambda F, lp, tg, il, tl: F.ctc_loss(lp, tg, il, tl, reduction="avg"),
])
def test_errors(call):
    lp, tg, il, tl = _case(5, torch.float64, True)
    expected = error_of(lambda: call(TF, lp, tg, il, tl))
    assert expected is not None
    got = error_of(lambda: call(F, to_loom(lp), to_loom(tg), to_loom(il), to_loom(tl)))
    assert got == expected


def test_long_sequence_gradient_through_log_softmax():
    g = torch.Generator().manual_seed(6)
    x = torch.randn(40, 2, 6, dtype=torch.float64, generator=g, requires_grad=True)
    tg = torch.randint(1, 6, (2, 12), generator=g)
    il, tl = torch.tensor([40, 31]), torch.tensor([12, 9])
    lx = to_loom(x.detach()).requires_grad_()
    TF.ctc_loss(x.log_softmax(-1), tg, il, tl).backward()
    F.ctc_loss(lx.log_softmax(-1), to_loom(tg), to_loom(il), to_loom(tl)).backward()
    np.testing.assert_allclose(lx.grad.numpy(), x.grad.numpy(), rtol=1e-8, atol=1e-10)
