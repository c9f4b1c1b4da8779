"""Bad input raises PyTorch's exception type with PyTorch's message (loom may add context after
it: the op, the shapes or dtypes involved), never NumPy's own exception."""
import numpy as np
import pytest

import loom
from loom.plugin import DeviceBackend

torch = pytest.importorskip("torch", reason="torch is the oracle of these differential tests")

CASES = {
    "broadcast_shapes": lambda t: t.ones(3) + t.ones(4),
    "broadcast_shapes_2d": lambda t: t.ones(2, 3) * t.ones(4, 1, 2),
    "matmul_shapes": lambda t: t.ones(2, 3) @ t.ones(4, 5),
    "mm_dtypes": lambda t: t.ones(2, 3).mm(t.ones(3, 2, dtype=t.float64)),
    "view_layout": lambda t: t.ones(2, 3).t().view(6),
    "reshape_size": lambda t: t.ones(12).reshape(3, 5),
    "write_into_expanded": lambda t: t.ones(3).expand(2, 3).add_(1),
    "inplace_cast": lambda t: t.ones(3, dtype=t.long).add_(1.5),
    "index_out_of_range": lambda t: t.ones(3)[5],
    "index_out_of_range_after_ellipsis": lambda t: t.ones(4, 3)[..., 4],
    "tensor_index_out_of_range": lambda t: t.ones(4, 3)[t.tensor([5])],
    "too_many_indices": lambda t: t.ones(4, 3)[0, 0, 0],
    "flatten_dim_of_0d": lambda t: t.flatten(t.tensor(1.0), 5),
    "dim_out_of_range": lambda t: t.ones(3).sum(2),
    "cat_ndim": lambda t: t.cat([t.ones(2, 3), t.ones(3)]),
    "expand_size": lambda t: t.ones(2, 3).expand(3, 3),
    "mean_of_int": lambda t: t.ones(2, dtype=t.long).mean(),
    "item_of_many": lambda t: t.ones(2).item(),
    "bool_of_many": lambda t: bool(t.ones(2)),
    "numpy_requires_grad": lambda t: t.ones(2, requires_grad=True).numpy(),
    "int_requires_grad": lambda t: t.ones(2, dtype=t.long).requires_grad_(),
    "bool_subtraction": lambda t: t.tensor([True]) - t.tensor([False]),
    "maximum_scalar": lambda t: t.maximum(t.ones(2), 1.0),
    "mv_shapes": lambda t: t.ones(2, 3).mv(t.ones(4)),
    "dot_sizes": lambda t: t.ones(3).dot(t.ones(4)),
    "t_of_3d": lambda t: t.ones(2, 2, 2).t(),
    "stack_sizes": lambda t: t.stack([t.ones(2), t.ones(3)]),
}


def _raised(fn, lib):
    with pytest.raises(Exception) as info:
        fn(lib)
    return info.value


@pytest.mark.parametrize("name", list(CASES))
def test_same_exception_type_and_message_as_pytorch(name):
    want = _raised(CASES[name], torch)
    got = _raised(CASES[name], loom)
    assert type(got).__name__ == type(want).__name__, (got, want)
    first = str(want).splitlines()[0]
    assert str(got).startswith(first), f"\nloom:  {got}\ntorch: {first}"


def test_broadcast_error_names_both_shapes():
    with pytest.raises(RuntimeError, match=r"shapes \[2, 3\] and \[4, 1, 2\]"):
        loom.ones(2, 3) * loom.ones(4, 1, 2)


def test_mm_dtype_error_names_both_dtypes():
    with pytest.raises(RuntimeError, match="float32 and float64"):
        loom.ones(2, 3).mm(loom.ones(3, 2, dtype=loom.float64))


def test_cuda_without_cupy_names_the_extra():
    if loom.cuda.is_available():
        pytest.skip("a CUDA device is available here; the error only exists without one")
    with pytest.raises(RuntimeError, match=r"loom-tensor\[cuda\]"):
        loom.ones(2).cuda()
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        loom.zeros(2, device="cuda")


class _FakeArray(np.ndarray):
    """Arrays of a second, fake device: NumPy memory under another array type."""


class _FakeBackend(DeviceBackend):
    type = "fake"
    xp = np
    array_type = _FakeArray

    def asarray(self, host_array, index=None):
        return np.asarray(host_array).view(_FakeArray)

    def to_host(self, array):
        return array.view(np.ndarray)


@pytest.fixture
def fake_device():
    from loom import backends
    backends.register_backend(_FakeBackend())
    yield
    backends.unregister_backend("fake")


def test_mixed_devices_raise_naming_both(fake_device):
    a = loom.ones(3)
    b = loom.ones(3).to("fake")
    assert b.device == loom.device("fake")
    with pytest.raises(RuntimeError, match=r"found at least two devices, cpu and fake"):
        a + b
    with pytest.raises(RuntimeError, match=r"two devices, (cpu and fake|fake and cpu)"):
        loom.ones(3, 3).to("fake").mm(loom.ones(3, 3))
    # a 0-dim CPU tensor may join a tensor of any device, as in PyTorch
    assert (b * loom.tensor(2.0)).tolist() == [2.0, 2.0, 2.0]


def test_cat_size_error_names_the_tensor():
    want = _raised(lambda t: t.cat([t.ones(2, 3), t.ones(2, 3), t.ones(1, 4)]), torch)
    got = _raised(lambda t: t.cat([t.ones(2, 3), t.ones(2, 3), t.ones(1, 4)]), loom)
    assert type(got) is RuntimeError and str(got) == str(want).splitlines()[0]
