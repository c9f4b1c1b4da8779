"""`loom.return_types`: the named tuples operators with several outputs return, as
``torch.return_types`` (``loom.max(x, dim=0)`` is ``return_types.max(values=..., indices=...)``).
"""
from __future__ import annotations

__all__ = ["structseq"]

_types: dict = {}


def structseq(name: str, fields: tuple) -> type:
    """The named-tuple class `name` with `fields`, made once and kept as an attribute of this
    module (``loom.return_types.max``)."""
    cls = _types.get((name, fields))
    if cls is None:
        def __new__(cls, *args, **kwargs):
            if len(args) == 1 and not kwargs and isinstance(args[0], (tuple, list)):
                args = tuple(args[0])  # PyTorch's return types take one sequence too
            return tuple.__new__(cls, _bind(name, fields, args, kwargs))

        def __repr__(self):
            body = ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self))
            return f"torch.return_types.{name}(\n{body})"

        ns = {"__new__": __new__, "__repr__": __repr__, "__slots__": (), "_fields": fields,
              "__module__": "loom.return_types", "__qualname__": name,
              "__reduce__": lambda self: (type(self), (tuple(self),)),
              "__doc__": f"The result of ``loom.{name}``: a tuple ({', '.join(fields)})."}
        for i, f in enumerate(fields):
            ns[f] = property(lambda self, i=i: tuple.__getitem__(self, i), doc=f"output {i}")
        cls = _types[(name, fields)] = type(name, (tuple,), ns)
        globals()[name] = cls
    return cls


def _bind(name, fields, args, kwargs):
    if len(args) + len(kwargs) != len(fields) or any(k not in fields for k in kwargs):
        raise TypeError(f"torch.return_types.{name} takes {len(fields)} values "
                        f"({', '.join(fields)})")
    values = list(args) + [kwargs[f] for f in fields[len(args):]]
    return values
