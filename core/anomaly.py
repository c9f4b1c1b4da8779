"""Anomaly detection's state and checks (`loom.autograd.detect_anomaly` is the user's switch).

While it is on, recording a node keeps the stack of the forward call that created it, and the
engine checks every gradient a node returns: a NaN raises PyTorch's RuntimeError naming the
node, after a warning that shows where the forward operation was called.
"""
from __future__ import annotations

import os
import traceback
import warnings
import weakref

__all__ = ["state", "note", "check_nan", "forward_trace", "report"]


class _State:
    """`enabled`: keep forward stacks and check backward outputs; `check_nan`: raise on NaN.
    Process-wide, as PyTorch's anomaly mode is; read once per recorded node and per node in
    backward, so a plain slot."""

    __slots__ = ("enabled", "check_nan")


state = _State()
state.enabled = False
state.check_nan = True

# node -> the formatted stack of the forward call that created it (only while enabled)
_traces: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


_HERE = os.path.dirname(os.path.abspath(__file__))


def note(node) -> None:
    """Remember where `node` was created (called by dispatch when anomaly mode is on): the
    caller's frames, without loom's own."""
    frames = [f for f in traceback.extract_stack()
              if not os.path.abspath(f.filename).startswith(_HERE + os.sep)]
    _traces[node] = "".join(traceback.format_list(frames))


def forward_trace(node):
    """The stack recorded for `node`, or None."""
    return _traces.get(node)


def _warn_trace(node):
    trace = _traces.get(node)
    if trace is None:
        warnings.warn(f"Error detected in {node.name()}. No forward pass information available. "
                      f"Enable detect anomaly during forward pass for more information.",
                      UserWarning, stacklevel=4)
    else:
        warnings.warn(f"Error detected in {node.name()}. Traceback of forward call that caused "
                      f"the error:\n{trace}", UserWarning, stacklevel=4)


def check_nan(node, outs, create_graph) -> None:
    """Raise if a gradient `node` computed holds a NaN, showing where the node was made."""
    if not state.check_nan:
        return
    for i, g in enumerate(outs):
        if g is None:
            continue
        a = g._data if create_graph else g
        kind = a.dtype.kind
        if kind in "fc" and a.size and bool((a != a).any()):
            _warn_trace(node)
            e = RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th "
                             f"output.")
            e._anomaly_reported = True  # the engine adds no second warning
            raise e


def report(node, error) -> None:
    """An error escaped `node`'s backward while anomaly mode is on: say where it was made."""
    if not getattr(error, "_anomaly_reported", False):
        _warn_trace(node)
