"""`loom.set_printoptions` and its effect on printing, differential against PyTorch's."""
import numpy as np
import pytest
import torch

import loom


@pytest.fixture(autouse=True)
def _default_options():
    yield
    torch.set_printoptions(profile="default")
    loom.set_printoptions(profile="default")


_ARRAYS = [
    np.array([1.12345, -2.5, 3.0], dtype=np.float32),
    np.array([1.0, 2.0, 3.0]),
    np.array([1e-5, 1.0, 1234.5678]),
    np.array([1e9, 2.0]),
    np.array([[0.1, 0.25], [12.0, np.nan]], dtype=np.float32),
    np.array([np.inf, -np.inf, 0.0]),
    np.arange(2000, dtype=np.float32).reshape(40, 50) / 7,
    np.arange(30, dtype=np.int64),
    np.arange(24.0).reshape(2, 3, 4) * 1.5,
    np.linspace(-3, 3, 25).reshape(5, 5),
    np.array([1 + 2j, -0.5 - 1e-3j], dtype=np.complex64),
    np.array(3.14159),
]

_OPTIONS = [
    dict(precision=2), dict(precision=8), dict(precision=0), dict(sci_mode=True),
    dict(sci_mode=False), dict(linewidth=40), dict(linewidth=200), dict(threshold=5),
    dict(threshold=5, edgeitems=1), dict(threshold=10, edgeitems=0), dict(profile="short"),
    dict(profile="full"), dict(profile="default"), dict(precision=3, sci_mode=True,
                                                        linewidth=50),
    dict(profile="short", precision=6),
]


@pytest.mark.parametrize("opts", _OPTIONS, ids=repr)
@pytest.mark.parametrize("i", range(len(_ARRAYS)))
def test_printing_under_options_matches_pytorch(opts, i):
    a = _ARRAYS[i]
    torch.set_printoptions(**opts)
    loom.set_printoptions(**opts)
    assert repr(loom.tensor(a)) == repr(torch.tensor(a))
    assert str(loom.tensor(a, requires_grad=a.dtype.kind == "f") * 1) == \
        str(torch.tensor(a, requires_grad=a.dtype.kind == "f") * 1)


def test_options_persist_across_calls_and_sci_mode_resets():
    loom.set_printoptions(precision=2, sci_mode=True)
    loom.set_printoptions(linewidth=60)  # keeps precision; sci_mode back to automatic
    from loom.tensor_str import get_printoptions
    assert get_printoptions() == {"precision": 2, "threshold": 1000, "edgeitems": 3,
                                  "linewidth": 60, "sci_mode": None}
    assert repr(loom.tensor([1.23456])) == "tensor([1.23])"


def test_unknown_profile_changes_nothing_like_pytorch():
    for lib in (torch, loom):
        lib.set_printoptions(precision=1)
        lib.set_printoptions(profile="nope")
    assert repr(loom.tensor([1.25, 2.5])) == repr(torch.tensor([1.25, 2.5]))


def test_printoptions_context_restores():
    from loom.tensor_str import printoptions
    with printoptions(precision=1):
        assert repr(loom.tensor([1.25])) == "tensor([1.2])"
    assert repr(loom.tensor([1.25])) == "tensor([1.2500])"
