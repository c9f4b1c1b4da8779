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
from .backends import DeviceClashError, backends, register_backend, unregister_backend
from .catalog import OWN_DISTRIBUTION, entry_points as _entry_points, failed_names, \
    plugin_table, shipped, status_of
from .registry import OperatorClashError, registry
from .spec import OpSpec

__all__ = ["manager", "load_all", "load_plugin", "status_of", "failed_names", "plugin_table",
           "PluginLoadError", "PluginApiError", "check_api"]

manager = pluggy.PluginManager("loom")
manager.add_hookspecs(hookspecs)


class PluginLoadError(RuntimeError):
    """A plugin failed to load while LOOM_STRICT_PLUGINS is set."""


class PluginApiError(RuntimeError):
    """A plugin targets a plugin API this loom does not provide."""


def _api_tuple(v):
    try:
        parts = [int(x) for x in str(v).split(".")]
    except ValueError:
        return None
    return (parts + [0])[:2] if parts and len(parts) <= 2 else None


def check_api(name: str, declared, where: str) -> None:
    """PluginApiError when plugin `name` declares (in `where`) a plugin API version this loom
    cannot serve: another major version, or a newer minor one."""
    if declared is None:
        return  # a plugin that says nothing is taken to target the current API
    want, have = _api_tuple(declared), _api_tuple(hookspecs.PLUGIN_API)
    if want is None:
        raise PluginApiError(f"plugin '{name}' declares loom plugin API {declared!r} in "
                             f"{where}, which is not a version such as "
                             f"'{hookspecs.PLUGIN_API}'")
    if want[0] != have[0] or want[1] > have[1]:
        advice = "upgrade loom" if want > have else \
            f"install a release of the plugin made for plugin API {have[0]}.x"
        raise PluginApiError(f"plugin '{name}' targets loom plugin API {declared} ({where}), "
                             f"but this loom provides plugin API "
                             f"{hookspecs.PLUGIN_API}; {advice}")


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
    recorded) when it fails. Nothing it registered stays registered after a failure.

    An operator or device whose name another plugin already holds is refused on its own (the
    clash is reported, naming both plugins); the rest of the plugin loads."""
    entry = plugin_table.setdefault(name, {})
    entry.update(status="loading", version=version, module=module or getattr(obj, "__name__", ""),
                 error=None, ops=[], devices=[], essential=essential, refused=[])
    added = []
    try:
        check_api(name, getattr(obj, "LOOM_PLUGIN_API", None),
                  f"{entry['module'] or name}.LOOM_PLUGIN_API")
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
            want = chosen.get(getattr(be, "type", None))
            if want and want != name and not essential:
                continue
            try:
                register_backend(be, name)
            except DeviceClashError as e:
                _refuse(name, entry, e)
                continue
            entry["devices"].append(be.type)
        for op, override in [(op, False) for op in ops] + [(op, True) for op in overrides]:
            try:
                op_entry = registry.register(op, name, override=override)
            except OperatorClashError as e:
                _refuse(name, entry, e)
                continue
            if op_entry is not None:
                added.append(op_entry)
        entry["status"] = "loaded"
        _refresh_ops()
        return True
    except Exception as e:  # a failing plugin never takes loom down
        for op_entry in reversed(added):
            registry.unregister(op_entry)
        for t in entry["devices"]:
            unregister_backend(t)
        entry["devices"] = []
        if manager.is_registered(obj):
            manager.unregister(obj)
        _refresh_ops()
        if isinstance(e, PluginLoadError):
            raise
        _fail(name, "load" if isinstance(e, PluginApiError) else "register", e,
              None if isinstance(e, PluginApiError) else _hook_site(obj))
        return False


def _hook_site(obj):
    """(file, line) of a plugin's first hook function: where to point a warning about what the
    plugin returned when the error arose inside loom."""
    for hook in ("loom_register_ops", "loom_register_devices", "loom_override_ops"):
        code = getattr(getattr(obj, hook, None), "__code__", None)
        if code is not None:
            return code.co_filename, code.co_firstlineno
    return getattr(obj, "__file__", None), 1


def _where(exc, fallback=None) -> tuple:
    """(file, line) where `exc` arose in plugin code: the deepest traceback frame outside loom's
    core, else `fallback`, else the deepest frame."""
    import os
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return None, None
    core = os.path.dirname(os.path.abspath(__file__)) + os.sep
    # generated code (a dataclass's __init__) has a "<string>" file: not a place to point at
    outside = [f for f in frames if not f.filename.startswith("<") and
               not os.path.abspath(f.filename).startswith(core)]
    if not outside and fallback is not None and fallback[0]:
        return fallback
    f = (outside or frames)[-1]
    return f.filename, f.lineno


def _warn(msg, exc=None, fallback=None):
    if config.get("strict_plugins"):
        raise PluginLoadError(f"{msg} (strict_plugins is set by "
                              f"{config.source('strict_plugins')})") from exc
    filename, lineno = _where(exc, fallback) if exc is not None else (None, None)
    if filename is None:
        warnings.warn(msg, RuntimeWarning, stacklevel=4)
    else:
        warnings.warn_explicit(f"{msg} (at {filename}:{lineno})", RuntimeWarning, filename,
                               lineno, module="loom.plugins")


def _refuse(name, entry, exc):
    entry["refused"].append(str(exc))
    _warn(f"loom plugin '{name}': {exc}; the rest of the plugin is loaded", exc)


def _fail(name, stage, exc, fallback=None):
    entry = plugin_table.setdefault(name, {"version": None, "module": "", "ops": [],
                                           "devices": [], "essential": False, "refused": []})
    entry["status"] = "failed"
    entry["error"] = f"{type(exc).__name__}: {exc}"
    entry["stage"] = stage
    import traceback
    entry["traceback"] = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    _warn(f"loom plugin '{name}' failed to {stage} and was skipped: {entry['error']}", exc,
          fallback)


def _ordered(eps) -> list:
    """Entry points in a fixed order that does not depend on where distributions sit on the
    path: loom's own bundled plugins first (as declared), then the rest by name and
    distribution. A name declared twice keeps the bundled (else the first) one; the others are
    reported, never silently dropped or substituted."""
    bundled, others = [], []
    for ep in eps:
        (bundled if _dist_name(ep) == OWN_DISTRIBUTION else others).append(ep)
    others.sort(key=lambda ep: (ep.name, _dist_name(ep) or ""))
    chosen, out = {}, []
    for ep in bundled + others:
        first = chosen.get(ep.name)
        if first is None:
            chosen[ep.name] = ep
            out.append(ep)
            continue
        if _dist_name(first) == _dist_name(ep) and first.value == ep.value:
            continue  # one distribution seen twice on the path
        key = f"{ep.name} ({_dist_name(ep)})"
        plugin_table[key] = {"version": getattr(ep.dist, "version", None), "module": ep.value,
                             "ops": [], "devices": [], "essential": False, "refused": []}
        kind = "a bundled plugin" if _dist_name(first) == OWN_DISTRIBUTION else "a plugin"
        _fail(key, "load", RuntimeError(
            f"distribution '{_dist_name(ep)}' declares the plugin name '{ep.name}', which is "
            f"already {kind} of distribution '{_dist_name(first)}'; only that one is loaded. "
            f"Rename the entry point in [project.entry-points.\"loom.plugins\"]"))
    return out


def _dist_name(ep):
    dist = getattr(ep, "dist", None)
    name = getattr(dist, "name", None) or (dist.metadata["Name"] if dist is not None else None)
    return name.replace("_", "-").lower() if name else None


def load_all() -> None:
    """Load the built-in CPU backend, then every entry-point plugin not blocked."""
    load_plugin("cpu", cpu, version=None, module="loom.cpu", essential=True)
    if config.get("disable_plugin_autoload"):
        return
    blocked = set(config.get("blocked_plugins"))
    for ep in _ordered(_entry_points()):
        dist = getattr(ep, "dist", None)
        version = getattr(dist, "version", None)
        if ep.name in blocked:
            plugin_table[ep.name] = {"status": "blocked", "version": version, "module": ep.value,
                                     "error": None, "ops": [], "devices": [], "essential": False,
                                     "refused": []}
            continue
        try:
            # the version the plugin's data declares is checked before its code runs
            check_api(ep.name, shipped(ep.name).get("api"), "its loom-plugin.json")
            obj = ep.load()
        except Exception as e:
            plugin_table[ep.name] = {"version": version, "module": ep.value, "ops": [],
                                     "devices": [], "essential": False, "refused": []}
            _fail(ep.name, "load" if isinstance(e, PluginApiError) else "import", e)
            continue
        load_plugin(ep.name, obj, version=version, module=ep.value)
    for impl in manager.hook.loom_configure.get_hookimpls():
        try:
            impl.function(config)
        except Exception as e:
            _fail(impl.plugin_name, "configure", e)
    config.check_default_device(backends)  # device types are known only now


def _refresh_ops():
    # who provides what changes when a later plugin wins or fails: recompute every entry
    for n, e in plugin_table.items():
        e["ops"] = ops_of(n)


def ops_of(name: str) -> list:
    """Operators plugin `name` provides now (not those another plugin won)."""
    return sorted(op for op, p in registry.providers.items() if p == name)
