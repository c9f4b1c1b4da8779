"""`Variable`: the legacy wrapper of PyTorch before 0.4, kept for old code (the seeds)."""
from __future__ import annotations

import warnings

from ..tensor import Tensor, require_grad_at_creation, wrap

__all__ = ["Variable"]


class _VariableMeta(type):
    # every tensor is a Variable, as with PyTorch's metaclass: isinstance(t, Variable)
    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableMeta):
    """Legacy wrapper: ``Variable(t, requires_grad=True)`` returns a plain `Tensor` sharing
    `t`'s memory; every tensor is an instance of `Variable`.

    ``volatile`` is accepted with PyTorch's warning and has no effect."""

    def __new__(cls, data, requires_grad=False, volatile=False):
        return _variable(data, requires_grad, volatile)


def _variable(data, requires_grad, volatile):
    if volatile and requires_grad:
        raise ValueError("Variable can't be volatile and require_grad at the same time!")
    if volatile:
        warnings.warn("volatile was removed and now has no effect. Use `with torch.no_grad():` "
                      "instead.", UserWarning, stacklevel=3)
    if not isinstance(data, Tensor):
        raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
    t = wrap(data._data)
    if requires_grad:
        require_grad_at_creation(t)
    return t
