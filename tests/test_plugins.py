"""Tests of the plugin machinery: discovery through entry points, isolation of broken plugins,
strict/blocked/disabled loading, operator clashes, run-time registration, `python -m loom info`.
The example op pack has its own module, test_op_pack.py.

Plugins load once, at ``import loom``, so every scenario runs in a fresh interpreter
(`sys.executable`) with its own environment. Broken and clashing plugins are real distributions:
a package next to a ``*.dist-info`` directory (METADATA + entry_points.txt) on PYTHONPATH, which
importlib-metadata finds exactly as it finds an installed wheel.
"""
from __future__ import annotations

import re

import pytest

from plugin_env import BUNDLED, info_json, make_dist, run, run_code


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


def test_shipped_plugin_data_matches_what_plugins_register(bundled_info, workdir):
    # loom-plugin.json beside each bundled plugin says what it provides, readable without
    # importing it; errors and `loom info` use it when the plugin is blocked or failed
    import json

    from plugin_env import REPO

    registered = {p["name"]: p for p in bundled_info["plugins"]}
    for name in BUNDLED:
        data = json.loads((REPO / "plugins" / name / "loom-plugin.json").read_text())
        fix = f"regenerate: python -m loom catalog {name} > plugins/{name}/loom-plugin.json"
        assert sorted(data["operators"]) == sorted(registered[name]["operators"]), fix
        assert data.get("devices", []) == registered[name]["devices"], fix
    p = run(["-m", "loom", "catalog", "ops_linalg"], workdir)
    shipped = json.loads((REPO / "plugins" / "ops_linalg" / "loom-plugin.json").read_text())
    assert p.returncode == 0 and json.loads(p.stdout)["operators"] == shipped["operators"]
    assert {"matmul", "linalg_solve", "linalg_cholesky", "linalg_svd"} <= set(shipped["operators"])
    p = run(["-m", "loom", "catalog", "no_such_pack"], workdir)
    assert p.returncode == 2 and "no_such_pack" in p.stderr


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
from loom.plugin import OpSpec, hookimpl

@hookimpl
def loom_register_ops():
    return [OpSpec("clashop", kind="unary", kernel=lambda xp, a: a + 1.0,
                  functions=("clashop",), methods=("clashop",))]
"""

# Registers a device and one operator before the clashing one, so that a failure has
# something to roll back.
_CLASH_B = """
from loom.plugin import DeviceBackend, OpSpec, hookimpl

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
    return [OpSpec("clashb_extra", kind="unary", kernel=lambda xp, a: a * 10.0,
                  functions=("clashb_extra",), methods=("clashb_extra",)),
            OpSpec("clashop", kind="unary", kernel=lambda xp, a: a + 2.0,
                  functions=("clashop",), methods=("clashop",))]
"""

_OVERRIDE_C = """
from loom.plugin import OpSpec, hookimpl

@hookimpl
def loom_override_ops():
    return [OpSpec("clashop", kind="unary", kernel=lambda xp, a: a + 3.0,
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


def test_operator_clash_is_refused_naming_both_plugins(clash_default):
    table = clash_default["table"]
    assert table["clash_a"]["status"] == "loaded" and table["clash_a"]["ops"] == ["clashop"]
    # the clashing operator alone is refused; the rest of clash_b loads
    assert table["clash_b"]["status"] == "loaded"
    (err,) = table["clash_b"]["refused"]
    assert err.startswith("operator 'clashop' is provided by both plugin 'clash_a'")
    assert "plugin 'clash_b'" in err and "LOOM_OP_PROVIDERS=clashop=<plugin>" in err
    assert any("'clash_b'" in m and "clashop" in m
               for c, m in clash_default["warnings"] if c == "RuntimeWarning")
    # the first plugin keeps the operator
    assert clash_default["provider"] == "clash_a"
    assert clash_default["clashop"] == [2.0, 3.0] and clash_default["method"] == [2.0, 3.0]


def test_refused_operator_leaves_the_rest_of_its_plugin(clash_default):
    assert clash_default["extra_in_registry"] is True
    assert clash_default["extra_function"] is True and clash_default["extra_method"] is True
    assert clash_default["table"]["clash_b"]["ops"] == ["clashb_extra"]
    assert clash_default["fakedev"] is True


_BROKEN_LATE = """
from loom.plugin import DeviceBackend, hookimpl, unary

class FakeBackend(DeviceBackend):
    type = "latedev"
    def is_available(self):
        return False

@hookimpl
def loom_register_devices():
    return [FakeBackend()]

@hookimpl
def loom_register_ops():
    # the second op's kernel names no NumPy function: binding it fails after the first op
    # and the device were registered
    return [unary("late_ok", dx=lambda y: y, kernel=lambda xp, x: x + 1.0),
            unary("late_bad", "no_such_numpy_function", dx=lambda y: y)]
"""


@pytest.fixture(scope="module")
def late_run(workdir, tmp_path_factory):
    site = tmp_path_factory.mktemp("late")
    make_dist(site, "loom-broken-late", "broken_late", "loom_broken_late", _BROKEN_LATE)
    return run_code("""
        from loom import backends
        from loom.registry import registry
        OUT["in_registry"] = [n for n in ("late_ok", "late_bad") if n in registry.ops]
        OUT["function"] = hasattr(loom, "late_ok")
        OUT["method"] = hasattr(loom.Tensor, "late_ok")
        OUT["device"] = "latedev" in backends.backends
    """, workdir, [site])


def test_failed_plugin_leaves_no_operator_in_the_registry(late_run):
    assert late_run["table"]["broken_late"]["status"] == "failed"
    assert "no_such_numpy_function" in late_run["table"]["broken_late"]["error"]
    assert late_run["in_registry"] == []
    assert late_run["table"]["broken_late"]["ops"] == []


def test_failed_plugin_leaves_no_function_or_method(late_run):
    assert late_run["function"] is False
    assert late_run["method"] is False


def test_failed_plugin_leaves_no_device(late_run):
    assert late_run["device"] is False
    assert late_run["table"]["broken_late"]["devices"] == []


@pytest.mark.parametrize("winner, value", [("clash_b", [3.0, 4.0]), ("clash_a", [2.0, 3.0])])
def test_op_providers_setting_chooses_the_winner(workdir, clash_sites, winner, value):
    out = run_code(_CLASH_PROBE, workdir, clash_sites[:2],
                   LOOM_OP_PROVIDERS=f"clashop={winner}")
    assert out["table"]["clash_a"]["status"] == "loaded"
    assert out["table"]["clash_b"]["status"] == "loaded"
    assert not out["table"]["clash_b"]["refused"]
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
        from loom.plugin import OpSpec, OperatorClashError, SampleInput, register
        from loom.registry import registry

        def cube_bwd(ctx, g):
            (a,) = ctx.saved
            return (g * 3.0 * a * a,)

        op = register(OpSpec("cube", kind="unary", kernel=lambda xp, a: a * a * a,
                             backward=cube_bwd, save_inputs=(0,), functions=("cube",),
                            methods=("cube",)))
        x = loom.tensor([1., 2.], requires_grad=True)
        y = loom.cube(x)
        y.sum().backward()
        OUT["fn"] = y.tolist()
        OUT["grad"] = x.grad.tolist()
        OUT["method"] = x.detach().cube().tolist()
        OUT["grad_fn"] = str(y.grad_fn)
        OUT["provider"] = registry.providers["cube"]
        OUT["clash"] = error_of(lambda: register(OpSpec("cube", kind="unary",
                                kernel=lambda xp, a: a), plugin="other"))
        register(OpSpec("cube", kind="unary", kernel=lambda xp, a: -a, functions=("cube",)),
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
