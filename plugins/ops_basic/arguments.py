"""Argument checks worded as PyTorch's argument parser words them, for the operators whose
PyTorch signature takes exactly an int (``cumsum(input, int dim)``, ``gather``, ``kthvalue``'s
`k`) or a tuple of ints (``roll``'s `shifts`): a list, a float or a str there is a TypeError
before any shape is looked at, as in PyTorch, not an IndexError about the range."""
from loom.plugin import normalize_dims


def int_arg(value, who: str, name: str, pos=None) -> int:
    """`value` as an int, or PyTorch's TypeError ``who(): argument 'name' (position pos) must be
    int, not float``; a bool is refused (PyTorch's parser does), an integer NumPy scalar or 0-dim
    integer tensor is taken."""
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        at = f" (position {pos})" if pos else ""
        raise TypeError(f"{who}(): argument '{name}'{at} must be int, not {type(value).__name__}")
    return value.__index__()


def one_dim(dim, ndim: int, who: str, pos=2) -> int:
    """An int `dim` of an `ndim`-dimensional input, non-negative (a 0-dim input has dims 0 and
    -1): TypeError for anything but an int, then PyTorch's IndexError out of range."""
    return normalize_dims(int_arg(dim, who, "dim", pos), ndim)[0]


def int_tuple(value, who: str, name: str, pos=None) -> tuple:
    """An int or a sequence of ints as a tuple, with PyTorch's TypeErrors for ``int[]``
    parameters (``roll``'s shifts and dims): a bare bool is refused, one inside a sequence is
    taken as PyTorch's parser takes it."""
    if isinstance(value, (list, tuple)):
        k = next((k for k, v in enumerate(value) if not hasattr(v, "__index__")), None)
        if k is not None:  # "pos" counts the items from 1
            raise TypeError(f"{who}(): argument '{name}' failed to unpack the object at pos "
                            f"{k + 1} with error \"type must be tuple of ints,but got "
                            f"{type(value[k]).__name__}\"")
        return tuple(v.__index__() for v in value)
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        at = f" (position {pos})" if pos else ""
        raise TypeError(f"{who}(): argument '{name}'{at} must be tuple of ints, not "
                        f"{type(value).__name__}")
    return (value.__index__(),)


def invalid_combination(who: str, *args) -> TypeError:
    """PyTorch's TypeError for arguments no overload of `who` takes (``movedim(x, 'a', 2)``)."""
    return TypeError(f"{who}() received an invalid combination of arguments - got (Tensor, "
                     f"{', '.join(type(a).__name__ for a in args)})")
