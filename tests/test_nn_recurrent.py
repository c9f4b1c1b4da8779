"""Recurrent layers against torch.nn beyond the basic cases: LSTM projections (``proj_size``)
in every layout, the whole output (sequence, h_n and c_n) differentiated together, given
initial states, and PyTorch's errors for bad arguments, inputs and states."""
from __future__ import annotations

import pytest
import torch

import loom
from loom import nn

from nn_oracle import close, compare_module, error_of as _error, to_loom

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


# ----------------------------------------------------------------------------- packed sequences

def _packed_flat(lib, lengths, batch_first, enforce_sorted):
    """Pack the padded input, run the layer (with a given state when one is passed), and
    return the packed output's data, its padded form and the state as one vector."""
    R = lib.nn.utils.rnn

    class PackedFlat(lib.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, x, *hx):
            p = R.pack_padded_sequence(x, lengths, batch_first=batch_first,
                                       enforce_sorted=enforce_sorted)
            state = (tuple(hx) if len(hx) == 2 else hx[0]) if hx else None
            out, h = self.m(p, state)
            padded, lens = R.pad_packed_sequence(out, batch_first=batch_first, padding_value=-2.0)
            assert lens.tolist() == list(lengths)
            parts = [out.data, padded] + (list(h) if isinstance(h, tuple) else [h])
            return lib.cat([q.reshape(-1) for q in parts])
    return PackedFlat


@pytest.mark.parametrize("name,kwargs,lengths,enforce_sorted,with_state", [
    ("LSTM", {}, [5, 3, 2], True, False),
    ("GRU", {"bidirectional": True, "num_layers": 2}, [2, 5, 3], False, True),
    ("RNN", {"batch_first": True}, [4, 4, 1], False, False),
    ("LSTM", {"proj_size": 2, "bidirectional": True, "num_layers": 2}, [3, 5, 1], False, True),
])
def test_packed_input_matches_torch(name, kwargs, lengths, enforce_sorted, with_state):
    bf = kwargs.get("batch_first", False)
    x = _x(3, 5, 3) if bf else _x(5, 3, 3)
    dirs = 2 * kwargs.get("num_layers", 1) if kwargs.get("bidirectional") else \
        kwargs.get("num_layers", 1)
    hx = []
    if with_state:
        hx = [_x(dirs, 3, kwargs.get("proj_size") or 4)]
        if name == "LSTM":
            hx.append(_x(dirs, 3, 4))
    tm = getattr(torch.nn, name)(3, 4, **kwargs).double()
    lm = getattr(nn, name)(3, 4, **kwargs).double()
    compare_module(_packed_flat(torch, lengths, bf, enforce_sorted)(tm),
                   _packed_flat(loom, lengths, bf, enforce_sorted)(lm), x, *hx, rtol=1e-6)


@pytest.mark.parametrize("lengths,enforce_sorted,batch_first", [
    ([4, 3, 2], True, False), ([2, 4, 3], False, False), ([2, 3, 3], False, True)])
def test_pack_and_pad_match_torch(lengths, enforce_sorted, batch_first):
    from torch.nn.utils import rnn as TR
    from loom.nn.utils import rnn as LR
    x = _x(3, 4, 2) if batch_first else _x(4, 3, 2)
    t = TR.pack_padded_sequence(x, lengths, batch_first, enforce_sorted)
    lo = LR.pack_padded_sequence(to_loom(x), lengths, batch_first, enforce_sorted)
    assert isinstance(lo, LR.PackedSequence) and len(lo) == 4
    for a, b, what in zip(lo, t, t._fields):
        close(a, b, what=what)
    assert repr(lo) == repr(t)
    tp = TR.pad_packed_sequence(t, batch_first, -1.0, total_length=6)
    lp = LR.pad_packed_sequence(lo, batch_first, -1.0, total_length=6)
    close(lp[0], tp[0])
    close(lp[1], tp[1])
    seqs = [_x(n, 2) for n in (3, 1, 4)]
    for bf in (False, True):
        for side in ("right", "left"):
            close(LR.pad_sequence([to_loom(s) for s in seqs], bf, 5.0, side),
                  TR.pad_sequence(seqs, bf, 5.0, side))
    for a, b in zip(LR.unpack_sequence(LR.pack_sequence([to_loom(s) for s in seqs], False)),
                    TR.unpack_sequence(TR.pack_sequence(seqs, False))):
        close(a, b)
    padded = _x(4, 3, 2)
    for a, b in zip(LR.unpad_sequence(to_loom(padded), loom.tensor([1, 4, 2])),
                    TR.unpad_sequence(padded, torch.tensor([1, 4, 2]))):
        close(a, b)


def test_packing_is_differentiable():
    from loom.nn.utils import rnn as LR
    x = loom.randn(4, 3, 2, dtype=loom.float64, requires_grad=True)
    fn = lambda a: LR.pad_packed_sequence(   # noqa: E731
        LR.pack_padded_sequence(a, [2, 4, 3], enforce_sorted=False), padding_value=1.5)[0] ** 2
    assert loom.autograd.gradcheck(fn, (x,)) and loom.autograd.gradgradcheck(fn, (x,))


@pytest.mark.parametrize("call", [
    lambda R, x: R.pack_padded_sequence(x, [4, 2, 3]),
    lambda R, x: R.pack_padded_sequence(x, [4, 3, 0]),
    lambda R, x: R.pack_padded_sequence(x, [4, 3]),
    lambda R, x: R.pad_packed_sequence(R.pack_padded_sequence(x, [2, 4, 3], enforce_sorted=False),
                                       total_length=3),
    lambda R, x: R.pad_sequence([x[0], x[1].repeat(1, 2)]),
    lambda R, x: R.pad_sequence([x[0], x[1]], padding_side="middle"),
    lambda R, x: R.pad_sequence([]),
    lambda R, x: R.pad_sequence(5),
    lambda R, x: R.pack_sequence([x[0, 0], x[:, 0, 0]]),
    lambda R, x: R.pad_sequence([x[0, :, :1], x[1]]),
    lambda R, x: R.pad_sequence([x[0], x[1, :, :1]]).shape,       # trailing dims broadcast
], ids=["unsorted", "zero-length", "count", "total_length", "trailing", "side", "empty",
        "not-iterable", "pack-unsorted", "output-shape", "broadcast"])
def test_packing_errors_match_torch(call):
    x = torch.randn(4, 3, 2)
    t = _error(lambda: call(torch.nn.utils.rnn, x))
    assert _error(lambda: call(loom.nn.utils.rnn, to_loom(x))) == t


def test_packed_sequence_conversions():
    from loom.nn.utils import rnn as LR
    p = LR.pack_sequence([loom.ones(2), loom.ones(3)], enforce_sorted=False)
    d = p.double()
    assert d.data.dtype == loom.float64 and d.batch_sizes is p.batch_sizes
    assert bool((d.sorted_indices == p.sorted_indices).all()) and p.float() is p
    assert not p.is_cuda and not p.is_pinned()
    with pytest.raises(NotImplementedError, match="pinned memory"):
        p.pin_memory()


def test_pack_refuses_lengths_past_the_padded_input():
    # PyTorch reads past the end of the input here; loom says so
    with pytest.raises(RuntimeError, match="longest length to be at most the padded length 4"):
        loom.nn.utils.rnn.pack_padded_sequence(loom.zeros(4, 3, 2), [5, 3, 2])


def test_lstm_projection_second_order():
    loom.manual_seed(0)
    m = nn.LSTM(2, 3, proj_size=2, bidirectional=True).double()
    x = loom.randn(3, 1, 2, dtype=loom.float64, requires_grad=True)
    fn = lambda x: m(x)[0]   # noqa: E731
    assert loom.autograd.gradcheck(fn, (x,)) and loom.autograd.gradgradcheck(fn, (x,))


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("shape,hx_shape", [((2, 3, 1), None), ((2, 5), None), ((2, 3), (3, 4)),
                                            ((2, 3), (2, 5)), ((3,), (1, 4))])
def test_cell_errors_match_torch(name, shape, hx_shape):
    def run(lib, conv):
        m = getattr(lib.nn, name)(3, 4)
        hx = None
        if hx_shape is not None:
            h = conv(torch.zeros(*hx_shape))
            hx = (h, conv(torch.zeros(hx_shape[0], 4))) if name == "LSTMCell" else h
        return m(conv(torch.randn(*shape)), hx)
    t = _error(lambda: run(torch, lambda a: a))
    assert t is not None and _error(lambda: run(loom, to_loom)) == t


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
def test_unbatched_cell_with_state_matches_torch(name):
    hx = (_x(4), _x(4)) if name == "LSTMCell" else (_x(4),)
    tm, lm = getattr(torch.nn, name)(3, 4).double(), getattr(nn, name)(3, 4).double()
    compare_module(_flat_cell(torch)(tm), _flat_cell(loom)(lm), _x(3), *hx)


def _flat_cell(lib):
    class FlatCell(lib.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, x, *hx):
            out = self.m(x, tuple(hx) if len(hx) == 2 else hx[0])
            return lib.cat([o.reshape(-1) for o in (out if isinstance(out, tuple) else (out,))])
    return FlatCell
