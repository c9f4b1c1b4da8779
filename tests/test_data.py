"""loom.utils.data against torch.utils.data: the same batches in the same order (seeded
shuffles included), collation of nested samples, samplers, splits, and PyTorch's errors."""
from __future__ import annotations

import collections

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import loom
from loom.utils import progress
from loom.utils.data import (BatchSampler, ConcatDataset, DataLoader, Dataset, IterableDataset,
                             RandomSampler, SequentialSampler, Subset, TensorDataset,
                             default_collate, default_convert, random_split)


def _to_py(x):
    """Batches as plain values (tensors as (dtype name, list)) to compare loom with PyTorch."""
    if isinstance(x, (loom.Tensor, torch.Tensor)):
        return (str(x.dtype).replace("torch.", ""), tuple(x.shape), x.tolist())
    if isinstance(x, dict):
        return {k: _to_py(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x).__name__, [_to_py(v) for v in x]
    return x


def _pair_data(n=10):
    a = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    b = np.arange(n)
    return (TensorDataset(loom.tensor(a), loom.tensor(b)),
            tud.TensorDataset(torch.tensor(a), torch.tensor(b)))


@pytest.mark.parametrize("kw", [dict(batch_size=3), dict(batch_size=3, drop_last=True),
                                dict(batch_size=4, shuffle=True), dict(batch_size=None),
                                dict(batch_size=1, shuffle=True, drop_last=True)],
                         ids=str)
def test_batches_match_torch_with_a_seeded_generator(kw):
    ld, td = _pair_data()
    gl, gt = loom.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    l_loader = DataLoader(ld, generator=gl, **kw)
    t_loader = tud.DataLoader(td, generator=gt, **kw)
    assert len(l_loader) == len(t_loader)
    for _ in range(2):  # two epochs: a new order each, as PyTorch's
        assert [_to_py(b) for b in l_loader] == [_to_py(b) for b in t_loader]


def test_shuffle_without_a_generator_follows_the_seeded_default_generator():
    ld, td = _pair_data(17)
    loom.manual_seed(11)
    torch.manual_seed(11)
    lo = [b[1].tolist() for b in DataLoader(ld, batch_size=5, shuffle=True)]
    to = [b[1].tolist() for b in tud.DataLoader(td, batch_size=5, shuffle=True)]
    assert lo == to


class _Dicts(Dataset):
    """Nested samples: a dict of a tensor, a float, an int, a bool, a string, a NumPy array,
    a tuple and a named tuple."""

    Point = collections.namedtuple("Point", "x y")

    def __init__(self, lib):
        self.lib = lib

    def __len__(self):
        return 5

    def __getitem__(self, i):
        return {"t": self.lib.full((2,), float(i)), "f": i / 2, "i": i, "b": i % 2 == 0,
                "s": f"s{i}", "np": np.arange(3) * i, "tup": (i, [i * 1.5, i]),
                "pt": self.Point(i, float(i)), "od": collections.OrderedDict(a=i)}


def test_nested_samples_collate_as_torchs_default_collate():
    lb = list(DataLoader(_Dicts(loom), batch_size=2))
    tb = list(tud.DataLoader(_Dicts(torch), batch_size=2))
    assert [_to_py(b) for b in lb] == [_to_py(b) for b in tb]
    assert type(lb[0]["pt"]) is _Dicts.Point and type(lb[0]["od"]) is collections.OrderedDict
    assert lb[0]["f"].dtype == loom.float64 and lb[0]["i"].dtype == loom.int64


def test_default_convert_and_collate_errors_match_torch():
    arr = np.ones((2, 2), dtype=np.float32)
    assert _to_py(default_convert((arr, "x"))) == \
        _to_py(tud.default_convert((arr, "x")))
    with pytest.raises(TypeError, match="batch must contain tensors, numpy arrays, numbers"):
        default_collate([object(), object()])
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal"):
        default_collate([[1, 2], [1]])


def test_iterable_dataset_batches_and_len():
    def stream(base, lib):
        class Stream(base):
            def __iter__(self):
                return iter(lib.tensor([float(i)]) for i in range(7))

            def __len__(self):
                return 7
        return Stream()

    for kw in (dict(batch_size=3), dict(batch_size=3, drop_last=True), dict(batch_size=None)):
        lb = DataLoader(stream(IterableDataset, loom), **kw)
        tb = tud.DataLoader(stream(tud.IterableDataset, torch), **kw)
        assert len(lb) == len(tb)
        assert [_to_py(b) for b in lb] == [_to_py(b) for b in tb]
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        DataLoader(stream(IterableDataset, loom), shuffle=True)


def test_samplers_and_batch_sampler_match_torch():
    data = list(range(11))
    assert list(SequentialSampler(data)) == list(tud.SequentialSampler(data))
    for kw in (dict(), dict(replacement=True, num_samples=40), dict(num_samples=25)):
        ls = RandomSampler(data, generator=loom.Generator().manual_seed(2), **kw)
        ts = tud.RandomSampler(data, generator=torch.Generator().manual_seed(2), **kw)
        assert list(ls) == list(ts) and len(ls) == len(ts)
    for drop in (False, True):
        lb, tb = BatchSampler(range(10), 4, drop), tud.BatchSampler(range(10), 4, drop)
        assert list(lb) == list(tb) and len(lb) == len(tb)
    ld, td = _pair_data()
    lbs = BatchSampler(SequentialSampler(ld), 3, False)
    l_loader = DataLoader(ld, batch_sampler=lbs)
    t_loader = tud.DataLoader(td, batch_sampler=tud.BatchSampler(tud.SequentialSampler(td),
                                                                 3, False))
    assert [_to_py(b) for b in l_loader] == [_to_py(b) for b in t_loader]


def test_random_split_subset_and_concat_match_torch():
    for lengths in ([3, 7], [0.25, 0.25, 0.5], [0.33, 0.33, 0.34]):
        ls = random_split(range(10), lengths, generator=loom.Generator().manual_seed(4))
        ts = tud.random_split(range(10), lengths, generator=torch.Generator().manual_seed(4))
        assert [list(s) for s in ls] == [list(s) for s in ts]
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        random_split(range(10), [3, 3])
    ld, _ = _pair_data()
    sub = Subset(ld, [4, 1])
    assert len(sub) == 2 and sub[0][1].item() == 4
    both = ld + sub
    assert isinstance(both, ConcatDataset) and len(both) == 12 and both[-1][1].item() == 1
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(loom.ones(3), loom.ones(4))


@pytest.mark.parametrize("kw,msg", [
    (dict(sampler=[0, 1], shuffle=True), "sampler option is mutually exclusive with shuffle"),
    (dict(batch_sampler=[[0]], batch_size=2),
     "batch_sampler option is mutually exclusive with batch_size"),
    (dict(batch_size=None, drop_last=True), "batch_size=None option disables auto-batching"),
    (dict(num_workers=-1), "num_workers option should be non-negative"),
])
def test_loader_argument_errors_match_torch(kw, msg):
    ld, td = _pair_data()
    with pytest.raises(ValueError, match=msg):
        DataLoader(ld, **kw)
    with pytest.raises(ValueError, match=msg):
        tud.DataLoader(td, **kw)


def test_num_workers_loads_in_process_with_a_warning():
    ld, _ = _pair_data()
    with pytest.warns(UserWarning, match="loads in the calling process"):
        loader = DataLoader(ld, batch_size=5, num_workers=2)
    assert [b[1].tolist() for b in loader] == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]


def test_progress_wraps_a_loader():
    ld, _ = _pair_data()
    seen = [b[1].shape[0] for b in progress(DataLoader(ld, batch_size=4), disable=True)]
    assert seen == [4, 4, 2]


def test_weighted_random_sampler_draws_as_torch():
    import torch.utils.data as td
    import loom.utils.data as ld
    y = [0] * 8 + [1] * 2
    w = [1 / 8 if c == 0 else 1 / 2 for c in y]
    out = {}
    for lib, d in ((torch, td), (loom, ld)):
        lib.manual_seed(0)
        s = d.WeightedRandomSampler(w, num_samples=10)
        first, second = list(s), list(s)
        s2 = d.WeightedRandomSampler(lib.tensor(w), 5, replacement=False,
                                     generator=lib.Generator().manual_seed(3))
        dl = d.DataLoader(d.TensorDataset(lib.arange(10), lib.tensor(y)), batch_size=4,
                          sampler=d.WeightedRandomSampler(w, 12))
        out[lib.__name__] = (first, second, list(s2), len(s), [b[1].tolist() for b in dl])
        assert d.get_worker_info() is None
        for bad, msg in ((dict(num_samples=0), "num_samples should be a positive integer"),
                         (dict(num_samples=3, replacement=1), "replacement should be a boolean"),
                         (dict(weights=[[1.0]], num_samples=2), "weights should be a 1d")):
            with pytest.raises(ValueError, match=msg):
                d.WeightedRandomSampler(**{"weights": w, **bad})
    assert out["loom"] == out["torch"]
