"""`Tensor`: a header (the backend array view) over a `Storage`, plus autograd state.

Slots set on every tensor: `_data` (the backend array), `_rg` (requires grad), `grad_fn`,
`_vc` (the version counter: a one-element list shared by a base and its views, or None
until a view or an in-place op needs one; `_version` reads it as an int),
`_grad` and `_base` (the tensor a view views). Slots used rarely (`_edge`, `_accum` (a leaf's
(AccumulateGrad, 0) edge; the node also holds the leaf's hooks), `_retain`, `_views` (weak
references to the views of a tensor with history), `_is_param` (set by `nn.Parameter`, as
PyTorch's flag of that name: such a tensor prints as a parameter and stays one through
deepcopy and pickling)) stay unset until needed: dispatch builds tensors with `object.__new__` and six stores, which is most of why a
10-element add costs less in loom than in PyTorch.

This module holds the class and what needs nothing above storage; `tensor_api` completes it
(device, conversion, printing, autograd entry points) and `methods` installs the operators.
"""
from __future__ import annotations

import warnings

from . import dtypes as _dt
from . import grad_mode
from .formats import strided as _strided
from .formats import dims_outermost_first
from .storage import layout_strides, storage_offset, strides_in_elements

__all__ = ["Tensor", "Size", "wrap", "wrap_output", "require_grad_at_creation"]

_new = object.__new__
_gs = grad_mode.state


class Size(tuple):
    """`Tensor.shape`: a tuple that prints as ``torch.Size([2, 3])``."""

    def __repr__(self) -> str:
        return f"torch.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    # slices, sums with tuples and repeats stay sizes, as PyTorch's do
    def __getitem__(self, key):
        r = tuple.__getitem__(self, key)
        return Size(r) if type(key) is slice else r

    def __add__(self, other):
        if not isinstance(other, tuple):
            raise TypeError(f"can only concatenate tuple (not {type(other).__name__}) to "
                            f"torch.Size")
        return Size(tuple.__add__(self, other))

    def __radd__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple.__add__(other, self))

    def __mul__(self, n):
        return Size(tuple.__mul__(self, n))

    __rmul__ = __mul__


def wrap(arr) -> "Tensor":
    """A tensor over backend array `arr` (no copy)."""
    t = _new(Tensor)
    t._data = arr
    t._rg = False
    t.grad_fn = None
    t._vc = None
    t._grad = None
    t._base = None
    return t


def wrap_output(node, arr, index=0):
    """A saved output, unpacked for create_graph: output `index` of `node`."""
    t = wrap(arr)
    t.grad_fn = node
    t._edge = (node, index)
    t._rg = True
    return t


class Tensor:
    """A multi-dimensional array with autograd, in PyTorch's programming model."""

    __slots__ = ("_data", "_rg", "grad_fn", "_vc", "_grad", "_base", "_edge", "_accum",
                 "_retain", "_views", "_is_param", "__weakref__")
    # NumPy defers to our reflected operators (`ndarray + tensor` is Tensor.__radd__); its
    # functions take tensors through __array__ and give tensors back through __array_wrap__
    __array_priority__ = 1000
    is_sparse = False
    is_quantized = False
    is_meta = False


    # ------------------------------------------------------------------ header
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim=None):
        """The shape as `torch.Size`, or the length of dimension `dim`."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[self._wrap_dim(dim)]

    def _wrap_dim(self, dim):
        n = self._data.ndim
        if not -max(n, 1) <= dim < max(n, 1):
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[{-max(n, 1)}, {max(n, 1) - 1}], but got {dim})")
        return dim % n if n else 0

    @property
    def dtype(self):
        return _dt.from_numpy_dtype(self._data.dtype)




    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return self._data.size

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    def stride(self, dim=None):
        s = layout_strides(self._data)
        return s if dim is None else s[self._wrap_dim(dim)]

    def storage_offset(self) -> int:
        return storage_offset(self._data)

    def is_contiguous(self, memory_format=None) -> bool:
        a = self._data
        if memory_format is None or memory_format.name in ("contiguous_format",
                                                            "preserve_format"):
            if a.flags.c_contiguous:
                return True
            order = range(a.ndim)
        else:
            order = dims_outermost_first(memory_format, a.ndim)
        # PyTorch ignores strides of size-1 dimensions
        expected, strides = 1, strides_in_elements(a)
        for d in reversed(order):
            if a.shape[d] != 1 and strides[d] != expected:
                return False
            expected *= a.shape[d]
        return True




    def data_ptr(self) -> int:
        from .storage import data_ptr
        return data_ptr(self._data)

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f" or self.dtype is _dt.bfloat16

    def is_complex(self) -> bool:
        return self._data.dtype.kind == "c"

    @property
    def layout(self):
        return _strided

    # ------------------------------------------------------------------ autograd state
    @property
    def requires_grad(self) -> bool:
        return self._rg

    @requires_grad.setter
    def requires_grad(self, flag):
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Set whether autograd records operations on this (leaf) tensor; returns self."""
        flag = bool(requires_grad)
        if self.grad_fn is not None:
            if not flag:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to "
                    "use a computed variable in a subgraph that doesn't require differentiation "
                    "use var_no_grad = var.detach().")
            return self
        if flag and self._data.dtype.kind not in "fc" and self.dtype is not _dt.bfloat16:
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self._rg = flag
        if flag and getattr(self, "_accum", None) is None:
            # the slot the recording path reads on leaves that require grad
            self._accum = None
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def grad(self):
        if self.grad_fn is not None and not getattr(self, "_retain", False):
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its "
                ".grad attribute won't be populated during autograd.backward(). If you indeed "
                "want the .grad field to be populated for a non-leaf Tensor, use .retain_grad() "
                "on the non-leaf Tensor.", UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad "
                                f"of type {type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError(f"assigned grad has data of a different size: "
                                   f"{list(value.shape)} vs {list(self.shape)}")
        self._grad = value

    @property
    def data(self) -> "Tensor":
        """A tensor sharing storage, detached from history, with its own version counter."""
        t = wrap(self._data)
        return t

    @data.setter
    def data(self, value):
        self._data = value._data

    def detach(self) -> "Tensor":
        """A tensor sharing storage (and version counter) with no history."""
        t = wrap(self._data)
        box = self._vc
        if box is None:
            box = self._vc = [0]
        t._vc = box
        return t

    def detach_(self) -> "Tensor":
        self.grad_fn = None
        self._rg = False
        return self





    @property
    def _version(self) -> int:
        """How many times this tensor's memory was written in place (shared with its views)."""
        box = self._vc
        return 0 if box is None else box[0]
































    __hash__ = object.__hash__


def require_grad_at_creation(t: Tensor) -> Tensor:
    """`requires_grad=True` given to a factory: PyTorch's error for a non-floating dtype."""
    if t._data.dtype.kind not in "fcV":
        raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                           "gradients")
    return t.requires_grad_(True)
