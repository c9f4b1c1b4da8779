"""WeightedRandomSampler, DistributedSampler, ChainDataset, StackDataset and get_worker_info
against torch.utils.data."""
import pytest
import torch
from torch.utils import data as tdata

import loom
from loom.utils import data as ldata


@pytest.mark.parametrize("weights,n,replacement", [
    ([0.1, 0.9, 0.4, 0.3], 6, True), ([0.1, 0.9, 0.4, 0.3], 3, False),
    ([1, 1, 1, 1, 1, 1, 1, 1, 1, 1], 25, True), ((0.5, 2.0), 1, False)])
def test_weighted_random_sampler_draws_pytorchs_indices(weights, n, replacement):
    got = list(ldata.WeightedRandomSampler(weights, n, replacement,
                                           generator=loom.Generator().manual_seed(7)))
    want = list(tdata.WeightedRandomSampler(weights, n, replacement,
                                            generator=torch.Generator().manual_seed(7)))
    assert got == want and len(ldata.WeightedRandomSampler(weights, n, replacement)) == n


@pytest.mark.parametrize("args", [([1.0, 2.0], 0), ([1.0, 2.0], 2, 1), ([[1.0, 2.0]], 2),
                                  ([1.0, 2.0], 2.5)])
def test_weighted_random_sampler_refuses_as_pytorch(args):
    with pytest.raises(ValueError) as t:
        tdata.WeightedRandomSampler(*args)
    with pytest.raises(ValueError) as lo:
        ldata.WeightedRandomSampler(*args)
    assert str(lo.value) == str(t.value)


def test_weighted_sampler_in_a_dataloader_batches_the_drawn_rows():
    ds = ldata.TensorDataset(loom.arange(10.0))
    sampler = ldata.WeightedRandomSampler([0.0] * 5 + [1.0] * 5, 20)
    rows = [x for (b,) in ldata.DataLoader(ds, batch_size=4, sampler=sampler) for x in b.tolist()]
    assert len(rows) == 20 and set(rows) <= {5.0, 6.0, 7.0, 8.0, 9.0}


@pytest.mark.parametrize("n,replicas,shuffle,drop_last", [
    (10, 3, True, False), (10, 3, False, False), (10, 3, True, True), (2, 5, False, False),
    (12, 4, True, False)])
def test_distributed_sampler_splits_as_pytorch(n, replicas, shuffle, drop_last):
    for rank in range(replicas):
        lo = ldata.DistributedSampler(range(n), replicas, rank, shuffle, seed=3,
                                      drop_last=drop_last)
        to = tdata.DistributedSampler(range(n), replicas, rank, shuffle, seed=3,
                                      drop_last=drop_last)
        for epoch in (0, 1):
            lo.set_epoch(epoch)
            to.set_epoch(epoch)
            assert list(lo) == list(to) and len(lo) == len(to)


def test_distributed_sampler_needs_its_replica_without_a_process_group():
    with pytest.raises(RuntimeError, match="process group has not been initialized"):
        ldata.DistributedSampler(range(4))
    with pytest.raises(ValueError, match="Invalid rank 3"):
        ldata.DistributedSampler(range(4), 2, 3)


def _stream(lib, n):
    class It(lib.utils.data.IterableDataset):
        def __iter__(self):
            return iter(range(n))

        def __len__(self):
            return n
    return It()


def test_chain_and_stack_datasets_as_pytorch():
    for lib in (torch, loom):
        chain = _stream(lib, 2) + _stream(lib, 3)
        assert type(chain).__name__ == "ChainDataset" and list(chain) == [0, 1, 0, 1, 2]
        assert len(chain) == 5
        with pytest.raises(AssertionError, match="only supports IterableDataset"):
            list(lib.utils.data.ChainDataset([lib.utils.data.TensorDataset(lib.ones(2))]))
    ls = ldata.StackDataset(ldata.TensorDataset(loom.arange(3)), loom.arange(3) * 2)
    ts = tdata.StackDataset(tdata.TensorDataset(torch.arange(3)), torch.arange(3) * 2)
    assert repr(ls[1]) == repr(ts[1]) and len(ls) == len(ts) == 3
    ld = ldata.StackDataset(a=loom.arange(3), b=loom.arange(3) * 2)
    assert {k: v.item() for k, v in ld[2].items()} == {"a": 2, "b": 4}
    batch = next(iter(ldata.DataLoader(ld, batch_size=2)))
    assert batch["b"].tolist() == [0, 2]
    for bad in [lambda m: m.StackDataset(), lambda m: m.StackDataset(loom.arange(2), a=loom.arange(2)),
                lambda m: m.StackDataset(loom.arange(3), loom.arange(2))]:
        with pytest.raises(ValueError):
            bad(ldata)


def test_get_worker_info_is_none_in_the_loading_process():
    assert ldata.get_worker_info() is None and tdata.get_worker_info() is None
