"""`loom.nn.utils.rnn`: sequences of different lengths for the recurrent layers, as
``torch.nn.utils.rnn``: `pad_sequence`/`unpad_sequence`, and `PackedSequence` with
`pack_padded_sequence`, `pad_packed_sequence`, `pack_sequence` and `unpack_sequence`.

A packed sequence holds the time steps one after the other, each with only the sequences
still running at that step (the batch sorted by decreasing length, so they are a prefix):
``batch_sizes[t]`` rows for step t. Packing and unpacking are indexing, slicing and joining,
so gradients flow through them."""
from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable

import loom

__all__ = ["PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "unpad_sequence", "pack_sequence", "unpack_sequence", "invert_permutation"]


def invert_permutation(permutation):
    """The permutation that undoes `permutation` (None stays None)."""
    if permutation is None:
        return None
    return loom.argsort(permutation)


class PackedSequence(namedtuple("PackedSequence_",
                                ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """The data of a batch of sequences, packed by time step: `data` (sum of lengths, *),
    `batch_sizes` (int64, the number of sequences at each step), and the permutation that
    sorted the batch by decreasing length (`sorted_indices`) and its inverse."""
    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:   # PackedSequence(data_and_batch_sizes_tuple)
            data, batch_sizes = data
        if batch_sizes.device.type != "cpu":
            raise ValueError("batch_sizes should always be on CPU. Instances of PackedSequence "
                             "should never be created manually. They should be instantiated "
                             "by functions like pack_sequence and pack_padded_sequences in "
                             "nn.utils.rnn. https://pytorch.org/docs/stable/nn.html#torch.nn."
                             "utils.rnn.pack_sequence")
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def __repr__(self) -> str:
        return (f"PackedSequence(data={self.data!r}, batch_sizes={self.batch_sizes!r}, "
                f"sorted_indices={self.sorted_indices!r}, "
                f"unsorted_indices={self.unsorted_indices!r})")

    def to(self, *args, **kwargs) -> "PackedSequence":
        """`data` converted as ``Tensor.to``; the indices follow it to its device."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        move = lambda t: None if t is None else t.to(data.device)  # noqa: E731
        return type(self)(data, self.batch_sizes, move(self.sorted_indices),
                          move(self.unsorted_indices))

    def cpu(self) -> "PackedSequence":
        return self.to("cpu")

    def cuda(self, device=None) -> "PackedSequence":
        return self.to("cuda" if device is None else device)

    def double(self) -> "PackedSequence":
        return self.to(dtype=loom.float64)

    def float(self) -> "PackedSequence":
        return self.to(dtype=loom.float32)

    def half(self) -> "PackedSequence":
        return self.to(dtype=loom.float16)

    def long(self) -> "PackedSequence":
        return self.to(dtype=loom.int64)

    def int(self) -> "PackedSequence":
        return self.to(dtype=loom.int32)

    @property
    def is_cuda(self) -> bool:
        return self.data.device.type == "cuda"

    def is_pinned(self) -> bool:
        return False

    def pin_memory(self):
        raise NotImplementedError("PackedSequence.pin_memory: loom has no pinned memory")


def _lengths(lengths):
    if isinstance(lengths, loom.Tensor):
        return [int(v) for v in lengths.tolist()]
    return [int(v) for v in lengths]


def pack_padded_sequence(input, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded (T, B, *) batch (or (B, T, *) with `batch_first`) of sequences of the
    given `lengths`; with `enforce_sorted` the lengths must already decrease."""
    lens = _lengths(lengths)
    sorted_indices = None
    if not enforce_sorted:
        # a stable sort by decreasing length: equal lengths keep their order
        order = sorted(range(len(lens)), key=lambda i: -lens[i])
        sorted_indices = loom.tensor(order, dtype=loom.int64, device=input.device)
        lens = [lens[i] for i in order]
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    if batch_first:
        input = input.transpose(0, 1)
    if len(lens) != input.shape[1]:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{len(lens)} (batch_size={input.shape[1]})")
    if any(v <= 0 for v in lens):
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element "
                           "in 'lengths' that is <= 0")
    if any(a < b for a, b in zip(lens, lens[1:])):
        raise RuntimeError("`lengths` array must be sorted in decreasing order when "
                           "`enforce_sorted` is True. You can pass `enforce_sorted=False` to "
                           "pack_padded_sequence and/or pack_sequence to sidestep this "
                           "requirement if you do not need ONNX exportability.")
    if lens[0] > input.shape[0]:
        raise RuntimeError(f"Expected the longest length to be at most the padded length "
                           f"{input.shape[0]}, but got {lens[0]}")
    sizes = [sum(1 for v in lens if v > t) for t in range(lens[0])]
    data = loom.cat([input[t, :b] for t, b in enumerate(sizes)], 0)
    return PackedSequence(data, loom.tensor(sizes, dtype=loom.int64), sorted_indices, None)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0, total_length=None):
    """The padded batch (T, B, *) (or (B, T, *)) of a packed sequence and the int64 lengths,
    in the batch's original order; `total_length` pads the time dim to that length."""
    sizes = [int(b) for b in sequence.batch_sizes.tolist()]
    steps = len(sizes)
    if total_length is not None:
        if total_length < steps:
            raise ValueError(f"Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {steps}")
        steps = total_length
    data = sequence.data
    n = sizes[0]
    f = {"dtype": data.dtype, "device": data.device}
    rows, off = [], 0
    for b in sizes:
        part = data[off:off + b]
        if b < n:
            part = loom.cat([part, loom.full((n - b,) + tuple(data.shape[1:]), padding_value,
                                             **f)], 0)
        rows.append(part)
        off += b
    rows += [loom.full((n,) + tuple(data.shape[1:]), padding_value, **f)] * (steps - len(sizes))
    padded = loom.stack(rows, 0)
    lengths = loom.tensor([sum(1 for b in sizes if b > i) for i in range(n)], dtype=loom.int64)
    if batch_first:
        padded = padded.transpose(0, 1)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(0 if batch_first else 1, sequence.unsorted_indices)
        lengths = lengths[sequence.unsorted_indices.cpu()]
    return padded, lengths


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right"):
    """Stack tensors of shapes (L_i, *) into one (L_max, B, *) (or (B, L_max, *)), padded with
    `padding_value` after each sequence (before it with ``padding_side='left'``)."""
    if not isinstance(sequences, Iterable):
        raise RuntimeError(f"pad_sequence: Expected iterable for input sequences, but got arg "
                           f"of type: {type(sequences)}")
    sequences = list(sequences.unbind(0) if isinstance(sequences, loom.Tensor) else sequences)
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got "
                           f"{padding_side}.")
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    first = sequences[0]
    longest = max(s.shape[0] for s in sequences)
    trailing = tuple(first.shape[1:])
    rows = []
    for s in sequences:
        if tuple(s.shape[1:]) != trailing:     # copied into the padded rows: broadcast
            b = list(s.shape[1:])
            b = [1] * (len(trailing) - len(b)) + b
            bad = [i for i, (p, q) in enumerate(zip(trailing, b)) if 1 not in (p, q) and p != q]
            if bad:
                d = bad[0]
                raise RuntimeError(f"The size of tensor a ({trailing[d]}) must match the size "
                                   f"of tensor b ({b[d]}) at non-singleton dimension {d + 1}")
            if len(b) > len(trailing) or any(q != 1 and q != p for p, q in zip(trailing, b)):
                raise RuntimeError(f"output with shape {[s.shape[0], *trailing]} doesn't match "
                                   f"the broadcast shape {[s.shape[0], *s.shape[1:]]}")
            s = s.expand((s.shape[0],) + trailing)
        s = s.to(first.dtype)
        fill = loom.full((longest - s.shape[0],) + trailing, padding_value, dtype=first.dtype,
                         device=first.device)
        rows.append(loom.cat([s, fill] if padding_side == "right" else [fill, s], 0))
    return loom.stack(rows, 0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first: bool = False):
    """The list of sequences a padded batch holds, each cut to its length."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[:n] for seq, n in zip(padded_sequences, _lengths(lengths))]


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of (L_i, *) sequences (by decreasing length unless not `enforce_sorted`)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths,
                                enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence):
    """The list of sequences a packed sequence holds, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
