"""dtypes and PyTorch's type-promotion rules.

One `dtype` object per type. Promotion follows PyTorch (categories bool < integer < floating <
complex; dimensioned tensors outrank 0-dim tensors, which outrank Python scalars, within a
category), not NumPy's value-based or NEP 50 rules.

`bfloat16` always exists, as in PyTorch, but NumPy holds it only through the optional
``ml_dtypes`` package (the ``bfloat16`` extra), which takes longer to import than the rest of
loom together: it is imported the first time a bfloat16 array is needed, not with loom.
"""
from __future__ import annotations

import sys
import threading

import numpy as np

__all__ = [
    "dtype", "float16", "half", "float32", "float", "float64", "double", "bfloat16",
    "uint8", "int8", "int16", "short", "int32", "int", "int64", "long", "bool",
    "complex64", "cfloat", "complex128", "cdouble", "get_default_dtype", "set_default_dtype",
    "finfo", "iinfo",
    "promote_types", "result_type_of", "from_numpy_dtype", "can_cast",
]

_BOOL, _INT, _FLOAT, _COMPLEX = 0, 1, 2, 3


class dtype:
    """A loom data type: name, item size, NumPy dtype and kind (category)."""

    __slots__ = ("name", "itemsize", "np", "category", "is_signed", "legacy", "__weakref__")

    def __init__(self, name, np_dtype, category, is_signed, legacy, itemsize=None):
        self.name = name
        if np_dtype is not None:  # else `np` stays unset until `__getattr__` loads it
            self.np = np.dtype(np_dtype)
            itemsize = self.np.itemsize
        self.itemsize = itemsize
        self.category = category
        self.is_signed = is_signed
        self.legacy = legacy

    def __getattr__(self, attr):
        # Reached only when normal lookup fails: for a dtype whose NumPy type an optional
        # package provides, the first read of `np`. Once set, the slot answers directly, so
        # later reads cost what they cost for any other dtype.
        if attr == "np" and self.name in _LAZY_NP:
            return _load_np(self)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{attr}'")

    @property
    def is_floating_point(self) -> bool:
        return self.category == _FLOAT

    @property
    def is_complex(self) -> bool:
        return self.category == _COMPLEX

    def to_real(self) -> "dtype":
        return {complex64: float32, complex128: float64}.get(self, self)

    def to_complex(self) -> "dtype":
        return {float64: complex128}.get(self, complex64) if self.category == _FLOAT else self

    def __repr__(self) -> str:
        return "torch." + self.name if _REPR_AS_TORCH else "loom." + self.name

    def __reduce__(self):
        # a dtype pickles as the name of its module-level object (`loom.dtypes.float32`)
        return self.name


# PyTorch's reprs print "torch.float64"; loom mirrors that so printed output matches the oracle.
_REPR_AS_TORCH = True

float16 = half = dtype("float16", np.float16, _FLOAT, True, "HalfTensor")
float32 = float = dtype("float32", np.float32, _FLOAT, True, "FloatTensor")
float64 = double = dtype("float64", np.float64, _FLOAT, True, "DoubleTensor")
uint8 = dtype("uint8", np.uint8, _INT, False, "ByteTensor")
int8 = dtype("int8", np.int8, _INT, True, "CharTensor")
int16 = short = dtype("int16", np.int16, _INT, True, "ShortTensor")
int32 = int = dtype("int32", np.int32, _INT, True, "IntTensor")
int64 = long = dtype("int64", np.int64, _INT, True, "LongTensor")
bool = dtype("bool", np.bool_, _BOOL, False, "BoolTensor")
complex64 = cfloat = dtype("complex64", np.complex64, _COMPLEX, True, None)
complex128 = cdouble = dtype("complex128", np.complex128, _COMPLEX, True, None)

# name -> (package, attribute, extra): dtypes whose NumPy type an optional package provides,
# imported on first use rather than with loom.
_LAZY_NP = {"bfloat16": ("ml_dtypes", "bfloat16", "bfloat16")}
bfloat16 = dtype("bfloat16", None, _FLOAT, True, "BFloat16Tensor", itemsize=2)

ALL = [bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64, complex64,
       complex128]
_BY_NP = {d.np: d for d in ALL if d.name not in _LAZY_NP}
_lazy_lock = threading.Lock()


def _load_np(d: dtype):
    """Import the package behind lazily loaded dtype `d`, set and return its NumPy dtype (and
    make it known to `from_numpy_dtype`); RuntimeError naming the extra when it is missing."""
    package, attr, extra = _LAZY_NP[d.name]
    with _lazy_lock:
        try:
            module = __import__(package)
        except ImportError as e:
            raise RuntimeError(
                f"loom.{d.name} needs the {package} package, which is not installed; install "
                f"loom with the '{extra}' extra: pip install 'loom-tensor[{extra}]'") from e
        d.np = npd = np.dtype(getattr(module, attr))
        _BY_NP[npd] = d
    return npd


def _load_imported_lazy_types():
    """Load the lazily loaded dtypes whose package is already imported (only then can an array
    of their type exist); True when one was loaded."""
    loaded = False
    for name, (package, _, _) in _LAZY_NP.items():
        d = globals()[name]
        if sys.modules.get(package) is not None and d not in _BY_NP.values():
            _load_np(d)
            loaded = True
    return loaded


def from_numpy_dtype(npd) -> dtype:
    """The loom dtype for a NumPy dtype; TypeError for one loom does not support."""
    try:
        return _BY_NP[npd]
    except KeyError:
        npd = np.dtype(npd)
        d = _BY_NP.get(npd)
        if d is None and _load_imported_lazy_types():
            d = _BY_NP.get(npd)
        if d is None:
            raise TypeError(
                f"can't convert np.ndarray of type numpy.{np.dtype(npd).name}. The only supported "
                "types are: float64, float32, float16, complex64, complex128, int64, int32, "
                "int16, int8, uint8, and bool.") from None
        return d


_state = threading.local()
_default = [float32]


def get_default_dtype() -> dtype:
    """The floating dtype Python floats and float factories produce (float32 unless changed)."""
    return _default[0]


def set_default_dtype(d: dtype) -> None:
    """Set the default floating dtype; only float32 and float64 (and float16) are accepted."""
    if not isinstance(d, dtype) or d.category != _FLOAT:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default[0] = d
    _RESULT_CACHE.clear()


_INT_ORDER = {uint8: 1, int8: 1, int16: 2, int32: 3, int64: 4}


def _check_dtypes(who, names, values):
    for n, v, pos in zip(names, values, (1, 2)):
        if not isinstance(v, dtype):
            raise TypeError(f"{who}(): argument '{n}' (position {pos}) must be torch.dtype, not "
                            f"{type(v).__name__}")


def promote_types(type1: dtype, type2: dtype) -> dtype:
    """PyTorch's `promote_types`: the smallest dtype both `type1` and `type2` cast to
    safely."""
    a, b = type1, type2
    if a is b:
        return a
    if not (isinstance(a, dtype) and isinstance(b, dtype)):
        _check_dtypes("promote_types", ("type1", "type2"), (a, b))
    ca, cb = a.category, b.category
    if ca != cb:
        hi, lo = (a, b) if ca > cb else (b, a)
        if hi.category == _COMPLEX and lo.category == _FLOAT and lo is float64:
            return complex128
        return hi
    if ca == _INT:
        if {a, b} == {uint8, int8}:
            return int16
        return a if _INT_ORDER[a] > _INT_ORDER[b] else b
    if ca == _FLOAT:
        if {a, b} == {float16, bfloat16}:
            return float32
        return a if a.itemsize > b.itemsize else b
    if ca == _COMPLEX:
        return a if a.itemsize > b.itemsize else b
    return a


def _combine(higher, lower):
    # ATen's combine_categories: `higher` comes from a higher-priority group (dimensioned
    # tensors over 0-dim tensors over Python scalars); `lower` only wins on a higher category.
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.category == _COMPLEX:
        return higher
    if lower.category == _COMPLEX:
        return higher.to_complex() if higher.category == _FLOAT else lower
    if higher.category == _FLOAT:
        return higher
    if higher is bool or lower.category == _FLOAT:
        return promote_types(higher, lower)
    return higher


# rank: 2 = tensor with dims, 1 = 0-dim tensor, 0 = Python scalar (already mapped to its dtype)
_RESULT_CACHE: dict = {}


def result_type_of(parts) -> dtype:
    """Result dtype for operands given as (dtype, rank) pairs, ranks as in `_RESULT_CACHE`."""
    key = tuple(parts)
    r = _RESULT_CACHE.get(key)
    if r is not None:
        return r
    groups = [None, None, None]
    for d, rank in parts:
        g = groups[rank]
        groups[rank] = d if g is None else promote_types(g, d)
    r = _combine(groups[2], _combine(groups[1], groups[0]))
    _RESULT_CACHE[key] = r
    return r


def scalar_dtype(v) -> dtype:
    """The dtype a Python scalar stands for in promotion (as a wrapped number)."""
    t = type(v)
    if t is builtins_bool or isinstance(v, (np.bool_,)):
        return bool
    if t is builtins_int or isinstance(v, np.integer):
        return int64
    if t is builtins_float or isinstance(v, np.floating):
        return _default[0]
    if t is builtins_complex or isinstance(v, np.complexfloating):
        return complex128 if _default[0] is float64 else complex64
    raise TypeError(f"unsupported scalar type {t.__name__}")


def can_cast(from_: dtype, to: dtype) -> bool:
    """PyTorch's `can_cast`: False when the cast lowers the category (float to int, ...)."""
    if not (isinstance(from_, dtype) and isinstance(to, dtype)):
        _check_dtypes("can_cast", ("from_", "to"), (from_, to))
    return from_.category <= to.category


import builtins as _b  # noqa: E402

builtins_bool, builtins_int, builtins_float, builtins_complex = _b.bool, _b.int, _b.float, _b.complex


# bfloat16's limits, so that finfo(bfloat16) needs no ml_dtypes
_BF16 = {"bits": 16, "eps": 0.0078125, "max": 3.3895313892515355e+38,
         "min": -3.3895313892515355e+38, "tiny": 1.1754943508222875e-38, "resolution": 0.01}


class finfo:
    """Machine limits of a floating dtype (``loom.finfo(loom.float16).eps``), as
    `torch.finfo`; complex dtypes give those of their real part."""

    __slots__ = ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution",
                 "dtype")

    def __init__(self, type: "dtype | None" = None):
        d = get_default_dtype() if type is None else type
        if not isinstance(d, dtype) or d.category < _FLOAT:
            raise TypeError(f"torch.finfo() requires a floating point input type. Use "
                            f"torch.iinfo to handle 'torch.finfo'")
        d = d.to_real()
        if d.name == "bfloat16":
            vals = _BF16
        else:
            i = np.finfo(d.np)
            vals = {"bits": i.bits, "eps": _b.float(i.eps), "max": _b.float(i.max),
                    "min": _b.float(i.min), "tiny": _b.float(i.smallest_normal),
                    # PyTorch's resolution: 10 ** -(the decimal digits eps allows)
                    "resolution": 10.0 ** -_b.int(-np.log10(_b.float(i.eps)))}
        for k, v in vals.items():
            setattr(self, k, v)
        self.smallest_normal = self.tiny
        self.dtype = d.name

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype (``loom.iinfo(loom.int8).max``), as `torch.iinfo`."""

    __slots__ = ("bits", "max", "min", "dtype")

    def __init__(self, type: "dtype"):
        if isinstance(type, dtype) and type.category == _BOOL:
            raise TypeError("torch.bool is not supported by torch.iinfo")
        if not isinstance(type, dtype) or type.category != _INT:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo "
                            "to handle 'torch.iinfo'")
        i = np.iinfo(type.np)
        self.bits = type.itemsize * 8
        self.max = _b.int(i.max)
        self.min = _b.int(i.min)
        self.dtype = type.name

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"
