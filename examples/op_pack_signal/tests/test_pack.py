"""The pack's own suite: every conformance check of loom's kit on every operator of the pack
(forward against PyTorch or the NumPy reference, gradients and second derivatives by finite
differences, error samples), one pytest item per case, through loom's pytest plugin."""
from loom.testing import conformance_tests

test_signal_ops = conformance_tests("signal_ops")
