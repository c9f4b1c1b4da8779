"""`Parameter`: a tensor that a `Module` registers as one of its parameters.

A parameter is a plain loom `Tensor` (so the per-call path, which checks ``type(x) is Tensor``,
stays one type test) carrying PyTorch's ``_is_param`` flag: ``Parameter(data)`` returns a leaf
sharing `data`'s storage with the flag set, and ``isinstance(p, nn.Parameter)`` is true for it
(and for no other tensor) through the metaclass, as PyTorch's own metaclass does for flagged
tensors. The flag makes it print as "Parameter containing:" and survive deepcopy and pickling;
tensors derived from it (``p.data``, ``p.detach()``, ``p * 2``) are plain tensors."""
from __future__ import annotations

import loom

__all__ = ["Parameter", "Buffer", "is_parameter"]


def _marked(t) -> bool:
    return getattr(t, "_is_param", False)


class _ParameterMeta(type):
    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, loom.Tensor) and _marked(obj)

    def __subclasscheck__(cls, sub) -> bool:
        return type.__subclasscheck__(cls, sub)


class Parameter(metaclass=_ParameterMeta):
    """A tensor to be treated as a module parameter, as ``torch.nn.Parameter``: assigning one to
    a `Module` attribute registers it, and `Module.parameters` yields it. `data` (default: an
    empty tensor) is shared, not copied; the result is a leaf that requires grad unless
    ``requires_grad=False``."""

    def __new__(cls, data=None, requires_grad: bool = True):
        if data is None:
            data = loom.empty(0)
        if not isinstance(data, loom.Tensor):
            raise TypeError(f"Parameter(): data must be a Tensor, not {type(data).__name__}")
        t = data.detach()
        if requires_grad:
            if not (t.is_floating_point() or t.is_complex()):
                raise RuntimeError("Only Tensors of floating point and complex dtype can "
                                   "require gradients")
            t.requires_grad_(True)
        t._is_param = True
        return t


def is_parameter(t) -> bool:
    """Whether tensor `t` was made by `Parameter`."""
    return isinstance(t, loom.Tensor) and _marked(t)


class Buffer:
    """A marker for a tensor to register as a buffer when assigned to a `Module`
    (``torch.nn.Buffer``): ``self.running = nn.Buffer(t)`` equals
    ``self.register_buffer("running", t)``."""

    def __init__(self, data, persistent: bool = True):
        self.data = data
        self.persistent = persistent
