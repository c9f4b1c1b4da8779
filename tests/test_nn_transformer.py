"""Transformer, TransformerEncoder/Decoder and their layers against PyTorch in float64:
post-norm and norm_first, batch_first, activation relu/gelu/module/callable, bias=False,
attention and key padding masks (bool and float), the causal mask and its detection,
unbatched input; outputs, input and parameter gradients, state dict keys, reprs, the same
initial weights from the same seed, and PyTorch's errors and warnings."""
from __future__ import annotations

import warnings

import pytest
import torch

import loom
from loom import nn

from nn_oracle import close, compare_module, error_of, to_loom

pytestmark = pytest.mark.filterwarnings("ignore:Support for mismatched",
                                        "ignore:enable_nested_tensor is True")

D, H, FF = 8, 2, 16
TOL = dict(rtol=1e-9, atol=1e-9)


def _pair(make):
    """The same module built by torch and loom from the same seed (weights must agree)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.manual_seed(0)
        tm = make(torch)
        loom.manual_seed(0)
        lm = make(loom)
    assert repr(lm) == repr(tm)
    ts, ls = tm.state_dict(), lm.state_dict()
    assert list(ts) == list(ls)
    for k in ts:
        close(ls[k], ts[k], 1e-12, 1e-12, f"initial {k}")
    return tm, lm


def _x(*shape, seed=1):
    return torch.randn(*shape, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))


def _kpm(n, s, seed):
    m = torch.rand(n, s, generator=torch.Generator().manual_seed(seed)) < 0.3
    m[:, 0] = False
    return m


class _Masked:
    """A module calling the wrapped one with fixed keyword arguments (torch tensors)."""

    @staticmethod
    def make(lib, inner, kw):
        conv = (lambda t: t) if lib is torch else to_loom

        class Wrap(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.m = inner

            def forward(self, *args):
                return self.m(*args, **{k: conv(v) if isinstance(v, torch.Tensor) else v
                                        for k, v in kw.items()})
        return Wrap()


ENC_LAYERS = [
    ("plain", {}),
    ("norm-first", {"norm_first": True}),
    ("batch-first", {"batch_first": True}),
    ("gelu", {"activation": "gelu"}),
    ("gelu-module", {"activation": "GELU"}),
    ("callable", {"activation": "tanh"}),
    ("no-bias", {"bias": False}),
    ("eps", {"layer_norm_eps": 1e-3, "norm_first": True, "batch_first": True}),
]


def _kwargs(lib, kw):
    kw = dict(kw)
    if kw.get("activation") == "GELU":
        kw["activation"] = lib.nn.GELU()
    elif kw.get("activation") == "tanh":
        kw["activation"] = lib.tanh
    return kw


@pytest.mark.parametrize("name,kw", ENC_LAYERS, ids=[c[0] for c in ENC_LAYERS])
def test_encoder_layer(name, kw):
    tm, lm = _pair(lambda lib: lib.nn.TransformerEncoderLayer(
        D, H, FF, dropout=0.0, dtype=lib.float64, **_kwargs(lib, kw)))
    x = _x(3, 5, D)
    compare_module(tm, lm, x, **TOL)
    compare_module(tm, lm, _x(5, D, seed=2), **TOL)  # unbatched


MASKS = [
    ("src-mask-bool", lambda: {"src_mask": torch.triu(torch.ones(5, 5, dtype=torch.bool), 1)}),
    ("src-mask-float", lambda: {"src_mask": _x(5, 5, seed=4)}),
    ("kpm", lambda: {"src_key_padding_mask": _kpm(3, 5, 5)}),
    ("kpm-and-causal", lambda: {"src_key_padding_mask": _kpm(3, 5, 6),
                                "src_mask": nn.Transformer.generate_square_subsequent_mask(5)}),
    ("causal-hint", lambda: {"src_mask": nn.Transformer.generate_square_subsequent_mask(5),
                             "is_causal": True}),
]


def _torchify(kw):
    return {k: torch.from_numpy(v.numpy()) if isinstance(v, loom.Tensor) else v
            for k, v in kw.items()}


@pytest.mark.parametrize("name,masks", MASKS, ids=[c[0] for c in MASKS])
@pytest.mark.parametrize("batch_first", [False, True])
def test_encoder_layer_masks(name, masks, batch_first):
    tm, lm = _pair(lambda lib: lib.nn.TransformerEncoderLayer(
        D, H, FF, dropout=0.0, batch_first=batch_first, dtype=lib.float64))
    kw = _torchify(masks())
    if "src_mask" in kw and kw["src_mask"].is_floating_point():
        kw["src_mask"] = kw["src_mask"].double()
    wt, wl = _Masked.make(torch, tm, kw), _Masked.make(loom, lm, kw)
    compare_module(wt, wl, _x(5, 3, D) if not batch_first else _x(3, 5, D), **TOL)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_decoder_layer(norm_first, batch_first):
    tm, lm = _pair(lambda lib: lib.nn.TransformerDecoderLayer(
        D, H, FF, dropout=0.0, norm_first=norm_first, batch_first=batch_first,
        dtype=lib.float64))
    shape_t, shape_m = ((3, 4, D), (3, 6, D)) if batch_first else ((4, 3, D), (6, 3, D))
    kw = {"tgt_mask": nn.Transformer.generate_square_subsequent_mask(4, dtype=loom.float64),
          "tgt_key_padding_mask": _kpm(3, 4, 7), "memory_key_padding_mask": _kpm(3, 6, 8)}
    kw = _torchify(kw)
    compare_module(_Masked.make(torch, tm, kw), _Masked.make(loom, lm, kw), _x(*shape_t),
                   _x(*shape_m, seed=3), **TOL)


@pytest.mark.parametrize("with_norm", [False, True])
def test_encoder_and_decoder_stacks(with_norm):
    def enc(lib):
        layer = lib.nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, dtype=lib.float64)
        return lib.nn.TransformerEncoder(layer, 3, lib.nn.LayerNorm(D, dtype=lib.float64)
                                         if with_norm else None)

    def dec(lib):
        layer = lib.nn.TransformerDecoderLayer(D, H, FF, dropout=0.0, dtype=lib.float64)
        return lib.nn.TransformerDecoder(layer, 2, lib.nn.LayerNorm(D, dtype=lib.float64)
                                         if with_norm else None)
    tm, lm = _pair(enc)
    kw = _torchify({"mask": nn.Transformer.generate_square_subsequent_mask(5,
                                                                          dtype=loom.float64),
                    "src_key_padding_mask": _kpm(3, 5, 9)})
    compare_module(_Masked.make(torch, tm, kw), _Masked.make(loom, lm, kw), _x(5, 3, D), **TOL)
    tm, lm = _pair(dec)
    compare_module(tm, lm, _x(4, 3, D), _x(5, 3, D, seed=4), **TOL)


@pytest.mark.parametrize("kw", [{}, {"batch_first": True, "norm_first": True},
                                {"activation": "gelu", "bias": False}], ids=str)
def test_transformer(kw):
    tm, lm = _pair(lambda lib: lib.nn.Transformer(D, H, 2, 2, FF, dropout=0.0,
                                                  dtype=lib.float64, **kw))
    bf = kw.get("batch_first", False)
    src, tgt = (_x(3, 5, D), _x(3, 4, D, seed=2)) if bf else (_x(5, 3, D), _x(4, 3, D, seed=2))
    call = _torchify({"tgt_mask": nn.Transformer.generate_square_subsequent_mask(
        4, dtype=loom.float64), "src_key_padding_mask": _kpm(3, 5, 10),
        "memory_key_padding_mask": _kpm(3, 5, 10)})
    compare_module(_Masked.make(torch, tm, call), _Masked.make(loom, lm, call), src, tgt, **TOL)


def test_transformer_eval_with_dropout_matches():
    tm, lm = _pair(lambda lib: lib.nn.Transformer(D, H, 1, 1, FF, dtype=lib.float64))
    tm.eval()
    lm.eval()
    src, tgt = _x(5, 3, D), _x(4, 3, D, seed=2)
    with torch.no_grad():
        t = tm(src, tgt)
    close(lm(to_loom(src), to_loom(tgt)), t, **TOL)


def test_generate_square_subsequent_mask():
    for sz in (1, 4):
        close(nn.Transformer.generate_square_subsequent_mask(sz),
              torch.nn.Transformer.generate_square_subsequent_mask(sz))
    close(nn.Transformer.generate_square_subsequent_mask(3, dtype=loom.float64),
          torch.nn.Transformer.generate_square_subsequent_mask(3, dtype=torch.float64))


def test_errors_and_warnings():
    assert error_of(lambda: nn.TransformerEncoderLayer(D, H, activation="tanh")) == \
        error_of(lambda: torch.nn.TransformerEncoderLayer(D, H, activation="tanh"))
    tm = torch.nn.Transformer(D, H, 1, 1, FF)
    lm = nn.Transformer(D, H, 1, 1, FF)
    for a, b in [((5, 3, D), (4, 2, D)), ((5, 3, D), (4, 3, 4))]:
        ta, tb = torch.randn(*a), torch.randn(*b)
        expected = error_of(lambda: tm(ta, tb))
        assert expected is not None
        assert error_of(lambda: lm(to_loom(ta), to_loom(tb))) == expected
    for kw in [{}, {"batch_first": True}, {"batch_first": True, "norm_first": True}]:
        with warnings.catch_warnings(record=True) as wt:
            warnings.simplefilter("always")
            torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(D, H, **kw), 1)
        with warnings.catch_warnings(record=True) as wl:
            warnings.simplefilter("always")
            nn.TransformerEncoder(nn.TransformerEncoderLayer(D, H, **kw), 1)
        assert [str(w.message) for w in wl] == [str(w.message) for w in wt]
    assert nn.TransformerEncoderLayer(D, H).activation_relu_or_gelu == 1
    assert nn.TransformerEncoderLayer(D, H, activation="gelu").activation_relu_or_gelu == 2
    assert nn.TransformerEncoderLayer(D, H, activation=loom.tanh).activation_relu_or_gelu == 0


def test_module_list_repr_collapses_repeats():
    def make(lib):
        return lib.nn.ModuleList([lib.nn.Linear(2, 2) for _ in range(3)] + [lib.nn.ReLU()]
                                 + [lib.nn.Linear(2, 3)] * 2)
    assert repr(make(loom)) == repr(make(torch))
    assert repr(nn.ModuleList()) == repr(torch.nn.ModuleList())
