"""`loom.testing.assert_close` against ``torch.testing.assert_close``: the same inputs pass or
raise the same exception type with the same message."""
import math

import numpy as np
import pytest
import torch

import loom
from loom.testing import assert_close


def _both(build):
    """build(lib) -> (args, kwargs) for each library."""
    return build(torch), build(loom)


def _outcome(fn, args, kwargs):
    try:
        fn(*args, **kwargs)
    except Exception as e:  # noqa: BLE001 - the exception is what is compared
        return type(e), str(e)
    return None


_NAN, _INF = math.nan, math.inf

CASES = {
    "close": lambda L: ((L.tensor([1., 2.]), L.tensor([1., 2. + 1e-7])), {}),
    "not_close": lambda L: ((L.tensor([1., 2., 3.]), L.tensor([1., 2.1, 3.])), {}),
    "ints": lambda L: ((L.tensor([1, 2, 3]), L.tensor([1, 4, 3])), {}),
    "bools": lambda L: ((L.tensor([True, False]), L.tensor([True, True])), {}),
    "shape": lambda L: ((L.tensor([1., 2.]), L.tensor([1., 2., 3.])), {}),
    "dtype": lambda L: ((L.tensor([1., 2.]), L.tensor([1., 2.], dtype=L.float64)), {}),
    "dtype_off": lambda L: ((L.tensor([1., 2.]), L.tensor([1., 2.], dtype=L.float64)),
                            {"check_dtype": False}),
    "int_vs_float": lambda L: ((L.tensor([1]), L.tensor([1.])), {}),
    "nan": lambda L: ((L.tensor([1., _NAN]), L.tensor([1., _NAN])), {}),
    "nan_equal": lambda L: ((L.tensor([1., _NAN]), L.tensor([1., _NAN])), {"equal_nan": True}),
    "inf": lambda L: ((L.tensor([_INF, -_INF]), L.tensor([_INF, -_INF])), {}),
    "inf_sign": lambda L: ((L.tensor([_INF]), L.tensor([-_INF])), {}),
    "zero_expected": lambda L: ((L.tensor([0., 2.]), L.tensor([1., 0.])), {}),
    "tiny": lambda L: ((L.tensor([0.]), L.tensor([1e-6])), {}),
    "matrix": lambda L: ((L.tensor([[1., 2.], [3., 4.]]), L.tensor([[1., 2.], [3., 5.]])), {}),
    "scalar_tensor": lambda L: ((L.tensor(2.), L.tensor(3.)), {}),
    "half": lambda L: ((L.tensor([1.], dtype=L.float16), L.tensor([1.0005], dtype=L.float16)),
                       {}),
    "half_far": lambda L: ((L.tensor([1.], dtype=L.float16), L.tensor([1.01], dtype=L.float16)),
                           {}),
    "complex": lambda L: ((L.tensor([1 + 1j]), L.tensor([1 + 2j])), {}),
    "float64": lambda L: ((L.tensor([1.], dtype=L.float64), L.tensor([1.1], dtype=L.float64)),
                          {}),
    "only_rtol": lambda L: ((L.tensor([1.]), L.tensor([1.1])), {"rtol": 0.2}),
    "only_atol": lambda L: ((L.tensor([1.]), L.tensor([1.1])), {"atol": 0.2}),
    "both_tols": lambda L: ((L.tensor([1.]), L.tensor([1.1])), {"rtol": 0.2, "atol": 0}),
    "zero_tols": lambda L: ((L.tensor([1.]), L.tensor([1.1])), {"rtol": 0, "atol": 0}),
    "msg": lambda L: ((L.tensor([1.]), L.tensor([1.1])), {"msg": "custom"}),
    "msg_callable": lambda L: ((L.tensor([1.]), L.tensor([1.1])),
                               {"msg": lambda m: "Header\n" + m}),
    "numpy": lambda L: ((np.array([1.]), np.array([1.1])), {}),
    "numpy_f32": lambda L: ((np.array([1.], np.float32), np.array([1.], np.float32)), {}),
    "floats": lambda L: ((1.0, 1.1), {}),
    "ints_py": lambda L: ((1, 2), {}),
    "int_float_py": lambda L: ((1, 1.0), {}),
    "int_float_py_dtype": lambda L: ((1, 1.0), {"check_dtype": True}),
    "nan_py": lambda L: ((_NAN, _NAN), {"equal_nan": True}),
    "bool_py": lambda L: ((True, False), {}),
    "none": lambda L: ((None, None), {}),
    "none_vs_tensor": lambda L: ((L.tensor([1.]), None), {}),
    "tensor_vs_float": lambda L: ((L.tensor(1.), 1.0), {}),
    "tensor_vs_list": lambda L: ((L.tensor([1., 2.]), [1., 2.]), {}),
    "strings": lambda L: (("a", "b"), {}),
    "seq": lambda L: (([L.tensor(1.), L.tensor(2.)], [L.tensor(1.), L.tensor(3.)]), {}),
    "seq_len": lambda L: (([1, 2], [1, 2, 3]), {}),
    "nested": lambda L: (([{"a": [L.tensor([1., 2.])]}], [{"a": [L.tensor([1., 2.5])]}]), {}),
    "dict": lambda L: (({"a": L.tensor(1.)}, {"a": L.tensor(2.)}), {}),
    "dict_keys": lambda L: (({"a": 1, "b": 2}, {"a": 1, "c": 2}), {}),
    "tuple_list": lambda L: (((1, 2.0), [1, 2.0]), {}),
    "requires_grad": lambda L: ((L.tensor([1.]), L.tensor([1.]).requires_grad_()), {}),
    "stride": lambda L: ((L.ones(2, 3), L.ones(3, 2).t()), {"check_stride": True}),
    "stride_off": lambda L: ((L.ones(2, 3), L.ones(3, 2).t()), {}),
    "big": lambda L: ((L.arange(100.).reshape(10, 10),
                       L.arange(100.).reshape(10, 10) * 1.001), {}),
    "ints_many": lambda L: ((L.arange(10), L.arange(10) * 2), {}),
    "empty": lambda L: ((L.zeros(0), L.zeros(0)), {}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_assert_close_matches_pytorch(name):
    (targs, tkw), (largs, lkw) = _both(CASES[name])
    expected = _outcome(torch.testing.assert_close, targs, tkw)
    got = _outcome(assert_close, largs, lkw)
    assert got == expected


def test_loom_testing_keeps_the_conformance_kit():
    assert "assert_close" in loom.testing.__all__
    assert callable(loom.testing.opcheck) and callable(loom.testing.gradcheck)


def test_default_tolerances_are_pytorchs():
    from loom.testing.comparison import default_tolerances
    from torch.testing._comparison import default_tolerances as torch_tols
    for name in ("float16", "bfloat16", "float32", "float64", "complex64", "int64", "bool"):
        assert default_tolerances(getattr(loom, name)) == torch_tols(getattr(torch, name))
    assert default_tolerances(loom.ones(1), loom.ones(1, dtype=loom.float16)) == \
        torch_tols(torch.ones(1), torch.ones(1, dtype=torch.float16))
