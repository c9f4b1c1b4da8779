"""Recurrent layers against torch.nn beyond the basic cases: LSTM projections (``proj_size``)
in every layout, the whole output (sequence, h_n and c_n) differentiated together, given
initial states, and PyTorch's errors for bad arguments, inputs and states."""
from __future__ import annotations

import warnings

import pytest
import torch

import loom
from loom import nn

from nn_oracle import compare_module, to_loom

torch.manual_seed(0)


def _flat(lib):
    """A module that runs a recurrent layer and returns everything it returns, flattened into
    one vector, so one backward reaches every output."""
    class Flat(lib.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, x, *hx):
            out, h = self.m(x, *((tuple(hx) if len(hx) == 2 else hx[0]),) if hx else ())
            parts = [out] + (list(h) if isinstance(h, tuple) else [h])
            return lib.cat([p.reshape(-1) for p in parts])
    return Flat


def _compare(name, args, kwargs, x, *hx):
    tm = getattr(torch.nn, name)(*args, **kwargs).double()
    lm = getattr(nn, name)(*args, **kwargs).double()
    assert repr(lm) == repr(tm)
    assert [(k, tuple(v.shape)) for k, v in lm.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in tm.state_dict().items()]
    compare_module(_flat(torch)(tm), _flat(loom)(lm), x, *hx, rtol=1e-6)
    assert lm._all_weights == tm._all_weights
    assert [len(w) for w in lm.all_weights] == [len(w) for w in tm.all_weights]


def _x(*shape):
    return torch.randn(*shape, dtype=torch.float64)


@pytest.mark.parametrize("kwargs", [
    {"proj_size": 2}, {"proj_size": 3, "num_layers": 2}, {"proj_size": 2, "bidirectional": True},
    {"proj_size": 1, "num_layers": 2, "bidirectional": True, "batch_first": True},
    {"proj_size": 2, "bias": False, "num_layers": 2}])
def test_lstm_projection_matches_torch(kwargs):
    x = _x(2, 5, 3) if kwargs.get("batch_first") else _x(5, 2, 3)
    _compare("LSTM", (3, 4), kwargs, x)


def test_lstm_projection_shapes_and_given_state():
    m = nn.LSTM(3, 5, num_layers=2, proj_size=2, bidirectional=True).double()
    out, (h, c) = m(loom.randn(6, 4, 3, dtype=loom.float64))
    assert (tuple(out.shape), tuple(h.shape), tuple(c.shape)) == ((6, 4, 4), (4, 4, 2), (4, 4, 5))
    _compare("LSTM", (3, 5), {"num_layers": 2, "proj_size": 2, "bidirectional": True},
             _x(6, 4, 3), _x(4, 4, 2), _x(4, 4, 5))
    _compare("LSTM", (3, 5), {"proj_size": 2}, _x(6, 3), _x(1, 2), _x(1, 5))      # unbatched


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_whole_output_and_given_state_match_torch(name):
    hx = (_x(4, 2, 4), _x(4, 2, 4)) if name == "LSTM" else (_x(4, 2, 4),)
    _compare(name, (3, 4), {"num_layers": 2, "bidirectional": True}, _x(5, 2, 3), *hx)


def _error(fn):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn()
    except Exception as e:  # noqa: BLE001 -- the type is what is compared
        return type(e), str(e)
    return None


@pytest.mark.parametrize("make", [
    lambda lib: lib.nn.LSTM(3, 4, proj_size=4),
    lambda lib: lib.nn.LSTM(3, 4, proj_size=5),
    lambda lib: lib.nn.LSTM(3, 4, proj_size=-1),
    lambda lib: lib.nn.GRU(3, 4, proj_size=2),
    lambda lib: lib.nn.RNN(3, 4, proj_size=0),
    lambda lib: lib.nn.LSTM(3, 0),
    lambda lib: lib.nn.LSTM(3, 4, num_layers=0),
    lambda lib: lib.nn.GRU(3, 4.0),
    lambda lib: lib.nn.GRU(3, 4, dropout=1.5),
], ids=["proj=hidden", "proj>hidden", "proj<0", "gru-proj", "rnn-proj", "hidden0", "layers0",
        "float-hidden", "dropout"])
def test_constructor_errors_match_torch(make):
    t = _error(lambda: make(torch))
    assert t is not None and _error(lambda: make(loom)) == t


def test_dropout_with_one_layer_warns_as_torch():
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1, "
                                         "but got dropout=0.5 and num_layers=1"):
        nn.LSTM(3, 4, dropout=0.5)


@pytest.mark.parametrize("case", [
    ("LSTM", {"proj_size": 2, "num_layers": 2, "bidirectional": True}, (5, 2, 3),
     [(4, 2, 4), (4, 2, 4)]),
    ("LSTM", {"proj_size": 2, "num_layers": 2, "bidirectional": True}, (5, 2, 3),
     [(4, 2, 2), (4, 2, 2)]),
    ("LSTM", {"proj_size": 2}, (5, 2, 3), [(1, 3, 2), (1, 2, 4)]),
    ("LSTM", {}, (5, 3), [(1, 1, 4), (1, 1, 4)]),
    ("LSTM", {}, (5, 2, 3), [(1, 4), (1, 4)]),
    ("GRU", {}, (5, 2, 3), [(1, 3, 4)]),
    ("GRU", {"num_layers": 2}, (5, 2, 3), [(1, 2, 4)]),
    ("RNN", {}, (5, 3), [(1, 1, 4)]),
    ("RNN", {}, (5, 2, 3), [(2, 4)]),
    ("GRU", {}, (5, 2, 4), None),
    ("GRU", {}, (5, 2, 3, 1), None),
    ("RNN", {}, (5, 2, 3, 1), None),
    ("LSTM", {}, (3,), None),
], ids=lambda c: f"{c[0]}-{c[2]}-{c[3]}")
def test_forward_errors_match_torch(case):
    name, kwargs, shape, hx_shapes = case
    x = torch.randn(*shape)

    def run(lib, conv):
        m = getattr(lib.nn, name)(3, 4, **kwargs)
        hx = None if hx_shapes is None else [conv(torch.zeros(*s)) for s in hx_shapes]
        if hx is not None:
            hx = tuple(hx) if name == "LSTM" else hx[0]
        return m(conv(x), hx)
    t = _error(lambda: run(torch, lambda a: a))
    assert t is not None and _error(lambda: run(loom, to_loom)) == t


def test_input_dtype_must_match_the_weights():
    t = _error(lambda: torch.nn.GRU(3, 4)(torch.randn(5, 2, 3, dtype=torch.float64)))
    assert _error(lambda: nn.GRU(3, 4)(loom.randn(5, 2, 3, dtype=loom.float64))) == t
