"""The seed documents' samples (examples/seeds/) print exactly the same with loom as with torch.

Each script runs twice in a subprocess with this interpreter: as is (real PyTorch, the
oracle) and through seed_runner.py, which substitutes loom for torch without editing the
script. Their stdout must be equal; stderr (warnings) is not compared. Object addresses in
reprs such as ``<AddBackward0 object at 0x7f...>`` differ from run to run and are masked.
"""
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
SCRIPTS = sorted((HERE.parent / "examples" / "seeds").glob("seed*.py"))
RUNNER = HERE / "seed_runner.py"

# The linear regression of seed 001 runs 20000 iterations by default (~10 s on either
# library); 2000 keeps each run to a couple of seconds and still draws two frames.
ENV = {"SEED001_ITERATIONS": "2000", "MPLBACKEND": "Agg", "PYTHONIOENCODING": "utf-8"}
TIMEOUT_S = 60

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+>")

pytestmark = pytest.mark.skipif(importlib.util.find_spec("torch") is None,
                                reason="PyTorch, the oracle, is not installed")


def _run(args, cwd):
    proc = subprocess.run([sys.executable, *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, encoding="utf-8", timeout=TIMEOUT_S,
                          env={**os.environ, **ENV})
    return proc.returncode, _ADDRESS.sub(" at 0x...>", proc.stdout), proc.stderr


def test_scripts_found():
    assert SCRIPTS, "no examples/seeds/seed*.py"


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_seed_script_matches_torch(script, tmp_path):
    rc, expected, err = _run([script], tmp_path)
    assert rc == 0, f"the script fails on PyTorch itself:\n{err}"
    rc, got, err = _run([RUNNER, script], tmp_path)
    tail = "\n".join(err.splitlines()[-15:])
    assert got == expected, f"loom's stdout differs from torch's (exit {rc}); stderr:\n{tail}"
    assert rc == 0, f"loom exits with {rc}; stderr:\n{tail}"
