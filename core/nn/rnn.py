"""Recurrent layers: RNN, LSTM, GRU (multi-layer, bidirectional, batch_first, dropout between
layers) and their cells, with PyTorch's parameter names, gate order and initialisation
(every parameter U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)))."""
from __future__ import annotations

import math

import loom

from . import functional as F, init
from .module import Module
from .parameter import Parameter

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"]


def _rnn_tanh(x, h, w_ih, w_hh, b_ih, b_hh):
    return loom.tanh(F.linear(x, w_ih, b_ih) + F.linear(h, w_hh, b_hh))


def _rnn_relu(x, h, w_ih, w_hh, b_ih, b_hh):
    return loom.relu(F.linear(x, w_ih, b_ih) + F.linear(h, w_hh, b_hh))


def _lstm(x, state, w_ih, w_hh, b_ih, b_hh):
    h, c = state
    gates = F.linear(x, w_ih, b_ih) + F.linear(h, w_hh, b_hh)
    i, f, g, o = gates.chunk(4, -1)
    c = loom.sigmoid(f) * c + loom.sigmoid(i) * loom.tanh(g)
    return loom.sigmoid(o) * loom.tanh(c), c


def _gru(x, h, w_ih, w_hh, b_ih, b_hh):
    xr, xz, xn = F.linear(x, w_ih, b_ih).chunk(3, -1)
    hr, hz, hn = F.linear(h, w_hh, b_hh).chunk(3, -1)
    r = loom.sigmoid(xr + hr)
    z = loom.sigmoid(xz + hz)
    n = loom.tanh(xn + r * hn)
    return (1 - z) * n + z * h


_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}
_CELLS = {"RNN_TANH": _rnn_tanh, "RNN_RELU": _rnn_relu, "LSTM": _lstm, "GRU": _gru}


class RNNBase(Module):
    """What RNN, LSTM and GRU share: the parameters per layer and direction, and the loop."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None, dtype=None):
        super().__init__()
        if not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if proj_size:
            raise NotImplementedError("LSTM proj_size is not supported")
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, 0
        gate = _GATES[mode] * hidden_size
        dirs = 2 if bidirectional else 1
        f = {"device": device, "dtype": dtype}
        self._flat_weights_names = []
        for layer in range(num_layers):
            for d in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                in_size = input_size if layer == 0 else hidden_size * dirs
                shapes = [("weight_ih", (gate, in_size)), ("weight_hh", (gate, hidden_size))]
                if bias:
                    shapes += [("bias_ih", (gate,)), ("bias_hh", (gate,))]
                for name, shape in shapes:
                    setattr(self, name + sfx, Parameter(loom.empty(shape, **f)))
                    self._flat_weights_names.append(name + sfx)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        std = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for w in self.parameters():
            init.uniform_(w, -std, std)

    @property
    def all_weights(self):
        return [[getattr(self, n) for n in self._flat_weights_names[i:i + (4 if self.bias else 2)]]
                for i in range(0, len(self._flat_weights_names), 4 if self.bias else 2)]

    def _weights(self, layer, d):
        sfx = f"_l{layer}" + ("_reverse" if d else "")
        get = lambda n: getattr(self, n + sfx) if self.bias or n.startswith("weight") else None
        return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh")

    def forward(self, input, hx=None):
        lstm = self.mode == "LSTM"
        batched = input.dim() == 3
        if input.dim() not in (2, 3):
            raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, got "
                             f"{input.dim()}D tensor instead")
        x = input if batched else input.unsqueeze(1)
        if batched and self.batch_first:
            x = x.transpose(0, 1)
        steps, n = x.shape[0], x.shape[1]
        dirs = 2 if self.bidirectional else 1
        if hx is None:
            z = loom.zeros(self.num_layers * dirs, n, self.hidden_size, dtype=input.dtype,
                           device=input.device)
            hx = (z, z) if lstm else z
        elif not batched:
            hx = tuple(h.unsqueeze(1) for h in hx) if lstm else hx.unsqueeze(1)
        cell = _CELLS[self.mode]
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                k = layer * dirs + d
                state = (hx[0][k], hx[1][k]) if lstm else hx[k]
                w = self._weights(layer, d)
                seq = [None] * steps
                order = range(steps - 1, -1, -1) if d else range(steps)
                for t in order:
                    state = cell(x[t], state, *w)
                    seq[t] = state[0] if lstm else state
                outs.append(loom.stack(seq, 0))
                h_n.append(state[0] if lstm else state)
                if lstm:
                    c_n.append(state[1])
            x = outs[0] if dirs == 1 else loom.cat(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        out = x
        if batched and self.batch_first:
            out = out.transpose(0, 1)
        h = loom.stack(h_n, 0)
        hidden = (h, loom.stack(c_n, 0)) if lstm else h
        if not batched:
            out = out.squeeze(1)
            hidden = tuple(t.squeeze(1) for t in hidden) if lstm else hidden.squeeze(1)
        return out, hidden

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


def _split(args, kwargs, names):
    vals = dict(zip(names, args))
    vals.update(kwargs)
    return vals


class RNN(RNNBase):
    """Elman RNN: ``h' = tanh(W_ih x + b_ih + W_hh h + b_hh)`` (or relu)."""

    def __init__(self, *args, **kwargs):
        v = _split(args, kwargs, ("input_size", "hidden_size", "num_layers", "nonlinearity",
                                  "bias", "batch_first", "dropout", "bidirectional"))
        nl = v.pop("nonlinearity", "tanh")
        if nl not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nl}'. Select from 'tanh' or 'relu'.")
        self.nonlinearity = nl
        super().__init__("RNN_TANH" if nl == "tanh" else "RNN_RELU", **v)


class LSTM(RNNBase):
    """Long short-term memory (gates i, f, g, o); returns ``output, (h_n, c_n)``."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit (gates r, z, n)."""

    def __init__(self, *args, **kwargs):
        super().__init__("GRU", *args, **kwargs)


class _CellBase(Module):
    _mode = "RNN_TANH"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        gate = _GATES[self._mode] * hidden_size
        f = {"device": device, "dtype": dtype}
        self.weight_ih = Parameter(loom.empty(gate, input_size, **f))
        self.weight_hh = Parameter(loom.empty(gate, hidden_size, **f))
        if bias:
            self.bias_ih = Parameter(loom.empty(gate, **f))
            self.bias_hh = Parameter(loom.empty(gate, **f))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        std = 1.0 / math.sqrt(hidden_size) if hidden_size > 0 else 0
        for w in self.parameters():
            init.uniform_(w, -std, std)

    def forward(self, input, hx=None):
        batched = input.dim() == 2
        x = input if batched else input.unsqueeze(0)
        if hx is None:
            z = loom.zeros(x.shape[0], self.hidden_size, dtype=input.dtype, device=input.device)
            hx = (z, z) if self._mode == "LSTM" else z
        elif not batched:
            hx = tuple(h.unsqueeze(0) for h in hx) if self._mode == "LSTM" else hx.unsqueeze(0)
        out = _CELLS[self._mode](x, hx, self.weight_ih, self.weight_hh, self.bias_ih,
                                 self.bias_hh)
        if not batched:
            out = tuple(o.squeeze(0) for o in out) if self._mode == "LSTM" else out.squeeze(0)
        return out

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        return s


class RNNCell(_CellBase):
    """One step of an Elman RNN."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        self._mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, device, dtype)


class LSTMCell(_CellBase):
    """One LSTM step: returns ``(h', c')``."""
    _mode = "LSTM"


class GRUCell(_CellBase):
    """One GRU step."""
    _mode = "GRU"
