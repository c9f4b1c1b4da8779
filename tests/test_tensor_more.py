"""The rest of the Tensor surface published code reaches for (`new`, `type_as`, predicates,
`sum_to_size`, `apply_`/`map_`, `fill_diagonal_`), differentially against PyTorch."""
import numpy as np
import pytest

import loom
from oracle import same_outcome, torch


@pytest.mark.parametrize("call", [
    lambda T: T.ones(2).new(2, 3).shape and T.ones(2).new(2, 3).new_zeros(1),
    lambda T: T.ones(2).new([1, 2]),
    lambda T: T.ones(2, dtype=T.int32).new([1.5, 2]),
    lambda T: T.ones(2).new(),
    lambda T: T.ones(2).new(T.Size([2, 2])).fill_(1),
    lambda T: T.ones(2).new((2, 2)),
    lambda T: T.ones(2).new(T.tensor([1.0, 2.0])),
    lambda T: T.ones(2).new(T.tensor([1, 2])),
    lambda T: T.ones(2).new(2.5),
    lambda T: T.ones(2).type_as(T.ones(1, dtype=T.int64)),
    lambda T: T.ones(2, dtype=T.int32).type_as(T.ones(1)),
    lambda T: T.ones(2).type_as(3),
    lambda T: T.ones(2, 3).sum_to_size(1, 3),
    lambda T: T.ones(2, 3).sum_to_size(3),
    lambda T: T.ones(2, 3).sum_to_size((2, 1)),
    lambda T: T.ones(4, 2, 3).sum_to_size(2, 1),
    lambda T: T.ones(2, 3).sum_to_size(2, 3),
    lambda T: T.ones(2, 3).sum_to_size(4),
    lambda T: T.arange(3.0).apply_(lambda v: v * 2 + 1),
    lambda T: T.arange(6).reshape(2, 3).t().apply_(lambda v: v * 10),
    lambda T: T.ones(3, requires_grad=True).apply_(lambda v: v),
    lambda T: T.ones(2, 3).map_(T.arange(3.0), lambda a, b: a + b),
    lambda T: T.zeros(3, 3).fill_diagonal_(5),
    lambda T: T.zeros(7, 3).fill_diagonal_(5, wrap=True),
    lambda T: T.zeros(7, 3).fill_diagonal_(5),
    lambda T: T.zeros(2, 3).fill_diagonal_(1),
    lambda T: T.zeros(3, 3, 3).fill_diagonal_(2),
    lambda T: T.zeros(2, 3, 4).fill_diagonal_(1),
    lambda T: T.zeros(3).fill_diagonal_(1),
    lambda T: T.zeros(3, 3, requires_grad=True).fill_diagonal_(1),
], ids=lambda f: "")
def test_results_and_errors_as_pytorch(call):
    same_outcome(call)


@pytest.mark.parametrize("call", [
    lambda T: T.tensor([1.0]).is_nonzero(), lambda T: T.tensor([0.0]).is_nonzero(),
    lambda T: T.tensor(3).is_nonzero(), lambda T: T.tensor([1, 2]).is_nonzero(),
    lambda T: T.tensor([]).is_nonzero(),
    lambda T: T.ones(2).is_same_size(T.ones(2)), lambda T: T.ones(2).is_same_size(T.ones(3)),
    lambda T: (T.ones(2).is_conj(), T.ones(2).is_neg(), T.ones(2).is_inference(),
               T.ones(2).name, T.ones(2).is_mps, T.ones(2).is_shared()),
    lambda T: (T.ones(2, 3).dim_order(), T.ones(2, 3).t().dim_order(),
               T.ones(2, 3, 4).permute(2, 0, 1).dim_order()),
    lambda T: ((T.ones(2, requires_grad=True) * 2).output_nr,
               T.ones(2, requires_grad=True).unbind()[1].output_nr, T.ones(1).output_nr),
])
def test_predicates_as_pytorch(call):
    def run(lib):
        try:
            return call(lib)
        except Exception as e:  # noqa: BLE001 - the outcome is compared
            return type(e).__name__
    assert run(loom) == run(torch)


def test_resolvers_and_share_memory_return_the_tensor_itself():
    t = loom.ones(3)
    assert t.resolve_conj() is t and t.resolve_neg() is t and t.share_memory_() is t


def test_new_from_a_tensor_aliases_its_data_and_apply_bumps_the_version():
    src = loom.tensor([1.0, 2.0])
    alias = loom.ones(2).new(src)
    alias[0] = 7.0
    assert src.tolist() == [7.0, 2.0]
    t = loom.ones(3)
    v = t._version
    t.apply_(lambda x: x + 1)
    assert t._version == v + 1 and t.tolist() == [2.0, 2.0, 2.0]
    assert np.shares_memory(t.numpy(), t.numpy())
