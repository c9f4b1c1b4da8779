"""`default_collate` and `default_convert`: how samples become a batch, as in
`torch.utils.data` (tensors stack, numbers become tensors, dicts, named tuples and sequences
collate field by field, strings stay lists)."""
from __future__ import annotations

import collections.abc
from typing import Any

import numpy as np

import loom

__all__ = ["default_collate", "default_convert"]

_ERR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        "found {}")


def _is_namedtuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(x, "_fields")


def default_collate(batch: list) -> Any:
    """Stack a list of samples into a batch: tensors with `loom.stack` (a new leading
    dimension), NumPy arrays and numbers into tensors (floats as float64, ints as int64,
    bools as bool), mappings and sequences element by element (a tuple comes back as a
    list, as in PyTorch), strings as a list."""
    elem = batch[0]
    if isinstance(elem, loom.Tensor):
        return loom.stack(batch, 0)
    if isinstance(elem, np.ndarray) or (isinstance(elem, np.generic)
                                        and not isinstance(elem, (np.str_, np.bytes_))):
        if elem.dtype.kind in "SaUO":
            raise TypeError(_ERR.format(elem.dtype))
        if isinstance(elem, np.ndarray) and elem.shape != ():
            return default_collate([loom.as_tensor(b) for b in batch])
        return loom.as_tensor(np.array(batch))
    if isinstance(elem, bool):
        return loom.tensor(batch)
    if isinstance(elem, float):
        return loom.tensor(batch, dtype=loom.float64)
    if isinstance(elem, int):
        return loom.tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        out = {key: default_collate([d[key] for d in batch]) for key in elem}
        try:
            return type(elem)(out)
        except TypeError:  # a mapping type that cannot be built from a dict
            return out
    if _is_namedtuple(elem):
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if not all(len(e) == size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = [list(s) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return [default_collate(s) for s in transposed]
        try:
            return type(elem)([default_collate(s) for s in transposed])
        except TypeError:
            return [default_collate(s) for s in transposed]
    raise TypeError(_ERR.format(type(elem)))


def default_convert(data: Any) -> Any:
    """What a DataLoader without batching (``batch_size=None``) does to each sample: NumPy
    arrays and scalars become tensors, containers are converted element by element, anything
    else is left as it is."""
    if isinstance(data, loom.Tensor):
        return data
    if isinstance(data, np.ndarray):
        return data if data.dtype.kind in "SaUO" else loom.as_tensor(data)
    if isinstance(data, np.generic) and data.dtype.kind not in "SaUO":
        return loom.as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        out = {k: default_convert(v) for k, v in data.items()}
        try:
            return type(data)(out)
        except TypeError:
            return out
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            return type(data)([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data
