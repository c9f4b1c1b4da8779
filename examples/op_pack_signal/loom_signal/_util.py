"""Helpers the pack's kernels and backward rules share; each works on raw arrays (NumPy, CuPy)
and on loom tensors alike, so a backward rule written with them is recorded under
``create_graph=True``."""
from __future__ import annotations

from loom.plugin import xp_of

# PyTorch's names of dtypes, for its error messages ("not implemented for 'Long'")
TORCH_NAMES = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short",
               "int32": "Int", "int64": "Long", "float16": "Half", "bfloat16": "BFloat16",
               "float32": "Float", "float64": "Double", "complex64": "ComplexFloat",
               "complex128": "ComplexDouble"}


def dtype_name(x) -> str:
    """PyTorch's short name of the dtype of an array or tensor (``'Float'``)."""
    return TORCH_NAMES.get(str(x.dtype).replace("torch.", ""), str(x.dtype))


def pad_last(x, left: int, right: int):
    """`x` with `left` and `right` zeros added along its last dimension."""
    if not left and not right:
        return x
    z = xp_of(x).zeros_like(x[..., :1])
    return xp_of(x).concatenate([z] * left + [x] + [z] * right, -1)


def spread(x, step: int):
    """`x` with ``step - 1`` zeros between consecutive elements of its last dimension (the
    adjoint of taking every `step`-th element)."""
    if step == 1:
        return x
    xp = xp_of(x)
    n = x.shape[-1]
    z = xp.zeros_like(x)
    woven = xp.stack([x] + [z] * (step - 1), -1)
    return woven.reshape(tuple(x.shape[:-1]) + (n * step,))[..., :(n - 1) * step + 1]
