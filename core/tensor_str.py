"""Render a NumPy array the way PyTorch's ``repr(tensor)`` does.

The rules below were worked out by printing tensors with PyTorch 2.13 under its default print
options (precision 4, threshold 1000, edgeitems 3, linewidth 80, automatic scientific mode)
and matching the output; `set_printoptions` changes them as PyTorch's does. The module depends only on NumPy and the standard library, so it
can be used before the rest of loom is importable.

Summary of the rules:

* One formatter is built for the whole tensor (for a summarized tensor, from the edge items
  that are actually shown), so every element gets the same width and columns line up.
  Complex tensors get two formatters, one for the real parts and one for the imaginary parts.
* Floats: only the finite non-zero values decide the style. If all of them are whole numbers
  the style is "integer" (``1.``); otherwise fixed with 4 decimals (``4.5000``). Scientific
  notation (``1.0000e-05``) is used when max/min > 1000 or max > 1e8, or, for non-integer
  data, when min < 1e-4. nan/inf take no part in the choice of style or width.
* Rows are wrapped so that a line holds ``(80 - indent) // (width + 2)`` elements.
* Tensors with more than 1000 elements show only 3 items at each end of every long dim.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["format_tensor", "set_printoptions", "get_printoptions"]


class _PrintOptions:
    """The print options `set_printoptions` changes (PyTorch's defaults to start with)."""

    precision = 4
    threshold = 1000
    edgeitems = 3
    linewidth = 80
    sci_mode = None  # None: chosen per tensor; True/False: forced


_OPTS = _PrintOptions()
_PROFILES = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80),
             "full": (4, math.inf, 3, 80)}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None) -> None:
    """PyTorch's print options: digits after the point (`precision`), the element count
    above which a tensor is summarised (`threshold`) with `edgeitems` items at each end, the
    line width, a `profile` ("default", "short", "full") setting all four, and `sci_mode`
    (True/False forces scientific notation on or off, None lets each tensor choose)."""
    if profile in _PROFILES:  # another profile is ignored, as PyTorch ignores it
        _OPTS.precision, _OPTS.threshold, _OPTS.edgeitems, _OPTS.linewidth = \
            _PROFILES[profile]
    if precision is not None:
        _OPTS.precision = precision
    if threshold is not None:
        _OPTS.threshold = threshold
    if edgeitems is not None:
        _OPTS.edgeitems = edgeitems
    if linewidth is not None:
        _OPTS.linewidth = linewidth
    _OPTS.sci_mode = sci_mode


def get_printoptions() -> dict:
    """The current print options, as `set_printoptions` takes them."""
    return {"precision": _OPTS.precision, "threshold": _OPTS.threshold,
            "edgeitems": _OPTS.edgeitems, "linewidth": _OPTS.linewidth,
            "sci_mode": _OPTS.sci_mode}


_PREFIX = "tensor("

# Dtypes whose name torch never prints for a non-empty tensor, because a literal of
# that kind already implies them (``tensor([1, 2])`` is int64, ``tensor([True])`` bool).
_IMPLIED_DTYPES = ("int64", "bool")


class _Formatter:
    """Fixed-width formatting of the elements of one real-valued (or bool/int) array."""

    def __init__(self, values: np.ndarray):
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        flat = values.reshape(-1)
        if not self.floating:
            # Ints and bools print as Python's str(); the widest one sets the column width.
            for v in flat.tolist():
                self.width = max(self.width, len(str(v)))
            return
        # Work in float64: the float32 value printed through Python's float formatting is
        # what torch shows (it formats ``tensor.item()``, a Python float).
        flat = flat.astype(np.float64)
        vals = flat[np.isfinite(flat) & (flat != 0)]
        if vals.size == 0:
            return  # only zeros / nan / inf: integer style, width 1 (no padding at all)
        mags = np.abs(vals)
        lo, hi = float(mags.min()), float(mags.max())
        self.int_mode = bool(np.all(vals == np.ceil(vals)))
        wide_range = hi / lo > 1000.0 or hi > 1.0e8
        if self.int_mode:
            self.sci_mode = wide_range
        else:
            self.sci_mode = wide_range or lo < 1.0e-4
        if _OPTS.sci_mode is not None:
            self.sci_mode = _OPTS.sci_mode
        if self.sci_mode:
            spec = f".{_OPTS.precision}e"
        elif self.int_mode:
            spec = ".0f"
        else:
            spec = f".{_OPTS.precision}f"
        self.width = max(len(format(v, spec)) for v in vals.tolist())
        if self.int_mode and not self.sci_mode:
            self.width += 1  # room for the trailing "." of "1."

    def format(self, value) -> str:
        """One element, right-aligned to the shared width (never truncated)."""
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = format(value, f".{_OPTS.precision}e")
        elif self.int_mode:
            text = format(value, ".0f")
            if math.isfinite(value):
                text += "."
        else:
            text = format(value, f".{_OPTS.precision}f")
        return text.rjust(self.width)


class _ComplexFormatter:
    """Real and imaginary parts formatted independently, glued as ``a+bj``."""

    def __init__(self, values: np.ndarray):
        self.real = _Formatter(values.real)
        self.imag = _Formatter(values.imag)
        # An element takes both widths plus the "j"; the sign of the imaginary part
        # fits into its own padding (or replaces the "+").
        self.width = self.real.width + self.imag.width + 1

    def format(self, value: complex) -> str:
        re = self.real.format(value.real)
        im = (self.imag.format(value.imag) + "j").lstrip()
        # The imaginary formatter only emits a sign for negatives (incl. -0.); add "+".
        return re + im if im[0] in "+-" else re + "+" + im


def _summarized(arr: np.ndarray) -> np.ndarray:
    """Keep only the edge items of every dimension longer than 2 * edgeitems."""
    for axis, n in enumerate(arr.shape):
        if n > 2 * _OPTS.edgeitems:
            keep = list(range(_OPTS.edgeitems)) + list(range(n - _OPTS.edgeitems, n))
            arr = np.take(arr, keep, axis=axis)
    return arr


def _edge_indices(n: int, summarize: bool):
    """Indices shown along a dim; ``None`` marks where the ellipsis goes."""
    if summarize and n > 2 * _OPTS.edgeitems:
        return list(range(_OPTS.edgeitems)) + [None] + list(range(n - _OPTS.edgeitems, n))
    return list(range(n))


def _vector_str(row: np.ndarray, indent: int, summarize: bool, fmt) -> str:
    """A 1-D row, wrapped so each line holds a whole number of equally wide elements."""
    per_line = max(1, (_OPTS.linewidth - indent) // (fmt.width + 2))
    items = row.tolist()
    # The ellipsis is an element of its own (" ..." aligns it after ", ").
    data = [" ..." if i is None else fmt.format(items[i])
            for i in _edge_indices(len(items), summarize)]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(arr: np.ndarray, indent: int, summarize: bool, fmt) -> str:
    """Recursive bracket nesting; a dim-d block is separated by d-1 newlines."""
    if arr.ndim == 0:
        return fmt.format(arr.item())
    if arr.ndim == 1:
        return _vector_str(arr, indent, summarize, fmt)
    parts = ["..." if i is None else _nested_str(arr[i], indent + 1, summarize, fmt)
             for i in _edge_indices(arr.shape[0], summarize)]
    return "[" + ("," + "\n" * (arr.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _data_str(arr: np.ndarray, indent: int) -> str:
    """The bracketed body (or bare scalar) of a non-empty array."""
    kind = arr.dtype.kind
    if kind not in "biufc":
        arr = arr.astype(np.float32)  # bfloat16 (ml_dtypes) and friends print as float
        kind = "f"
    elif kind == "f" and arr.dtype.itemsize < 4:
        arr = arr.astype(np.float32)  # torch promotes half to float before printing
    summarize = arr.size > _OPTS.threshold
    shown = _summarized(arr) if summarize else arr
    fmt = _ComplexFormatter(shown) if kind == "c" else _Formatter(shown)
    return _nested_str(arr, indent, summarize, fmt)


def _join_suffixes(body: str, suffixes: list[str], indent: int) -> str:
    """Append ``, suffix`` items, moving one to a new line when the line would pass 80.

    Torch measures the current line as ``len(body) - body.rfind("\\n") + 1``, i.e. two
    more than its real length, and then demands room for ", " + suffix. After a suffix is
    moved to its own line the count becomes exact (indent + suffix). Reproducing this
    accounting exactly is what makes the line breaks agree with torch.
    """
    out = [body]
    line_len = len(body) - body.rfind("\n") + 1
    for suffix in suffixes:
        if line_len + len(suffix) + 2 > _OPTS.linewidth:
            out.append(",\n" + " " * indent + suffix)
            line_len = indent + len(suffix)
        else:
            out.append(", " + suffix)
            line_len += len(suffix) + 2
    out.append(")")
    return "".join(out)


def format_tensor(arr, *, dtype_name: str, is_default_float: bool,
                  suffixes: list[str]) -> str:
    """Return the PyTorch-style ``repr`` of ``arr``, e.g. ``tensor([1., 2.], requires_grad=True)``.

    ``dtype_name`` is loom's dtype name ("float32", "int64", ...); it is printed as
    ``dtype=torch.<name>`` when torch would print it. ``is_default_float`` tells whether the
    dtype is the default one: for real floats, "is the default float dtype"; for complex
    dtypes, "is the default complex dtype" (complex64 while the default float is float32,
    complex128 while it is float64) -- torch hides those two the same way.
    ``suffixes`` are pre-formatted extras ("device='cuda:0'", "grad_fn=<MulBackward0>",
    "requires_grad=True"). Torch's order is device, size (empty tensors only), dtype, then
    autograd info, so device items are moved to the front and the others keep their order.
    """
    arr = np.asarray(arr)
    indent = len(_PREFIX)
    device = [s for s in suffixes if s.startswith("device=")]
    extra = [s for s in suffixes if not s.startswith("device=")]
    meta = []
    is_real_float = dtype_name in ("float16", "bfloat16", "float32", "float64")
    # The flag only means something for float and complex dtypes.
    is_default_float = is_default_float and (is_real_float or dtype_name.startswith("complex"))
    if arr.size == 0:
        # No elements to infer a dtype from, so torch shows every dtype but the default
        # float one (int64, bool and the default complex included), and any shape but (0,).
        if arr.ndim != 1:
            meta.append("size=" + str(tuple(int(n) for n in arr.shape)))
        if not (is_default_float and is_real_float):
            meta.append("dtype=torch." + dtype_name)
        body = "[]"
    else:
        if not is_default_float and dtype_name not in _IMPLIED_DTYPES:
            meta.append("dtype=torch." + dtype_name)
        body = _data_str(arr, indent)
    return _join_suffixes(_PREFIX + body, device + meta + extra, indent)
