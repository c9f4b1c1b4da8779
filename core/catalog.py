"""What plugins there are, how each stands, and what each says it provides.

Two sources, both readable without importing a plugin:

* `plugin_table`: how each plugin loaded (filled by the loader, `loom.plugins`), read by
  errors and ``loom info``.
* the data a plugin package ships beside its code, ``loom-plugin.json``::

      {"operators": ["exp", "log"], "devices": ["cuda"], "extra": "loom-tensor[cuda]"}

  found through the ``loom.plugins`` entry points and the package's location on disk, never by
  importing it. An error about a missing operator or an unavailable device then names the
  plugin that would provide it and the extra that installs it, the same way for a bundled
  plugin and a third-party pack, even when that plugin is blocked or failed to load.
"""
from __future__ import annotations

import json
import sys

from . import config

__all__ = ["plugin_table", "status_of", "failed_names", "shipped", "provider_of_op",
           "provider_of_device", "install_hint", "entry_points", "DATA_FILE", "OWN_DISTRIBUTION"]

DATA_FILE = "loom-plugin.json"
#: loom's own distribution: its entry points are the bundled plugins, loaded first
OWN_DISTRIBUTION = "loom-tensor"

# name -> {"status", "version", "module", "error", "ops", "devices", "essential", ...}
plugin_table: dict = {}

_shipped: dict = {}  # plugin name -> its data (or {} when it ships none), read once


def entry_points():
    """The ``loom.plugins`` entry points of every installed distribution."""
    if sys.version_info >= (3, 12):
        from importlib.metadata import entry_points as eps
    else:
        from importlib_metadata import entry_points as eps
    return eps(group="loom.plugins")


def _read_data(module: str) -> dict:
    """The ``loom-plugin.json`` of the package `module` names, located without running it."""
    import importlib.util
    from pathlib import Path

    parts = module.split(":")[0].strip().split(".")
    try:
        # find_spec of a top-level name only locates it; no module code runs
        spec = importlib.util.find_spec(parts[0])
    except (ImportError, ValueError):
        return {}
    if spec is None:
        return {}
    if spec.submodule_search_locations:
        base = Path(list(spec.submodule_search_locations)[0]).joinpath(*parts[1:])
    elif spec.origin:
        base = Path(spec.origin).parent
    else:
        return {}
    path = base / DATA_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def shipped(name: str) -> dict:
    """The data plugin `name` ships (empty when it ships none or is not installed)."""
    hit = _shipped.get(name)
    if hit is None:
        module = (plugin_table.get(name) or {}).get("module")
        if not module:
            module = next((ep.value for ep in entry_points() if ep.name == name), None)
        hit = _shipped[name] = _read_data(module) if module else {}
    return hit


def _installed_names() -> list:
    names = list(plugin_table)
    for ep in entry_points():
        if ep.name not in names:
            names.append(ep.name)
    return names


def provider_of_op(op_name: str):
    """The plugin that says it provides operator `op_name`, or None."""
    for name in _installed_names():
        if op_name in shipped(name).get("operators", ()):
            return name
    return None


def provider_of_device(device_type: str):
    """The plugin that says it provides device type `device_type`, or None."""
    for name in _installed_names():
        if device_type in shipped(name).get("devices", ()):
            return name
    return None


def install_hint(name: str) -> str:
    """``pip install '<extra>'`` for the extra plugin `name` names, or ''."""
    extra = shipped(name).get("extra")
    return f"pip install '{extra}'" if extra else ""


def status_of(name: str) -> str:
    """How plugin `name` stands, in words for an error message."""
    entry = plugin_table.get(name)
    if entry is None:
        if config.get("disable_plugin_autoload"):
            return "was not loaded because LOOM_DISABLE_PLUGIN_AUTOLOAD is set"
        return "is not installed (no 'loom.plugins' entry point of that name)"
    st = entry["status"]
    if st == "blocked":
        return "is blocked by the blocked_plugins setting (LOOM_BLOCKED_PLUGINS)"
    if st == "failed":
        return f"failed to load: {entry['error']}"
    return st


def failed_names() -> list:
    """Plugins that failed to load."""
    return [n for n, e in plugin_table.items() if e.get("status") == "failed"]
