"""Helpers of the plugin tests: run code in a fresh interpreter (plugins load at import) and
build real distributions with entry points by hand."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OP_PACK = REPO / "examples" / "op_pack"
NPDEV = REPO / "examples" / "device_npdev"
SIGNAL = REPO / "examples" / "op_pack_signal"
BUNDLED = ("ops_basic", "ops_linalg", "ops_nn", "device_cuda")

# Prelude of every child: import loom recording warnings, then report the plugin table.
# SITES_AFTER: distributions placed after the installed ones on sys.path.
_PRELUDE = """
import json, sys, warnings
sys.path.extend(SITES_AFTER)
with warnings.catch_warnings(record=True) as _caught:
    warnings.simplefilter("always")
    import loom
WARNINGS = [[w.category.__name__, str(w.message)] for w in _caught]
from loom import plugins as _P
TABLE = {n: {k: e.get(k) for k in ("status", "error", "essential", "ops", "devices", "version",
                                   "refused")}
         for n, e in _P.plugin_table.items()}
OUT = {"warnings": WARNINGS, "table": TABLE}

def error_of(fn):
    try:
        fn()
    except Exception as e:
        return [type(e).__name__, str(e)]
    return None
"""


def _env(sites=(), **loom_env):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOOM_")}
    paths = [str(s) for s in sites]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    if paths:
        env["PYTHONPATH"] = os.pathsep.join(paths)
    env.update(loom_env)
    return env


def run(args, cwd, sites=(), timeout=120, **loom_env):
    return subprocess.run([sys.executable, *args], cwd=cwd, env=_env(sites, **loom_env),
                          capture_output=True, text=True, timeout=timeout)


def run_code(code, cwd, sites=(), after=(), **loom_env) -> dict:
    """Run `_PRELUDE + code` in a fresh interpreter; the code fills OUT, returned parsed.
    `sites` go before the installed distributions on the path, `after` behind them."""
    src = (f"SITES_AFTER = {[str(s) for s in after]!r}\n" + _PRELUDE + textwrap.dedent(code) +
           "\nprint('@@' + json.dumps(OUT))\n")
    p = run(["-c", src], cwd, sites, **loom_env)
    assert p.returncode == 0, f"child failed:\n{p.stdout}\n{p.stderr}"
    line = [ln for ln in p.stdout.splitlines() if ln.startswith("@@")][-1]
    return json.loads(line[2:])


def info_json(cwd, sites=(), **loom_env) -> dict:
    p = run(["-m", "loom", "info", "--json"], cwd, sites, **loom_env)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def make_dist(site: Path, dist: str, ep_name: str, module: str, source: str,
              files: dict | None = None) -> None:
    """A real distribution by hand: package `module` plus `<dist>-0.1.dist-info` declaring the
    entry point `ep_name = module` in the group loom.plugins."""
    pkg = site / module
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(textwrap.dedent(source), encoding="utf-8")
    for name, text in (files or {}).items():
        (pkg / name).write_text(textwrap.dedent(text), encoding="utf-8")
    info = site / f"{dist.replace('-', '_')}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n",
                                   encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[loom.plugins]\n{ep_name} = {module}\n",
                                           encoding="utf-8")
