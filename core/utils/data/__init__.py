"""`loom.utils.data`: datasets, samplers, collation and the DataLoader, as
`torch.utils.data` (batches are loaded in the calling process: ``num_workers`` > 0 loads in the
main process with a warning)."""
from __future__ import annotations

from .collate import default_collate, default_convert
from .dataloader import DataLoader
from .dataset import (ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset,
                      random_split)
from .sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler,
                      SubsetRandomSampler, WeightedRandomSampler)


def get_worker_info():
    """None: loom's DataLoader loads every batch in the calling process, where PyTorch's
    answers None too (a Dataset's ``__iter__`` then takes the whole range)."""
    return None


__all__ = ["Dataset", "IterableDataset", "TensorDataset", "ConcatDataset", "Subset",
           "random_split", "Sampler", "SequentialSampler", "RandomSampler",
           "SubsetRandomSampler", "BatchSampler", "DataLoader", "default_collate",
           "default_convert", "WeightedRandomSampler", "get_worker_info"]
