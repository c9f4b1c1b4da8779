"""Side-by-side timings of loom, PyTorch and raw NumPy, in one run.

    .venv/bin/python benchmarks/run.py              # all cases (about a minute on 2 cores)
    .venv/bin/python benchmarks/run.py --quick      # few rounds: a smoke test, not a measurement
    .venv/bin/python benchmarks/run.py --case add10 # one case (repeatable: --case a --case b)

Method.  For every case each implementation is first warmed up, then the case runs in
interleaved rounds: a round times every implementation once, each over the same batch of
iterations, in an order that runs through every permutation, so that drift in the machine
(frequency, other load) falls on all of them alike and each follows each other equally often
(torch's OpenMP threads keep spinning for a while after it returns).  A batch is timed with
`time.perf_counter` with the garbage collector disabled; the number reported is the median
over rounds of (batch time / iterations).  The ratios loom/torch and loom/numpy are the
ratios of those medians, taken from this one run.  Import times are measured in fresh
interpreters: median of `python -c "import X"` minus median of `python -c "pass"`.

The gradient-bearing cases also check once, before timing, that the three implementations
agree on their results, so a fast but wrong implementation shows up in the notes.

Thread counts are left at their defaults and printed in the header.
"""
from __future__ import annotations

import argparse
import gc
import itertools
import os
import platform
import statistics
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

IMPLS = ("numpy", "torch", "loom")

# Per-mode knobs: rounds, warm-up calls, target seconds per timed batch, seconds one case may take.
MODES = {
    "default": dict(rounds=24, warmup=5, batch_s=0.04, case_budget_s=12.0, import_runs=5),
    "quick": dict(rounds=3, warmup=1, batch_s=0.005, case_budget_s=2.0, import_runs=2),
}


# ---------------------------------------------------------------------------
# case definitions
# ---------------------------------------------------------------------------

@dataclass
class Case:
    name: str
    label: str
    # impl name -> factory(inputs) -> (step, read); `read()` runs one step and returns the
    # arrays to compare across implementations (None: nothing to compare).
    factories: dict[str, Callable]
    inputs: Callable[[], dict] | None = None
    target: tuple[str, float] | None = None  # (denominator impl, max allowed loom/denominator)
    rtol: float = 1e-4
    atol: float = 1e-5
    kind: str = "timed"  # or "import"
    # another case measuring the same work with built-in ops: the table of relative costs
    # compares each implementation's median with its median there (custom op vs built-in)
    baseline: str | None = None
    baseline_target: float | None = None  # max allowed loom/loom-baseline


def _np(t) -> np.ndarray:
    """A torch or loom tensor (or an array) as a NumPy array, detached."""
    if isinstance(t, np.ndarray):
        return t
    if hasattr(t, "detach"):
        t = t.detach()
    return np.asarray(t.numpy())


def _rng_inputs(n_or_shape, names, seed=0):
    def make():
        rng = np.random.default_rng(seed)
        shape = n_or_shape if isinstance(n_or_shape, tuple) else (n_or_shape,)
        return {k: rng.random(shape, dtype=np.float32) for k in names}
    return make


# -- 1 / 2: 10-element add ---------------------------------------------------

def _add_factory(lib_name: str, grad: bool):
    def factory(inp):
        if lib_name == "numpy":
            a, b = inp["a"].copy(), inp["b"].copy()
            step = lambda: a + b  # noqa: E731
            return step, lambda: [step()]
        lib = _lib(lib_name)
        a = lib.from_numpy(inp["a"].copy())
        b = lib.from_numpy(inp["b"].copy())
        if grad:
            a.requires_grad_()
        step = lambda: a + b  # noqa: E731

        def read():
            r = step()
            if grad and r.grad_fn is None:
                raise AssertionError(f"{lib_name}: a + b recorded no graph node")
            return [_np(r)]
        return step, read
    return factory


# -- 3: (a*b+a).sum().backward() on 10 elements ------------------------------

def _small_bwd_factory(lib_name: str):
    def factory(inp):
        if lib_name == "numpy":
            a, b = inp["a"].copy(), inp["b"].copy()

            def step():
                s = (a * b + a).sum()  # forward, as the others compute it
                ga = b + 1
                gb = a.copy()  # a fresh gradient buffer, as autograd hands out
                return s, ga, gb
            return step, lambda: list(step()[1:])
        lib = _lib(lib_name)
        a = lib.from_numpy(inp["a"].copy()).requires_grad_()
        b = lib.from_numpy(inp["b"].copy()).requires_grad_()

        def step():
            a.grad = None  # zero_grad(set_to_none=True): no accumulation, as numpy
            b.grad = None
            (a * b + a).sum().backward()

        def read():
            step()
            return [_np(a.grad), _np(b.grad)]
        return step, read
    return factory


# -- 4: linear-regression loop step ------------------------------------------
# examples/seeds/seed001_linear_regression.py, one iteration of its loop (plotting aside).

LR = 0.001  # the seed's


def _regression_factory(lib_name: str):
    def factory(inp):
        if lib_name == "numpy":
            rng = np.random.default_rng(1000)
            w = inp["w"].copy()
            b = inp["b"].copy()
            f32 = np.float32

            def step():
                x = rng.random((8, 1), dtype=f32) * 20
                y = x * 2 + (1 + rng.standard_normal((8, 1), dtype=f32)) * 3
                y_pred = x @ w + b  # b broadcasts as expand_as does
                d = y_pred - y
                loss = (0.5 * d ** 2).sum()
                # hand-written backward: d loss / d y_pred = d
                gw = x.T @ d
                gb = d.sum(0, keepdims=True)
                w[...] -= LR * gw  # in place, like w.data.sub_
                b[...] -= LR * gb
                return loss
            return step, lambda: None
        lib = _lib(lib_name)
        lib.manual_seed(1000)
        w = lib.from_numpy(inp["w"].copy()).requires_grad_()
        b = lib.from_numpy(inp["b"].copy()).requires_grad_()

        def step():
            x = lib.rand(8, 1) * 20
            y = x * 2 + (1 + lib.randn(8, 1)) * 3
            y_pred = x.mm(w) + b.expand_as(y)
            loss = (0.5 * (y_pred - y) ** 2).sum()
            loss.backward()
            w.data.sub_(LR * w.grad.data)
            b.data.sub_(LR * b.grad.data)
            w.grad.data.zero_()
            b.grad.data.zero_()
            return loss
        return step, lambda: (step(), None)[1]
    return factory


def _regression_inputs():
    rng = np.random.default_rng(1000)
    # the seed's w = torch.rand(1, 1), b = torch.zeros(1, 1)
    return {"w": rng.random((1, 1), dtype=np.float32), "b": np.zeros((1, 1), np.float32)}


# -- 5: (a*b+c).exp().sum().backward() on 10**6 elements ----------------------

def _big_bwd_factory(lib_name: str):
    def factory(inp):
        if lib_name == "numpy":
            a, b, c = inp["a"].copy(), inp["b"].copy(), inp["c"].copy()

            def step():
                e = np.exp(a * b + c)
                s = e.sum()
                return s, e * b, e * a, e
            return step, lambda: list(step()[1:])
        lib = _lib(lib_name)
        a, b, c = (lib.from_numpy(inp[k].copy()).requires_grad_() for k in "abc")

        def step():
            a.grad = b.grad = c.grad = None
            (a * b + c).exp().sum().backward()

        def read():
            step()
            return [_np(a.grad), _np(b.grad), _np(c.grad)]
        return step, read
    return factory


# -- 6: 1024x1024 (A@B).sum().backward() --------------------------------------

def _matmul_factory(lib_name: str):
    def factory(inp):
        if lib_name == "numpy":
            A, B = inp["A"].copy(), inp["B"].copy()

            def step():
                C = A @ B
                s = C.sum()
                G = np.ones_like(C)
                return s, G @ B.T, A.T @ G
            return step, lambda: list(step()[1:])
        lib = _lib(lib_name)
        A = lib.from_numpy(inp["A"].copy()).requires_grad_()
        B = lib.from_numpy(inp["B"].copy()).requires_grad_()

        def step():
            A.grad = B.grad = None
            (A @ B).sum().backward()

        def read():
            step()
            return [_np(A.grad), _np(B.grad)]
        return step, read
    return factory


def _matmul_inputs():
    rng = np.random.default_rng(0)
    return {k: rng.random((1024, 1024), dtype=np.float32) for k in "AB"}


# -- 7: MLP training step ----------------------------------------------------
# 784-512-512-10, batch 128, clamp(min=0) as ReLU, a stable log-softmax cross-entropy against
# one-hot targets, plain SGD in place under no_grad. NumPy writes the gradients by hand.

MLP_SIZES = (784, 512, 512, 10)
MLP_BATCH = 128
MLP_LR = 0.01


def _mlp_factory(lib_name: str):
    def factory(inp):
        x, onehot = inp["x"], inp["onehot"]
        ws = [w.copy() for w in inp["ws"]]
        bs = [b.copy() for b in inp["bs"]]
        if lib_name == "numpy":
            def step():
                h1p = x @ ws[0] + bs[0]
                h1 = np.maximum(h1p, 0)
                h2p = h1 @ ws[1] + bs[1]
                h2 = np.maximum(h2p, 0)
                z = h2 @ ws[2] + bs[2]
                m = z.max(axis=1, keepdims=True)
                e = np.exp(z - m)
                s = e.sum(axis=1, keepdims=True)
                logp = z - m - np.log(s)
                loss = -(logp * onehot).sum() / MLP_BATCH
                dz = (e / s - onehot) / MLP_BATCH
                gw2, gb2 = h2.T @ dz, dz.sum(0)
                dh2 = (dz @ ws[2].T) * (h2p > 0)
                gw1, gb1 = h1.T @ dh2, dh2.sum(0)
                dh1 = (dh2 @ ws[1].T) * (h1p > 0)
                gw0, gb0 = x.T @ dh1, dh1.sum(0)
                for p, g in zip(ws + bs, (gw0, gw1, gw2, gb0, gb1, gb2)):
                    p -= MLP_LR * g
                return loss
            return step, lambda: [np.asarray(step())] + [w.copy() for w in ws]
        lib = _lib(lib_name)
        X, Y = lib.from_numpy(x.copy()), lib.from_numpy(onehot.copy())
        W = [lib.from_numpy(w).requires_grad_() for w in ws]
        B = [lib.from_numpy(b).requires_grad_() for b in bs]
        params = W + B

        def step():
            h = (X @ W[0] + B[0]).clamp(min=0)
            h = (h @ W[1] + B[1]).clamp(min=0)
            z = h @ W[2] + B[2]
            logp = z.log_softmax(dim=1)  # stable: shifted by the row maximum
            loss = -(logp * Y).sum() / MLP_BATCH
            loss.backward()
            with lib.no_grad():
                for p in params:
                    p.sub_(MLP_LR * p.grad)
                    p.grad = None
            return loss

        def read():
            loss = step()
            # copies: the weights keep changing in place as the timed steps run
            return [_np(loss.detach())] + [_np(w.detach()).copy() for w in W]
        return step, read
    return factory


def _mlp_inputs():
    rng = np.random.default_rng(0)
    n = MLP_SIZES
    ws = [(rng.standard_normal((a, b)) / np.sqrt(a)).astype(np.float32)
          for a, b in zip(n[:-1], n[1:])]
    bs = [np.zeros(b, np.float32) for b in n[1:]]
    labels = rng.integers(0, n[-1], MLP_BATCH)
    return {"x": rng.random((MLP_BATCH, n[0]), dtype=np.float32), "ws": ws, "bs": bs,
            "onehot": np.eye(n[-1], dtype=np.float32)[labels]}


# -- custom op vs built-in: the same sin on 10 elements -------------------------

def _sin_factory(lib_name: str, custom: bool):
    """sin of 10 elements: the built-in (``loom.sin``, ``torch.sin``, ``np.sin``) or a custom
    op whose body is that built-in (``loom.library.custom_op`` / ``torch.library.custom_op``,
    called as ``loom.ops.bench.sin`` / ``torch.ops.bench.sin``): the difference is the cost of
    going through a custom op."""
    def factory(inp):
        if lib_name == "numpy":
            a = inp["a"].copy()
            step = lambda: np.sin(a)  # noqa: E731
            return step, lambda: [step()]
        lib = _lib(lib_name)
        a = lib.from_numpy(inp["a"].copy())
        fn = lib.sin
        if custom:
            fn = _custom_sin(lib_name)
        step = lambda: fn(a)  # noqa: E731
        return step, lambda: [_np(step())]
    return factory


def _custom_sin(lib_name: str):
    if lib_name == "loom":
        import loom
        if not hasattr(loom.ops.bench, "sin"):
            # the schema given as text: this module's annotations are strings (postponed)
            # naming a local import, which type hints cannot resolve
            @loom.library.custom_op("bench::sin", mutates_args=(),
                                    schema="(Tensor x) -> Tensor")
            def _sin(x):
                return loom.sin(x)
        return loom.ops.bench.sin
    import torch
    if not hasattr(torch.ops.bench, "sin"):
        @torch.library.custom_op("bench::sin", mutates_args=(), schema="(Tensor x) -> Tensor")
        def _tsin(x):
            return torch.sin(x)
    return torch.ops.bench.sin


def _per_impl(maker, *args):
    return {name: maker(name, *args) for name in IMPLS}


CASES = [
    Case("add10", "add, 10 elem, no grad", _per_impl(_add_factory, False),
         _rng_inputs(10, "ab"), target=("torch", 0.7)),
    Case("add10_grad", "add, 10 elem, a.requires_grad", _per_impl(_add_factory, True),
         _rng_inputs(10, "ab"), target=("torch", 0.7)),
    Case("fwdbwd10", "(a*b+a).sum().backward(), 10 elem", _per_impl(_small_bwd_factory),
         _rng_inputs(10, "ab"), target=("torch", 0.5)),
    Case("regression", "linear-regression loop step", _per_impl(_regression_factory),
         _regression_inputs, target=("torch", 0.7)),
    Case("fwdbwd1e6", "(a*b+c).exp().sum().backward(), 10^6", _per_impl(_big_bwd_factory),
         _rng_inputs(10 ** 6, "abc"), target=("numpy", 1.5), rtol=1e-4, atol=1e-5),
    # float32 sums of 1024 products differ between BLAS libraries in the last bits.
    Case("matmul1024", "(A@B).sum().backward(), 1024^2", _per_impl(_matmul_factory),
         _matmul_inputs, target=("numpy", 1.1), rtol=1e-3, atol=1e-3),
    Case("mlp", "MLP 784-512-512-10 train step, batch 128", _per_impl(_mlp_factory),
         _mlp_inputs, target=("numpy", 1.1), rtol=1e-4, atol=1e-5),
    Case("sin10", "sin, 10 elem (built-in)", _per_impl(_sin_factory, False),
         _rng_inputs(10, "a")),
    Case("custom_op10", "sin, 10 elem, as a custom op (ops.bench.sin)",
         _per_impl(_sin_factory, True), _rng_inputs(10, "a"), baseline="sin10",
         baseline_target=1.5),
    Case("import", "import time (fresh interpreter)", {}, kind="import",
         target=("torch", 0.25)),
]


def _linalg_cases():
    from linalg_cases import linalg_cases  # benchmarks/, beside this script
    return linalg_cases(Case, IMPLS, lambda name: _lib(name), _np)


CASES[-1:-1] = _linalg_cases()  # before the import-time case, which stays last


# ---------------------------------------------------------------------------
# machinery
# ---------------------------------------------------------------------------

_LIBS: dict[str, object] = {}


def _lib(name: str):
    if name not in _LIBS:
        _LIBS[name] = __import__(name)
    return _LIBS[name]


@dataclass
class Result:
    case: Case
    median: dict[str, float] = field(default_factory=dict)  # seconds per call
    errors: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    rounds: int = 0
    inner: int = 0


def _describe_error(impl: str, exc: BaseException) -> str:
    tb = traceback.extract_tb(exc.__traceback__)
    where = ""
    if tb:
        fr = tb[-1]
        where = f" at {os.path.relpath(fr.filename) if os.path.isabs(fr.filename) else fr.filename}:{fr.lineno}"
        where = where.replace(os.sep, "/")
    msg = str(exc).splitlines()[0] if str(exc) else ""
    return f"{impl}: {type(exc).__name__}: {msg}{where}"


def _time_batch(fn: Callable, inner: int) -> float:
    rep = itertools.repeat(None, inner)
    t0 = time.perf_counter()
    for _ in rep:
        fn()
    return time.perf_counter() - t0


def _compare(res: Result, outs: dict[str, list]) -> None:
    ref = outs.get("numpy")
    if ref is None:
        return
    for impl, arrs in outs.items():
        if impl == "numpy" or arrs is None:
            continue
        if len(arrs) != len(ref):
            res.notes.append(f"{impl}: {len(arrs)} results vs numpy's {len(ref)}")
            continue
        for i, (x, r) in enumerate(zip(arrs, ref)):
            x = np.asarray(x)
            if x.shape != r.shape or x.dtype != r.dtype:
                res.notes.append(f"{impl}: result {i} is {x.dtype}{list(x.shape)}, "
                                 f"numpy's {r.dtype}{list(r.shape)}")
            elif not np.allclose(x, r, rtol=res.case.rtol, atol=res.case.atol):
                err = float(np.max(np.abs(x.astype(np.float64) - r)))
                res.notes.append(f"{impl}: result {i} differs from numpy (max abs err {err:.3g})")


def run_timed(case: Case, cfg: dict) -> Result:
    res = Result(case)
    steps: dict[str, Callable] = {}
    outs: dict[str, list] = {}
    for impl in IMPLS:
        try:
            step, read = case.factories[impl](case.inputs())
            r = read()
            outs[impl] = None if r is None else [np.asarray(_np(x)) for x in r]
            for _ in range(cfg["warmup"]):
                step()
            steps[impl] = step
        except Exception as exc:  # noqa: BLE001 - reported in the table, the run goes on
            res.errors[impl] = _describe_error(impl, exc)
    _compare(res, outs)
    if not steps:
        return res

    # Calibrate one batch size for all implementations from the slowest of them.
    per_call = {}
    for impl, step in steps.items():
        n, t = 1, _time_batch(step, 1)
        while t < 0.002 and n < 1 << 20:
            n *= 4
            t = _time_batch(step, n)
        # best of three, so that one disturbed batch does not shrink every batch of the case
        per_call[impl] = min([t] + [_time_batch(step, n) for _ in range(2)]) / n
    slowest = max(per_call.values())
    inner = max(1, min(100_000, round(cfg["batch_s"] / slowest)))
    round_s = inner * sum(per_call.values())
    rounds = max(3, min(cfg["rounds"], int(cfg["case_budget_s"] / max(round_s, 1e-9))))
    res.rounds, res.inner = rounds, inner

    order = list(steps)
    samples: dict[str, list[float]] = {impl: [] for impl in order}
    gc.collect()
    # Every ordering in turn, so that each implementation follows each other one equally
    # often: a rotation would let one always run right after torch, whose OpenMP threads keep
    # spinning for a while after it returns and slow down whatever runs next.
    perms = list(itertools.permutations(order))
    if rounds >= len(perms):
        rounds -= rounds % len(perms)
        res.rounds = rounds
    for rnd in range(rounds):
        rot = [impl for impl in perms[rnd % len(perms)] if impl in steps]
        for impl in rot:
            fn = steps[impl]
            try:
                gc.disable()
                t = _time_batch(fn, inner)
            except Exception as exc:  # noqa: BLE001
                res.errors[impl] = _describe_error(impl, exc)
                del steps[impl]
                order.remove(impl)
                samples.pop(impl, None)
                break
            finally:
                gc.enable()
            samples[impl].append(t / inner)
        gc.collect()  # outside the timed region, so no batch pays for another's garbage
    for impl, s in samples.items():
        if s:
            res.median[impl] = statistics.median(s)
    return res


def run_import(case: Case, cfg: dict) -> Result:
    res = Result(case)
    stmts = {"baseline": "pass", "numpy": "import numpy",
             "torch": "import torch", "loom": "import loom"}
    env = dict(os.environ)
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    # Byte-code caches as an installed package has them: without this the warm-up could not
    # write loom's .pyc files (an editable install compiles none) and every run would compile
    # loom from source while torch and numpy load theirs.
    env.pop("PYTHONDONTWRITEBYTECODE", None)

    def once(stmt: str) -> float:
        t0 = time.perf_counter()
        p = subprocess.run([sys.executable, "-c", stmt], env=env, capture_output=True, text=True)
        t = time.perf_counter() - t0
        if p.returncode != 0:
            last = (p.stderr.strip().splitlines() or ["(no output)"])[-1]
            raise RuntimeError(f"`python -c {stmt!r}` exited {p.returncode}: {last}")
        return t

    live = dict(stmts)
    for key, stmt in list(live.items()):  # warm-up: compiles .pyc files, fills the OS cache
        try:
            once(stmt)
        except Exception as exc:  # noqa: BLE001
            res.errors[key] = _describe_error(key, exc)
            del live[key]
    samples: dict[str, list[float]] = {k: [] for k in live}
    keys = list(live)
    n = cfg["import_runs"]
    for rnd in range(n):
        for key in keys[rnd % len(keys):] + keys[:rnd % len(keys)]:
            samples[key].append(once(live[key]))
    res.rounds, res.inner = n, 1
    if "baseline" not in samples:
        return res
    base = statistics.median(samples["baseline"])
    res.notes.append(f"interpreter start-up (python -c pass) {_fmt_time(base)}, subtracted")
    for key in IMPLS:
        if key in samples:
            res.median[key] = max(statistics.median(samples[key]) - base, 0.0)
    return res


# ---------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------

def _fmt_time(s: float) -> str:
    if s < 1e-6:
        return f"{s * 1e9:.0f} ns"
    if s < 1e-3:
        return f"{s * 1e6:.2f} µs" if s < 1e-5 else f"{s * 1e6:.1f} µs"
    if s < 1:
        return f"{s * 1e3:.2f} ms" if s < 1e-2 else f"{s * 1e3:.1f} ms"
    return f"{s:.2f} s"


def _ratio(res: Result, den: str) -> float | None:
    m = res.median
    if "loom" in m and den in m and m[den] > 0:
        return m["loom"] / m[den]
    return None


def header() -> str:
    import torch
    import loom
    lines = [
        f"# loom benchmarks ({time.strftime('%Y-%m-%d %H:%M')})",
        "",
        f"- python {platform.python_version()} on {platform.machine()} {platform.system()}, "
        f"CPUs: {os.cpu_count()} (usable: {len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else '?'})",
        f"- numpy {np.__version__} (BLAS: {_numpy_blas()}), torch {torch.__version__} "
        f"(threads: {torch.get_num_threads()} intra-op, {torch.get_num_interop_threads()} inter-op; "
        "defaults), loom " + getattr(loom, "__version__", "?"),
        f"- env: OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}",
        f"- load average at start: {_load()}",
    ]
    return "\n".join(lines)


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def _busy_warning() -> str | None:
    """A warning when other processes competed for the CPUs during the run."""
    try:
        one_minute = os.getloadavg()[0]
    except OSError:
        return None
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if one_minute > cpus + 0.5:
        return (f"load average {one_minute:.2f} on {cpus} CPUs: other processes competed for "
                "the CPUs, so times (multi-threaded ones most: torch's OpenMP, BLAS) are inflated")
    return None


def _numpy_blas() -> str:
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg["Build Dependencies"]["blas"]
        return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # noqa: BLE001
        return "?"


def table(results: list[Result]) -> str:
    rows = ["| case | numpy | torch | loom | loom/torch | loom/numpy | target |",
            "|---|---:|---:|---:|---:|---:|---|"]
    for r in results:
        cells = []
        for impl in IMPLS:
            if impl in r.median:
                cells.append(_fmt_time(r.median[impl]))
            elif impl in r.errors:
                cells.append("error")
            else:
                cells.append("—")
        rt, rn = _ratio(r, "torch"), _ratio(r, "numpy")
        ratios = [f"{x:.2f}×" if x is not None else "—" for x in (rt, rn)]
        tgt = "—"
        if r.case.target:
            den, lim = r.case.target
            got = rt if den == "torch" else rn
            mark = "?" if got is None else ("✓" if got <= lim else "✗")
            tgt = f"≤{lim:g}× {den} {mark}"
        rows.append(f"| {r.case.label} | " + " | ".join(cells + ratios + [tgt]) + " |")
    return "\n".join(rows)


def relative_table(results: list[Result]) -> str:
    """Rows for cases with a baseline: each implementation's median over its median in the
    baseline case (a custom op over the built-in it wraps)."""
    by_name = {r.case.name: r for r in results}
    rows = ["| case | baseline | torch | loom | target |", "|---|---|---:|---:|---|"]
    for r in results:
        base = by_name.get(r.case.baseline or "")
        if base is None:
            continue
        ratios = {}
        # the two cases run one after the other, so the machine's load may differ between
        # them: each is scaled by its numpy column, which does the same work (np.sin) in both
        drift = r.median["numpy"] / base.median["numpy"] \
            if r.median.get("numpy") and base.median.get("numpy") else 1.0
        for impl in ("torch", "loom"):
            if impl in r.median and impl in base.median and base.median[impl] > 0:
                ratios[impl] = r.median[impl] / base.median[impl] / drift
        cells = [f"{ratios[i]:.2f}×" if i in ratios else "—" for i in ("torch", "loom")]
        tgt = "—"
        if r.case.baseline_target is not None:
            got = ratios.get("loom")
            mark = "?" if got is None else ("✓" if got <= r.case.baseline_target else "✗")
            tgt = f"loom ≤{r.case.baseline_target:g}× {mark}"
        rows.append(f"| {r.case.label} | {base.case.label} | " + " | ".join(cells + [tgt]) +
                    " |")
    return "\n".join(rows) if len(rows) > 2 else ""


def main(argv=None) -> int:
    names = [c.name for c in CASES]
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="few rounds and short batches: checks the benchmarks run, times are rough")
    ap.add_argument("--case", action="append", choices=names, metavar="NAME",
                    help="run only this case (repeatable); one of: " + ", ".join(names))
    args = ap.parse_args(argv)
    cfg = MODES["quick" if args.quick else "default"]
    wanted = set(args.case or names)
    # a case compared with a baseline case brings it along
    wanted |= {c.baseline for c in CASES if c.name in wanted and c.baseline}
    selected = [c for c in CASES if c.name in wanted]

    started = time.perf_counter()
    print(header())
    print(f"- mode: {'quick' if args.quick else 'default'}; per case up to {cfg['rounds']} "
          f"interleaved rounds, {cfg['warmup']} warm-up calls; medians per call", flush=True)
    if any(c.kind == "timed" for c in selected):
        for impl in ("torch", "loom"):
            _lib(impl)
        gc.collect()
        gc.freeze()  # long-lived objects out of the collector's way
    results = []
    for case in selected:
        print(f"  running {case.name} ...", file=sys.stderr, flush=True)
        res = run_import(case, cfg) if case.kind == "import" else run_timed(case, cfg)
        results.append(res)

    print()
    print(table(results))
    relative = relative_table(results)
    if relative:
        print("\nCost relative to the same work done by built-in ops (median / baseline's "
              "median, per implementation, scaled by the numpy column's drift between the "
              "two cases):\n")
        print(relative)
    print()
    for r in results:
        if r.rounds:
            print(f"- {r.case.name}: {r.rounds} rounds × {r.inner} calls")
    notes = [(r.case.name, n) for r in results for n in r.notes]
    errors = [(r.case.name, e) for r in results for e in r.errors.values()]
    if notes:
        print("\nNotes:")
        for name, n in notes:
            print(f"- {name}: {n}")
    if errors:
        print("\nErrors (the implementation was left out of that row):")
        for name, e in errors:
            print(f"- {name}: {e}")
    busy = _busy_warning()
    if busy:
        print(f"\nWARNING: {busy}")
    print(f"\nTotal time {time.perf_counter() - started:.1f} s; load average at end: {_load()}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
