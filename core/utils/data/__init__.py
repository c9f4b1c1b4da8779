"""`loom.utils.data`: datasets, samplers, collation and the DataLoader, as
`torch.utils.data` (batches are loaded in the calling process: ``num_workers`` > 0 loads in the
main process with a warning)."""
from __future__ import annotations

from .collate import default_collate, default_convert
from .dataloader import DataLoader
from .dataset import (ChainDataset, ConcatDataset, Dataset, IterableDataset, StackDataset,
                      Subset, TensorDataset, random_split)
from .sampler import (BatchSampler, DistributedSampler, RandomSampler, Sampler,
                      SequentialSampler, SubsetRandomSampler, WeightedRandomSampler)

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "ConcatDataset", "ChainDataset",
           "StackDataset", "Subset", "random_split", "Sampler", "SequentialSampler",
           "RandomSampler", "SubsetRandomSampler", "BatchSampler", "WeightedRandomSampler",
           "DistributedSampler", "DataLoader", "default_collate", "default_convert",
           "get_worker_info"]


def get_worker_info():
    """None: loom's DataLoader loads every batch in the calling process, where PyTorch's
    `get_worker_info` is None too (an `IterableDataset` that splits its stream by worker reads
    all of it)."""
    return None
