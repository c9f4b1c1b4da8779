"""`loom.special`: the special-functions namespace (``torch.special``).

It receives the functions operators declare under the ``special.`` prefix (an `OpSpec` with
``functions=("sigmoid", "special.expit")`` is installed here as ``loom.special.expit``); the
operators themselves come from a plugin (the bundled ``ops_basic``).
"""
from __future__ import annotations

__all__: list = []


def __getattr__(name):
    # reached only for names no operator installed here: say who would provide it
    if name.startswith("__"):
        raise AttributeError(name)
    from .registry import missing_operator
    raise missing_operator("special_" + name)
