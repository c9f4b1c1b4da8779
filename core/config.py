"""loom's settings, where each came from, and the settings that could not be used.

Precedence, highest first: calls at run time (`set`, the thread-local `using(...)` context),
environment variables (``LOOM_*``), a config file (``[tool.loom]`` in the nearest
``pyproject.toml``, or a ``loom.toml``), built-in defaults.

A setting that cannot be used (a file that is not valid TOML, an unknown key, a value of the
wrong kind) is reported when its source is read: a `ConfigWarning` naming the file or the
environment variable, the key, the value and what is accepted, and the setting falls back to
the next source down. `problems()` lists these reports. When ``strict_plugins`` is on (from a
source that could be used), they are raised together as one `ConfigError` instead. Run-time
calls (`set`, `using`) with an unknown name or a bad value raise at once.
"""
from __future__ import annotations

import collections
import contextlib
import os
import threading
import warnings
from pathlib import Path

__all__ = ["get", "set", "using", "source", "describe", "problems", "reload",
           "check_default_device", "ConfigWarning", "ConfigError", "Problem", "SETTINGS"]

# name -> (default, environment variable, kind, description)
SETTINGS = {
    "default_device": ("cpu", "LOOM_DEFAULT_DEVICE", "device", "device new tensors go to"),
    "strict_plugins": (False, "LOOM_STRICT_PLUGINS", "bool",
                       "a plugin that fails to load, or a setting that cannot be used, is an "
                       "error at import"),
    "disable_plugin_autoload": (False, "LOOM_DISABLE_PLUGIN_AUTOLOAD", "bool",
                                "load no plugin but the built-in CPU backend"),
    "blocked_plugins": ((), "LOOM_BLOCKED_PLUGINS", "list", "plugins not to load"),
    "op_providers": ({}, "LOOM_OP_PROVIDERS", "map",
                     "which plugin provides an operator several plugins offer (op=plugin,...)"),
    "device_providers": ({}, "LOOM_DEVICE_PROVIDERS", "map",
                         "which plugin provides a device type several plugins offer"),
    "malloc_tuning": (True, "LOOM_MALLOC_TUNING", "bool",
                      "let the CPU backend keep freed large blocks for reuse (glibc)"),
}


class ConfigWarning(UserWarning):
    """A setting that cannot be used; loom goes on with the next source down."""


class ConfigError(ValueError):
    """Settings that cannot be used while ``strict_plugins`` is on."""


class Problem(collections.namedtuple("Problem", "source key message")):
    """One setting that cannot be used: `source` as `source()` words it (``"environment
    (LOOM_X)"``, ``"config file (<path>)"``), the `key` (None for the file as a whole) and the
    `message` that was reported."""

    __slots__ = ()

    def __str__(self) -> str:
        return self.message


class _Unusable(Exception):
    """A value a setting cannot take; the text says what it is not and what is accepted."""


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")
_BOOLS = "use 1/0, true/false, yes/no, on/off"


def _device_string(value: str) -> str:
    # The rule of `loom.device` (a type of letters, digits and underscores, an optional
    # ``:index``), repeated because config imports nothing of loom; a test holds the two equal.
    t, colon, idx = value.partition(":")
    if (t and t.isascii() and t.replace("_", "").isalnum()
            and (not colon or (idx.isascii() and idx.isdigit()))):
        return value
    raise _Unusable("is not a device (use a device type with an optional index, "
                    "e.g. cpu, cuda, cuda:1)")


def _from_env(kind: str, name: str, raw: str):
    """The value of an environment variable's text."""
    if kind == "bool":
        s = raw.strip().lower()
        if s in _TRUE or s in _FALSE:
            return s in _TRUE
        raise _Unusable(f"is not a boolean ({_BOOLS})")
    if kind == "list":
        return tuple(x.strip() for x in raw.split(",") if x.strip())
    if kind == "map":
        out = {}
        for item in raw.split(","):
            if not item.strip():
                continue
            k, eq, v = (s.strip() for s in item.partition("="))
            if not (eq and k and v):
                raise _Unusable(f"is not a list of name=plugin pairs: {item.strip()!r} is not "
                                f"name=plugin (use e.g. hypot=my_pack,mm=other_pack)")
            if k in out:
                raise _Unusable(f"names {k!r} twice")
            out[k] = v
        return out
    return _device_string(raw.strip())


def _from_file(kind: str, name: str, raw):
    """The value of a TOML value: TOML has booleans, arrays and tables, so no text is parsed."""
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        raise _Unusable("is not a boolean (use true or false)")
    if kind == "list":
        if isinstance(raw, list) and all(isinstance(x, str) and x.strip() for x in raw):
            return tuple(x.strip() for x in raw)
        raise _Unusable(f'is not a list of plugin names (use e.g. {name} = ["my_pack"])')
    if kind == "map":
        if isinstance(raw, dict) and all(isinstance(v, str) and v.strip()
                                         for v in raw.values()):
            return {k: v.strip() for k, v in raw.items()}
        raise _Unusable(f'is not a table of name = "plugin" '
                        f'(use e.g. {name} = {{ hypot = "my_pack" }})')
    if not isinstance(raw, str):
        raise _Unusable("is not a string naming a device (use e.g. \"cpu\" or \"cuda:1\")")
    return _device_string(raw.strip())


def _from_python(name: str, value):
    """A value given at run time, checked; TypeError or ValueError naming the setting."""
    kind = SETTINGS[name][2]
    if kind == "bool":
        if isinstance(value, bool):
            return value
        raise TypeError(f"loom setting {name!r} must be True or False, got "
                        f"{type(value).__name__} {value!r}")
    if kind == "list":
        if isinstance(value, (list, tuple)) and all(isinstance(x, str) for x in value):
            return tuple(value)
        hint = f" (for one plugin write [{value!r}])" if isinstance(value, str) else ""
        raise TypeError(f"loom setting {name!r} must be a list of plugin names, got "
                        f"{type(value).__name__} {value!r}{hint}")
    if kind == "map":
        if isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str)
                                           for k, v in value.items()):
            return dict(value)
        raise TypeError(f"loom setting {name!r} must be a dict of name -> plugin name "
                        f"(str -> str), got {type(value).__name__} {value!r}")
    if not isinstance(value, str):
        # a loom.device (or torch.device) stands for its text; config cannot import the class
        if type(value).__name__ != "device":
            raise TypeError(f"loom setting {name!r} must be a device or a device string, got "
                            f"{type(value).__name__} {value!r}")
        value = str(value)
    try:
        return _device_string(value)
    except _Unusable as e:
        raise ValueError(f"loom setting {name!r}: {value!r} {e}") from None


# --------------------------------------------------------------------------- the config file


def _load_toml(path: Path):
    """(data, None) or (None, why the file cannot be read)."""
    try:
        import tomllib
    except ImportError:  # pragma: no cover - Python 3.10
        try:
            import tomli as tomllib
        except ImportError:
            return None, "cannot be read: reading TOML on Python 3.10 needs tomli " \
                         "(pip install tomli)"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        return None, f"cannot be read ({e})"
    try:
        return tomllib.loads(text), None
    except tomllib.TOMLDecodeError as e:  # its text ends "(at line L, column C)"
        return None, f"is not valid TOML: {e}"


def _mentions_loom(path: Path) -> bool:
    # Most projects have a pyproject.toml and few have [tool.loom]: a look at the text spares
    # importing and running the TOML parser at `import loom` for all the others.
    try:
        return "loom" in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def _tool_loom(data):
    tool = data.get("tool")
    return tool.get("loom") if isinstance(tool, dict) else None


def _read_file():
    """(table, path, problems) of the nearest config file upward from the working directory.

    In each folder a ``loom.toml`` is the config file (its settings at the top level, or in a
    ``[tool.loom]`` table); otherwise a ``pyproject.toml`` with a ``[tool.loom]`` table is.
    The search stops at the first config file, also at one that cannot be read: the settings
    of a folder further up were not meant for here.
    """
    try:
        here = Path.cwd()
    except OSError:
        return {}, None, []
    for d in (here, *here.parents):
        loom_toml, pyproject = d / "loom.toml", d / "pyproject.toml"
        if loom_toml.is_file():
            return _read_loom_toml(loom_toml, pyproject)
        if pyproject.is_file() and _mentions_loom(pyproject):
            data, why = _load_toml(pyproject)
            if why is not None:
                return {}, pyproject, [_file_problem(pyproject, why)]
            table = _tool_loom(data)
            if table is None:
                continue
            if not isinstance(table, dict):
                return {}, pyproject, [_file_problem(
                    pyproject, f"has tool.loom = {table!r}, which is not a table "
                               f"(write the settings under [tool.loom])")]
            return table, pyproject, []
    return {}, None, []


def _read_loom_toml(path: Path, pyproject: Path):
    data, why = _load_toml(path)
    if why is not None:
        return {}, path, [_file_problem(path, why)]
    problems = []
    table = data
    inner = _tool_loom(data)
    if isinstance(inner, dict):
        table = inner
        ignored = [k for k in data if k != "tool"] + \
                  [f"tool.{k}" for k in data["tool"] if k != "loom"]
        for key in ignored:
            problems.append(Problem(
                f"config file ({path})", key,
                f"{path}: {key} is ignored: this file keeps its settings in [tool.loom]"))
    if pyproject.is_file() and _mentions_loom(pyproject):
        # only to say that its [tool.loom] is ignored: loom reads nothing else of it, so a
        # pyproject.toml that does not parse is not loom's to report here
        other, _ = _load_toml(pyproject)
        if other is not None and _tool_loom(other) is not None:
            problems.append(Problem(
                f"config file ({pyproject})", None,
                f"{path} and {pyproject} both hold loom settings; using {path.name} (it wins "
                f"over pyproject.toml in the same folder) and ignoring [tool.loom] in "
                f"{pyproject}"))
    return table, path, problems


def _file_problem(path: Path, why: str) -> Problem:
    return Problem(f"config file ({path})", None,
                   f"{path} {why}; no setting is read from it (environment variables and "
                   f"defaults apply)")


# --------------------------------------------------------------------------- resolution


class _Local(threading.local):
    def __init__(self):
        self.stack = []


_local = _Local()
_runtime: dict = {}
_resolved: dict = {}
_sources: dict = {}
_problems: list = []
_file = ({}, None)              # (table, path) of the config file last read
_device_types = None            # device types of the loaded plugins, once known


def _show(value) -> str:
    return repr(list(value) if isinstance(value, tuple) else value)


def _resolve(name: str, table: dict, path):
    """(value, source, problems) of one setting from the environment, the file, the default."""
    default, env, kind, _ = SETTINGS[name]
    candidates = []
    if env in os.environ:
        raw = os.environ[env]
        candidates.append((f"environment ({env})", f"{env}={raw!r}", _from_env, raw))
    if name in table:
        raw = table[name]
        candidates.append((f"config file ({path})", f"{path}: {name} = {raw!r}", _from_file, raw))
    value, src, bad = default, "default", []
    for cand_src, shown, parse, raw in candidates:
        try:
            v = parse(kind, name, raw)
            if kind == "device" and _device_types is not None:
                _check_type(v)
        except _Unusable as e:
            bad.append((cand_src, f"{shown} {e}"))
            continue
        if src == "default":
            value, src = v, cand_src
    used = f"the default {_show(value)}" if src == "default" else f"{_show(value)} from {src}"
    return value, src, [Problem(s, name, f"{text}; using {used}") for s, text in bad]


def _check_type(dev: str) -> None:
    t = dev.partition(":")[0]
    if t not in _device_types:
        raise _Unusable(f"names device type {t!r}, which no loaded plugin provides "
                        f"(loaded device types: {', '.join(sorted(_device_types))})")


def _report(new: list) -> None:
    if not new:
        return
    if get("strict_plugins"):
        lines = "\n".join(f"  {p.message}" for p in new)
        raise ConfigError(f"loom settings that cannot be used (strict_plugins is on, "
                          f"from {source('strict_plugins')}):\n{lines}")
    level = _outside_loom()
    for p in new:
        warnings.warn(ConfigWarning(p.message), stacklevel=level)


def _outside_loom() -> int:
    # The warning names the line that imported loom (or called reload), not loom's own frames
    # or the import machinery's, so that a user sees where the settings were read for them.
    import sys
    here = os.path.dirname(os.path.abspath(__file__)) + os.sep
    f, level = sys._getframe(2), 2  # the frame that called _report
    while f is not None:
        name = f.f_code.co_filename
        if "importlib" in name and "_bootstrap" in name:
            pass  # warnings.warn skips the import machinery's frames itself
        elif name.startswith(here):
            level += 1
        else:
            return level
        f = f.f_back
    return 1


def reload() -> None:
    """Re-read the environment and the config file (run-time settings are kept).

    Each setting that cannot be used is warned about as a `ConfigWarning` (raised as a
    `ConfigError` when ``strict_plugins`` is on) and listed by `problems()`.
    """
    global _file
    table, path, found = _read_file()
    _file = (table, path)
    for key, raw in table.items():
        if key not in SETTINGS:
            found.append(Problem(f"config file ({path})", key,
                                 f"{path}: unknown setting {key} = {raw!r}{_suggest(key)}; it "
                                 f"is ignored (known settings: {', '.join(SETTINGS)})"))
    for name in SETTINGS:
        _resolved[name], _sources[name], bad = _resolve(name, table, path)
        found.extend(bad)
    _problems[:] = found
    _report(found)


def _suggest(key: str) -> str:
    import difflib  # only when a key is unknown
    close = difflib.get_close_matches(key, SETTINGS, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_default_device(device_types) -> None:
    """Check the ``default_device`` of the environment and the config file against the device
    types the loaded plugins provide; called once plugins are loaded, because which device
    types exist is known only then. A type no plugin provides is reported like any other
    unusable value and the setting falls back to the next source down."""
    global _device_types
    _device_types = frozenset(device_types)
    name = "default_device"
    old = [p for p in _problems if p.key == name]
    _resolved[name], _sources[name], bad = _resolve(name, *_file)
    _problems[:] = [p for p in _problems if p.key != name] + bad
    _report([p for p in bad if p not in old])


def problems() -> list:
    """The settings that could not be used when the environment and config file were last read,
    as `Problem` records (``source``, ``key``, ``message``; ``str()`` gives the message)."""
    return list(_problems)


# --------------------------------------------------------------------------- access


def _unknown(name) -> KeyError:
    return KeyError(f"unknown loom setting {name!r}; known: {', '.join(SETTINGS)}")


def get(name: str):
    """The current value of a setting."""
    for frame in reversed(_local.stack):
        if name in frame:
            return frame[name]
    if name in _runtime:
        return _runtime[name]
    try:
        return _resolved[name]
    except KeyError:
        raise _unknown(name) from None


def source(name: str) -> str:
    """Where the current value of a setting came from."""
    if name not in SETTINGS:
        raise _unknown(name)
    for frame in reversed(_local.stack):
        if name in frame:
            return "run time (config.using)"
    if name in _runtime:
        return "run time"
    return _sources[name]


def set(name: str, value) -> None:
    """Set a setting for the rest of the process (highest precedence but `using`).

    KeyError for an unknown name; TypeError or ValueError, naming the setting, for a value it
    cannot take.
    """
    if name not in SETTINGS:
        raise _unknown(name)
    _runtime[name] = _from_python(name, value)


@contextlib.contextmanager
def using(**settings):
    """Thread-local override of settings for a block, checked as by `set` before it starts:
    ``with loom.config.using(default_device="cuda"):``.
    """
    for name in settings:
        if name not in SETTINGS:
            raise _unknown(name)
    frame = {name: _from_python(name, v) for name, v in settings.items()}
    _local.stack.append(frame)
    try:
        yield
    finally:
        _local.stack.pop()


def describe() -> dict:
    """Every setting with its value and source."""
    return {name: {"value": _jsonable(get(name)), "source": source(name)} for name in SETTINGS}


def _jsonable(v):
    return list(v) if isinstance(v, tuple) else v


reload()
