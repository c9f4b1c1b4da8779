"""Plugin loading: one scan of the ``loom.plugins`` entry points, each plugin in its own `try`.

pluggy's `load_setuptools_entrypoints` would stop at the first failing plugin and scan every
distribution's metadata; loom reads ``entry_points(group="loom.plugins")`` once and registers
each plugin with the pluggy manager itself, so one broken plugin is reported by name and the
rest load.
"""
from __future__ import annotations

import sys
import warnings

import pluggy

from . import config, hookspecs
from . import cpu
from .backends import register_backend, unregister_backend
from .catalog import entry_points as _entry_points, failed_names, plugin_table, status_of
from .registry import registry
from .spec import OpSpec

__all__ = ["manager", "load_all", "load_plugin", "status_of", "failed_names", "plugin_table",
           "PluginLoadError"]

manager = pluggy.PluginManager("loom")
manager.add_hookspecs(hookspecs)


class PluginLoadError(RuntimeError):
    """A plugin failed to load while LOOM_STRICT_PLUGINS is set."""


def _call_own(hook_name, plugin_obj, *args):
    impls = getattr(manager.hook, hook_name).get_hookimpls()
    out = []
    for impl in impls:
        if impl.plugin is plugin_obj:
            res = impl.function(*args)
            if res is not None:
                out.extend(res)
    return out


def load_plugin(name, obj, version=None, module=None, essential=False) -> bool:
    """Register one plugin object and its devices and operators; False (and the error
    recorded) when it fails. Nothing it registered stays registered after a failure."""
    entry = plugin_table.setdefault(name, {})
    entry.update(status="loading", version=version, module=module or getattr(obj, "__name__", ""),
                 error=None, ops=[], devices=[], essential=essential)
    added_ops = []
    try:
        manager.register(obj, name=name)
        devices = _call_own("loom_register_devices", obj)
        ops = _call_own("loom_register_ops", obj)
        overrides = _call_own("loom_override_ops", obj)
        for op in list(ops) + list(overrides):
            if not isinstance(op, OpSpec):
                raise TypeError(f"loom_register_ops returned {type(op).__name__} {op!r:.60}, "
                                f"expected a loom.plugin.OpSpec")
        chosen = config.get("device_providers")
        for be in devices:
            want = chosen.get(be.type)
            if want and want != name:
                continue
            register_backend(be)
            entry["devices"].append(be.type)
        for op in ops:
            previous = registry.ops.get(op.name)
            registry.register(op, name)
            added_ops.append((op.name, previous))
        for op in overrides:
            previous = registry.ops.get(op.name)
            registry.register(op, name, override=True)
            added_ops.append((op.name, previous))
        entry["status"] = "loaded"
        _refresh_ops()
        return True
    except Exception as e:  # a failing plugin never takes loom down
        for op_name, previous in reversed(added_ops):
            registry.unregister(op_name, restore=previous)
        for t in entry["devices"]:
            unregister_backend(t)
        entry["devices"] = []
        if manager.is_registered(obj):
            manager.unregister(obj)
        _refresh_ops()
        _fail(name, "register", e)
        return False


def _fail(name, stage, exc):
    entry = plugin_table.setdefault(name, {"version": None, "module": "", "ops": [],
                                           "devices": [], "essential": False})
    entry["status"] = "failed"
    entry["error"] = f"{type(exc).__name__}: {exc}"
    entry["stage"] = stage
    import traceback
    entry["traceback"] = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    msg = f"loom plugin '{name}' failed to {stage} and was skipped: {entry['error']}"
    if config.get("strict_plugins"):
        raise PluginLoadError(msg + " (LOOM_STRICT_PLUGINS is set)") from exc
    warnings.warn(msg, RuntimeWarning, stacklevel=4)


def load_all() -> None:
    """Load the built-in CPU backend, then every entry-point plugin not blocked."""
    load_plugin("cpu", cpu, version=None, module="loom.cpu", essential=True)
    if config.get("disable_plugin_autoload"):
        return
    blocked = set(config.get("blocked_plugins"))
    seen = set()
    for ep in _entry_points():
        if ep.name in seen:
            continue
        seen.add(ep.name)
        dist = getattr(ep, "dist", None)
        version = getattr(dist, "version", None)
        if ep.name in blocked:
            plugin_table[ep.name] = {"status": "blocked", "version": version, "module": ep.value,
                                     "error": None, "ops": [], "devices": [], "essential": False}
            continue
        try:
            obj = ep.load()
        except Exception as e:
            plugin_table[ep.name] = {"version": version, "module": ep.value, "ops": [],
                                     "devices": [], "essential": False}
            _fail(ep.name, "import", e)
            continue
        load_plugin(ep.name, obj, version=version, module=ep.value)
    for impl in manager.hook.loom_configure.get_hookimpls():
        try:
            impl.function(config)
        except Exception as e:
            _fail(impl.plugin_name, "configure", e)


def _refresh_ops():
    # who provides what changes when a later plugin wins or fails: recompute every entry
    for n, e in plugin_table.items():
        e["ops"] = ops_of(n)


def ops_of(name: str) -> list:
    """Operators plugin `name` provides now (not those another plugin won)."""
    return sorted(op for op, p in registry.providers.items() if p == name)
