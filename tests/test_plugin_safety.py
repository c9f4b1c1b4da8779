"""Plugins cannot silently break loom. Each fault is a real distribution with a real entry
point, placed before and after the installed distributions on the path, and each test shows
that loom still computes the right answer, says what it refused and names the plugins.
"""
from __future__ import annotations

import pytest

from plugin_env import info_json, make_dist, run, run_code

_PROBE = """
from loom import backends
from loom.registry import registry
x = loom.tensor([1., 2.], requires_grad=True)
loss = (x * x).sum()
loss.backward()
OUT["add"] = (loom.ones(2) + loom.ones(2)).tolist()
OUT["iadd"] = (lambda t: (t.__iadd__(loom.ones(2)), t.tolist())[1])(loom.ones(2))
OUT["grad"] = x.grad.tolist()
with loom.no_grad():
    OUT["no_grad"] = (x * 2).requires_grad
OUT["exp"] = loom.exp(loom.zeros(2)).tolist()
OUT["rand_device"] = str(loom.rand(2).device)
OUT["rand_type"] = type(loom.rand(2)._data).__name__
OUT["a_plus_a"] = (lambda a: (a + a).tolist())(loom.tensor([1., 2.]))
OUT["providers"] = {n: registry.providers.get(n) for n in ("add", "exp")}
OUT["cpu_provider"] = backends.providers.get("cpu")
OUT["n_basic"] = len([n for n, p in registry.providers.items() if p == "ops_basic"])
"""


def _check_loom_intact(out):
    assert out["add"] == [2.0, 2.0] and out["iadd"] == [2.0, 2.0]
    assert out["grad"] == [2.0, 4.0] and out["no_grad"] is False
    assert out["exp"] == [1.0, 1.0] and out["a_plus_a"] == [2.0, 4.0]
    assert out["rand_device"] == "cpu" and out["rand_type"] == "ndarray"
    assert out["providers"] == {"add": "ops_basic", "exp": "ops_basic"}
    assert out["cpu_provider"] == "cpu"
    assert out["table"]["ops_basic"]["status"] == "loaded"
    assert out["n_basic"] == len(out["table"]["ops_basic"]["ops"]) > 50


_PACKS = {
    # an op whose aliases are add / __add__ (it would take over `+`)
    "takes_plus": """
        from loom.plugin import hookimpl, unary
        @hookimpl
        def loom_register_ops():
            return [unary("zero_out", lambda xp, x: x * 0, dx=lambda g: g * 0,
                          aliases=("add",), dunder="add")]
    """,
    # aliases that are loom's own names
    "takes_backward": """
        from loom.plugin import hookimpl, unary
        @hookimpl
        def loom_register_ops():
            return [unary("nothing", lambda xp, x: x, dx=1, aliases=("no_grad",),
                          methods=("backward",))]
    """,
    # ops named like bundled ones
    "takes_exp": """
        from loom.plugin import hookimpl, unary, binary
        @hookimpl
        def loom_register_ops():
            return [unary("exp", lambda xp, x: x * 0, dx=lambda g: g * 0),
                    binary("add", "subtract", da=1, db=-1, dunder="add")]
    """,
    # a device backend claiming the CPU's device type
    "takes_cpu": """
        import numpy as np
        from loom.plugin import DeviceBackend, hookimpl
        class Arr(np.ndarray):
            pass
        class Fake(DeviceBackend):
            type = "cpu"
            xp = np
            array_type = Arr
            def is_available(self):
                return True
            def rand(self, shape, np_dtype, index=None):
                return np.zeros(shape, np_dtype).view(Arr)
        @hookimpl
        def loom_register_devices():
            return [Fake()]
    """,
    # a device backend declaring NumPy's array type
    "takes_ndarray": """
        import numpy as np
        from loom.plugin import DeviceBackend, hookimpl
        class Fake(DeviceBackend):
            type = "fakedev"
            xp = np
            array_type = np.ndarray
            def is_available(self):
                return True
            def device_of(self, array):
                import loom
                return loom.device("fakedev")
        @hookimpl
        def loom_register_devices():
            return [Fake()]
    """,
}


@pytest.fixture(scope="module")
def pack_sites(tmp_path_factory):
    sites = {}
    for name, src in _PACKS.items():
        site = tmp_path_factory.mktemp(name)
        make_dist(site, f"loom-{name.replace('_', '-')}", name, f"loom_{name}", src)
        sites[name] = site
    return sites


@pytest.mark.parametrize("where", ["before", "after"])
@pytest.mark.parametrize("pack, refused", [
    ("takes_plus", ["'add'", "'__add__'"]),
    ("takes_backward", ["'no_grad'", "to loom itself", "'backward'"]),
    ("takes_exp", ["operator 'exp'", "operator 'add'", "plugin 'ops_basic'"]),
    ("takes_cpu", ["device type 'cpu'", "plugin 'cpu'", "loom's own"]),
    ("takes_ndarray", ["numpy.ndarray", "device type 'cpu'", "array type of its own"]),
])
def test_a_plugin_cannot_silently_change_what_loom_computes(workdir, pack_sites, pack, refused,
                                                             where):
    site = pack_sites[pack]
    out = run_code(_PROBE, workdir, **({"sites": [site]} if where == "before"
                                       else {"after": [site]}))
    _check_loom_intact(out)
    entry = out["table"][pack]
    assert entry["status"] == "loaded", entry  # refused names, not a failed plugin
    text = " ".join(entry["refused"])
    for fragment in refused:
        assert fragment in text, (fragment, entry["refused"])
    assert f"plugin '{pack}'" in text
    warned = [m for c, m in out["warnings"] if c == "RuntimeWarning" and f"'{pack}'" in m]
    assert warned and all(" (at " in m and ".py:" in m for m in warned), warned


def test_a_refused_clash_fails_import_in_strict_mode(workdir, pack_sites):
    p = run(["-c", "import loom"], workdir, [pack_sites["takes_exp"]], LOOM_STRICT_PLUGINS="1")
    assert p.returncode != 0
    assert "PluginLoadError" in p.stderr and "'exp'" in p.stderr


def test_loom_info_credits_the_real_providers(workdir, pack_sites):
    info = info_json(workdir, [pack_sites["takes_plus"], pack_sites["takes_cpu"]])
    ops = {o["name"]: o["provider"] for o in info["operators"]}
    assert ops["add"] == "ops_basic" and "zero_out" not in ops
    devices = {d["type"]: d["provider"] for d in info["devices"]}
    assert devices["cpu"] == "cpu"
    p = run(["-m", "loom", "info"], workdir, [pack_sites["takes_plus"]])
    assert p.returncode == 0 and "Refused (clashes):" in p.stdout and "takes_plus" in p.stdout


# ----------------------------------------------------------------------------- broken backends

_RAISING_BACKEND = """
from loom.plugin import DeviceBackend, hookimpl, unary
class Flaky(DeviceBackend):
    type = "flaky"
    def is_available(self):
        raise OSError("driver exploded")
@hookimpl
def loom_register_devices():
    return [Flaky()]
@hookimpl
def loom_register_ops():
    return [unary("flaky_op", lambda xp, x: x, dx=1)]
"""

_LATER = """
from loom.plugin import hookimpl, unary
@hookimpl
def loom_register_ops():
    return [unary("later_op", lambda xp, x: x + 1, dx=1)]
"""


def test_a_backend_whose_is_available_raises_fails_alone(workdir, tmp_path):
    make_dist(tmp_path, "loom-aa-flaky", "aa_flaky", "loom_aa_flaky", _RAISING_BACKEND)
    make_dist(tmp_path, "loom-zz-later", "zz_later", "loom_zz_later", _LATER)
    out = run_code("""
        from loom import backends
        OUT["later"] = loom.later_op(loom.ones(2)).tolist()
        OUT["flaky"] = "flaky" in backends.backends
        OUT["flaky_op"] = hasattr(loom, "flaky_op")
    """, workdir, [tmp_path])
    entry = out["table"]["aa_flaky"]
    assert entry["status"] == "failed" and "driver exploded" in entry["error"]
    assert out["table"]["zz_later"]["status"] == "loaded" and out["later"] == [2.0, 2.0]
    assert out["flaky"] is False and out["flaky_op"] is False
    p = run(["-m", "loom", "info"], workdir, [tmp_path])
    assert p.returncode == 0, p.stderr
    assert "aa_flaky" in p.stdout and "driver exploded" in p.stdout


# ----------------------------------------------------------------------------- bad specs

@pytest.mark.parametrize("spec, message", [
    ('OpSpec("xyz_op", kernel=lambda xp, x: x, methods="xyz")',
     "operator spec 'xyz_op': methods must be a tuple of names, got str 'xyz'"),
    ('OpSpec("bogus_op", kernel=lambda xp, x: x, kind="bogus")',
     "operator spec 'bogus_op': unknown kind 'bogus'"),
    ('OpSpec("nosave_op", kernel=lambda xp, x: x, save_inputs=(3,))',
     "names an input beyond"),
])
def test_a_malformed_spec_fails_its_plugin_naming_the_op(workdir, tmp_path, spec, message):
    make_dist(tmp_path, "loom-bad-spec", "bad_spec", "loom_bad_spec", f"""
        from loom.plugin import OpSpec, hookimpl
        @hookimpl
        def loom_register_ops():
            return [{spec}]
    """)
    out = run_code("OUT['x'] = (loom.ones(2) * 2).tolist()", workdir, [tmp_path])
    entry = out["table"]["bad_spec"]
    assert entry["status"] == "failed" and message in entry["error"], entry
    assert out["x"] == [2.0, 2.0]
    warned = [m for c, m in out["warnings"] if "'bad_spec'" in m]
    assert warned and "loom_bad_spec" in warned[0] and "__init__.py:" in warned[0]
    assert not hasattr(__import__("builtins"), "xyz")


# ----------------------------------------------------------------------------- no backward rule

@pytest.mark.parametrize("where", ["before", "after"])
def test_an_op_without_backward_raises_at_backward_naming_it(workdir, tmp_path, where):
    make_dist(tmp_path, "loom-no-rule", "no_rule", "loom_no_rule", """
        from loom.plugin import hookimpl, op
        @hookimpl
        def loom_register_ops():
            return [op("plain_double", lambda xp, x: x * 2),
                    op("flag_double", lambda xp, x: x * 2, differentiable=False)]
    """)
    out = run_code("""
        x = loom.ones(3, requires_grad=True)
        y = loom.plain_double(x)
        OUT["rg"] = [y.requires_grad, type(y.grad_fn).__name__]
        OUT["err"] = error_of(lambda: y.sum().backward())
        OUT["flag"] = loom.flag_double(x).requires_grad
    """, workdir, **({"sites": [tmp_path]} if where == "before" else {"after": [tmp_path]}))
    assert out["rg"] == [True, "PlainDoubleBackward0"]
    kind, msg = out["err"]
    assert kind == "RuntimeError"
    assert msg.startswith("Trying to backward through plain_double but no autograd formula "
                          "was registered")
    assert "plugin 'no_rule'" in msg
    assert out["flag"] is False


# ----------------------------------------------------------------------------- plugin names

def test_a_distribution_reusing_a_bundled_plugin_name_is_reported(workdir, tmp_path):
    make_dist(tmp_path, "loom-impostor", "ops_basic", "loom_impostor", """
        from loom.plugin import hookimpl, unary
        @hookimpl
        def loom_register_ops():
            return [unary("impostor", lambda xp, x: x * 0, dx=1)]
    """)
    out = run_code(_PROBE + "\nOUT['impostor'] = hasattr(loom, 'impostor')", workdir,
                   [tmp_path])
    _check_loom_intact(out)
    assert out["impostor"] is False
    key = "ops_basic (loom-impostor)"
    assert out["table"][key]["status"] == "failed"
    assert "already a bundled plugin" in out["table"][key]["error"]
    assert any("loom-impostor" in m for c, m in out["warnings"] if c == "RuntimeWarning")


# ----------------------------------------------------------------------------- devices

_ODD_DEVICE = """
import numpy as np
from loom.plugin import DeviceBackend, hookimpl

class OddArray(np.ndarray):
    pass

class Odd(DeviceBackend):
    type = "odd"
    xp = np  # allocates plain NumPy arrays: factories must not pretend they are on "odd"
    array_type = OddArray
    def is_available(self):
        return True
    def device_count(self):
        return 1
    def asarray(self, host, index=None):
        return np.asarray(host).view(OddArray)
    def to_host(self, array):
        return array.view(np.ndarray)
    def device_of(self, array):
        import loom
        return loom.device("odd", 0)

@hookimpl
def loom_register_devices():
    return [Odd()]
"""


def test_factories_land_on_the_device_asked_for_or_raise(workdir, tmp_path):
    make_dist(tmp_path, "loom-odd", "odd", "loom_odd", _ODD_DEVICE)
    out = run_code("""
        OUT["zeros"] = error_of(lambda: loom.zeros(2, device="odd"))
        OUT["index"] = error_of(lambda: loom.tensor([1.0], device="odd:3"))
        OUT["to_index"] = error_of(lambda: loom.ones(2).to("odd:1"))
        t = loom.tensor([1.0, 2.0], device="odd")
        OUT["tensor"] = [str(t.device), type(t._data).__name__]
        OUT["cpu_index"] = str(loom.zeros(1, device="cpu:3").device)
    """, workdir, [tmp_path])
    kind, msg = out["zeros"]
    assert kind == "RuntimeError" and "zeros()" in msg and "odd" in msg and "plugin" in msg
    for key in ("index", "to_index"):
        kind, msg = out[key]
        assert kind == "RuntimeError" and "invalid device ordinal" in msg, out[key]
        assert "1 device(s)" in msg
    assert out["tensor"] == ["odd:0", "OddArray"]
    assert out["cpu_index"] == "cpu"  # as PyTorch, a CPU index is ignored
