"""Differential snippets: a few lines of PyTorch code run with ``torch`` bound to PyTorch and
then to loom. The last line is an expression; the two runs must agree on raising (and the
exception's type) or on the result: types, dtypes, shapes, values (NaN equal to NaN),
``requires_grad``, and the printed form of small tensors, as tutorials print them."""
import math

import numpy as np
import pytest

import loom

torch = pytest.importorskip("torch", reason="torch is the oracle of these differential tests")


def _norm(x, lib):
    if isinstance(x, lib.Tensor):
        d = x.detach()
        if lib is torch:
            d = d.resolve_conj().resolve_neg()
        if d.dtype == lib.bfloat16:
            d = d.float()
        return ("tensor", str(x.dtype).split(".")[-1], tuple(x.shape), d.numpy(),
                x.requires_grad)
    if isinstance(x, (tuple, list)):
        kind = type(x).__name__ if type(x) in (tuple, list) else "named:" + type(x).__name__
        return (kind, [_norm(v, lib) for v in x])
    if isinstance(x, lib.dtype):
        return ("dtype", str(x).split(".")[-1])
    if isinstance(x, lib.Size):
        return ("Size", tuple(x))
    if isinstance(x, np.ndarray):
        return ("ndarray", x.dtype.str, x.tolist())
    if x is None or isinstance(x, (bool, int, float, complex, str)):
        return (type(x).__name__, x)
    return ("other", type(x).__name__, str(x))


def _same(a, b, tol):
    if type(a) is not type(b):
        return False
    if isinstance(a, tuple) and a and a[0] == "tensor":
        if a[1:3] != b[1:3] or a[4] != b[4]:
            return False
        x, y = a[3], b[3]
        if x.dtype.kind in "fc":
            return np.allclose(x, y, rtol=tol, atol=tol, equal_nan=True)
        return np.array_equal(x, y)
    if isinstance(a, tuple) and len(a) == 2 and isinstance(a[1], list):
        return a[0] == b[0] and len(a[1]) == len(b[1]) and \
            all(_same(u, v, tol) for u, v in zip(a[1], b[1]))
    if isinstance(a, tuple) and a and a[0] == "float":
        return (math.isnan(a[1]) and math.isnan(b[1])) or \
            math.isclose(a[1], b[1], rel_tol=tol, abs_tol=tol)
    return a == b


def run(src, lib):
    """("ok", normalised result, repr of a small tensor result) or ("raised", type name)."""
    lines = src.strip().split("\n")
    ns = {"torch": lib, "np": np, "math": math}
    try:
        exec("\n".join(lines[:-1]), ns)
        r = eval(lines[-1], ns)
    except Exception as e:  # noqa: BLE001 - the outcome is what is compared
        return ("raised", type(e).__name__)
    shown = repr(r) if isinstance(r, lib.Tensor) and r.numel() < 40 else None
    return ("ok", _norm(r, lib), shown)


def check(src, tol=1e-5):
    """Assert that `src` behaves the same under PyTorch and loom."""
    t, lo = run(src, torch), run(src, loom)
    assert t[0] == lo[0], f"torch: {t}\nloom: {lo}"
    if t[0] == "raised":
        assert t[1] == lo[1], f"torch raised {t[1]}, loom raised {lo[1]}"
        return
    assert _same(t[1], lo[1], tol), f"torch: {t[1]}\nloom: {lo[1]}"
    assert t[2] == lo[2], f"printed differently:\ntorch: {t[2]}\nloom:  {lo[2]}"
