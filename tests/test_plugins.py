"""Tests of the plugin machinery: discovery through entry points, isolation of broken plugins,
strict/blocked/disabled loading, operator clashes, run-time registration, `python -m loom info`,
and an external op pack (examples/op_pack) installed as its own distribution.

Plugins load once, at ``import loom``, so every scenario runs in a fresh interpreter
(`sys.executable`) with its own environment. Broken and clashing plugins are real distributions:
a package next to a ``*.dist-info`` directory (METADATA + entry_points.txt) on PYTHONPATH, which
importlib-metadata finds exactly as it finds an installed wheel.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
OP_PACK = REPO / "examples" / "op_pack"
BUNDLED = ("ops_basic", "ops_linalg", "device_cuda")

# --------------------------------------------------------------------------- helpers

# Prelude of every child: import loom recording warnings, then report the plugin table.
_PRELUDE = """
import json, warnings
with warnings.catch_warnings(record=True) as _caught:
    warnings.simplefilter("always")
    import loom
WARNINGS = [[w.category.__name__, str(w.message)] for w in _caught]
from loom import plugins as _P
TABLE = {n: {k: e.get(k) for k in ("status", "error", "essential", "ops", "devices", "version")}
         for n, e in _P.plugin_table.items()}
OUT = {"warnings": WARNINGS, "table": TABLE}

def error_of(fn):
    try:
        fn()
    except Exception as e:
        return [type(e).__name__, str(e)]
    return None
"""


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """The children's working directory. Its loom.toml both pins the config file loom finds
    (nothing above it is read) and gives one setting a "config file" source."""
    d = tmp_path_factory.mktemp("cwd")
    (d / "loom.toml").write_text("strict_plugins = false\n", encoding="utf-8")
    return d


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


def run_code(code, cwd, sites=(), **loom_env) -> dict:
    """Run `_PRELUDE + code` in a fresh interpreter; the code fills OUT, returned parsed."""
    src = _PRELUDE + textwrap.dedent(code) + "\nprint('@@' + json.dumps(OUT))\n"
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


# --------------------------------------------------------------------------- bundled plugins


@pytest.fixture(scope="module")
def bundled_info(workdir):
    return info_json(workdir, LOOM_DEFAULT_DEVICE="cpu")


def test_bundled_plugins_load(workdir):
    out = run_code("", workdir)
    table = out["table"]
    assert table["cpu"]["status"] == "loaded" and table["cpu"]["essential"] is True
    for name in BUNDLED:
        assert table[name]["status"] == "loaded", (name, table[name])
        assert table[name]["error"] is None
    assert not [w for w in out["warnings"] if w[0] == "RuntimeWarning"]


def test_loom_info_text_lists_bundled_plugins(workdir):
    p = run(["-m", "loom", "info"], workdir)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    for name in ("cpu", *BUNDLED):
        row = next((ln for ln in lines if ln.split()[:1] == [name]), None)
        assert row is not None and "loaded" in row.split(), (name, p.stdout)
    assert "Failures:\n  none" in p.stdout
    assert re.search(r"^  ops_linalg \(\d+\): .*\bmm\b", p.stdout, re.M)  # operators per plugin


def test_loom_info_json_plugins(bundled_info):
    plugins = {p["name"]: p for p in bundled_info["plugins"]}
    assert set(plugins) >= {"cpu", *BUNDLED}
    for name in BUNDLED:
        assert plugins[name]["status"] == "loaded"
        assert plugins[name]["module"] == "loom_" + name
    assert plugins["cpu"]["essential"] and plugins["cpu"]["devices"] == ["cpu"]
    assert plugins["device_cuda"]["devices"] == ["cuda"]
    assert bundled_info["failures"] == []
    devices = {d["type"]: d for d in bundled_info["devices"]}
    assert devices["cpu"]["available"] and devices["cpu"]["provider"] == "cpu"
    assert devices["cuda"]["provider"] == "device_cuda"
    if not devices["cuda"]["available"]:
        assert devices["cuda"]["reason"]  # says why (CuPy missing, no GPU)


def test_loom_info_json_operators(bundled_info):
    ops = bundled_info["operators"]
    providers = {p["name"]: set(p["operators"]) for p in bundled_info["plugins"]}
    assert len(ops) > 50
    for op in ops:
        assert set(op) >= {"name", "provider", "kind", "devices", "has_backward", "samples"}
        assert op["provider"] in BUNDLED, op
        assert op["name"] in providers[op["provider"]]
        assert "cpu" in op["devices"], op
        assert isinstance(op["has_backward"], bool)
        assert op["samples"] > 0, f"operator {op['name']} has no sample inputs"
    by_name = {o["name"]: o for o in ops}
    assert by_name["mm"]["provider"] == "ops_linalg" and by_name["mm"]["has_backward"]
    assert by_name["add"]["provider"] == "ops_basic" and by_name["add"]["has_backward"]
    assert not by_name["eq"]["has_backward"]


def test_loom_info_json_settings_show_their_source(bundled_info, workdir):
    s = bundled_info["settings"]
    assert s["default_device"] == {"value": "cpu",
                                   "source": "environment (LOOM_DEFAULT_DEVICE)"}
    assert s["strict_plugins"]["value"] is False
    assert s["strict_plugins"]["source"] == f"config file ({workdir / 'loom.toml'})"
    for name in ("disable_plugin_autoload", "blocked_plugins", "op_providers"):
        assert s[name]["source"] == "default", (name, s[name])


def test_settings_precedence_run_time_over_env_over_file(workdir):
    (workdir / "sub").mkdir(exist_ok=True)
    (workdir / "sub" / "loom.toml").write_text('blocked_plugins = ["ops_linalg"]\n'
                                               'default_device = "cpu"\n', encoding="utf-8")
    out = run_code("""
        from loom import config
        OUT["blocked_file"] = [config.get("blocked_plugins"), config.source("blocked_plugins")]
        OUT["env"] = [config.get("default_device"), config.source("default_device")]
        with config.using(default_device="cuda"):
            OUT["using"] = [config.get("default_device"), config.source("default_device")]
        OUT["after"] = config.source("default_device")
    """, workdir / "sub", LOOM_DEFAULT_DEVICE="cpu:0")
    assert out["table"]["ops_linalg"]["status"] == "blocked"  # the file's setting applied
    assert out["blocked_file"][0] == ["ops_linalg"]
    assert out["blocked_file"][1].startswith("config file (")
    assert out["env"] == ["cpu:0", "environment (LOOM_DEFAULT_DEVICE)"]
    assert out["using"] == ["cuda", "run time (config.using)"]
    assert out["after"] == "environment (LOOM_DEFAULT_DEVICE)"


def test_bundled_catalog_matches_what_plugins_register(bundled_info):
    from loom.registry import BUNDLED_CATALOG

    registered = {p["name"]: set(p["operators"]) for p in bundled_info["plugins"]}
    assert set(BUNDLED_CATALOG) <= set(BUNDLED)
    assert set(BUNDLED_CATALOG["ops_linalg"]) == registered["ops_linalg"]
    for plugin, names in BUNDLED_CATALOG.items():
        assert set(names) == registered[plugin], plugin


# --------------------------------------------------------------------------- broken plugins

_BROKEN_IMPORT = """
raise RuntimeError("sentinel: broken at import")
"""

_BROKEN_REGISTER = """
from loom.plugin import hookimpl

@hookimpl
def loom_register_ops():
    raise ValueError("sentinel: broken in loom_register_ops")
"""


@pytest.fixture(scope="module")
def broken_site(tmp_path_factory):
    site = tmp_path_factory.mktemp("broken_site")
    make_dist(site, "loom-broken-import", "broken_import", "loom_broken_import", _BROKEN_IMPORT)
    make_dist(site, "loom-broken-register", "broken_register", "loom_broken_register",
              _BROKEN_REGISTER)
    return site


@pytest.fixture(scope="module")
def broken_run(workdir, broken_site):
    return run_code("""
        OUT["sum"] = (loom.ones(2) + 1).sum().item()
        OUT["mm"] = loom.mm(loom.ones(2, 3), loom.ones(3, 1)).tolist()
        OUT["failed"] = _P.failed_names()
        OUT["unknown_op"] = error_of(lambda: loom.no_such_op)
    """, workdir, [broken_site])


@pytest.mark.parametrize("name, stage, error", [
    ("broken_import", "import", "RuntimeError: sentinel: broken at import"),
    ("broken_register", "register", "ValueError: sentinel: broken in loom_register_ops"),
])
def test_broken_plugin_is_reported_and_skipped(broken_run, name, stage, error):
    entry = broken_run["table"][name]
    assert entry["status"] == "failed"
    assert entry["error"] == error
    assert entry["ops"] == [] and entry["devices"] == []
    warned = [m for c, m in broken_run["warnings"] if c == "RuntimeWarning" and f"'{name}'" in m]
    assert len(warned) == 1, broken_run["warnings"]
    assert f"failed to {stage}" in warned[0] and error in warned[0]
    assert name in broken_run["failed"]


def test_broken_plugins_leave_the_others_working(broken_run):
    for name in ("cpu", *BUNDLED):
        assert broken_run["table"][name]["status"] == "loaded"
    assert broken_run["sum"] == 4.0
    assert broken_run["mm"] == [[3.0], [3.0]]
    # an unknown operator's error lists the plugins that failed
    kind, msg = broken_run["unknown_op"]
    assert kind == "MissingOperatorError" and "broken_import" in msg and "broken_register" in msg


def test_loom_info_shows_failed_plugins(workdir, broken_site):
    p = run(["-m", "loom", "info"], workdir, [broken_site])
    assert p.returncode == 0, p.stderr
    text = p.stdout
    row = next(ln for ln in text.splitlines() if ln.split()[:1] == ["broken_import"])
    assert "failed" in row.split() and "0.1" in row.split()
    assert "error: RuntimeError: sentinel: broken at import" in text
    failures = text.split("Failures:")[1].split("Settings:")[0]
    assert "broken_import: RuntimeError: sentinel: broken at import" in failures
    assert "broken_register: ValueError: sentinel: broken in loom_register_ops" in failures

    info = info_json(workdir, [broken_site])
    assert {f["plugin"] for f in info["failures"]} == {"broken_import", "broken_register"}


def test_strict_plugins_makes_import_raise(workdir, broken_site):
    p = run(["-c", "import loom"], workdir, [broken_site], LOOM_STRICT_PLUGINS="1")
    assert p.returncode != 0
    last = p.stderr.strip().splitlines()[-1]
    assert last.startswith("loom.plugins.PluginLoadError: loom plugin 'broken_")
    assert "sentinel" in last and "LOOM_STRICT_PLUGINS" in last


def test_strict_plugins_with_healthy_plugins_imports(workdir):
    out = run_code("OUT['x'] = (loom.ones(2) * 3).sum().item()", workdir,
                   LOOM_STRICT_PLUGINS="1")
    assert out["x"] == 6.0 and all(e["status"] == "loaded" for e in out["table"].values())


# --------------------------------------------------------------------------- disabled / blocked


def test_disable_autoload_loads_only_the_cpu_backend(workdir, broken_site):
    out = run_code("""
        t = loom.tensor([1., 2.])
        OUT["t"] = [t.tolist(), str(t.dtype), str(t.device)]
        OUT["mm"] = error_of(lambda: loom.mm)
    """, workdir, [broken_site], LOOM_DISABLE_PLUGIN_AUTOLOAD="1")
    assert list(out["table"]) == ["cpu"]  # not even the broken ones were imported
    assert out["table"]["cpu"]["status"] == "loaded" and out["table"]["cpu"]["essential"]
    assert not [w for w in out["warnings"] if w[0] == "RuntimeWarning"]
    assert out["t"] == [[1.0, 2.0], "torch.float32", "cpu"]
    kind, msg = out["mm"]
    assert kind == "MissingOperatorError"
    assert "plugin 'ops_linalg'" in msg and "LOOM_DISABLE_PLUGIN_AUTOLOAD" in msg


def test_blocked_plugin_is_not_loaded_and_cpu_cannot_be_blocked(workdir):
    out = run_code("""
        OUT["mm"] = error_of(lambda: loom.mm)
        OUT["mm_method"] = error_of(lambda: loom.ones(2, 2).mm(loom.ones(2, 2)))
        OUT["sum"] = (loom.ones(3) + 1).sum().item()
    """, workdir, LOOM_BLOCKED_PLUGINS="ops_linalg, cpu")
    table = out["table"]
    assert table["ops_linalg"]["status"] == "blocked"
    assert table["cpu"]["status"] == "loaded" and table["cpu"]["essential"]
    assert table["ops_basic"]["status"] == "loaded"
    assert out["sum"] == 6.0
    for kind, msg in (out["mm"], out["mm_method"]):
        assert kind == "MissingOperatorError"
        assert "plugin 'ops_linalg'" in msg and "blocked" in msg and "LOOM_BLOCKED_PLUGINS" in msg


# --------------------------------------------------------------------------- operator clashes

_CLASH_A = """
from loom.plugin import OpDef, hookimpl

@hookimpl
def loom_register_ops():
    return [OpDef("clashop", kind="unary", forward=lambda xp, a: a + 1.0,
                  functions=("clashop",), methods=("clashop",))]
"""

# Registers a device and one operator before the clashing one, so that a failure has
# something to roll back.
_CLASH_B = """
from loom.plugin import DeviceBackend, OpDef, hookimpl

class FakeBackend(DeviceBackend):
    type = "fakedev"
    def is_available(self):
        return False
    def unavailable_reason(self):
        return "a test double"

@hookimpl
def loom_register_devices():
    return [FakeBackend()]

@hookimpl
def loom_register_ops():
    return [OpDef("clashb_extra", kind="unary", forward=lambda xp, a: a * 10.0,
                  functions=("clashb_extra",), methods=("clashb_extra",)),
            OpDef("clashop", kind="unary", forward=lambda xp, a: a + 2.0,
                  functions=("clashop",), methods=("clashop",))]
"""

_OVERRIDE_C = """
from loom.plugin import OpDef, hookimpl

@hookimpl
def loom_override_ops():
    return [OpDef("clashop", kind="unary", forward=lambda xp, a: a + 3.0,
                  functions=("clashop",), methods=("clashop",))]
"""

_CLASH_PROBE = """
from loom import backends
from loom.registry import registry
x = loom.tensor([1., 2.])
OUT["clashop"] = loom.clashop(x).tolist()
OUT["method"] = x.clashop().tolist()
OUT["provider"] = registry.providers.get("clashop")
OUT["overridden"] = [list(o) for o in registry.overridden]
OUT["extra_in_registry"] = "clashb_extra" in registry.ops
OUT["extra_function"] = "clashb_extra" in vars(loom)
OUT["extra_method"] = hasattr(loom.Tensor, "clashb_extra")
OUT["fakedev"] = "fakedev" in backends.backends
"""


@pytest.fixture(scope="module")
def clash_sites(tmp_path_factory):
    # One folder each, in PYTHONPATH order, so that clash_a loads before clash_b.
    a, b, c = (tmp_path_factory.mktemp(n) for n in ("clash_a", "clash_b", "override_c"))
    make_dist(a, "loom-clash-a", "clash_a", "loom_clash_a", _CLASH_A)
    make_dist(b, "loom-clash-b", "clash_b", "loom_clash_b", _CLASH_B)
    make_dist(c, "loom-override-c", "override_c", "loom_override_c", _OVERRIDE_C)
    return a, b, c


@pytest.fixture(scope="module")
def clash_default(workdir, clash_sites):
    return run_code(_CLASH_PROBE, workdir, clash_sites[:2])


def test_operator_clash_is_a_clear_error_naming_both_plugins(clash_default):
    table = clash_default["table"]
    assert table["clash_a"]["status"] == "loaded" and table["clash_a"]["ops"] == ["clashop"]
    assert table["clash_b"]["status"] == "failed"
    err = table["clash_b"]["error"]
    assert err.startswith("OperatorClashError: operator 'clashop'")
    assert "plugin 'clash_a'" in err and "plugin 'clash_b'" in err
    assert "LOOM_OP_PROVIDERS=clashop=<plugin>" in err
    assert any("'clash_b'" in m and "OperatorClashError" in m
               for c, m in clash_default["warnings"] if c == "RuntimeWarning")
    # the first plugin keeps the operator
    assert clash_default["provider"] == "clash_a"
    assert clash_default["clashop"] == [2.0, 3.0] and clash_default["method"] == [2.0, 3.0]


def test_failed_plugin_leaves_no_operator_in_the_registry(clash_default):
    assert clash_default["extra_in_registry"] is False
    assert clash_default["table"]["clash_b"]["ops"] == []


def test_failed_plugin_leaves_no_function_or_method(clash_default):
    assert clash_default["extra_function"] is False
    assert clash_default["extra_method"] is False


def test_failed_plugin_leaves_no_device(clash_default):
    assert clash_default["fakedev"] is False
    assert clash_default["table"]["clash_b"]["devices"] == []


@pytest.mark.parametrize("winner, value", [("clash_b", [3.0, 4.0]), ("clash_a", [2.0, 3.0])])
def test_op_providers_setting_chooses_the_winner(workdir, clash_sites, winner, value):
    out = run_code(_CLASH_PROBE, workdir, clash_sites[:2],
                   LOOM_OP_PROVIDERS=f"clashop={winner}")
    assert out["table"]["clash_a"]["status"] == "loaded"
    assert out["table"]["clash_b"]["status"] == "loaded"
    assert not [w for w in out["warnings"] if w[0] == "RuntimeWarning"]
    assert out["provider"] == winner
    assert out["clashop"] == value and out["method"] == value
    loser = "clash_a" if winner == "clash_b" else "clash_b"
    assert ["clashop", loser, winner] in out["overridden"]
    assert out["table"][winner]["ops"].count("clashop") == 1
    assert out["extra_in_registry"] is True  # clash_b's other operator is unaffected


def test_operator_taken_over_is_listed_only_under_its_winner(workdir, clash_sites):
    info = info_json(workdir, clash_sites[:2], LOOM_OP_PROVIDERS="clashop=clash_b")
    listed = {p["name"]: p["operators"] for p in info["plugins"]}
    assert "clashop" in listed["clash_b"]
    assert "clashop" not in listed["clash_a"]


def test_plugin_may_override_an_operator(workdir, clash_sites):
    out = run_code(_CLASH_PROBE, workdir, (clash_sites[0], clash_sites[2]))
    assert out["table"]["override_c"]["status"] == "loaded"
    assert out["provider"] == "override_c"
    assert out["clashop"] == [4.0, 5.0]
    assert ["clashop", "clash_a", "override_c"] in out["overridden"]


# --------------------------------------------------------------------------- run-time registration


def test_register_at_run_time_adds_function_and_method(workdir):
    out = run_code("""
        from loom.plugin import OpDef, OperatorClashError, SampleInput, register
        from loom.registry import registry

        def cube_bwd(ctx, g):
            (a,) = ctx.saved
            return (g * 3.0 * a * a,)

        op = register(OpDef("cube", kind="unary", forward=lambda xp, a: a * a * a,
                            backward=cube_bwd, save=(0,), functions=("cube",),
                            methods=("cube",)))
        x = loom.tensor([1., 2.], requires_grad=True)
        y = loom.cube(x)
        y.sum().backward()
        OUT["fn"] = y.tolist()
        OUT["grad"] = x.grad.tolist()
        OUT["method"] = x.detach().cube().tolist()
        OUT["grad_fn"] = str(y.grad_fn)
        OUT["provider"] = registry.providers["cube"]
        OUT["clash"] = error_of(lambda: register(OpDef("cube", kind="unary",
                                forward=lambda xp, a: a), plugin="other"))
        register(OpDef("cube", kind="unary", forward=lambda xp, a: -a, functions=("cube",)),
                 plugin="other", override=True)
        OUT["overridden"] = loom.cube(loom.tensor([2.])).tolist()
        from loom.__main__ import collect
        OUT["info"] = next(o for o in collect()["operators"] if o["name"] == "cube")
    """, workdir)
    assert out["fn"] == [1.0, 8.0]
    assert out["grad"] == [3.0, 12.0]
    assert out["method"] == [1.0, 8.0]
    assert "CubeBackward0" in out["grad_fn"]
    assert out["provider"] == "user"
    kind, msg = out["clash"]
    assert kind == "OperatorClashError" and "'user'" in msg and "'other'" in msg
    assert out["overridden"] == [-2.0]
    assert out["info"]["provider"] == "other"


# --------------------------------------------------------------------------- the example op pack


@pytest.fixture(scope="module")
def op_pack_site(tmp_path_factory):
    """examples/op_pack installed into a temporary target, as pip installs it."""
    tmp = tmp_path_factory.mktemp("op_pack")
    src = tmp / "src"
    # a copy, so that the build's build/ and *.egg-info stay out of the repository
    shutil.copytree(OP_PACK, src, ignore=shutil.ignore_patterns("build", "*.egg-info",
                                                                "__pycache__"))
    site = tmp / "site"
    p = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-index",
                        "--no-deps", "--no-build-isolation", "--disable-pip-version-check",
                        "--target", str(site), str(src)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, f"pip install of examples/op_pack failed:\n{p.stdout}{p.stderr}"
    return site


def test_op_pack_is_a_distribution_with_an_entry_point(op_pack_site):
    (info,) = op_pack_site.glob("loom_example_ops-*.dist-info")
    assert "Name: loom-example-ops" in (info / "METADATA").read_text()
    eps = (info / "entry_points.txt").read_text()
    assert "[loom.plugins]" in eps and "example_ops = loom_example_ops" in eps


def test_op_pack_loads_and_works_with_autograd(workdir, op_pack_site):
    out = run_code("""
        import numpy as np
        a = loom.tensor([[3., -1.], [0.5, 2.]], dtype=loom.float64, requires_grad=True)
        b = loom.tensor([4., 2.], dtype=loom.float64, requires_grad=True)
        h = loom.hypot(a, b)
        h.sum().backward()
        OUT["hypot"] = h.tolist()
        OUT["method"] = a.detach().hypot(b.detach()).tolist()
        OUT["grads"] = [a.grad.tolist(), b.grad.tolist()]
        r = loom.hypot(loom.tensor([3., 5.]), loom.tensor([4, 12]))
        OUT["mixed"] = [r.tolist(), str(r.dtype)]
        OUT["errors"] = [error_of(lambda: loom.hypot(loom.tensor([3, 5]), loom.tensor([4, 4]))),
                         error_of(lambda: loom.hypot(loom.tensor([3., 5.]), 4.0))]
        x = loom.tensor([-30., -1., 0., 1., 25.], dtype=loom.float64, requires_grad=True)
        y = loom.softplus(x)
        g, = loom.autograd.grad(y.sum(), x, create_graph=True)
        g.sum().backward()
        OUT["softplus"] = [y.tolist(), g.tolist(), x.grad.tolist()]
    """, workdir, [op_pack_site])
    entry = out["table"]["example_ops"]
    assert entry["status"] == "loaded" and entry["version"] == "0.1.0"
    assert sorted(entry["ops"]) == ["hypot", "softplus"]
    assert not [w for w in out["warnings"] if w[0] == "RuntimeWarning"]

    torch = pytest.importorskip("torch")
    ta = torch.tensor([[3., -1.], [0.5, 2.]], dtype=torch.float64, requires_grad=True)
    tb = torch.tensor([4., 2.], dtype=torch.float64, requires_grad=True)
    th = torch.hypot(ta, tb)
    th.sum().backward()
    np.testing.assert_allclose(out["hypot"], th.tolist(), rtol=1e-12)
    np.testing.assert_allclose(out["method"], th.tolist(), rtol=1e-12)
    np.testing.assert_allclose(out["grads"][0], ta.grad.tolist(), rtol=1e-12)
    np.testing.assert_allclose(out["grads"][1], tb.grad.tolist(), rtol=1e-12)
    # torch.hypot's contract: standard promotion, floating point only, no Python scalars
    assert out["mixed"] == [[5.0, 13.0], "torch.float32"]
    assert out["errors"][0] == ["NotImplementedError", "\"hypot\" not implemented for 'Long'"]
    assert out["errors"][1] == ["TypeError", "hypot(): argument 'other' (position 2) must be "
                                "Tensor, not float"]

    tx = torch.tensor([-30., -1., 0., 1., 25.], dtype=torch.float64, requires_grad=True)
    ty = torch.nn.functional.softplus(tx)
    (tg,) = torch.autograd.grad(ty.sum(), tx, create_graph=True)
    tg.sum().backward()
    y, g, gg = out["softplus"]
    np.testing.assert_allclose(y, ty.tolist(), rtol=1e-12)
    np.testing.assert_allclose(g, tg.tolist(), rtol=1e-12)
    np.testing.assert_allclose(gg, tx.grad.tolist(), rtol=1e-9)


def test_op_pack_in_loom_info(workdir, op_pack_site):
    info = info_json(workdir, [op_pack_site])
    plugin = next(p for p in info["plugins"] if p["name"] == "example_ops")
    assert plugin["status"] == "loaded" and plugin["module"] == "loom_example_ops"
    assert plugin["version"] == "0.1.0"
    ops = {o["name"]: o for o in info["operators"] if o["provider"] == "example_ops"}
    assert set(ops) == {"hypot", "softplus"}
    for o in ops.values():
        assert o["has_backward"] and o["samples"] > 0 and o["devices"] == ["cpu"]
    assert ops["hypot"]["kind"] == "binary" and ops["softplus"]["kind"] == "unary"


_SAMPLE_CHECK = """
import numpy as np
import torch
from loom.registry import registry

def oracle(op):
    if op.torch_name is None:
        return lambda *args, **kw: op.reference(*args, **kw)
    fn = getattr(torch, op.torch_name)
    return lambda *args, **kw: fn(*[torch.from_numpy(a) if isinstance(a, np.ndarray) else a
                                    for a in args], **kw).numpy()

rng = np.random.default_rng(0)
results = []
for op in registry:
    if op.plugin != "example_ops":
        continue
    ref = oracle(op)
    for s in op.samples(rng, np.float64):
        what = f"{op.name} {s.note or 'sample'}"
        args = [loom.tensor(a) if isinstance(a, np.ndarray) else a for a in s.args]
        got = op.call(*args, **s.kwargs).numpy()
        want = np.asarray(ref(*s.args, **s.kwargs))
        forward = bool(got.shape == want.shape and got.dtype == want.dtype and
                       np.allclose(got, want, rtol=s.rtol, atol=s.atol))
        if op.reference is not None:
            forward = forward and bool(np.allclose(op.reference(*s.args, **s.kwargs), want))
        grad = None
        if s.grad and op.has_backward:
            # one differentiable input at a time, the others held constant
            grad = True
            for i, a in enumerate(s.args):
                if not isinstance(a, np.ndarray) or a.size == 0:
                    continue
                def fn(x, i=i):
                    return op.call(*[x if j == i else v for j, v in enumerate(args)])
                x = loom.tensor(a.copy(), requires_grad=True)
                grad = grad and bool(loom.autograd.gradcheck(fn, (x,), fast_mode=True))
        results.append([what, forward, grad])
OUT["results"] = results
"""


def test_op_pack_samples_pass_forward_and_gradcheck(workdir, op_pack_site):
    pytest.importorskip("torch")
    out = run_code(_SAMPLE_CHECK, workdir, [op_pack_site])
    results = out["results"]
    assert {r[0].split()[0] for r in results} == {"hypot", "softplus"}
    bad = [r for r in results if r[1] is not True or r[2] is False]
    assert not bad, bad
    assert sum(r[2] is True for r in results) >= 6


def test_registry_driven_op_tests_cover_the_op_pack(workdir, op_pack_site, tmp_path):
    """tests/test_ops.py enumerates the registry, so with the pack installed it checks hypot and
    softplus like any bundled operator."""
    test_ops = REPO / "tests" / "test_ops.py"
    if not test_ops.exists():
        pytest.skip("tests/test_ops.py is not there yet; "
                    "test_op_pack_samples_pass_forward_and_gradcheck checks the samples")
    report = tmp_path / "report.xml"
    p = run(["-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}",
             str(test_ops), "-k", "hypot or softplus"], REPO, [op_pack_site], timeout=300)
    assert p.returncode == 0, p.stdout[-4000:] + p.stderr[-2000:]
    import xml.etree.ElementTree as ET

    names = [c.get("name") for c in ET.parse(report).iter("testcase")]
    for op in ("hypot", "softplus"):
        ran = [n for n in names if op in n]
        assert any(n.startswith("test_forward[") for n in ran), (op, names)
        assert any(n.startswith("test_backward[") for n in ran), (op, names)
