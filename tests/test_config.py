"""Settings: run-time `set`/`using`, the default device, and settings that cannot be used.

A setting that cannot be used (a config file that is not TOML, an unknown key, a value of the
wrong kind, two config files in one folder) is reported when its source is read, naming the
file or the environment variable, and falls back to the next source down. Settings are read at
``import loom``, so those scenarios run in a fresh interpreter (`plugin_env.run_code`) in a
temporary working directory holding the config files, with only the ``LOOM_*`` variables given.
Every scenario's directory holds a config file, so no file above it is read.
"""
import textwrap
import threading

import pytest

import loom
from plugin_env import info_json, run, run_code

# What each child reports besides the plugin table: the settings, the problems, and the
# ConfigWarnings raised while `import loom` read the settings.
_PROBE = """
from loom import config
OUT["settings"] = config.describe()
OUT["problems"] = [[p.source, p.key, p.message, str(p)] for p in config.problems()]
OUT["config_warnings"] = [m for c, m in WARNINGS if c == "ConfigWarning"]
"""


def scenario(tmp_path, files, code="", **env):
    """Write `files` (name -> text) into `tmp_path`, import loom there with `env`, run `code`."""
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    out = run_code(_PROBE + textwrap.dedent(code), tmp_path, **env)
    # every problem was warned about when its source was read, with the same text
    assert [p[2] for p in out["problems"]] == out["config_warnings"], out
    assert all(p[2] == p[3] for p in out["problems"])
    return out


def setting(out, name):
    s = out["settings"][name]
    return s["value"], s["source"]


# --------------------------------------------------------------------------- run time


def test_set_default_device_and_source():
    assert loom.get_default_device() == loom.device("cpu")
    loom.set_default_device("cpu")
    try:
        assert loom.config.source("default_device") == "run time"
        assert loom.zeros(2).device == loom.device("cpu")
    finally:
        loom.config._runtime.pop("default_device", None)
    assert loom.config.source("default_device") != "run time"


def test_default_device_without_a_backend_names_the_plugin():
    with loom.config.using(default_device="cuda"):
        if loom.cuda.is_available():
            pytest.skip("a CUDA device is available here; the error only exists without one")
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            loom.ones(2)
    assert loom.ones(2).device.type == "cpu"


def test_using_is_thread_local_and_rejects_unknown_settings():
    seen = []
    with loom.config.using(strict_plugins=True):
        t = threading.Thread(target=lambda: seen.append(loom.config.get("strict_plugins")))
        t.start()
        t.join()
        assert loom.config.get("strict_plugins") is True
    assert seen == [False]
    with pytest.raises(KeyError, match="unknown loom setting 'nope'"):
        with loom.config.using(nope=1):
            pass


def test_unknown_setting_names_the_known_ones():
    for call in (lambda: loom.config.set("strict_plugin", True),
                 lambda: loom.config.using(strict_plugin=True).__enter__(),
                 lambda: loom.config.get("strict_plugin"),
                 lambda: loom.config.source("strict_plugin")):
        with pytest.raises(KeyError) as e:
            call()
        msg = str(e.value)
        assert "'strict_plugin'" in msg and "strict_plugins" in msg and "default_device" in msg


@pytest.mark.parametrize("name, value, error", [
    ("strict_plugins", "yes", TypeError),
    ("strict_plugins", 1, TypeError),
    ("blocked_plugins", "ops_linalg", TypeError),
    ("blocked_plugins", [1], TypeError),
    ("op_providers", "mm=ops_linalg", TypeError),
    ("op_providers", {"mm": 1}, TypeError),
    ("default_device", 3, TypeError),
    ("default_device", "cuda:x", ValueError),
    ("default_device", "", ValueError),
])
def test_bad_run_time_value_raises_naming_the_setting(name, value, error):
    before = loom.config.get(name), loom.config.source(name)
    with pytest.raises(error, match=f"loom setting '{name}'") as e:
        loom.config.set(name, value)
    assert repr(value) in str(e.value)
    with pytest.raises(error, match=f"loom setting '{name}'"):
        with loom.config.using(**{name: value}):
            pass
    assert (loom.config.get(name), loom.config.source(name)) == before  # nothing was applied


def test_run_time_values_are_normalised():
    with loom.config.using(blocked_plugins=["a", "b"], op_providers={"mm": "ops_linalg"},
                           default_device=loom.device("cpu", 0)):
        assert loom.config.get("blocked_plugins") == ("a", "b")
        assert loom.config.get("op_providers") == {"mm": "ops_linalg"}
        assert loom.config.get("default_device") == "cpu:0"
        assert loom.get_default_device() == loom.device("cpu", 0)


@pytest.mark.parametrize("text", ["cpu", "cuda", "cuda:0", "cuda:12", "my_dev:3", "CPU",
                                  "cuda:x", "cuda:-1", ":0", "", "cu da", "cuda:", "cuda:1:2",
                                  "a-b", "cuda:1.5"])
def test_device_setting_accepts_exactly_what_loom_device_accepts(text):
    # config repeats loom.device's rule (config imports nothing of loom); this holds them equal
    try:
        loom.device(text)
        valid = True
    except RuntimeError:
        valid = False
    if valid:
        with loom.config.using(default_device=text):
            assert loom.config.get("default_device") == text
    else:
        with pytest.raises(ValueError, match="is not a device"):
            with loom.config.using(default_device=text):
                pass


# --------------------------------------------------------------------------- read at import


def test_clean_settings_report_nothing(workdir):
    out = scenario(workdir, {})
    assert out["problems"] == [] and out["config_warnings"] == []
    assert setting(out, "strict_plugins") == (False, f"config file ({workdir / 'loom.toml'})")


def test_malformed_loom_toml_is_reported_with_line_and_column(tmp_path):
    out = scenario(tmp_path, {"loom.toml": 'malloc_tuning = false\n'
                                           'blocked_plugins = ["a" "b"]\n'},
                   LOOM_BLOCKED_PLUGINS="ops_linalg")
    path = tmp_path / "loom.toml"
    [(src, key, msg, _)] = out["problems"]
    assert src == f"config file ({path})" and key is None
    assert msg.startswith(f"{path} is not valid TOML: ")
    assert "(at line 2, column 24)" in msg and "no setting is read from it" in msg
    # nothing of the file is used, not even its valid first line; the environment still is
    assert setting(out, "malloc_tuning") == (True, "default")
    assert setting(out, "blocked_plugins") == (["ops_linalg"],
                                               "environment (LOOM_BLOCKED_PLUGINS)")
    assert out["table"]["ops_linalg"]["status"] == "blocked"


def test_malformed_pyproject_is_reported_and_no_file_above_is_read(tmp_path):
    (tmp_path / "loom.toml").write_text('blocked_plugins = ["ops_linalg"]\n', encoding="utf-8")
    out = scenario(tmp_path / "proj", {"pyproject.toml": "[tool.loom]\nstrict_plugins = tru\n"})
    path = tmp_path / "proj" / "pyproject.toml"
    [(src, key, msg, _)] = out["problems"]
    assert src == f"config file ({path})" and key is None
    assert msg.startswith(f"{path} is not valid TOML: ") and "(at line 2, column" in msg
    assert setting(out, "blocked_plugins") == ([], "default")  # not the parent's loom.toml
    assert out["table"]["ops_linalg"]["status"] == "loaded"


def test_unknown_key_in_loom_toml(tmp_path):
    out = scenario(tmp_path, {"loom.toml": 'blocked_plugin = ["ops_linalg"]\n'
                                           'malloc_tuning = false\n'})
    path = tmp_path / "loom.toml"
    [(src, key, msg, _)] = out["problems"]
    assert (src, key) == (f"config file ({path})", "blocked_plugin")
    assert msg.startswith(f"{path}: unknown setting blocked_plugin = ['ops_linalg']")
    assert "did you mean 'blocked_plugins'?" in msg and "it is ignored" in msg
    assert "known settings: default_device, strict_plugins," in msg
    assert out["table"]["ops_linalg"]["status"] == "loaded"  # the misspelt key did nothing
    assert setting(out, "malloc_tuning") == (False, f"config file ({path})")  # the rest applies


def test_unknown_key_in_pyproject_tool_loom(tmp_path):
    out = scenario(tmp_path, {"pyproject.toml": '[project]\nname = "x"\n\n[tool.loom]\n'
                                                'defualt_device = "cpu"\n'
                                                'disable_plugin_autoload = true\n'})
    path = tmp_path / "pyproject.toml"
    [(src, key, msg, _)] = out["problems"]
    assert (src, key) == (f"config file ({path})", "defualt_device")
    assert msg.startswith(f"{path}: unknown setting defualt_device = 'cpu'")
    assert "did you mean 'default_device'?" in msg
    assert setting(out, "disable_plugin_autoload") == (True, f"config file ({path})")
    assert list(out["table"]) == ["cpu"]


def test_stray_key_beside_tool_loom_in_loom_toml(tmp_path):
    out = scenario(tmp_path, {"loom.toml": 'malloc_tuning = true\n\n[tool.loom]\n'
                                           'malloc_tuning = false\n'})
    path = tmp_path / "loom.toml"
    [(src, key, msg, _)] = out["problems"]
    assert (src, key) == (f"config file ({path})", "malloc_tuning")
    assert msg == f"{path}: malloc_tuning is ignored: this file keeps its settings in [tool.loom]"
    assert setting(out, "malloc_tuning") == (False, f"config file ({path})")


def test_env_bool_that_is_not_a_boolean_uses_the_default(tmp_path):
    out = scenario(tmp_path, {"loom.toml": ""}, LOOM_STRICT_PLUGINS="banana")
    [(src, key, msg, _)] = out["problems"]
    assert (src, key) == ("environment (LOOM_STRICT_PLUGINS)", "strict_plugins")
    assert msg == ("LOOM_STRICT_PLUGINS='banana' is not a boolean (use 1/0, true/false, "
                   "yes/no, on/off); using the default False")
    assert setting(out, "strict_plugins") == (False, "default")


def test_env_bool_that_is_not_a_boolean_falls_back_to_the_file(tmp_path):
    path = tmp_path / "loom.toml"
    out = scenario(tmp_path, {"loom.toml": "malloc_tuning = false\n"}, LOOM_MALLOC_TUNING="nah")
    [(src, key, msg, _)] = out["problems"]
    assert (src, key) == ("environment (LOOM_MALLOC_TUNING)", "malloc_tuning")
    assert msg.startswith("LOOM_MALLOC_TUNING='nah' is not a boolean")
    assert msg.endswith(f"; using False from config file ({path})")
    assert setting(out, "malloc_tuning") == (False, f"config file ({path})")


@pytest.mark.parametrize("env", ["1", "TRUE", " yes ", "On"])
def test_env_bool_spellings(tmp_path, env):
    out = scenario(tmp_path, {"loom.toml": ""}, LOOM_DISABLE_PLUGIN_AUTOLOAD=env)
    assert setting(out, "disable_plugin_autoload") == (
        True, "environment (LOOM_DISABLE_PLUGIN_AUTOLOAD)")
    assert list(out["table"]) == ["cpu"]


def test_non_bool_in_the_file(tmp_path):
    path = tmp_path / "loom.toml"
    out = scenario(tmp_path, {"loom.toml": 'disable_plugin_autoload = "yes"\n'})
    [(src, key, msg, _)] = out["problems"]
    assert (src, key) == (f"config file ({path})", "disable_plugin_autoload")
    assert msg == (f"{path}: disable_plugin_autoload = 'yes' is not a boolean (use true or "
                   f"false); using the default False")
    assert setting(out, "disable_plugin_autoload") == (False, "default")
    assert out["table"]["ops_basic"]["status"] == "loaded"  # autoload was not disabled


@pytest.mark.parametrize("toml", ['"ops_linalg"', "[1, 2]", '["ops_linalg", ""]'])
def test_blocked_plugins_that_is_not_a_list_of_names(tmp_path, toml):
    path = tmp_path / "loom.toml"
    out = scenario(tmp_path, {"loom.toml": f"blocked_plugins = {toml}\n"})
    [(src, key, msg, _)] = out["problems"]
    assert (src, key) == (f"config file ({path})", "blocked_plugins")
    assert msg.startswith(f"{path}: blocked_plugins = ")
    assert 'is not a list of plugin names (use e.g. blocked_plugins = ["my_pack"])' in msg
    assert msg.endswith("; using the default []")
    assert setting(out, "blocked_plugins") == ([], "default")
    assert out["table"]["ops_linalg"]["status"] == "loaded"  # not partly applied


def test_bad_file_value_is_reported_even_when_the_environment_wins(tmp_path):
    path = tmp_path / "loom.toml"
    out = scenario(tmp_path, {"loom.toml": 'blocked_plugins = "ops_basic"\n'},
                   LOOM_BLOCKED_PLUGINS="ops_linalg")
    [(src, key, msg, _)] = out["problems"]
    assert (src, key) == (f"config file ({path})", "blocked_plugins")
    assert msg.endswith("; using ['ops_linalg'] from environment (LOOM_BLOCKED_PLUGINS)")
    assert out["table"]["ops_linalg"]["status"] == "blocked"
    assert out["table"]["ops_basic"]["status"] == "loaded"


@pytest.mark.parametrize("env, bad", [("junk", "'junk'"), ("mm=ops_linalg,junk", "'junk'"),
                                      ("mm=", "'mm='"), ("=ops_linalg", "'=ops_linalg'")])
def test_op_providers_env_without_pairs_falls_back_to_the_file(tmp_path, env, bad):
    path = tmp_path / "loom.toml"
    out = scenario(tmp_path, {"loom.toml": '[op_providers]\nadd = "ops_basic"\n'},
                   LOOM_OP_PROVIDERS=env)
    [(src, key, msg, _)] = out["problems"]
    assert (src, key) == ("environment (LOOM_OP_PROVIDERS)", "op_providers")
    assert msg.startswith(f"LOOM_OP_PROVIDERS={env!r} is not a list of name=plugin pairs: "
                          f"{bad} is not name=plugin (use e.g. hypot=my_pack,mm=other_pack)")
    # the whole variable is refused, never a part of it
    assert msg.endswith(f"; using {{'add': 'ops_basic'}} from config file ({path})")
    assert setting(out, "op_providers") == ({"add": "ops_basic"}, f"config file ({path})")


def test_op_providers_file_value_that_is_not_a_table(tmp_path):
    path = tmp_path / "loom.toml"
    out = scenario(tmp_path, {"loom.toml": 'op_providers = "mm=ops_linalg"\n'})
    [(src, key, msg, _)] = out["problems"]
    assert (src, key) == (f"config file ({path})", "op_providers")
    assert msg == (f"{path}: op_providers = 'mm=ops_linalg' is not a table of name = \"plugin\" "
                   f"(use e.g. op_providers = {{ hypot = \"my_pack\" }}); using the default {{}}")


@pytest.mark.parametrize("env", ["cuda:x", "gpu 0", "cuda:-1", ""])
def test_default_device_that_is_not_a_device_string(tmp_path, env):
    out = scenario(tmp_path, {"loom.toml": ""}, """
        OUT["device"] = str(loom.ones(2).device)
    """, LOOM_DEFAULT_DEVICE=env)
    [(src, key, msg, _)] = out["problems"]
    assert (src, key) == ("environment (LOOM_DEFAULT_DEVICE)", "default_device")
    assert msg == (f"LOOM_DEFAULT_DEVICE={env!r} is not a device (use a device type with an "
                   f"optional index, e.g. cpu, cuda, cuda:1); using the default 'cpu'")
    assert setting(out, "default_device") == ("cpu", "default")
    assert out["device"] == "cpu"


def test_default_device_of_a_type_no_plugin_provides(tmp_path):
    # Which device types exist is known once plugins are loaded: the loader checks then (at
    # import), and checking again (as `loom info` does) does not report it twice.
    path = tmp_path / "loom.toml"
    out = scenario(tmp_path, {"loom.toml": 'default_device = "cpu:0"\n'}, """
        from loom import backends
        import warnings
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            config.check_default_device(backends.backends)
        OUT["late"] = [[x.category.__name__, str(x.message)] for x in w]
        OUT["after"] = [[p.source, p.key, p.message] for p in config.problems()]
        OUT["device"] = [str(loom.get_default_device()), config.source("default_device"),
                         str(loom.ones(2).device)]
    """, LOOM_DEFAULT_DEVICE="tpu:1")
    msg = (f"LOOM_DEFAULT_DEVICE='tpu:1' names device type 'tpu', which no loaded plugin "
           f"provides (loaded device types: cpu, cuda); using 'cpu:0' from config file ({path})")
    assert [p[2] for p in out["problems"]] == [msg]
    assert out["late"] == []
    assert out["after"] == [["environment (LOOM_DEFAULT_DEVICE)", "default_device", msg]]
    assert out["device"] == ["cpu:0", f"config file ({path})", "cpu"]


def test_default_device_cuda_is_a_known_type_even_without_a_gpu(tmp_path):
    # falling back to the CPU would hide that CUDA is missing; using it says why it fails
    out = scenario(tmp_path, {"loom.toml": ""}, """
        from loom import backends
        config.check_default_device(backends.backends)
        OUT["after"] = config.problems()
        OUT["device"] = config.get("default_device")
    """, LOOM_DEFAULT_DEVICE="cuda")
    assert out["after"] == [] and out["device"] == "cuda"


def test_loom_toml_and_pyproject_in_one_folder(tmp_path):
    out = scenario(tmp_path, {"loom.toml": "malloc_tuning = false\n",
                              "pyproject.toml": "[tool.loom]\nmalloc_tuning = true\n"
                                                'blocked_plugins = ["ops_linalg"]\n'})
    loom_toml, pyproject = tmp_path / "loom.toml", tmp_path / "pyproject.toml"
    [(src, key, msg, _)] = out["problems"]
    assert (src, key) == (f"config file ({pyproject})", None)
    assert msg == (f"{loom_toml} and {pyproject} both hold loom settings; using loom.toml (it "
                   f"wins over pyproject.toml in the same folder) and ignoring [tool.loom] in "
                   f"{pyproject}")
    assert setting(out, "malloc_tuning") == (False, f"config file ({loom_toml})")
    assert setting(out, "blocked_plugins") == ([], "default")
    assert out["table"]["ops_linalg"]["status"] == "loaded"


def test_pyproject_without_tool_loom_beside_loom_toml_is_fine(tmp_path):
    out = scenario(tmp_path, {"loom.toml": "malloc_tuning = false\n",
                              "pyproject.toml": '[project]\nname = "uses-loom"\n'})
    assert out["problems"] == []


def test_loom_info_lists_settings_problems(tmp_path):
    path = tmp_path / "loom.toml"
    path.write_text("malloc_tuning = 0\n", encoding="utf-8")
    file_msg = (f"{path}: malloc_tuning = 0 is not a boolean (use true or false); using the "
                f"default True")
    device_msg = ("LOOM_DEFAULT_DEVICE='tpu' names device type 'tpu', which no loaded plugin "
                  "provides (loaded device types: cpu, cuda); using the default 'cpu'")
    info = info_json(tmp_path, LOOM_DEFAULT_DEVICE="tpu")
    assert info["settings_problems"] == [
        {"source": f"config file ({path})", "key": "malloc_tuning", "message": file_msg},
        {"source": "environment (LOOM_DEFAULT_DEVICE)", "key": "default_device",
         "message": device_msg}]
    assert info["settings"]["default_device"] == {"value": "cpu", "source": "default"}
    p = run(["-m", "loom", "info"], tmp_path, LOOM_DEFAULT_DEVICE="tpu")
    assert p.returncode == 0, p.stderr
    assert p.stdout.endswith(f"\nSettings problems:\n  {file_msg}\n  {device_msg}\n")
    assert f"ConfigWarning: {file_msg}" in p.stderr


def test_loom_info_without_settings_problems(workdir):
    p = run(["-m", "loom", "info"], workdir)
    assert p.returncode == 0, p.stderr
    assert p.stdout.endswith("\nSettings problems:\n  none\n")
    assert info_json(workdir)["settings_problems"] == []


# --------------------------------------------------------------------------- strict


def test_strict_plugins_raises_settings_problems_at_import(tmp_path):
    (tmp_path / "loom.toml").write_text('strict_plugins = true\nblocked_plugin = ["x"]\n',
                                        encoding="utf-8")
    p = run(["-c", "import loom"], tmp_path, LOOM_OP_PROVIDERS="junk")
    assert p.returncode != 0
    err = p.stderr[p.stderr.index("loom.config.ConfigError: "):]
    assert err.startswith(f"loom.config.ConfigError: loom settings that cannot be used "
                          f"(strict_plugins is on, from config file ({tmp_path / 'loom.toml'}))")
    assert "unknown setting blocked_plugin" in err and "LOOM_OP_PROVIDERS='junk'" in err
    assert "ConfigWarning" not in p.stderr  # raised instead of warned, all in one error


def test_strict_plugins_from_an_unusable_value_is_not_strict(tmp_path):
    out = scenario(tmp_path, {"loom.toml": "strict_plugins = 1\n"},
                   LOOM_STRICT_PLUGINS="sure", LOOM_OP_PROVIDERS="junk")
    assert setting(out, "strict_plugins") == (False, "default")
    assert [p[1] for p in out["problems"]] == ["strict_plugins", "strict_plugins",
                                               "op_providers"]
