"""Running the conformance checks and reporting per operator: `opcheck` (one operator, the way
`torch.library.opcheck` tests one registration), `check_plugin` (every operator of a plugin)
and `collect` (the cases, for the pytest plugin)."""
from __future__ import annotations

import dataclasses
from typing import Iterable, Optional, Union

from . import _ops
from .checks import Case, CheckFailure, CheckSkipped, cases, other_devices

__all__ = ["OpCheckError", "CaseResult", "OpReport", "PluginReport", "opcheck", "check_plugin",
           "collect"]


class OpCheckError(Exception):
    """An operator failed conformance checks; `report` holds the full `OpReport` (or
    `PluginReport`)."""

    def __init__(self, report):
        super().__init__(str(report))
        self.report = report


@dataclasses.dataclass
class CaseResult:
    """The outcome of one case: status "passed", "failed" or "skipped", and why."""

    id: str
    op: str
    check: str
    label: str
    status: str
    message: str = ""


def run_case(case: Case) -> CaseResult:
    """Run one case; an exception other than the kit's own counts as a failure, described."""
    status, message = "passed", ""
    try:
        case.run()
    except CheckSkipped as e:
        status, message = "skipped", str(e)
    except CheckFailure as e:
        status, message = "failed", str(e)
    except Exception as e:  # the operator crashed: that is what the report must say
        lines = str(e).strip().splitlines()
        status, message = "failed", f"raised {type(e).__name__}: {lines[0] if lines else ''}"
    return CaseResult(case.id, case.op, case.check, case.label, status, message)


@dataclasses.dataclass
class OpReport:
    """What the checks found for one operator: every case's `CaseResult`."""

    op: str
    plugin: Optional[str]
    results: list

    @property
    def passed(self) -> bool:
        """True when no case failed (skipped cases do not fail)."""
        return not self.failures

    @property
    def failures(self) -> list:
        return [r for r in self.results if r.status == "failed"]

    @property
    def skipped(self) -> list:
        return [r for r in self.results if r.status == "skipped"]

    def counts(self) -> dict:
        """{check: (passed, failed, skipped)} for the checks that have cases."""
        out = {}
        for r in self.results:
            p, f, s = out.get(r.check, (0, 0, 0))
            out[r.check] = (p + (r.status == "passed"), f + (r.status == "failed"),
                            s + (r.status == "skipped"))
        return out

    def as_dict(self) -> dict:
        """{check: "SUCCESS" | "FAILURE" | "SKIPPED"}, the shape `torch.library.opcheck`
        returns."""
        out = {}
        for check, (p, f, s) in self.counts().items():
            out[check] = "FAILURE" if f else "SUCCESS" if p else "SKIPPED"
        return out

    def summary(self) -> str:
        """One line: the operator, PASS or FAIL, and per check how many cases passed."""
        parts = []
        for check, (p, f, s) in self.counts().items():
            if p + f == 0:
                parts.append(f"{check} skipped")
            else:
                parts.append(f"{check} {p}/{p + f}" + (f" ({s} skipped)" if s else ""))
        return f"{self.op:<20} {'PASS' if self.passed else 'FAIL'}  {', '.join(parts)}"

    def format(self, verbose: bool = False) -> str:
        """`summary()`, then each failure (and with `verbose` each reason to skip) indented."""
        lines = [self.summary()]
        for r in self.failures:
            lines.append(f"    FAILED {r.check} [{r.label or r.op}]: {r.message}")
        if verbose:
            for reason in dict.fromkeys(r.message for r in self.skipped):
                lines.append(f"    skipped: {reason}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()


@dataclasses.dataclass
class PluginReport:
    """The `OpReport` of every operator a plugin provides."""

    plugin: str
    ops: list

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.ops)

    @property
    def failures(self) -> list:
        return [r for r in self.ops if not r.passed]

    def format(self, verbose: bool = False) -> str:
        n_failed = len(self.failures)
        head = (f"plugin {self.plugin}: {len(self.ops)} operator"
                f"{'' if len(self.ops) == 1 else 's'}, "
                + (f"{n_failed} failed" if n_failed else "all passed"))
        devices = other_devices()
        head += (f" (device parity against cpu on: {', '.join(devices)})" if devices else
                 " (no device besides cpu: device parity not checked)")
        return "\n".join([head] + ["  " + r.format(verbose).replace("\n", "\n  ")
                                   for r in self.ops])

    def __str__(self) -> str:
        return self.format()


def _resolve(op_or_name, plugin):
    if isinstance(op_or_name, str):
        op = _ops.get_op(op_or_name)
    elif isinstance(op_or_name, _ops.KitOp):
        op = op_or_name
    else:
        name = getattr(op_or_name, "name", None)
        if not isinstance(name, str):
            raise TypeError(f"opcheck() expects an operator name or record, got "
                            f"{type(op_or_name).__name__}")
        op = _ops.get_op(name)
        if op.record is not op_or_name and getattr(op.record, "spec", None) is not op_or_name:
            raise ValueError(f"operator '{name}' passed to opcheck() is not the one registered "
                             f"under that name (provided by plugin '{op.plugin}'); register it "
                             f"first, e.g. with loom.plugin.register")
    if plugin is not None and _ops.provider_of(op.name) != plugin:
        raise ValueError(f"operator '{op.name}' is provided by plugin "
                         f"'{_ops.provider_of(op.name)}', not '{plugin}'")
    return op


def opcheck(op_or_name, *, plugin: Optional[str] = None, dtypes: Optional[Iterable] = None,
            checks: Optional[Iterable[str]] = None, raise_exception: bool = True) -> OpReport:
    """Run the conformance checks on one registered operator, as `torch.library.opcheck` tests
    one registration.

    `op_or_name`: the operator's name (``"hypot"``) or its registered record. `plugin`: if
    given, the plugin that must be providing it. `dtypes`: floating dtypes of the sample inputs
    (loom, NumPy or torch dtypes, or names; default float32 and float64; gradients are checked
    in float64). `checks`: a subset of `loom.testing.CHECKS` (default: all).

    Returns an `OpReport` (``report.passed``, ``report.failures``, ``report.as_dict()``). When a
    check fails and `raise_exception` is true, raises `OpCheckError` carrying the report.
    """
    op = _resolve(op_or_name, plugin)
    report = OpReport(op.name, _ops.provider_of(op.name),
                      [run_case(c) for c in cases(op, checks, dtypes)])
    if raise_exception and not report.passed:
        raise OpCheckError(report)
    return report


def check_plugin(name: str, *, dtypes: Optional[Iterable] = None,
                 checks: Optional[Iterable[str]] = None,
                 raise_exception: bool = False) -> PluginReport:
    """Run the conformance checks on every operator plugin `name` provides.

    ValueError when no such plugin is loaded (the message names the loaded ones). Returns a
    `PluginReport`; with `raise_exception`, raises `OpCheckError` when an operator fails."""
    problem = _ops.plugin_problem(name)
    if problem is not None:
        raise ValueError(problem)
    report = PluginReport(name, [opcheck(op, dtypes=dtypes, checks=checks,
                                         raise_exception=False)
                                 for op in _ops.all_ops(name)])
    if raise_exception and not report.passed:
        raise OpCheckError(report)
    return report


def collect(plugin: Union[str, None] = None, *, ops: Optional[Iterable[str]] = None,
            checks: Optional[Iterable[str]] = None,
            dtypes: Optional[Iterable] = None) -> list:
    """The cases for the pytest plugin: of every operator of `plugin` (all registered
    operators when None), or of the operators named in `ops`. A plugin that is not loaded
    gives one case that fails saying so."""
    if plugin is not None:
        problem = _ops.plugin_problem(plugin)
        if problem is not None:
            def fail():
                raise CheckFailure(problem)
            return [Case(plugin, "plugin", "not-loaded", fail)]
    if ops is not None:
        chosen = [_ops.get_op(n) for n in ops]
    else:
        chosen = _ops.all_ops(plugin)
    out = []
    for op in chosen:
        out.extend(cases(op, checks, dtypes))
    return out

