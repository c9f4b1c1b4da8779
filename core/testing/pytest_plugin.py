"""loom's pytest plugin: the conformance checks of an op pack as pytest items, in one line.

In a test file of the pack's suite::

    from loom.testing import conformance_tests

    test_my_pack = conformance_tests("my_plugin")

collects one test per (operator, check, sample) of every operator plugin ``my_plugin``
provides, with ids like ``test_my_pack[hypot-gradient-float64-sample2]``, so each failure is
reported on its own and ``-k "hypot and gradient"`` selects a part. ``conformance_tests()``
without a plugin name covers every registered operator; ``ops=["hypot"]`` names operators,
``checks=["forward", "gradient"]`` and ``dtypes=[loom.float64]`` narrow the checks, and
``xfail={"myop-dtypes-bool-*": "why"}`` marks cases whose id matches a pattern as known
failures (strict: a case that starts passing fails until its entry goes).

The same as a marker, for a test of your own that receives each case::

    @pytest.mark.loom_conformance("my_plugin", checks=["forward"])
    def test_forward(loom_case):
        loom_case.run()

The plugin is registered as the ``pytest11`` entry point ``loom`` of loom-tensor, so it is active
in every pytest run of an environment where loom is installed. Loading it costs the import of
loom (which loads loom's plugins); it defines no fixtures and adds no options, and does nothing
for tests that do not use it (``-p no:loom`` turns it off).
"""
from __future__ import annotations

import fnmatch
from typing import Iterable, Mapping, Optional

import pytest

__all__ = ["conformance_tests"]

_MARKER = "loom_conformance"


def pytest_configure(config):
    config.addinivalue_line(
        "markers", f"{_MARKER}(plugin=None, *, ops=None, checks=None, dtypes=None, "
                   f"xfail=None): "
                   f"parametrize the test's `loom_case` argument with loom's conformance cases")


def pytest_generate_tests(metafunc):
    marker = metafunc.definition.get_closest_marker(_MARKER)
    if marker is None or "loom_case" not in metafunc.fixturenames:
        return
    from .runner import collect
    kwargs = dict(marker.kwargs)
    xfail = kwargs.pop("xfail", None) or {}
    params = []
    for c in collect(*marker.args, **kwargs):
        why = next((r for pattern, r in xfail.items() if fnmatch.fnmatchcase(c.id, pattern)),
                   None)
        marks = () if why is None else (pytest.mark.xfail(reason=why, strict=True),)
        params.append(pytest.param(_Item(c), id=c.id, marks=marks))
    metafunc.parametrize("loom_case", params)


class _Item:
    """A case as a test parameter: `run()` reports a failed check as a plain pytest failure
    (its message, no traceback of the kit) and a check that cannot run here as a skip."""

    __slots__ = ("case",)

    def __init__(self, case):
        self.case = case

    def __repr__(self) -> str:
        return self.case.id

    def run(self) -> None:
        from .checks import CheckFailure, CheckSkipped
        try:
            self.case.run()
        except CheckSkipped as e:
            pytest.skip(str(e))
        except CheckFailure as e:
            pytest.fail(f"{self.case.id}: {e}", pytrace=False)


def conformance_tests(plugin: Optional[str] = None, *, ops: Optional[Iterable[str]] = None,
                      checks: Optional[Iterable[str]] = None,
                      dtypes: Optional[Iterable] = None,
                      xfail: Optional[Mapping[str, str]] = None):
    """A pytest test function running every conformance case of `plugin`'s operators (every
    registered operator when None; those named in `ops` if given); assign it to a module-level
    name starting with ``test``: ``test_my_pack = conformance_tests("my_plugin")``.

    `checks` and `dtypes` are as for `loom.testing.opcheck`; `xfail` maps case-id patterns
    (``fnmatch``, e.g. ``"abs-dtypes-bool-*"``) to the reason they are known to fail."""
    kwargs = {"ops": None if ops is None else list(ops),
              "checks": None if checks is None else list(checks),
              "dtypes": None if dtypes is None else list(dtypes),
              "xfail": dict(xfail or {})}

    @pytest.mark.loom_conformance(plugin, **kwargs)
    def test_conformance(loom_case):
        loom_case.run()

    return test_conformance
