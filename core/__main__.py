"""``python -m loom info [--json]``: plugins, devices, operators, failures and settings;
``python -m loom check PLUGIN...``: the conformance report of plugins (`loom.testing.cli`);
``python -m loom catalog PLUGIN``: the ``loom-plugin.json`` a plugin ships."""
from __future__ import annotations

import argparse
import json
import sys


def collect() -> dict:
    import loom
    from loom import backends, config, plugins
    from loom.registry import registry

    devices = []
    for t, be in sorted(backends.backends.items()):
        ok = backends.available(be)
        devices.append({"type": t, "available": ok,
                        "count": _safe(be.device_count, 0) if ok else 0,
                        "reason": "" if ok else _safe(be.unavailable_reason, "unknown"),
                        "provider": backends.providers.get(t),
                        "provider_source": "loom's own" if t == "cpu" else
                        f"device_providers from {config.source('device_providers')}"
                        if t in config.get("device_providers") else "its only provider",
                        "memory_allocated": _safe(be.memory_allocated, 0) if ok else 0})
    default = loom.device(config.get("default_device"))
    ops = []
    for op in sorted(registry.ops.values(), key=lambda o: o.name):
        ops.append({"name": op.name, "provider": op.plugin, "kind": op.kind.value,
                    "devices": sorted(be.type for be in backends.backends.values()
                                      if backends.available(be) and
                                      be.array_type in op.kernels),
                    "has_backward": op.has_backward,
                    "samples": _count_samples(op)})
    plist = []
    for name, e in plugins.plugin_table.items():
        plist.append({"name": name, "version": e.get("version") or loom.__version__,
                      "status": e.get("status"), "module": e.get("module"),
                      "essential": e.get("essential", False),
                      "operators": plugins.ops_of(name), "devices": e.get("devices", []),
                      "error": e.get("error"), "refused": e.get("refused", [])})
    return {"loom": loom.__version__, "plugins": plist, "devices": devices,
            "default_device": {"device": str(default),
                               "source": config.source("default_device")},
            "operators": ops,
            "failures": [{"plugin": p["name"], "error": p["error"]} for p in plist
                         if p["status"] == "failed"],
            "overridden": [{"op": o, "loser": a, "winner": b}
                           for o, a, b in registry.overridden],
            "settings": config.describe(),
            "settings_problems": [p._asdict() for p in config.problems()]}


def _safe(fn, default):
    # a broken backend or sample function must not take `loom info` down
    try:
        return fn()
    except Exception as e:
        return default if not isinstance(default, str) else f"{type(e).__name__}: {e}"


def _count_samples(op) -> int:
    if op.samples is None:
        return 0
    import numpy as np
    try:
        return len(list(op.samples(np.random.default_rng(0), np.float64)))
    except Exception:
        return 0


def print_info(info: dict, out=sys.stdout) -> None:
    w = out.write
    w(f"loom {info['loom']}\n\nPlugins:\n")
    for p in info["plugins"]:
        tag = " (essential)" if p["essential"] else ""
        w(f"  {p['name']:<14} {p['version'] or '-':<10} {p['status']:<8} {p['module']}{tag}\n")
        if p["error"]:
            w(f"      error: {p['error']}\n")
    w("\nDevices:\n")
    for d in info["devices"]:
        state = f"available ({d['count']})" if d["available"] else f"unavailable: {d['reason']}"
        w(f"  {d['type']:<6} {state}  [plugin {d['provider']}: {d['provider_source']}]\n")
    dd = info["default_device"]
    w(f"  default device: {dd['device']} (from {dd['source']})\n")
    w("\nOperators per plugin:\n")
    by = {}
    for o in info["operators"]:
        by.setdefault(o["provider"], []).append(o["name"])
    for prov, names in by.items():
        w(f"  {prov} ({len(names)}): {', '.join(names)}\n")
    w("\nFailures:\n")
    if not info["failures"]:
        w("  none\n")
    for f in info["failures"]:
        w(f"  {f['plugin']}: {f['error']}\n")
    refused = [(p["name"], r) for p in info["plugins"] for r in p["refused"]]
    if refused:
        w("\nRefused (clashes):\n")
        for name, r in refused:
            w(f"  {name}: {r}\n")
    w("\nSettings:\n")
    for name, s in info["settings"].items():
        w(f"  {name:<24} {s['value']!r:<12} from {s['source']}\n")
    w("\nSettings problems:\n")
    for p in info["settings_problems"] or [{"message": "none"}]:
        w(f"  {p['message']}\n")


def _catalog(name: str, extra) -> int:
    from loom import backends, catalog, plugins
    from loom.registry import registry

    if name not in registry.providers.values() and name not in backends.providers.values():
        loaded = ", ".join(sorted(n for n, e in plugins.plugin_table.items()
                                  if e.get("status") == "loaded"))
        sys.stderr.write(f"error: plugin '{name}' {catalog.status_of(name)} and provides "
                         f"nothing now (loaded plugins: {loaded})\n")
        return 2
    data = {"operators": plugins.ops_of(name),
            "devices": sorted(t for t, p in backends.providers.items() if p == name)}
    extra = extra or catalog.shipped(name).get("extra")
    if extra:
        data["extra"] = extra
    sys.stdout.write(json.dumps(data, indent=1) + "\n")
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m loom", description=__doc__)
    sub = ap.add_subparsers(dest="cmd")
    p = sub.add_parser("info", help="show plugins, devices, operators and settings")
    p.add_argument("--json", action="store_true", help="print as JSON")
    c = sub.add_parser("check", help="run the conformance checks on plugins' operators")
    from loom.testing import cli
    cli.add_arguments(c)
    k = sub.add_parser("catalog", help="print the loom-plugin.json a loaded plugin should ship "
                                        "(what it provides, readable without importing it)")
    k.add_argument("plugin")
    k.add_argument("--extra", default=None, help="the pip requirement that installs it")
    args = ap.parse_args(argv)
    if args.cmd == "check":
        return cli.run(args)
    if args.cmd == "catalog":
        return _catalog(args.plugin, args.extra)
    if args.cmd != "info":
        ap.print_help()
        return 2
    info = collect()
    if args.json:
        json.dump(info, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        print_info(info)
    return 0


if __name__ == "__main__":
    sys.exit(main())
