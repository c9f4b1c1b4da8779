"""examples/mlp_train.py: the same loss curve as PyTorch from the same initial weights and
data order (float32 rounding apart), and the script runs end to end."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

import loom

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "mlp_train.py"


def _module():
    spec = importlib.util.spec_from_file_location("mlp_train", EXAMPLE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_loss_curve_matches_torch_from_the_same_start():
    mod = _module()
    _, l_losses, l_acc, (lx, ly) = mod.train(loom, epochs=3, progress=False)
    _, t_losses, t_acc, (tx, ty) = mod.train(torch, epochs=3, progress=False)
    np.testing.assert_array_equal(lx.numpy(), tx.numpy())  # the same held-out split
    assert len(l_losses) == len(t_losses) == 3 * 29
    np.testing.assert_allclose(l_losses, t_losses, rtol=2e-4, atol=1e-5)
    np.testing.assert_allclose(l_acc, t_acc, atol=1 / 150)  # at most one point differs


def test_the_script_runs_and_writes_its_plot(tmp_path):
    # the loom under test, wherever the interpreter's installed one points
    src = str(Path(loom.__file__).absolute().parent.parent)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]))
    p = subprocess.run([sys.executable, str(EXAMPLE), "--epochs", "2", "--quiet", "--out",
                        str(tmp_path / "mlp.png")], capture_output=True, text=True,
                       timeout=300, cwd=tmp_path, env=env)
    assert p.returncode == 0, p.stderr[-2000:]
    assert "held-out accuracy" in p.stdout and (tmp_path / "mlp.png").exists()
