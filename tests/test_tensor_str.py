"""core/tensor_str.py must print arrays exactly like PyTorch's ``repr(tensor)``.

The module is loaded from its file so this test runs even while the rest of loom is not
importable. Torch is the oracle; it is only used with its default print options.
"""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

_PATH = Path(__file__).parents[1] / "core" / "tensor_str.py"
_spec = importlib.util.spec_from_file_location("loom_tensor_str_under_test", _PATH)
tensor_str = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tensor_str)
format_tensor = tensor_str.format_tensor

_DEFAULT = torch.get_default_dtype()
_DEFAULT_COMPLEX = torch.complex128 if _DEFAULT == torch.float64 else torch.complex64


def _name(t):
    return str(t.dtype).removeprefix("torch.")


def _loom(a, t, suffixes=()):
    """format_tensor with the arguments loom would pass for torch tensor ``t``."""
    return format_tensor(a, dtype_name=_name(t),
                         is_default_float=t.dtype in (_DEFAULT, _DEFAULT_COMPLEX),
                         suffixes=list(suffixes))


def _check(a):
    a = np.asarray(a)
    t = torch.from_numpy(a.copy())
    assert _loom(a, t) == repr(t)


nan, inf = float("nan"), float("inf")

FLOAT_CASES = [
    [1.0, 2.0], [4.5, 4.5], [1e-5, 1e3], [1e10, 1.0], [1e9], [123456789.0], [1e8, 1.0],
    [0.1, 1000.0], [0.1, 100.01], [1e-4, 0.5], [0.99e-4, 0.5], [0.0, 0.0], [-0.0],
    [nan], [inf, -inf], [0.0, nan], [1.0, nan], [-inf, 1.5], [nan, 1e-7, 3.0], [1e300, -1e-300],
    [-1.0, 2.5, -333.25], [12345.678, -0.001], [1.0, -1.0], [0.5], [1e-8, 1e-8],
    [3.0, 1e5 + 0.5], [-1e10, 0.0, 7.0], [2.0**60], [1.0, 1000.0], [1.0, 1001.0],
]


@pytest.mark.parametrize("values", FLOAT_CASES, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_float_styles(values, dtype):
    with np.errstate(over="ignore"):
        _check(np.array(values, dtype=dtype))


@pytest.mark.parametrize("a", [
    np.float32(27.0), np.float64(0.5), np.float32(nan), np.float32(-inf), np.float32(0.0),
    np.int64(3), np.int32(-7), np.bool_(True), np.bool_(False), np.complex64(1 + 2j),
    np.complex128(-0.5 - 1e-6j), np.uint8(255), np.float16(1e-5),
], ids=repr)
def test_zero_dim(a):
    _check(np.array(a))


@pytest.mark.parametrize("shape", [(0,), (0, 3), (2, 0), (1, 0, 4)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64, np.bool_,
                                   np.complex64, np.complex128, np.uint8, np.float16])
def test_empty(shape, dtype):
    _check(np.zeros(shape, dtype=dtype))


@pytest.mark.parametrize("a", [
    np.array([True, False]), np.array([[True], [False]]), np.array([1, -22, 333]),
    np.array([1, 2], dtype=np.int32), np.array([255, 0], dtype=np.uint8),
    np.array([-128, 5], dtype=np.int8), np.array([-3000], dtype=np.int16),
    np.array([1 + 2j, -3.5 - 0.0j]), np.array([-0.0 + 0j, 2j]), np.array([1e-5 + 1e5j, 3 + 0j]),
    np.array([complex(nan, inf), 1 - 1j], dtype=np.complex64),
    np.arange(40.0) * 1.5, np.arange(100), np.arange(60.0).reshape(2, 30) * 1.5 + 1j,
    np.arange(24.0).reshape(2, 3, 4), np.arange(48).reshape(2, 2, 3, 4) - 20,
    np.arange(3000.0).reshape(3, 10, 100), np.arange(1001), np.arange(2000).reshape(2, 1000),
    np.arange(1200, dtype=np.float32).reshape(20, 60) / 7, np.ones((1001,), dtype=bool),
    (np.arange(1500) / 3 - 2j).reshape(3, 500), np.arange(5000.0).reshape(10, 10, 10, 5),
    np.arange(7 * 7 * 7 * 7, dtype=np.int32).reshape(7, 7, 7, 7),
    np.linspace(-1e-3, 1e6, 37),
], ids=lambda a: f"{a.dtype}{a.shape}")
def test_layouts(a):
    _check(a)


def test_requires_grad_suffix_wraps_like_torch():
    # 1-D lengths cover the boundary where the suffix no longer fits on the last line.
    for n in range(1, 14):
        a = np.arange(n, dtype=np.float32) + 0.5
        t = torch.tensor(a, requires_grad=True)
        assert _loom(a, t, ["requires_grad=True"]) == repr(t)
        g = t * 2
        assert _loom(a * 2, g, [f"grad_fn=<{type(g.grad_fn).__name__}>"]) == repr(g)


def test_suffix_order_for_empty_and_typed():
    for shape, dt in [((0, 3), torch.float64), ((0,), torch.float64), ((2, 2), torch.float64)]:
        t = torch.zeros(shape, dtype=dt, requires_grad=True)
        a = np.zeros(shape)
        assert _loom(a, t, ["requires_grad=True"]) == repr(t)
    # Torch orders device, size, dtype, autograd. Non-CPU devices cannot be created here,
    # but an empty meta tensor prints the same suffixes; its body "..." is one character
    # longer than "[]", so pick cases away from the line-wrap boundary.
    for shape, grad in [((0, 2), False), ((3, 0, 1), True)]:
        m = torch.zeros(shape, dtype=torch.float64, device="meta", requires_grad=grad)
        out = format_tensor(np.zeros(shape), dtype_name="float64", is_default_float=False,
                            suffixes=["requires_grad=True"] * grad + ["device='meta'"])
        assert out == repr(m).replace("tensor(...", "tensor([]")


def test_bfloat16_if_available():
    ml_dtypes = pytest.importorskip("ml_dtypes")
    a = np.array([[1.5, -2.0], [3.0, 1e-3]], dtype=ml_dtypes.bfloat16)
    t = torch.tensor(a.astype(np.float32), dtype=torch.bfloat16)
    assert _loom(a, t) == repr(t)


_SWEEP_DTYPES = [np.float32, np.float64, np.float16, np.int64, np.int32, np.int16, np.int8,
                 np.uint8, np.bool_, np.complex64, np.complex128]


def _random_array(rng):
    ndim = int(rng.integers(0, 5))
    shape = tuple(int(rng.integers(0, 6 if ndim > 2 else 12)) for _ in range(ndim))
    if rng.random() < 0.08:  # occasionally large enough to be summarized
        shape = (int(rng.integers(2, 40)), int(rng.integers(30, 60)))
    dtype = _SWEEP_DTYPES[int(rng.integers(len(_SWEEP_DTYPES)))]
    scale = 10.0 ** rng.integers(-9, 12)
    base = rng.standard_normal(shape) * scale
    style = rng.integers(4)
    if style == 0:
        base = np.round(base)
    elif style == 1:
        base = np.round(base * 100) / 100
    if np.dtype(dtype).kind == "c":
        base = base + 1j * np.round(rng.standard_normal(shape) * scale, int(rng.integers(0, 5)))
    if np.dtype(dtype).kind == "f" and base.size and rng.random() < 0.3:
        base.flat[int(rng.integers(base.size))] = [nan, inf, -inf, 0.0][int(rng.integers(4))]
    with np.errstate(over="ignore", invalid="ignore"):
        if np.dtype(dtype).kind in "iub":
            info = np.iinfo(dtype) if dtype is not np.bool_ else None
            base = np.nan_to_num(base.real)
            base = base > 0 if info is None else np.clip(base, info.min, info.max)
        return np.asarray(base).astype(dtype)


def test_random_sweep():
    rng = np.random.default_rng(1234)
    for _ in range(300):
        a = _random_array(rng)
        t = torch.from_numpy(a.copy())
        assert _loom(a, t) == repr(t), (a.dtype, a.shape)
        if a.dtype.kind in "fc" and rng.random() < 0.3:
            tg = torch.tensor(a, requires_grad=True)
            assert _loom(a, tg, ["requires_grad=True"]) == repr(tg)
