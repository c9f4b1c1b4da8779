"""Smoke test for benchmarks/run.py: it runs and prints its table. No timing is asserted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "run.py"


def test_bench_quick_add10_runs_and_prints_table():
    pytest.importorskip("torch")
    p = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--case", "add10"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "| case | numpy | torch | loom | loom/torch | loom/numpy |" in p.stdout
    assert "add, 10 elem, no grad" in p.stdout


def test_cuda_bench_runs_or_says_what_is_missing():
    p = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "cuda.py"), "--quick"],
                       cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.startswith("skipped: ") or "| case | torch.cuda | loom cuda |" in p.stdout
