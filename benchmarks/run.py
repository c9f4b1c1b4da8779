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

from cases import CASES, IMPLS, Case, _lib, _np  # benchmarks/, beside this script

# Per-mode knobs: rounds, warm-up calls, target seconds per timed batch, seconds one case may take.
MODES = {
    "default": dict(rounds=24, warmup=5, batch_s=0.04, case_budget_s=12.0, import_runs=5),
    "quick": dict(rounds=3, warmup=1, batch_s=0.005, case_budget_s=2.0, import_runs=2),
}


# ---------------------------------------------------------------------------
# machinery
# ---------------------------------------------------------------------------

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
