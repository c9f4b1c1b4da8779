"""``python -m loom check PLUGIN [PLUGIN...]``: the conformance report of installed plugins."""
from __future__ import annotations

import argparse
import sys

from .checks import CHECKS, DEFAULT_CHECKS
from .runner import check_plugin

__all__ = ["main", "add_arguments", "run"]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("plugins", nargs="+", metavar="PLUGIN",
                   help="plugin names as `python -m loom info` lists them")
    p.add_argument("--checks", default=None,
                   help=f"comma-separated subset of: {', '.join(CHECKS)}, or 'all' (default: "
                        f"{', '.join(DEFAULT_CHECKS)})")
    p.add_argument("--dtypes", default=None,
                   help="comma-separated floating dtypes of the samples (default: "
                        "float32,float64)")
    p.add_argument("-v", "--verbose", action="store_true", help="also say why checks skipped")


def run(args, out=None) -> int:
    """Check each plugin, print its report; 0 when all pass, 1 when an operator fails, 2 when
    a plugin is not loaded."""
    out = out or sys.stdout
    checks = None
    if args.checks:
        checks = CHECKS if args.checks == "all" else args.checks.split(",")
    dtypes = args.dtypes.split(",") if args.dtypes else None
    status = 0
    n_ops = n_failed = 0
    for name in args.plugins:
        try:
            report = check_plugin(name, checks=checks, dtypes=dtypes)
        except ValueError as e:
            out.write(f"error: {e}\n")
            status = 2
            continue
        out.write(report.format(args.verbose) + "\n")
        if not _check_backends(name, out) and status == 0:
            status = 1
        n_ops += len(report.ops)
        n_failed += len(report.failures)
        if not report.passed and status == 0:
            status = 1
    out.write(f"\n{n_ops} operator{'' if n_ops == 1 else 's'} checked: {n_ops - n_failed} "
              f"passed, {n_failed} failed\n")
    return status


def _check_backends(plugin: str, out) -> bool:
    """The backend contract of each available device the plugin provides; False on a
    failure."""
    from ..backends import available, backends, providers
    from .backend import check_backend
    ok = True
    for t, p in sorted(providers.items()):
        if p != plugin or t == "cpu":
            continue
        if not available(backends[t]):
            out.write(f"  device {t}: not available here, contract not checked "
                      f"({backends[t].unavailable_reason()})\n")
            continue
        problems = check_backend(t)
        out.write(f"  device {t}: backend contract "
                  f"{'FAIL' if problems else 'PASS'}\n")
        for msg in problems:
            out.write(f"    FAILED backend: {msg}\n")
        ok = ok and not problems
    return ok


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m loom check", description=__doc__)
    add_arguments(p)
    return run(p.parse_args(argv))
