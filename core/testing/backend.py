"""The device backend contract, checked: `check_backend("npdev")` runs a backend through what
docs/backends.md asks of it and returns what it got wrong (an empty list when nothing).

Operators' device parity is the kit's "device" check; this is the backend's own side: devices
and indices, transfers that copy, the array type of everything `xp` and the sampling methods
return, generators that repeat after a seed and restore their state, memory statistics that
count, streams and events, and DLPack.
"""
from __future__ import annotations

import numpy as np

__all__ = ["check_backend"]


def _problems_of(be):
    """Yield a message per broken promise of backend `be` (an available one)."""
    import loom
    at, xp = be.array_type, be.xp
    n = be.device_count()
    if type(n) is not int or n < 1:
        yield f"device_count() returned {n!r}, expected an int >= 1 on an available backend"
        return
    cur = be.current_device()
    if type(cur) is not int or not 0 <= cur < n:
        yield f"current_device() returned {cur!r}, expected an index below {n}"
    host = np.arange(6, dtype=np.float32).reshape(2, 3)
    a = be.asarray(host, 0)
    if type(a) is not at:
        yield f"asarray() returned {type(a).__name__}, not {at.__name__}"
        return
    d = be.device_of(a)
    if not isinstance(d, loom.device) or d.type != be.type:
        yield f"device_of() returned {d!r}, expected a loom.device of type '{be.type}'"
    h = be.to_host(a)
    if type(h) is not np.ndarray:
        yield f"to_host() returned {type(h).__name__}, not numpy.ndarray"
    elif not np.array_equal(h, host) or h.dtype != host.dtype:
        yield "to_host(asarray(x)) does not give x back"
    else:
        h[0, 0] = 99
        if be.to_host(a)[0, 0] == 99:
            yield "to_host() returned memory shared with the device array (it must copy)"
    host[0, 1] = 42
    if be.to_host(a)[0, 1] == 42:
        yield "asarray() kept a view of the host array (it must copy)"
    for name, call in (("zeros", lambda: xp.zeros((2, 3), np.float32)),
                       ("ones", lambda: xp.ones(3)),
                       ("empty", lambda: xp.empty((1,), np.int64)),
                       ("full", lambda: xp.full((2,), 1.5)),
                       ("arange", lambda: xp.arange(4)),
                       ("concatenate", lambda: xp.concatenate([a, a])),
                       ("sin", lambda: xp.sin(a)), ("sum", lambda: a.sum()),
                       ("indexing", lambda: a[0, 0]), ("matmul", lambda: a @ a.T)):
        try:
            r = call()
        except Exception as e:
            yield f"xp {name} raised {type(e).__name__}: {e}"
            continue
        if type(r) is not at:
            yield f"xp {name} returned {type(r).__name__}, not {at.__name__}"
    for name, call in (("rand", lambda g: be.rand((3, 2), "float32", 0, g)),
                       ("randn", lambda g: be.randn((4,), "float64", 0, g)),
                       ("randint", lambda g: be.randint(0, 10, (5,), "int64", 0, g)),
                       ("randperm", lambda g: be.randperm(6, "int64", 0, g))):
        g = be.new_generator(0)
        g.manual_seed(7)
        first = call(g)
        if type(first) is not at:
            yield f"{name}() returned {type(first).__name__}, not {at.__name__}"
            continue
        g.manual_seed(7)
        if not np.array_equal(be.to_host(call(g)), be.to_host(first)):
            yield f"{name}() gives other numbers after the same manual_seed"
    g = be.new_generator(0)
    g.manual_seed(3)
    if g.initial_seed() != 3:
        yield f"initial_seed() returned {g.initial_seed()!r} after manual_seed(3)"
    try:
        state = g.get_state()
    except NotImplementedError:
        pass  # a documented limitation (the CUDA backend's generators)
    else:
        want = be.to_host(be.rand((4,), "float64", 0, g))
        g.set_state(state)
        if not np.array_equal(be.to_host(be.rand((4,), "float64", 0, g)), want):
            yield "set_state(get_state()) does not repeat the numbers"
    before = be.memory_allocated(0)
    big = be.asarray(np.zeros(1 << 18, np.float64), 0)
    if type(before) is not int or be.memory_allocated(0) < before + big.nbytes // 2:
        yield (f"memory_allocated() did not grow by a new array's {big.nbytes} bytes "
               f"({before!r} -> {be.memory_allocated(0)!r})")
    if be.max_memory_allocated(0) < be.memory_allocated(0):
        yield "max_memory_allocated() is below memory_allocated()"
    del big
    be.synchronize(0)
    s = be.new_stream(0)
    with s:
        s.synchronize()
    e = be.new_event(True)
    e.record(s)
    e.synchronize()
    if not isinstance(be.data_ptr(a), int):
        yield f"data_ptr() returned {be.data_ptr(a)!r}, not an int"
    if be.dlpack_device_type is not None:
        kind = int(a.__dlpack_device__()[0])
        if kind != be.dlpack_device_type:
            yield (f"arrays say DLPack device type {kind}, the backend declares "
                   f"{be.dlpack_device_type}")


def check_backend(device_type: str) -> list:
    """What the backend serving `device_type` gets wrong of the backend contract, as messages
    (an empty list: it keeps it). RuntimeError when no loaded backend can run that type;
    ValueError for "cpu", the host itself (its arrays are the host arrays the others copy)."""
    from ..backends import available, backends, device_unavailable
    from ..device import device
    if device_type == "cpu":
        raise ValueError("check_backend() checks a device backend against the host; the CPU "
                         "backend is the host itself")
    be = backends.get(device_type)
    if be is None or not available(be):
        raise device_unavailable(device(device_type))
    out = []
    try:
        out.extend(_problems_of(be))
    except Exception as e:
        out.append(f"raised {type(e).__name__}: {e}")
    return out
