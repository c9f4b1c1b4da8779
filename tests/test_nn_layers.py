"""Every nn layer against torch.nn: the same weights (copied from PyTorch), the same inputs;
outputs, input and parameter gradients, and state dicts (running statistics included) agree."""
from __future__ import annotations

import pytest
import torch

import loom
from loom import nn

from nn_oracle import compare_module

torch.manual_seed(0)


def _x(*shape, dtype=torch.float64):
    return torch.randn(*shape, dtype=dtype)


# (name, constructor args, kwargs, input shapes)
CASES = [
    ("Linear", (4, 3), {}, [(5, 4)]),
    ("Linear", (4, 3), {"bias": False}, [(2, 5, 4)]),
    ("Bilinear", (3, 4, 2), {}, [(5, 3), (5, 4)]),
    ("Identity", (), {}, [(3, 2)]),
    ("Flatten", (), {}, [(2, 3, 4)]),
    ("Unflatten", (1, (2, 3)), {}, [(4, 6)]),
    ("ReLU", (), {}, [(3, 4)]),
    ("LeakyReLU", (0.2,), {}, [(3, 4)]),
    ("GELU", (), {}, [(3, 4)]),
    ("GELU", (), {"approximate": "tanh"}, [(3, 4)]),
    ("SiLU", (), {}, [(3, 4)]),
    ("Mish", (), {}, [(3, 4)]),
    ("Tanh", (), {}, [(3, 4)]),
    ("Sigmoid", (), {}, [(3, 4)]),
    ("Softmax", (1,), {}, [(3, 4)]),
    ("LogSoftmax", (-1,), {}, [(2, 3, 4)]),
    ("Softplus", (2.0, 1.0), {}, [(3, 4)]),
    ("ELU", (0.7,), {}, [(3, 4)]),
    ("Hardtanh", (-0.5, 0.5), {}, [(3, 4)]),
    ("ReLU6", (), {}, [(3, 4)]),
    ("Softsign", (), {}, [(3, 4)]),
    ("Conv1d", (3, 4, 3), {"stride": 2, "padding": 1}, [(2, 3, 9)]),
    ("Conv2d", (3, 4, 3), {}, [(2, 3, 6, 5)]),
    ("Conv2d", (4, 6, (3, 2)), {"stride": (2, 1), "padding": 1, "dilation": (1, 2),
                                "groups": 2}, [(2, 4, 7, 7)]),
    ("Conv2d", (3, 2, 3), {"padding": "same", "bias": False}, [(1, 3, 5, 5)]),
    ("ConvTranspose1d", (3, 2, 3), {"stride": 2}, [(2, 3, 5)]),
    ("ConvTranspose2d", (4, 2, 3), {"stride": 2, "padding": 1, "output_padding": 1,
                                    "groups": 2}, [(1, 4, 3, 4)]),
    ("MaxPool1d", (3, 2), {}, [(2, 3, 9)]),
    ("MaxPool2d", (2,), {}, [(2, 3, 6, 6)]),
    ("MaxPool2d", (3, 2, 1), {"ceil_mode": True}, [(1, 2, 7, 8)]),
    ("AvgPool1d", (3, 2, 1), {}, [(2, 3, 9)]),
    ("AvgPool2d", (2,), {}, [(2, 3, 6, 6)]),
    ("AvgPool2d", (3, 2, 1), {"count_include_pad": False}, [(1, 2, 7, 8)]),
    ("AdaptiveAvgPool2d", ((3, 2),), {}, [(2, 3, 7, 5)]),
    ("LayerNorm", (4,), {}, [(3, 4)]),
    ("LayerNorm", ((3, 4),), {"elementwise_affine": False}, [(2, 3, 4)]),
    ("GroupNorm", (2, 4), {}, [(3, 4, 5)]),
    ("BatchNorm1d", (4,), {}, [(6, 4)]),
    ("BatchNorm1d", (3,), {"momentum": None}, [(4, 3, 5)]),
    ("BatchNorm2d", (3,), {}, [(4, 3, 2, 2)]),
    ("BatchNorm2d", (3,), {"affine": False, "track_running_stats": False}, [(4, 3, 2, 2)]),
]


@pytest.mark.parametrize("name,args,kwargs,shapes", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_layer_matches_torch(name, args, kwargs, shapes):
    tm = getattr(torch.nn, name)(*args, **kwargs).double()
    lm = getattr(nn, name)(*args, **kwargs).double()
    compare_module(tm, lm, *[_x(*s) for s in shapes])


@pytest.mark.parametrize("name", ["BatchNorm1d", "BatchNorm2d"])
def test_batchnorm_eval_uses_running_stats(name):
    shape = (5, 3) if name == "BatchNorm1d" else (5, 3, 2, 2)
    tm, lm = getattr(torch.nn, name)(3).double(), getattr(nn, name)(3).double()
    compare_module(tm, lm, _x(*shape))          # one training step updates the statistics
    tm.load_state_dict(tm.state_dict())
    compare_module(tm, lm, _x(*shape), train=False)


def test_embedding_matches_torch():
    tm = torch.nn.Embedding(10, 3, padding_idx=2).double()
    lm = nn.Embedding(10, 3, padding_idx=2).double()
    idx = torch.tensor([[1, 2, 4], [4, 9, 2]])
    compare_module(tm, lm, idx)
    assert float(lm.weight.grad[2].abs().sum()) == 0


def test_embedding_initial_padding_row_is_zero():
    m = nn.Embedding(5, 4, padding_idx=-1)
    assert m.padding_idx == 4 and float(m.weight[4].abs().sum()) == 0


def test_dropout_train_and_eval():
    d = nn.Dropout(0.5)
    x = loom.ones(1000)
    y = d(x)
    kept = (y != 0).float()
    assert 0.4 < float(kept.mean()) < 0.6
    assert set(float(v) for v in y.unique()) <= {0.0, 2.0}
    d.eval()
    assert d(x) is x
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        nn.Dropout(1.5)


def test_dropout_gradient_follows_mask():
    x = loom.ones(50, requires_grad=True)
    y = nn.functional.dropout(x, 0.3)
    y.sum().backward()
    assert bool(((x.grad != 0) == (y != 0)).all())


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("kwargs", [{}, {"num_layers": 2, "bidirectional": True},
                                    {"batch_first": True, "bias": False}])
def test_recurrent_layer_matches_torch(name, kwargs):
    tm = getattr(torch.nn, name)(3, 4, **kwargs).double()
    lm = getattr(nn, name)(3, 4, **kwargs).double()
    compare_module(tm, lm, _x(5, 2, 3), out_index=0, rtol=1e-6)
    out = lm(loom.randn(5, 2, 3, dtype=loom.float64))[1]
    assert isinstance(out, tuple) == (name == "LSTM")


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
def test_recurrent_cell_matches_torch(name):
    tm = getattr(torch.nn, name)(3, 4).double()
    lm = getattr(nn, name)(3, 4).double()
    compare_module(tm, lm, _x(2, 3), out_index=0 if name == "LSTMCell" else None)


def test_rnn_hidden_state_in_and_unbatched():
    tm, lm = torch.nn.GRU(3, 4).double(), nn.GRU(3, 4).double()
    compare_module(tm, lm, _x(5, 3), _x(1, 4), out_index=1)


@pytest.mark.parametrize("kwargs,call", [({}, {}), ({"batch_first": True}, {}),
                                         ({}, {"average_attn_weights": False}),
                                         ({}, {"need_weights": False})])
def test_multihead_attention_matches_torch(kwargs, call):
    tm = torch.nn.MultiheadAttention(8, 2, **kwargs).double()
    lm = nn.MultiheadAttention(8, 2, **kwargs).double()

    class Wrap(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, q, k, v):
            return self.m(q, k, v, **call)

    class LWrap(nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, q, k, v):
            return self.m(q, k, v, **call)

    q, k, v = (_x(3, 4, 8), _x(3, 5, 8), _x(3, 5, 8)) if kwargs else \
        (_x(4, 3, 8), _x(5, 3, 8), _x(5, 3, 8))
    compare_module(Wrap(tm), LWrap(lm), q, k, v, out_index=0)


def test_multihead_attention_masks_match_torch():
    tm, lm = torch.nn.MultiheadAttention(4, 2).double(), nn.MultiheadAttention(4, 2).double()
    lm.load_state_dict({k: loom.from_numpy(v.numpy().copy()) for k, v in tm.state_dict().items()})
    q = _x(3, 2, 4)
    mask = torch.tensor([[False, True, False], [False, False, True], [False, False, False]])
    pad = torch.tensor([[False, False, True], [False, False, False]])
    t_out, t_w = tm(q, q, q, attn_mask=mask, key_padding_mask=pad)
    l_out, l_w = lm(*(loom.from_numpy(q.numpy()),) * 3, attn_mask=loom.from_numpy(mask.numpy()),
                    key_padding_mask=loom.from_numpy(pad.numpy()))
    torch.testing.assert_close(torch.from_numpy(l_out.detach().numpy()), t_out.detach())
    torch.testing.assert_close(torch.from_numpy(l_w.detach().numpy()), t_w.detach())


@pytest.mark.parametrize("name,args,kwargs", [c[:3] for c in CASES] + [
    ("Embedding", (10, 3), {"padding_idx": 2}), ("Dropout", (0.2,), {}),
    ("LSTM", (3, 4), {"num_layers": 2, "batch_first": True}), ("GRU", (3, 4), {}),
    ("RNNCell", (3, 4), {}), ("MultiheadAttention", (8, 2), {}), ("MaxPool2d", (2,), {}),
    ("BatchNorm2d", (3,), {"bias": False}), ("LayerNorm", (3,), {"bias": False})])
def test_repr_matches_torch(name, args, kwargs):
    assert repr(getattr(nn, name)(*args, **kwargs)) == \
        repr(getattr(torch.nn, name)(*args, **kwargs))


@pytest.mark.parametrize("kwargs", [{"scale_grad_by_freq": True},
                                    {"scale_grad_by_freq": True, "padding_idx": 2},
                                    {"max_norm": 1.0},
                                    {"max_norm": 0.5, "norm_type": 1.0, "scale_grad_by_freq": True},
                                    {"max_norm": 1.5, "padding_idx": 4}])
def test_embedding_options_match_torch(kwargs):
    torch.manual_seed(0)
    tm = torch.nn.Embedding(10, 3, **kwargs).double()
    lm = nn.Embedding(10, 3, **kwargs).double()
    assert repr(lm) == repr(tm)
    # repeated indices: the frequencies scale the gradients; max_norm renormalises the rows
    # in place (the state dicts after the call are compared too)
    compare_module(tm, lm, torch.tensor([[1, 2, 4, 2], [4, 9, 2, 2]]))


def test_embedding_weight_shape_is_checked():
    for lib in (torch, loom):
        with pytest.raises(AssertionError, match="Shape of weight does not match num_embeddings "
                                                 "and embedding_dim"):
            lib.nn.Embedding(3, 2, _weight=lib.zeros(2, 3))
    with pytest.raises(NotImplementedError, match="sparse gradients"):
        nn.Embedding(3, 2, sparse=True)(loom.tensor([0]))
