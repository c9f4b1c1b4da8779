"""Recurrent layers: RNN, LSTM, GRU (multi-layer, bidirectional, batch_first, dropout between
layers, LSTM projections) and their cells, with PyTorch's parameter names, gate order and initialisation
(every parameter U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)))."""
from __future__ import annotations

import math
import warnings

import loom

from . import functional as F, init
from .module import Module
from .parameter import Parameter
from .utils.rnn import PackedSequence

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
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or \
                not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"dropout option adds dropout after all but last recurrent layer, so "
                          f"non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=3)
        if not isinstance(hidden_size, int) or isinstance(hidden_size, bool):
            raise TypeError(f"hidden_size should be of type int, got: "
                            f"{type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional = float(dropout), bidirectional
        self.proj_size = proj_size
        gate = _GATES[mode] * hidden_size
        dirs = 2 if bidirectional else 1
        # the size of h: the projection's when there is one (LSTM only)
        real_hidden = proj_size if proj_size > 0 else hidden_size
        f = {"device": device, "dtype": dtype}
        self._flat_weights_names, self._all_weights = [], []
        for layer in range(num_layers):
            for d in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                in_size = input_size if layer == 0 else real_hidden * dirs
                shapes = [("weight_ih", (gate, in_size)), ("weight_hh", (gate, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate,)), ("bias_hh", (gate,))]
                if proj_size > 0:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                names = []
                for name, shape in shapes:
                    setattr(self, name + sfx, Parameter(loom.empty(shape, **f)))
                    names.append(name + sfx)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        std = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for w in self.parameters():
            init.uniform_(w, -std, std)

    @property
    def all_weights(self):
        """The parameters per layer and direction, as PyTorch lists them."""
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def _weights(self, layer, d):
        sfx = f"_l{layer}" + ("_reverse" if d else "")
        get = lambda n: getattr(self, n + sfx) if self.bias or n.startswith("weight") else None
        return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh")

    def _check_hidden(self, hx, batched, n, lstm):
        """PyTorch's checks of a given initial state, and the state batched."""
        h_size = self.proj_size if self.proj_size > 0 else self.hidden_size
        dirs = 2 if self.bidirectional else 1
        want = 3 if batched else 2
        what = "batched 3-D" if batched else "unbatched 2-D"
        if lstm:
            if hx[0].dim() != want or hx[1].dim() != want:
                raise RuntimeError(f"For {what} input, hx and cx should also be {want}-D but got "
                                   f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
            if not batched:
                hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1))
            expected = [(self.num_layers * dirs, n, h_size),
                        (self.num_layers * dirs, n, self.hidden_size)]
            for i, (t, e) in enumerate(zip(hx, expected)):
                if tuple(t.shape) != e:
                    raise RuntimeError(f"Expected hidden[{i}] size {e}, got {list(t.shape)}")
            return hx
        if hx.dim() != want:
            raise RuntimeError(f"For {what} input, hx should also be {want}-D but got "
                               f"{hx.dim()}-D tensor")
        if not batched:
            hx = hx.unsqueeze(1)
        e = (self.num_layers * dirs, n, h_size)
        if tuple(hx.shape) != e:
            raise RuntimeError(f"Expected hidden size {e}, got {list(hx.shape)}")
        return hx

    def forward(self, input, hx=None):
        lstm = self.mode == "LSTM"
        packed = isinstance(input, PackedSequence)
        if packed:
            # the time steps one after the other, each with the sequences still running (a
            # prefix of the batch, sorted by decreasing length)
            input, batch_sizes, sorted_indices, unsorted_indices = input
            sizes = [int(b) for b in batch_sizes.tolist()]
            if input.dim() != 2:
                raise RuntimeError(f"input must have 2 dimensions, got {input.dim()}")
            batched = True
        else:
            batched = input.dim() == 3
            if input.dim() not in (2, 3):
                raise ValueError(f"{self.mode[:4].rstrip('_')}: Expected input to be 2D or 3D, "
                                 f"got {input.dim()}D " +
                                 ("tensor instead" if self.mode.startswith("RNN") else "instead"))
        w0 = getattr(self, self._flat_weights_names[0])
        if input.dtype != w0.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype "
                             f"({w0.dtype}). Convert input: input.to({w0.dtype}), or convert "
                             f"model: model.to({input.dtype})")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.shape[-1]}")
        if packed:
            x, n, steps = input, sizes[0], len(sizes)
            offsets = [sum(sizes[:t]) for t in range(steps)]
        else:
            x = input if batched else input.unsqueeze(1)
            if batched and self.batch_first:
                x = x.transpose(0, 1)
            steps, n = x.shape[0], x.shape[1]
            sizes = [n] * steps
        dirs = 2 if self.bidirectional else 1
        if hx is None:
            f = {"dtype": input.dtype, "device": input.device}
            c = loom.zeros(self.num_layers * dirs, n, self.hidden_size, **f)
            h = loom.zeros(self.num_layers * dirs, n, self.proj_size, **f) \
                if self.proj_size > 0 else c
            hx = (h, c) if lstm else h
        else:
            if packed and sorted_indices is not None:     # the state in the sorted order
                hx = tuple(t.index_select(1, sorted_indices) for t in hx) if lstm else \
                    hx.index_select(1, sorted_indices)
            hx = self._check_hidden(hx, batched, n, lstm)
        cell = _CELLS[self.mode]
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                k = layer * dirs + d
                state = (hx[0][k], hx[1][k]) if lstm else hx[k]
                w = self._weights(layer, d)
                w_hr = getattr(self, f"weight_hr_l{layer}" + ("_reverse" if d else "")) \
                    if self.proj_size > 0 else None
                seq = [None] * steps
                for t in (range(steps - 1, -1, -1) if d else range(steps)):
                    b = sizes[t]
                    xt = x.narrow(0, offsets[t], b) if packed else x[t]
                    # the running sequences step; the others keep their state
                    part = state if b == n else \
                        tuple(s[:b] for s in state) if lstm else state[:b]
                    new = cell(xt, part, *w)
                    if w_hr is not None:        # LSTM with projections: h = W_hr (o * tanh(c))
                        new = (F.linear(new[0], w_hr), new[1])
                    seq[t] = new[0] if lstm else new
                    state = new if b == n else \
                        tuple(loom.cat([a, s[b:]]) for a, s in zip(new, state)) if lstm else \
                        loom.cat([new, state[b:]])
                outs.append(loom.cat(seq, 0) if packed else loom.stack(seq, 0))
                h_n.append(state[0] if lstm else state)
                if lstm:
                    c_n.append(state[1])
            x = outs[0] if dirs == 1 else loom.cat(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        out = x
        h = loom.stack(h_n, 0)
        hidden = (h, loom.stack(c_n, 0)) if lstm else h
        if packed:
            if unsorted_indices is not None:            # the state in the batch's order
                hidden = tuple(t.index_select(1, unsorted_indices) for t in hidden) if lstm \
                    else hidden.index_select(1, unsorted_indices)
            return PackedSequence(out, batch_sizes, sorted_indices, unsorted_indices), hidden
        if batched and self.batch_first:
            out = out.transpose(0, 1)
        if not batched:
            out = out.squeeze(1)
            hidden = tuple(t.squeeze(1) for t in hidden) if lstm else hidden.squeeze(1)
        return out, hidden

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
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
        if "proj_size" in v:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
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
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
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
        if input.dim() not in (1, 2):
            raise ValueError(f"{type(self).__name__}: Expected input to be 1D or 2D, got "
                             f"{input.dim()}D instead")
        batched = input.dim() == 2
        x = input if batched else input.unsqueeze(0)
        if x.shape[1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {x.shape[1]} expected "
                               f"{self.input_size}")
        if hx is None:
            z = loom.zeros(x.shape[0], self.hidden_size, dtype=input.dtype, device=input.device)
            hx = (z, z) if self._mode == "LSTM" else z
        else:
            if not batched:
                hx = tuple(h.unsqueeze(0) for h in hx) if self._mode == "LSTM" else \
                    hx.unsqueeze(0)
            for i, h in enumerate(hx if self._mode == "LSTM" else (hx,)):
                if h.shape[0] != x.shape[0]:
                    raise RuntimeError(f"Input batch size {x.shape[0]} doesn't match hidden{i} "
                                       f"batch size {h.shape[0]}")
                if h.shape[1] != self.hidden_size:
                    raise RuntimeError(f"hidden{i} has inconsistent hidden_size: got "
                                       f"{h.shape[1]}, expected {self.hidden_size}")
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
