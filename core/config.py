"""loom's settings and where each came from.

Precedence, highest first: calls at run time (`set`, the thread-local `using(...)` context),
environment variables (``LOOM_*``), a config file (``[tool.loom]`` in the nearest
``pyproject.toml``, or a ``loom.toml``), built-in defaults.
"""
from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

__all__ = ["get", "set", "using", "source", "describe", "SETTINGS"]

# name -> (default, environment variable, parser, description)
SETTINGS = {
    "default_device": ("cpu", "LOOM_DEFAULT_DEVICE", str, "device new tensors go to"),
    "strict_plugins": (False, "LOOM_STRICT_PLUGINS", "bool",
                       "a plugin that fails to load is an error at import"),
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


def _parse(kind, raw):
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        return str(raw).strip().lower() in ("1", "true", "yes", "on")
    if kind == "list":
        if isinstance(raw, (list, tuple)):
            return tuple(str(x).strip() for x in raw if str(x).strip())
        return tuple(x.strip() for x in str(raw).split(",") if x.strip())
    if kind == "map":
        if isinstance(raw, dict):
            return {str(k): str(v) for k, v in raw.items()}
        out = {}
        for item in str(raw).split(","):
            if "=" in item:
                k, v = item.split("=", 1)
                out[k.strip()] = v.strip()
        return out
    return kind(raw)


def _find_file_settings():
    """Settings from [tool.loom] of the nearest pyproject.toml, or a loom.toml, upward from cwd."""
    try:
        import tomllib
    except ImportError:  # pragma: no cover - Python 3.10
        try:
            import tomli as tomllib
        except ImportError:
            return {}, None
    try:
        here = Path.cwd()
    except OSError:
        return {}, None
    for d in (here, *here.parents):
        for name in ("loom.toml", "pyproject.toml"):
            p = d / name
            if not p.is_file():
                continue
            try:
                data = tomllib.loads(p.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            table = data.get("tool", {}).get("loom") if name == "pyproject.toml" else \
                data.get("tool", {}).get("loom", data)
            if table:
                return dict(table), str(p)
    return {}, None


class _Local(threading.local):
    def __init__(self):
        self.stack = []


_local = _Local()
_runtime: dict = {}
_resolved: dict = {}
_sources: dict = {}


def reload() -> None:
    """Re-read environment and config file (run-time settings are kept)."""
    file_vals, file_path = _find_file_settings()
    for name, (default, env, kind, _) in SETTINGS.items():
        if env in os.environ:
            _resolved[name] = _parse(kind, os.environ[env])
            _sources[name] = f"environment ({env})"
        elif name in file_vals:
            _resolved[name] = _parse(kind, file_vals[name])
            _sources[name] = f"config file ({file_path})"
        else:
            _resolved[name] = default
            _sources[name] = "default"


def get(name: str):
    """The current value of a setting."""
    for frame in reversed(_local.stack):
        if name in frame:
            return frame[name]
    if name in _runtime:
        return _runtime[name]
    return _resolved[name]


def source(name: str) -> str:
    """Where the current value of a setting came from."""
    for frame in reversed(_local.stack):
        if name in frame:
            return "run time (config.using)"
    if name in _runtime:
        return "run time"
    return _sources[name]


def set(name: str, value) -> None:
    """Set a setting for the rest of the process (highest precedence but `using`)."""
    if name not in SETTINGS:
        raise KeyError(f"unknown loom setting {name!r}; known: {', '.join(SETTINGS)}")
    _runtime[name] = value


@contextlib.contextmanager
def using(**settings):
    """Thread-local override of settings for a block: ``with loom.config.using(default_device="cuda"):``."""
    for name in settings:
        if name not in SETTINGS:
            raise KeyError(f"unknown loom setting {name!r}; known: {', '.join(SETTINGS)}")
    _local.stack.append(settings)
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
