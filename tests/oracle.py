"""Helpers shared by the differential autograd tests: run one scenario on loom and on torch."""
import re

import pytest

import loom

torch = pytest.importorskip("torch", reason="torch is the oracle of these differential tests")

LIBS = pytest.mark.parametrize("lib", [torch, loom], ids=["torch", "loom"])


def both(scenario):
    """Run `scenario(lib)` on loom and on torch and return (loom's result, torch's result)."""
    return scenario(loom), scenario(torch)


def r(t):
    """What `print` shows for a tensor (or None)."""
    return None if t is None else repr(t)


def node_name(fn):
    """The name a user sees when printing a graph node: ``<MulBackward0 object at 0x..>``."""
    if fn is None:
        return None
    m = re.fullmatch(r"<(\S+) object at 0x[0-9a-fA-F]+>", repr(fn))
    assert m, repr(fn)
    return m.group(1).rsplit(".", 1)[-1]  # custom Functions print their module path


def structure(fn):
    """`next_functions` as nested (name, output_nr) pairs, down to the leaves."""
    return tuple((node_name(f), nr, structure(f) if f is not None else None)
                 for f, nr in fn.next_functions)


def close(a, b, rtol=1e-9):
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and \
            all(close(x, y, rtol) for x, y in zip(a, b))
    return abs(a - b) <= rtol * max(1.0, abs(b))


def outcome(lib, call):
    """What `call(lib)` gives: ("raised", the builtin exception class it is a kind of) or
    ("ok", [(dtype, shape, values)] of each tensor returned)."""
    try:
        out = call(lib)
    except Exception as e:  # noqa: BLE001 - the outcome is what is compared
        return "raised", next(c for c in type(e).__mro__ if c.__module__ == "builtins").__name__
    outs = out if isinstance(out, tuple) else (out,)
    return "ok", [(str(t.dtype), tuple(t.shape), t.detach().tolist()) for t in outs]


def same_outcome(call):
    """Assert that `call(loom)` and `call(torch)` raise the same kind of exception, or return
    tensors of the same dtypes, shapes and values (NaN equal to NaN)."""
    import numpy as np
    lo, to = outcome(loom, call), outcome(torch, call)
    assert lo[0] == to[0] and (lo[1] == to[1] or lo[0] == "ok" and len(lo[1]) == len(to[1]) and all(
        a[:2] == b[:2] and np.allclose(np.asarray(a[2], dtype=complex),
                                       np.asarray(b[2], dtype=complex), equal_nan=True)
        for a, b in zip(lo[1], to[1]))), f"loom: {lo}\ntorch: {to}"
