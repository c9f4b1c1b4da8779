"""Padding: ``F.pad`` in its four modes and the padding layers (``ReflectionPad2d``,
``ReplicationPad1d``, ``CircularPad3d``, ``ConstantPad2d``, ``ZeroPad2d``, ...).

Constant padding joins blocks of the fill value to the input; the other modes gather: each
output position along a padded dim reads one input position (mirrored about the edge for
'reflect', clamped to it for 'replicate', wrapped for 'circular'), so one ``index_select`` per
padded dim does it and its gradient (an ``index_add``) sums what each input position fed, to
any order."""
from __future__ import annotations

from typing import Optional

import loom

from .module import Module

__all__ = ["pad", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ZeroPad1d", "ZeroPad2d",
           "ZeroPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
           "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d",
           "CircularPad2d", "CircularPad3d"]

_MODES = ("constant", "reflect", "replicate", "circular")


def pad(input, pad, mode: str = "constant", value: Optional[float] = None):
    """Pad `input`: `pad` holds (before, after) pairs from the last dim backwards; negative
    sizes crop. 'constant' fills with `value` (0) and pads any number of dims; 'reflect',
    'replicate' and 'circular' pad the last 1, 2 or 3 dims of a 2-3, 3-4 or 4-5-d input."""
    if mode not in _MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    pad = [int(p) for p in pad]
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the "
                           f"input dimension but got padding length {len(pad)} and input of "
                           f"dimension {input.ndim}")
    if mode == "constant":
        return _constant(input, pad, 0 if value is None else value)
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    k = len(pad) // 2
    if k not in (1, 2, 3) or input.ndim not in (k + 1, k + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.ndim}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    pairs = [(pad[2 * i], pad[2 * i + 1]) for i in range(k)]       # last dim first
    dims = [input.ndim - 1 - i for i in range(k)]
    if mode == "circular":
        return _circular(input, pairs, dims)
    _check_reflect_replicate(input, pairs, dims, k, mode)
    out = input
    for (lo, hi), d in zip(pairs, dims):
        n = input.shape[d]
        j = range(-lo, n + hi)
        idx = [abs(i) if i < n else 2 * (n - 1) - i for i in j] if mode == "reflect" else \
            [min(max(i, 0), n - 1) for i in j]
        out = out.index_select(d, loom.tensor(idx, dtype=loom.int64, device=input.device))
    return out


def _constant(input, pad, value):
    out = input
    for i in range(len(pad) // 2):
        d = input.ndim - 1 - i
        lo, hi = pad[2 * i], pad[2 * i + 1]
        if lo < 0:
            out = out.narrow(d, -lo, out.shape[d] + lo)
            lo = 0
        if hi < 0:
            out = out.narrow(d, 0, out.shape[d] + hi)
            hi = 0
        parts = []
        for n in (lo, hi):
            shape = list(out.shape)
            shape[d] = n
            parts.append(loom.full(shape, value, dtype=input.dtype, device=input.device))
        out = loom.cat([parts[0], out, parts[1]], d)
    return out


def _check_reflect_replicate(input, pairs, dims, k, mode):
    """PyTorch's checks of reflection_pad{k}d / replication_pad{k}d, in its order."""
    kind = "reflection" if mode == "reflect" else "replication"
    shape = list(input.shape)
    if input.dtype == loom.bool:
        raise NotImplementedError(f'"{kind}_pad{k}d" not implemented for \'Bool\'')
    first = 1 if input.ndim == k + 2 else 0          # a batch dim may be empty
    if any(s == 0 for s in shape[first:]):
        raise RuntimeError(f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 "
                           f"batch size and other non-zero dimensions for input, but got: "
                           f"{shape}")
    if mode == "reflect":
        for i, ((lo, hi), d) in enumerate(zip(pairs, dims)):
            if not (lo < shape[d] and hi < shape[d]):
                raise RuntimeError(f"Argument #{4 + 2 * i}: Padding size should be less than "
                                   f"the corresponding input dimension, but got: padding "
                                   f"({lo}, {hi}) at dimension {d} of input {shape}")
    outs = [shape[d] + lo + hi for (lo, hi), d in zip(pairs, dims)]
    if all(o < 1 for o in outs):        # PyTorch refuses only when every padded dim is empty
        names = "WHD"[:k][::-1]
        ins = [shape[d] for d in dims][::-1]
        got = " ".join(f"{c}: {o}" for c, o in zip(names, outs[::-1]))
        size = ", ".join(f"{c}: {s}" for c, s in zip(names[-2:], ins[-2:]))
        if k == 3:
            size = f"D: {ins[0]} " + size
        elif k == 2 and mode == "replicate":
            size += " "                              # sic, PyTorch's replication_pad2d
        raise RuntimeError(f"input ({size}) is too small. Calculated output {got}")
    if any(o < 0 for o in outs):
        out_shape = shape[:input.ndim - k] + outs[::-1]
        neg = next(o for o in out_shape if o < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {neg}: {out_shape}")


def _circular(input, pairs, dims):
    """Crop by the negative sizes, then wrap: PyTorch's circular padding."""
    for (lo, hi), d in reversed(list(zip(pairs, dims))):     # outermost padded dim first
        n = input.shape[d]
        if lo > n or hi > n:
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if n + lo + hi < 0:
            raise RuntimeError("Negative padding value is resulting in an empty dimension")
    out = input
    for (lo, hi), d in zip(pairs, dims):
        start, stop = max(-lo, 0), out.shape[d] - max(-hi, 0)
        out = out.narrow(d, start, stop - start)
        lo, hi, n = max(lo, 0), max(hi, 0), stop - start
        if lo or hi:
            if n == 0:
                raise RuntimeError("Padding value causes wrapping around more than once.")
            idx = [(i - lo) % n for i in range(n + lo + hi)]
            out = out.index_select(d, loom.tensor(idx, dtype=loom.int64, device=input.device))
    return out


# ----------------------------------------------------------------------------- layers

def _ntuple(padding, n):
    return tuple(padding) if isinstance(padding, (tuple, list)) else (padding,) * n


class _PadNd(Module):
    _mode = "constant"
    _k = 1

    def __init__(self, padding) -> None:
        super().__init__()
        self.padding = _ntuple(padding, 2 * self._k)

    def forward(self, input):
        return pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _CircularPadNd(_PadNd):
    _mode = "circular"

    def forward(self, input):
        if input.dim() not in (self._k + 1, self._k + 2):
            raise ValueError(f"expected {self._k + 1}D or {self._k + 2}D input (got "
                             f"{input.dim()}D input)")
        return pad(input, self.padding, "circular")


def _layers(base, stem, doc):
    made = []
    for k in (1, 2, 3):
        made.append(type(f"{stem}{k}d", (base,), {"_k": k, "__module__": __name__,
                                                  "__doc__": f"{doc} ({k}-d)."}))
    return made


ConstantPad1d, ConstantPad2d, ConstantPad3d = _layers(
    _ConstantPadNd, "ConstantPad", "Pad the last dims with a constant `value`")
ZeroPad1d, ZeroPad2d, ZeroPad3d = _layers(_ZeroPadNd, "ZeroPad", "Pad the last dims with zeros")
ReflectionPad1d, ReflectionPad2d, ReflectionPad3d = _layers(
    type("_ReflectionPadNd", (_PadNd,), {"_mode": "reflect"}), "ReflectionPad",
    "Pad the last dims with the input mirrored about its edge")
ReplicationPad1d, ReplicationPad2d, ReplicationPad3d = _layers(
    type("_ReplicationPadNd", (_PadNd,), {"_mode": "replicate"}), "ReplicationPad",
    "Pad the last dims by repeating the edge values")
CircularPad1d, CircularPad2d, CircularPad3d = _layers(
    _CircularPadNd, "CircularPad", "Pad the last dims with the input wrapped around")
