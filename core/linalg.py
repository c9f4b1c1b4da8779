"""`loom.linalg`: the linear-algebra namespace (``torch.linalg``).

This module holds `LinAlgError` and receives the functions operators declare under the
``linalg.`` prefix (an `OpSpec` with ``functions=("linalg.solve",)`` is installed here as
``loom.linalg.solve``); the operators themselves come from a plugin (the bundled
``ops_linalg``), like every other operator.
"""
from __future__ import annotations

__all__ = ["LinAlgError"]


class LinAlgError(RuntimeError):
    """A linear-algebra routine met input it cannot handle: a singular matrix (``inv``,
    ``solve``), a matrix that is not positive-definite (``cholesky``), an algorithm that did
    not converge. A `RuntimeError`, as ``torch.linalg.LinAlgError`` is."""


def __getattr__(name):
    # reached only for names no operator installed here: say who would provide it
    if name.startswith("__"):
        raise AttributeError(name)
    from .registry import missing_operator
    raise missing_operator("linalg_" + name)
