"""Differential tests of loom's dtypes and type promotion against PyTorch (the oracle).

`promote_types` for every pair, the result dtype of ``a + b`` for tensors of every rank mix and
for Python scalars, true division of integers, the default dtype, item sizes and dtype reprs.
Each scenario runs on ``loom`` and on ``torch`` and the printed results must agree.
"""
import importlib.util
import itertools

import pytest

import loom
from plugin_env import run_code

torch = pytest.importorskip("torch", reason="torch is the oracle of these differential tests")

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64",
         "complex64", "complex128"]
PAIRS = list(itertools.product(NAMES, NAMES))
PAIR_IDS = [f"{a}-{b}" for a, b in PAIRS]
# bfloat16 with every dtype, both ways round: promotion needs no ml_dtypes, tensors do.
BF16_PAIRS = [("bfloat16", "bfloat16")] + [p for n in NAMES
                                           for p in (("bfloat16", n), (n, "bfloat16"))]
BF16_IDS = [f"{a}-{b}" for a, b in BF16_PAIRS]
HAVE_ML_DTYPES = importlib.util.find_spec("ml_dtypes") is not None


def needs_arrays_of(*names):
    """Skip where a bfloat16 tensor is needed and ml_dtypes (the bfloat16 extra) is missing."""
    if "bfloat16" in names and not HAVE_ML_DTYPES:
        pytest.skip("bfloat16 tensors need the optional ml_dtypes package, not installed here")


def both(scenario):
    return scenario(loom), scenario(torch)


def dt(lib, name):
    return getattr(lib, name)


def make(lib, name, rank):
    """A tensor of dtype `name`: rank 1 is shape (2,), rank 0 is 0-dim; value 1 (or True)."""
    shape = (2,) if rank else ()
    return lib.ones(shape, dtype=dt(lib, name))


# ---------------------------------------------------------------------------- promote_types

@pytest.mark.parametrize("a,b", PAIRS + BF16_PAIRS, ids=PAIR_IDS + BF16_IDS)
def test_promote_types(a, b):
    got, want = both(lambda lib: repr(lib.promote_types(dt(lib, a), dt(lib, b))))
    assert got == want


def test_promote_types_is_symmetric_table():
    def scenario(lib):
        return [[repr(lib.promote_types(dt(lib, a), dt(lib, b))).removeprefix("torch.")
                 for b in NAMES] for a in NAMES]
    got, want = both(scenario)
    assert want[NAMES.index("uint8")][NAMES.index("int8")] == "int16"
    assert got == want


@pytest.mark.parametrize("a,b", PAIRS + BF16_PAIRS, ids=PAIR_IDS + BF16_IDS)
def test_can_cast(a, b):
    got, want = both(lambda lib: lib.can_cast(dt(lib, a), dt(lib, b)))
    assert got == want


# ---------------------------------------------------------------------------- tensor + tensor

def _complex32_gap(names):
    """float16 with a complex operand is complex32 in PyTorch (which calls it experimental);
    loom has no complex32 and gives complex64."""
    if "float16" in names and names & {"complex64", "complex128", "complex"}:
        pytest.xfail("loom has no complex32 dtype (PyTorch's experimental ComplexHalf)")


@pytest.mark.parametrize("a,b", PAIRS + BF16_PAIRS, ids=PAIR_IDS + BF16_IDS)
def test_add_tensor_tensor_result(a, b):
    _complex32_gap({a, b})
    needs_arrays_of(a, b)

    def scenario(lib):
        out = {}
        for ra, rb in [(1, 1), (1, 0), (0, 1), (0, 0)]:
            r = make(lib, a, ra) + make(lib, b, rb)
            out[(ra, rb)] = (repr(r.dtype), repr(r))
        return out
    got, want = both(scenario)
    assert got == want


@pytest.mark.parametrize("a,b", [("int32", "float16"), ("uint8", "int64"), ("bool", "int8"),
                                 ("float16", "float64"), ("int64", "complex64"),
                                 ("float64", "complex64"), ("int8", "uint8")],
                         ids=lambda v: v)
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "eq_then_add"])
def test_binary_ops_share_promotion(a, b, op):
    def scenario(lib):
        x, y = make(lib, a, 1), make(lib, b, 0)
        if op == "eq_then_add":
            r = (x == y) + y
        elif op == "sub":
            r = x - y if "bool" not in (a, b) else x + y  # bool subtraction is an error
        else:
            r = getattr(lib, op)(x, y)
        return repr(r.dtype)
    try:
        want = scenario(torch)
    except RuntimeError as e:
        pytest.fail(f"oracle rejected the case, fix the test: {e}")
    assert scenario(loom) == want


@pytest.mark.parametrize("name", NAMES)
def test_dimensioned_tensor_outranks_zero_dim_of_same_category(name):
    _complex32_gap({name, "complex64"})
    # a 0-dim float64 tensor does not widen a float16 tensor; a 0-dim float tensor does
    # lift an integer tensor to the 0-dim tensor's dtype
    def scenario(lib):
        t = make(lib, name, 1)
        return [repr((t + lib.tensor(2.0, dtype=lib.float64)).dtype),
                repr((t + lib.tensor(2, dtype=lib.int64)).dtype),
                repr((t + lib.tensor(True)).dtype),
                repr((t + lib.tensor(1j, dtype=lib.complex128)).dtype)]
    got, want = both(scenario)
    assert got == want


# ---------------------------------------------------------------------------- tensor + scalar

# 300 and -1 do not fit some integer dtypes: PyTorch keeps the tensor's dtype and wraps around
SCALARS = {"int": 3, "float": 2.5, "bool": True, "complex": 1 + 2j, "neg_int": -1,
           "big_int": 300}


@pytest.mark.parametrize("kind", list(SCALARS))
@pytest.mark.parametrize("name", NAMES)
def test_add_tensor_python_scalar_result(name, kind):
    _complex32_gap({name, kind})
    s = SCALARS[kind]

    def scenario(lib):
        out = []
        for rank in (1, 0):
            t = make(lib, name, rank)
            for r in (t + s, s + t):
                out.append((repr(r.dtype), repr(r)))
        return out
    got, want = both(scenario)
    assert got == want


@pytest.mark.parametrize("kind", list(SCALARS))
@pytest.mark.parametrize("name", ["bool", "uint8", "int32", "int64", "float16", "float32",
                                  "float64", "complex64"])
def test_mul_and_sub_with_python_scalar_result_dtype(name, kind):
    _complex32_gap({name, kind})
    s = SCALARS[kind]

    def scenario(lib):
        t = make(lib, name, 1)
        out = [repr((t * s).dtype), repr((s * t).dtype)]
        if name != "bool" and kind != "bool":  # bool subtraction is an error in torch
            out += [repr((t - s).dtype), repr((s - t).dtype)]
        return out
    got, want = both(scenario)
    assert got == want


@pytest.mark.parametrize("name", NAMES)
def test_in_place_add_keeps_dtype_or_raises(name):
    def scenario(lib):
        out = []
        for s in (1, 2.5, 1j):
            t = make(lib, name, 1)
            try:
                t.add_(s)
                out.append(repr(t.dtype))
            except RuntimeError as e:
                out.append(("RuntimeError", "can't be cast to the desired output type" in str(e)))
        return out
    got, want = both(scenario)
    assert got == want


# ---------------------------------------------------------------------------- true division

@pytest.mark.parametrize("a,b", [("int64", "int64"), ("int32", "int32"), ("uint8", "uint8"),
                                 ("int16", "int8"), ("bool", "bool"), ("int64", "bool"),
                                 ("int32", "float16"), ("int64", "float64")],
                         ids=lambda v: v)
def test_int_true_division_gives_float(a, b):
    def scenario(lib):
        x = lib.tensor([1, 2, 3], dtype=dt(lib, a)) if a != "bool" else \
            lib.tensor([True, False, True])
        y = lib.tensor([2, 2, 2], dtype=dt(lib, b)) if b != "bool" else \
            lib.tensor([True, True, True])
        return [repr(x / y), repr(x / 2), repr(2 / y), repr(lib.div(x, y)),
                repr(x / lib.tensor(4, dtype=dt(lib, b)))]
    got, want = both(scenario)
    if (a, b) == ("int64", "int64"):
        assert want[0] == "tensor([0.5000, 1.0000, 1.5000])"
    assert got == want


def test_int_by_int_is_float32():
    def scenario(lib):
        return repr((lib.tensor([7, 8]) / lib.tensor([2, 4])).dtype), \
            repr((lib.tensor(7) / 2).dtype)
    got, want = both(scenario)
    assert want == ("torch.float32", "torch.float32")
    assert got == want


# ---------------------------------------------------------------------------- default dtype

@pytest.fixture
def default_float64():
    """Sets float64 as the default dtype in both libraries, restoring the old one after."""
    old = loom.get_default_dtype(), torch.get_default_dtype()
    loom.set_default_dtype(loom.float64)
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        loom.set_default_dtype(old[0])
        torch.set_default_dtype(old[1])


DEFAULT_DTYPE_EFFECTS = {
    "get": lambda lib: lib.get_default_dtype(),
    "tensor_float": lambda lib: lib.tensor([1.5]).dtype,
    "tensor_complex": lambda lib: lib.tensor([1j]).dtype,
    "tensor_int": lambda lib: lib.tensor([1]).dtype,
    "zeros": lambda lib: lib.zeros(2).dtype,
    "ones": lambda lib: lib.ones(2, 2).dtype,
    "full": lambda lib: lib.full((2,), 1.5).dtype,
    "arange_float": lambda lib: lib.arange(0.0, 3.0).dtype,
    "arange_int": lambda lib: lib.arange(3).dtype,
    "int_plus_float": lambda lib: (lib.tensor([1, 2]) + 1.5).dtype,
    "int_plus_complex": lambda lib: (lib.tensor([1, 2]) + 1j).dtype,
    "float32_plus_float": lambda lib: (lib.ones(2, dtype=lib.float32) + 1.5).dtype,
    "float32_plus_complex": lambda lib: (lib.ones(2, dtype=lib.float32) + 1j).dtype,
    "int_div_int": lambda lib: (lib.tensor([1, 2]) / lib.tensor([1, 2])).dtype,
    "int_div_scalar": lambda lib: (lib.tensor([1, 2]) / 2).dtype,
    "repr_float": lambda lib: lib.tensor([1.5, 2.0]),
    "repr_float32": lambda lib: lib.ones(2, dtype=lib.float32),
}


def _default_dtype_effects(lib):
    """repr of each effect, or the exception type it raised (one failure hides no other)."""
    out = {}
    for key, fn in DEFAULT_DTYPE_EFFECTS.items():
        try:
            out[key] = repr(fn(lib))
        except Exception as e:  # noqa: BLE001 - compared against the oracle's outcome
            out[key] = f"raised {type(e).__name__}: {e}"
    return out


def test_default_dtype_float32_effects():
    got, want = both(_default_dtype_effects)
    assert want["int_plus_float"] == "torch.float32"
    assert got == want


def test_set_default_dtype_float64_effects(default_float64):
    got, want = both(_default_dtype_effects)
    assert want["get"] == "torch.float64"
    assert want["int_plus_float"] == "torch.float64"
    assert want["float32_plus_float"] == "torch.float32"
    assert want["repr_float32"] == "tensor([1., 1.], dtype=torch.float32)"
    assert got == want


def test_default_dtype_restored():
    # runs after the float64 test in file order: the fixture must have restored float32
    got, want = both(lambda lib: (repr(lib.get_default_dtype()), repr(lib.tensor(1.0).dtype)))
    assert want == ("torch.float32", "torch.float32")
    assert got == want


@pytest.mark.parametrize("name", ["int64", "int32", "bool", "complex64"])
def test_set_default_dtype_rejects_non_float(name):
    for lib in (torch, loom):
        with pytest.raises(TypeError):
            lib.set_default_dtype(dt(lib, name))
    assert repr(loom.get_default_dtype()) == "torch.float32"


# ---------------------------------------------------------------------------- sizes, reprs

@pytest.mark.parametrize("name", NAMES + ["bfloat16"])
def test_element_size_and_itemsize(name):
    needs_arrays_of(name)

    def scenario(lib):
        d = dt(lib, name)
        t = lib.zeros(3, dtype=d)
        return (t.element_size(), t.itemsize, d.itemsize, t.nbytes, d.is_floating_point,
                d.is_complex, d.is_signed, t.is_floating_point(), t.is_complex())
    got, want = both(scenario)
    assert got == want


ALIASES = ["float", "double", "half", "long", "int", "short", "cfloat", "cdouble", "bool",
           "float32", "float64", "float16", "bfloat16", "int8", "uint8", "int16", "int32",
           "int64", "complex64", "complex128"]


@pytest.mark.parametrize("name", ALIASES)
def test_dtype_repr_and_str(name):
    got, want = both(lambda lib: (repr(dt(lib, name)), str(dt(lib, name)),
                                  f"{dt(lib, name)}", repr([dt(lib, name)])))
    assert got == want


def test_dtype_aliases_are_the_same_objects():
    def scenario(lib):
        return [lib.float is lib.float32, lib.double is lib.float64, lib.half is lib.float16,
                lib.long is lib.int64, lib.int is lib.int32, lib.short is lib.int16,
                lib.cfloat is lib.complex64, lib.cdouble is lib.complex128,
                lib.float32 == lib.float32, lib.float32 != lib.float64,
                isinstance(lib.float32, lib.dtype)]
    got, want = both(scenario)
    assert all(want)
    assert got == want


@pytest.mark.parametrize("name", NAMES)
def test_tensor_repr_shows_non_default_dtype(name):
    got, want = both(lambda lib: (repr(lib.zeros(2, dtype=dt(lib, name))),
                                  repr(lib.tensor(1, dtype=dt(lib, name)))))
    assert got == want


@pytest.mark.parametrize("values", [[1, 2], [1.0, 2], [True, False], [1, 2.5j], [True, 2],
                                    [[1], [2.0]], 3, 2.5, True, 1j, []],
                         ids=str)
def test_tensor_dtype_inference(values):
    got, want = both(lambda lib: repr(lib.tensor(values).dtype))
    assert got == want


# ---------------------------------------------------------------------------- bfloat16

def test_bfloat16_is_a_floating_dtype_without_arrays():
    # everything a dtype says about itself, none of which needs ml_dtypes
    def scenario(lib):
        d = lib.bfloat16
        return (isinstance(d, lib.dtype), type(d) is lib.dtype, d.is_floating_point,
                d.is_complex, d.is_signed, d.itemsize, d == lib.bfloat16, d != lib.float16,
                repr(d), repr(lib.promote_types(lib.float16, d)))
    got, want = both(scenario)
    assert want[-1] == "torch.float32"
    assert got == want


def test_import_does_not_load_ml_dtypes_until_a_bfloat16_array(tmp_path):
    # ml_dtypes takes longer to import than the rest of loom: only an array loads it
    out = run_code("""
    import sys
    OUT["after_import"] = "ml_dtypes" in sys.modules
    d = loom.bfloat16
    OUT["dtype"] = [repr(d), d.is_floating_point, d.itemsize,
                    repr(loom.promote_types(loom.float16, d)),
                    repr((loom.ones(2, dtype=loom.float16) + loom.ones(2)).dtype)]
    OUT["after_dtype_use"] = "ml_dtypes" in sys.modules
    import importlib.util
    OUT["have"] = importlib.util.find_spec("ml_dtypes") is not None
    if OUT["have"]:
        t = loom.ones(2).bfloat16()
        OUT["tensor"] = [repr(t), repr(t.dtype), t.is_floating_point()]
        OUT["after_tensor"] = "ml_dtypes" in sys.modules
    """, tmp_path)
    assert out["after_import"] is False
    assert out["dtype"] == ["torch.bfloat16", True, 2, "torch.float32", "torch.float32"]
    assert out["after_dtype_use"] is False
    if not out["have"]:
        pytest.skip("ml_dtypes is not installed here")
    assert out["tensor"] == ["tensor([1., 1.], dtype=torch.bfloat16)", "torch.bfloat16", True]
    assert out["after_tensor"] is True


def test_from_numpy_of_an_ml_dtypes_array_in_a_fresh_interpreter(tmp_path):
    pytest.importorskip("ml_dtypes")
    out = run_code("""
    import ml_dtypes, numpy as np
    t = loom.from_numpy(np.array([1.5, -2.0], dtype=ml_dtypes.bfloat16))
    OUT["t"] = [repr(t), repr(t.dtype), t.dtype is loom.bfloat16]
    """, tmp_path)
    assert out["t"] == ["tensor([ 1.5000, -2.0000], dtype=torch.bfloat16)", "torch.bfloat16",
                        True]


def test_bfloat16_without_ml_dtypes_names_the_extra(tmp_path):
    # a module ahead of the real one on the path fails to import as if it were not installed
    (tmp_path / "ml_dtypes.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'ml_dtypes'\", name='ml_dtypes')\n")
    out = run_code("""
    import numpy as np
    OUT["dtype"] = [repr(loom.bfloat16), loom.bfloat16.is_floating_point,
                    repr(loom.promote_types(loom.bfloat16, loom.float16))]
    OUT["errors"] = [error_of(lambda: loom.ones(2, dtype=loom.bfloat16)),
                     error_of(lambda: loom.ones(2).bfloat16()),
                     error_of(lambda: loom.tensor([1.0], dtype=loom.bfloat16))]
    OUT["void"] = error_of(lambda: loom.from_numpy(np.zeros(2, "V2")))
    OUT["float"] = repr(loom.ones(2) + 1)
    """, tmp_path, sites=[tmp_path])
    assert out["dtype"] == ["torch.bfloat16", True, "torch.float32"]
    for err in out["errors"]:
        assert err[0] == "RuntimeError"
        assert "ml_dtypes" in err[1] and "pip install 'loom-tensor[bfloat16]'" in err[1]
    assert out["void"][0] == "TypeError"  # an unsupported NumPy type, as before
    assert out["float"] == "tensor([2., 2.])"


@pytest.mark.parametrize("name", ["float32", "float64", "int64", "bool", "uint8", "bfloat16",
                                  "complex64"])
def test_dtypes_pickle_and_copy_as_themselves(name):
    import copy
    import pickle

    d = getattr(loom, name)
    assert pickle.loads(pickle.dumps(d)) is d
    assert copy.deepcopy(d) is d and copy.copy(d) is d
