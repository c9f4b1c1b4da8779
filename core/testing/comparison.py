"""`loom.testing.assert_close`: PyTorch's ``torch.testing.assert_close`` for loom tensors.

Inputs are compared pairwise, recursing through sequences (not strings) and mappings: None
with None, bools, Python (and NumPy) numbers, and tensor-likes (loom tensors, NumPy arrays,
anything `loom.as_tensor` takes when both sides are of related types). Tensors must agree in
shape and, unless switched off, device and dtype (``check_dtype=False`` promotes both to a
common dtype); values are close when ``|actual - expected| <= atol + rtol * |expected|``,
with the default tolerances of the less precise dtype. Failures raise PyTorch's exception
types with its messages.
"""
from __future__ import annotations

import cmath
import collections.abc

import numpy as np

import loom

__all__ = ["assert_close", "default_tolerances"]

# dtype name -> (rtol, atol); others (integers, bool) compare exactly
_PRECISIONS = {"float16": (0.001, 1e-5), "bfloat16": (0.016, 1e-5),
               "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7),
               "complex64": (1.3e-6, 1e-5), "complex128": (1e-7, 1e-7)}
_NUMBER_DTYPES = {int: "int64", float: "float64", complex: "complex128"}


class _Fail(Exception):
    def __init__(self, type_, msg, id_=()):
        super().__init__(msg)
        self.type, self.msg, self.id = type_, msg, id_

    def to_error(self, msg=None):
        if not isinstance(msg, str):
            text = self.msg
            if self.id:
                text += "\n\nThe failure occurred for item " + "".join(
                    str([item]) for item in self.id)
            msg = msg(text) if callable(msg) else text
        return self.type(msg)


class _Unsupported(Exception):
    pass


def default_tolerances(*inputs) -> tuple:
    """(rtol, atol): the loosest default tolerances of the dtypes of `inputs` (tensors or
    dtypes)."""
    names = []
    for x in inputs:
        if isinstance(x, loom.Tensor):
            names.append(x.dtype.name)
        elif isinstance(x, loom.dtype):
            names.append(x.name)
        elif isinstance(x, str):
            names.append(x)
        else:
            raise TypeError(f"Expected a torch.Tensor or a torch.dtype, but got {type(x)} "
                            "instead.")
    rtols, atols = zip(*[_PRECISIONS.get(n, (0.0, 0.0)) for n in names])
    return max(rtols), max(atols)


def _tolerances(*inputs, rtol, atol, id_):
    if (rtol is None) ^ (atol is None):
        raise _Fail(ValueError, "Both 'rtol' and 'atol' must be either specified or omitted, "
                                f"but got no {'rtol' if rtol is None else 'atol'}.", id_)
    if rtol is not None:
        return rtol, atol
    return default_tolerances(*inputs)


def _mismatch_msg(*, identifier, extra, abs_diff, abs_idx, atol, rel_diff, rel_idx, rtol):
    equality = rtol == 0 and atol == 0

    def diff(kind, d, idx, tol):
        m = (f"{kind.title()} difference: {d}" if idx is None
             else f"Greatest {kind} difference: {d} at index {idx}")
        return m + ("" if equality else f" (up to {tol} allowed)") + "\n"

    msg = f"{identifier} are not {'equal' if equality else 'close'}!\n\n"
    if extra:
        msg += extra.strip() + "\n"
    msg += diff("absolute", abs_diff, abs_idx, atol) + diff("relative", rel_diff, rel_idx, rtol)
    return msg.strip()


def _scalar_msg(actual, expected, rtol, atol):
    abs_diff = abs(actual - expected)
    rel_diff = float("inf") if expected == 0 else abs_diff / abs(expected)
    return _mismatch_msg(identifier="Scalars", extra=f"Expected {expected} but got {actual}.",
                         abs_diff=abs_diff, abs_idx=None, atol=atol, rel_diff=rel_diff,
                         rel_idx=None, rtol=rtol)


def _compare_none(actual, expected, id_, **_):
    if not (actual is None or expected is None):
        raise _Unsupported
    if not (actual is None and expected is None):
        raise _Fail(AssertionError, f"None mismatch: {actual} is not {expected}", id_)


def _compare_bool(actual, expected, id_, **_):
    if not all(isinstance(x, (bool, np.bool_)) for x in (actual, expected)):
        raise _Unsupported
    actual, expected = bool(actual), bool(expected)
    if actual is not expected:
        raise _Fail(AssertionError, f"Booleans mismatch: {actual} is not {expected}", id_)


def _compare_number(actual, expected, id_, *, rtol, atol, equal_nan, check_dtype, **_):
    kinds = (int, float, complex, np.number)
    if not all(isinstance(x, kinds) for x in (actual, expected)):
        raise _Unsupported
    actual, expected = (x.item() if isinstance(x, np.number) else x
                        for x in (actual, expected))
    rtol, atol = _tolerances(*[_NUMBER_DTYPES[type(x)] for x in (actual, expected)],
                             rtol=rtol, atol=atol, id_=id_)
    if check_dtype and type(actual) is not type(expected):
        raise _Fail(AssertionError, f"The (d)types do not match: {type(actual)} != "
                                    f"{type(expected)}.", id_)
    if actual == expected:
        return
    if equal_nan and cmath.isnan(actual) and cmath.isnan(expected):
        return
    abs_diff = abs(actual - expected)
    if cmath.isfinite(abs_diff) and abs_diff <= atol + rtol * abs(expected):
        return
    raise _Fail(AssertionError, _scalar_msg(actual, expected, rtol, atol), id_)


def _as_tensor(x):
    if isinstance(x, loom.Tensor):
        return x
    try:
        return loom.as_tensor(x)
    except Exception:
        raise _Unsupported from None


def _host(t) -> np.ndarray:
    a = t.detach().cpu().numpy()
    if a.dtype.kind not in "biufc":  # bfloat16: compare in float32, where it is exact
        a = a.astype(np.float32)
    return a


def _compare_tensor(actual, expected, id_, *, rtol, atol, equal_nan, check_device,
                    check_dtype, check_stride, allow_subclasses, **_):
    if not (isinstance(actual, type(expected)) or isinstance(expected, type(actual))):
        raise _Unsupported
    if not allow_subclasses and type(actual) is not type(expected):
        raise _Unsupported
    actual, expected = _as_tensor(actual), _as_tensor(expected)
    rtol, atol = _tolerances(actual, expected, rtol=rtol, atol=atol, id_=id_)

    def mismatch(attr, a, e):
        raise _Fail(AssertionError, f"The values for attribute '{attr}' do not match: {a} != "
                                    f"{e}.", id_)

    if actual.shape != expected.shape:
        mismatch("shape", actual.shape, expected.shape)
    if check_stride and actual.stride() != expected.stride():
        mismatch("stride()", actual.stride(), expected.stride())
    if check_device and actual.device != expected.device:
        mismatch("device", actual.device, expected.device)
    if check_dtype and actual.dtype != expected.dtype:
        mismatch("dtype", actual.dtype, expected.dtype)
    if actual.dtype != expected.dtype:
        dt = loom.promote_types(actual.dtype, expected.dtype)
        actual, expected = actual.to(dt), expected.to(dt)
    a, e = _host(actual), _host(expected)
    if a.dtype.kind in "fc":
        with np.errstate(invalid="ignore", over="ignore"):
            matches = a == e
            finite = np.isfinite(a) & np.isfinite(e)
            close = np.abs(a - e) <= atol + rtol * np.abs(e)
            matches = matches | (finite & close)
            if equal_nan:
                matches = matches | (np.isnan(a) & np.isnan(e))
    else:
        matches = a == e
    if matches.all():
        return
    if a.ndim == 0:
        raise _Fail(AssertionError, _scalar_msg(a.item(), e.item(), rtol, atol), id_)
    raise _Fail(AssertionError, _tensor_msg(a, e, matches, rtol, atol), id_)


def _tensor_msg(a, e, matches, rtol, atol):
    n = matches.size
    bad = n - int(matches.sum())
    extra = f"Mismatched elements: {bad} / {n} ({bad / n:.1%})"
    af, ef, mf = a.reshape(-1), e.reshape(-1), matches.reshape(-1)
    if a.dtype.kind not in "fc":  # integers and bools: differences in int64
        af, ef = af.astype(np.int64), ef.astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        abs_diff = np.abs(af - ef)
        abs_diff[mf] = 0
        rel_diff = abs_diff / np.abs(ef)
        if a.dtype.kind not in "fc":  # PyTorch divides integers into the default dtype
            rel_diff = rel_diff.astype(str(loom.get_default_dtype()).removeprefix("torch."))
        rel_diff[mf] = 0
    ai, ri = int(np.argmax(abs_diff)), int(np.argmax(rel_diff))

    def index(flat):
        return tuple(int(i) for i in np.unravel_index(flat, a.shape))

    return _mismatch_msg(identifier="Tensor-likes", extra=extra,
                         abs_diff=abs_diff[ai].item(), abs_idx=index(ai),
                         atol=atol, rel_diff=rel_diff[ri].item(),
                         rel_idx=index(ri),
                         rtol=rtol)


_PAIRS = (_compare_none, _compare_bool, _compare_number, _compare_tensor)


def _compare(actual, expected, id_, options):
    seq, mapping = collections.abc.Sequence, collections.abc.Mapping
    if (isinstance(actual, seq) and not isinstance(actual, str)
            and isinstance(expected, seq) and not isinstance(expected, str)):
        if len(actual) != len(expected):
            raise _Fail(AssertionError, "The length of the sequences mismatch: "
                                        f"{len(actual)} != {len(expected)}", id_)
        for i in range(len(actual)):
            _compare(actual[i], expected[i], (*id_, i), options)
        return
    if isinstance(actual, mapping) and isinstance(expected, mapping):
        ak, ek = set(actual.keys()), set(expected.keys())
        if ak != ek:
            raise _Fail(AssertionError,
                        "The keys of the mappings do not match:\n"
                        f"Missing keys in the actual mapping: {sorted(ek - ak)}\n"
                        f"Additional keys in the actual mapping: {sorted(ak - ek)}", id_)
        keys = ak
        try:
            keys = sorted(keys)
        except Exception:
            pass
        for k in keys:
            _compare(actual[k], expected[k], (*id_, k), options)
        return
    for pair in _PAIRS:
        try:
            pair(actual, expected, id_, **options)
            return
        except _Unsupported:
            continue
    raise _Fail(TypeError, f"No comparison pair was able to handle inputs of type "
                           f"{_torch_type(actual)} and {_torch_type(expected)}.", id_)


def _torch_type(x) -> str:
    return "<class 'torch.Tensor'>" if type(x) is loom.Tensor else str(type(x))


def assert_close(actual, expected, *, allow_subclasses: bool = True, rtol=None, atol=None,
                 equal_nan: bool = False, check_device: bool = True, check_dtype: bool = True,
                 check_layout: bool = True, check_stride: bool = False, msg=None) -> None:
    """Assert that `actual` and `expected` are close, as ``torch.testing.assert_close``.

    `actual` and `expected` are tensors, NumPy arrays, numbers, bools, None, or sequences
    and mappings of them (compared item by item). `rtol` and `atol` are the relative and
    absolute tolerances; give both or neither (then the defaults of the dtypes: float32
    1.3e-6 / 1e-5, float64 1e-7 / 1e-7, float16 1e-3 / 1e-5, bfloat16 1.6e-2 / 1e-5, exact for
    integers and bools). `equal_nan` makes NaN equal NaN. `check_device`, `check_dtype` and
    `check_stride` demand equal devices, dtypes and strides (without the dtype check both
    sides are promoted to a common dtype); `check_layout` is accepted for PyTorch's signature
    (loom tensors are all strided). `msg` replaces the generated message, or is a callable
    that gets the generated one and returns the message.

    Raises:
        AssertionError: the inputs differ (values, shape, dtype, device, lengths, keys).
        TypeError: no comparison handles the pair of types (a tensor against a list, ...).
        ValueError: only one of `rtol` and `atol` was given.
    """
    __tracebackhide__ = True
    options = dict(rtol=rtol, atol=atol, equal_nan=equal_nan, check_device=check_device,
                   check_dtype=check_dtype, check_stride=check_stride,
                   allow_subclasses=allow_subclasses)
    try:
        _compare(actual, expected, (), options)
    except _Fail as fail:
        raise fail.to_error(msg) from None
