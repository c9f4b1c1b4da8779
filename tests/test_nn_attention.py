"""MultiheadAttention and F.multi_head_attention_forward against PyTorch in float64: separate
q/k/v projections (kdim/vdim), add_bias_kv, add_zero_attn, batch_first, unbatched input, key
padding and attention masks (bool and float, 2-D and 3-D), need_weights and
average_attn_weights, the is_causal hint; outputs, weights, input and parameter gradients and
state dicts; PyTorch's errors and the same initial weights from the same seed."""
from __future__ import annotations

import pytest
import torch

import loom
import loom.nn.functional as F
from loom import nn

from nn_oracle import close, compare_module, error_of as _error, to_loom

E, H = 8, 2


def _wrap(lib, call):
    """A module running attention with the call's keyword arguments (masks as torch tensors,
    converted for loom) and returning the output and weights as one vector."""
    conv = (lambda t: t) if lib is torch else to_loom

    class Wrap(lib.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, q, k, v):
            kw = {n: conv(a) if isinstance(a, torch.Tensor) else a for n, a in call.items()}
            out, w = self.m(q, k, v, **kw)
            return out.reshape(-1) if w is None else lib.cat([out.reshape(-1), w.reshape(-1)])
    return Wrap


def _mask(shape, seed, dtype=torch.bool):
    """A random mask that leaves the first key of every row free (no row fully masked)."""
    g = torch.Generator().manual_seed(seed)
    m = torch.rand(*shape, generator=g) < 0.4
    m[..., 0] = False
    if dtype == torch.bool:
        return m
    return torch.randn(*shape, generator=g, dtype=dtype) + m * -1e4


L, S, N = 4, 5, 3

CASES = [
    ("plain", {}, {}),
    ("kdim-vdim", {"kdim": 5, "vdim": 3}, {}),
    ("kdim-vdim-nobias", {"kdim": 5, "vdim": 3, "bias": False}, {}),
    ("kdim-only", {"kdim": 6}, {"need_weights": False}),
    ("bias-kv", {"add_bias_kv": True}, {}),
    ("zero-attn", {"add_zero_attn": True}, {"average_attn_weights": False}),
    ("bias-kv-zero-attn-masks", {"add_bias_kv": True, "add_zero_attn": True},
     {"key_padding_mask": _mask((N, S), 1), "attn_mask": _mask((L, S), 2)}),
    ("batch-first", {"batch_first": True, "kdim": 5, "vdim": 3}, {}),
    ("kpm-bool", {}, {"key_padding_mask": _mask((N, S), 3)}),
    ("kpm-float", {}, {"key_padding_mask": _mask((N, S), 4, torch.float64)}),
    ("mask2d-bool", {}, {"attn_mask": _mask((L, S), 5)}),
    ("mask2d-float", {}, {"attn_mask": _mask((L, S), 6, torch.float64)}),
    ("mask3d-bool", {}, {"attn_mask": _mask((N * H, L, S), 7)}),
    ("mask3d-float-kpm-float", {}, {"attn_mask": _mask((N * H, L, S), 8, torch.float64),
                                    "key_padding_mask": _mask((N, S), 9, torch.float64)}),
    ("no-weights-masks", {"kdim": 5}, {"need_weights": False, "attn_mask": _mask((L, S), 10),
                                       "key_padding_mask": _mask((N, S), 11)}),
    ("no-weights-3d-mask", {}, {"need_weights": False,
                                "attn_mask": _mask((N * H, L, S), 12, torch.float64)}),
    ("per-head-weights-bias-kv", {"add_bias_kv": True, "vdim": 6},
     {"average_attn_weights": False, "attn_mask": _mask((N * H, L, S), 13)}),
]


@pytest.mark.parametrize("ctor,call", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_multihead_attention_matches_torch(ctor, call):
    torch.manual_seed(0)
    tm = torch.nn.MultiheadAttention(E, H, **ctor).double()
    lm = nn.MultiheadAttention(E, H, **ctor).double()
    assert [(k, tuple(v.shape)) for k, v in lm.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in tm.state_dict().items()]
    assert repr(lm) == repr(tm)
    kdim, vdim = ctor.get("kdim", E), ctor.get("vdim", E)
    shapes = [(L, N, E), (S, N, kdim), (S, N, vdim)]
    if ctor.get("batch_first"):
        shapes = [(s[1], s[0], s[2]) for s in shapes]
    x = [torch.randn(*s, dtype=torch.float64) for s in shapes]
    compare_module(_wrap(torch, call)(tm), _wrap(loom, call)(lm), *x, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("need_weights", [True, False])
def test_is_causal_hint_with_its_mask(need_weights):
    causal = torch.nn.Transformer.generate_square_subsequent_mask(L, dtype=torch.float64)
    call = {"attn_mask": causal, "is_causal": True, "need_weights": need_weights}
    tm, lm = torch.nn.MultiheadAttention(E, H).double(), nn.MultiheadAttention(E, H).double()
    x = [torch.randn(L, N, E, dtype=torch.float64) for _ in range(3)]
    compare_module(_wrap(torch, call)(tm), _wrap(loom, call)(lm), *x, rtol=1e-6, atol=1e-8)


def test_unbatched_input_with_masks():
    call = {"key_padding_mask": _mask((S,), 20), "attn_mask": _mask((H, L, S), 21)}
    tm = torch.nn.MultiheadAttention(E, H, kdim=3, add_zero_attn=True).double()
    lm = nn.MultiheadAttention(E, H, kdim=3, add_zero_attn=True).double()
    x = [torch.randn(L, E, dtype=torch.float64), torch.randn(S, 3, dtype=torch.float64),
         torch.randn(S, E, dtype=torch.float64)]
    compare_module(_wrap(torch, call)(tm), _wrap(loom, call)(lm), *x, rtol=1e-6, atol=1e-8)


def test_dropout_is_off_in_eval_and_on_in_training():
    tm = torch.nn.MultiheadAttention(E, H, dropout=0.5).double()
    lm = nn.MultiheadAttention(E, H, dropout=0.5).double()
    x = [torch.randn(L, N, E, dtype=torch.float64) for _ in range(3)]
    compare_module(_wrap(torch, {})(tm), _wrap(loom, {})(lm), *x, train=False, rtol=1e-6)
    lx = [to_loom(t) for t in x]
    lm.eval()
    _, w0 = lm(*lx, average_attn_weights=False)
    lm.train()
    _, w1 = lm(*lx, average_attn_weights=False)
    # each weight dropped or scaled by 1 / (1 - p)
    assert bool((w1 == 0).any()) and bool(((w1 == 0) | loom.isclose(w1, 2 * w0)).all())


def test_same_seed_same_initial_weights():
    for kw in ({}, {"kdim": 5, "vdim": 3, "add_bias_kv": True}):
        torch.manual_seed(7)
        tm = torch.nn.MultiheadAttention(E, H, **kw)
        loom.manual_seed(7)
        lm = nn.MultiheadAttention(E, H, **kw)
        for k, v in tm.state_dict().items():
            close(lm.state_dict()[k], v, what=k)


def test_functional_form_matches_torch():
    tm = torch.nn.MultiheadAttention(E, H, add_bias_kv=True).double()
    q, k, v = (torch.randn(L, N, E, dtype=torch.float64) for _ in range(3))
    args = (E, H, tm.in_proj_weight, tm.in_proj_bias, tm.bias_k, tm.bias_v, True, 0.0,
            tm.out_proj.weight, tm.out_proj.bias)
    t_out, t_w = torch.nn.functional.multi_head_attention_forward(q, k, v, *args,
                                                                  training=False)
    l_out, l_w = F.multi_head_attention_forward(*(to_loom(a) for a in (q, k, v)),
                                                *(to_loom(a) if isinstance(a, torch.Tensor)
                                                  else a for a in args), training=False)
    close(l_out, t_out, rtol=1e-6)
    close(l_w, t_w, rtol=1e-6)


ERRORS = [
    ("causal-without-mask", {}, {"is_causal": True}, [(L, N, E)] * 3),
    ("mask2d-shape", {}, {"attn_mask": torch.zeros(L, S + 1, dtype=torch.bool)},
     [(L, N, E), (S, N, E), (S, N, E)]),
    ("mask3d-shape", {}, {"attn_mask": torch.zeros(N, L, S, dtype=torch.bool)},
     [(L, N, E), (S, N, E), (S, N, E)]),
    ("mask4d", {}, {"attn_mask": torch.zeros(1, N * H, L, S, dtype=torch.bool)},
     [(L, N, E), (S, N, E), (S, N, E)]),
    ("int-mask", {}, {"key_padding_mask": torch.zeros(N, S, dtype=torch.int64)},
     [(L, N, E), (S, N, E), (S, N, E)]),
    ("kpm-shape", {}, {"key_padding_mask": torch.zeros(N, S + 1, dtype=torch.bool)},
     [(L, N, E), (S, N, E), (S, N, E)]),
    ("kpm-dims", {}, {"key_padding_mask": torch.zeros(S, dtype=torch.bool)},
     [(L, N, E), (S, N, E), (S, N, E)]),
    ("key-dims", {}, {}, [(L, N, E), (S, E), (S, N, E)]),
    ("query-dims", {}, {}, [(L, N, E, 1)] * 3),
    ("embed-dim", {}, {}, [(L, N, E + 2), (S, N, E), (S, N, E)]),
    ("kv-shapes", {}, {}, [(L, N, E), (S, N, E), (S + 1, N, E)]),
    ("kv-separate-shapes", {"kdim": 5}, {}, [(L, N, E), (S, N, 5), (S + 1, N, E)]),
    ("unbatched-3d-mask", {}, {"attn_mask": torch.zeros(N * H, L, S, dtype=torch.bool)},
     [(L, E), (S, E), (S, E)]),
]


@pytest.mark.parametrize("ctor,call,shapes", [c[1:] for c in ERRORS], ids=[c[0] for c in ERRORS])
def test_errors_match_torch(ctor, call, shapes):
    def run(lib, conv):
        m = lib.nn.MultiheadAttention(E, H, **ctor)
        x = [conv(torch.randn(*s)) for s in shapes]
        return m(*x, **{k: conv(v) if isinstance(v, torch.Tensor) else v
                        for k, v in call.items()})
    t = _error(lambda: run(torch, lambda a: a))
    assert t is not None
    assert _error(lambda: run(loom, to_loom)) == t


def test_constructor_errors_match_torch():
    for args in ((0, 2), (8, 0), (8, 3)):
        t = _error(lambda: torch.nn.MultiheadAttention(*args))
        assert t is not None and _error(lambda: nn.MultiheadAttention(*args)) == t


def test_mismatched_mask_types_warn_as_torch():
    m = nn.MultiheadAttention(E, H)
    q = loom.randn(L, N, E)
    with pytest.warns(UserWarning, match="Support for mismatched key_padding_mask and "
                                         "attn_mask is deprecated"):
        m(q, q, q, key_padding_mask=loom.zeros(N, L, dtype=loom.bool),
          attn_mask=loom.zeros(L, L))


def test_second_order_gradients():
    loom.manual_seed(0)
    m = nn.MultiheadAttention(4, 2, kdim=3, add_bias_kv=True, add_zero_attn=True).double()
    mask = loom.tensor([[False, True, False], [False, False, True]])
    q = loom.randn(2, 1, 4, dtype=loom.float64, requires_grad=True)
    k = loom.randn(3, 1, 3, dtype=loom.float64, requires_grad=True)
    v = loom.randn(3, 1, 4, dtype=loom.float64, requires_grad=True)
    fn = lambda q, k, v: m(q, k, v, attn_mask=mask)[0]   # noqa: E731
    assert loom.autograd.gradcheck(fn, (q, k, v))
    assert loom.autograd.gradgradcheck(fn, (q, k, v))
