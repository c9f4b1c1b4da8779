"""Every registered operator (bundled, or from an op pack installed where the tests run) through
loom's conformance kit, `loom.testing`: one test per (operator, check, sample), with ids like
``test_operators[add-gradient-float64-sample1]`` (``-k "add and gradient"`` selects a part).

What each check verifies is in `loom.testing.checks`: metadata (samples and an oracle), forward
against PyTorch or the NumPy reference in float32 and float64, gradients and second derivatives
by finite differences in float64 and against PyTorch, in-place and ``out=`` forms, broadcasting,
type promotion, integer and bool inputs, error samples, and device parity when a device besides
cpu is available.

`KNOWN` lists the divergences from PyTorch the kit finds and loom has not fixed yet, each with
its reason. They are strict xfails: fixing one makes its test fail until it leaves the list.
"""
from __future__ import annotations

from loom.testing import CHECKS, conformance_tests

KNOWN: dict = {}

# all checks, the opt-in "dtypes" included
test_operators = conformance_tests(checks=CHECKS, xfail=KNOWN)
