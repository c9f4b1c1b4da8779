"""More of PyTorch's Tensor surface that published code reaches for: the legacy constructor
`new`, `type_as`, the predicates and resolvers of features loom does not have (conjugate and
negative views, inference tensors, named tensors: each answers as an ordinary PyTorch CPU
tensor does), `sum_to_size`, the Python-callable loops `apply_`/`map_`, `fill_diagonal_`, and
`share_memory_`. `attach()` copies them onto `Tensor`, as `tensor_api` does for the rest."""
from __future__ import annotations

import numbers

import numpy as np

from . import dtypes as _dt
from .creation import tensor as _tensor
from .inplace import bump_version
from .registry import registry
from .tensor import Size, Tensor

__all__ = ["attach"]


def _call(name, *args, **kw):
    return registry.ops[name].call(*args, **kw)


def _sizes(args):
    """The sizes of a call ``f(2, 3)`` / ``f((2, 3))`` / ``f(Size([2, 3]))``."""
    return tuple(args[0]) if len(args) == 1 and isinstance(args[0], (tuple, list)) else args


def _check_self(name, self):
    if not isinstance(self, Tensor):
        raise TypeError(f"{name}(): argument 'self' must be Tensor, not {type(self).__name__}")


class _MoreAPI:
    def new(self, *args, device=None):
        """The legacy constructor: ``x.new(2, 3)`` an uninitialised tensor of those sizes,
        ``x.new([1, 2])`` one from data, ``x.new()`` an empty one; all in `x`'s dtype and
        device (data of another dtype is cast, as PyTorch does)."""
        dev = self.device if device is None else device
        if not args:
            return _call("empty", 0, dtype=self.dtype, device=dev)
        if len(args) == 1 and isinstance(args[0], Size):
            return _call("empty", *args[0], dtype=self.dtype, device=dev)
        if all(isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in args):
            return _call("empty", *args, dtype=self.dtype, device=dev)
        if len(args) == 1 and isinstance(args[0], Tensor):
            other = args[0]
            if other.dtype != self.dtype or other.device != dev:
                raise TypeError(f"expected TensorOptions(dtype={_c_name(self)}, device="
                                f"{dev}, ...) of the tensor passed to new(), got "
                                f"dtype={_c_name(other)}, device={other.device}")
            return other.detach()  # an alias of its data, as PyTorch's
        if len(args) == 1 and isinstance(args[0], (list, tuple)) or \
                len(args) == 1 and isinstance(args[0], np.ndarray):
            return _tensor(args[0], dtype=self.dtype, device=dev)
        if len(args) == 1 and isinstance(args[0], numbers.Number):
            raise TypeError(f"new(): data must be a sequence (got {type(args[0]).__name__})")
        raise TypeError(f"new() received an invalid combination of arguments - got "
                        f"({', '.join(type(a).__name__ for a in args)})")

    def type_as(self, other):
        """This tensor in `other`'s dtype and device (itself when they already match)."""
        if not isinstance(other, Tensor):
            raise TypeError(f"type_as(): argument 'other' (position 1) must be Tensor, not "
                            f"{type(other).__name__}")
        return self.to(dtype=other.dtype, device=other.device)

    def is_nonzero(self):
        """Whether the single value of this tensor is not zero (PyTorch's errors for more or
        fewer values)."""
        n = self.numel()
        if n == 0:
            raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
        if n > 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.item() != 0)

    def is_same_size(self, other):
        return tuple(self.shape) == tuple(other.shape)

    # loom has no lazily conjugated or negated views, no inference tensors, no names: each
    # tensor answers as an ordinary one does in PyTorch
    def is_conj(self):
        return False

    def is_neg(self):
        return False

    def is_inference(self):
        return False

    def resolve_conj(self):
        return self

    def resolve_neg(self):
        return self

    @property
    def name(self):
        return None

    @property
    def is_mps(self):
        return False

    @property
    def output_nr(self):
        """Which output of its node this tensor is (0 for a leaf)."""
        return self._edge[1] if self.grad_fn is not None else 0

    def dim_order(self):
        """The dimensions from the outermost in memory to the innermost (by stride)."""
        st = self.stride()
        return tuple(sorted(range(self.ndim), key=lambda d: -st[d]))

    def share_memory_(self):
        """PyTorch moves the storage into shared memory for `torch.multiprocessing`; loom's
        CPU arrays are passed to worker processes by pickling, so this returns the tensor."""
        return self

    def is_shared(self):
        return False  # (nothing is moved into shared memory; see share_memory_)

    def sum_to_size(self, *size):
        """Sum this tensor down to `size`, to which it must expand (the reverse of expand)."""
        size = tuple(_sizes(size))
        shape = tuple(self.shape)
        lead = len(shape) - len(size)
        if lead < 0 or any(s != 1 and s != d for s, d in zip(size, shape[lead:])):
            raise RuntimeError(f"size {{{list(size)}}} is not expandable to size "
                               f"{{{list(shape)}}}.")
        dims = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(size)
                                          if s == 1 and shape[lead + i] != 1)
        out = self.sum(dims, keepdim=True) if dims else self
        return out.reshape(size) if lead else out

    def apply_(self, callable):
        """Replace each element by ``callable(element)`` (a Python loop; CPU tensors that need
        no grad, as in PyTorch)."""
        return _python_loop("apply_", self, callable)

    def map_(self, other, callable):
        """Replace each element by ``callable(element, other's element)`` (`other` broadcast to
        this tensor's shape)."""
        if not isinstance(other, Tensor):
            raise TypeError(f"map_(): argument 'tensor' (position 1) must be Tensor, not "
                            f"{type(other).__name__}")
        return _python_loop("map_", self, callable, other)

    def fill_diagonal_(self, fill_value, wrap=False):
        """Write `fill_value` on the main diagonal (every dimension of equal length, or a tall
        matrix, whose diagonal restarts after a gap row when `wrap`)."""
        shape = tuple(self.shape)
        if len(shape) < 2:
            raise RuntimeError("dimensions must larger than 1")  # (PyTorch's words)
        if len(shape) > 2 and len(set(shape)) != 1:
            raise RuntimeError("all dimensions of input must be of equal length")
        if len(shape) == 2 and shape[0] > shape[1] and wrap:
            rows = [r for r in range(shape[0]) if r % (shape[1] + 1) != shape[1]]
            idx = (_tensor(rows), _tensor([r % (shape[1] + 1) for r in rows]))
        else:
            n = min(shape)
            idx = tuple(_tensor(list(range(n))) for _ in shape)
        self[idx] = fill_value
        return self


    def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
        """Fill with ``exp`` of normal samples (PyTorch's stream for the same seed)."""
        if not self.is_floating_point():
            raise NotImplementedError(f'"log_normal_cpu" not implemented for '
                                      f"'{_SCALAR.get(self.dtype.name, self.dtype.name)}'")
        if std <= 0:
            raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
        kw = {} if generator is None else {"generator": generator}
        return self.normal_(mean, std, **kw).exp_()

    def float_power_(self, exponent):
        """``float_power`` in place: the tensor must already be double (or complex double)."""
        if self.dtype is not _dt.float64 and self.dtype is not _dt.complex128:
            raise RuntimeError(f"the base given to float_power_ has dtype "
                               f"{_SCALAR.get(self.dtype.name, self.dtype.name)} but the "
                               f"operation's result requires dtype "
                               f"{'ComplexDouble' if self.is_complex() else 'Double'}")
        return self.copy_(_call("float_power", self, exponent))

    def unsafe_chunk(self, chunks, dim=0):
        return self.chunk(chunks, dim)

    def unsafe_split(self, split_size, dim=0):
        return self.split(split_size, dim)


_SCALAR = dict(float32="Float", float16="Half", bfloat16="BFloat16", int64="Long",
               int32="Int", int16="Short", int8="Char", uint8="Byte", bool="Bool",
               complex64="ComplexFloat")


def _c_name(t):
    return {"float32": "float", "float64": "double", "int64": "long int"}.get(
        str(t.dtype).replace("loom.", ""), str(t.dtype).replace("loom.", ""))


def _python_loop(name, self, fn, other=None):
    _check_self(name, self)
    if self.requires_grad:
        raise RuntimeError(f"Can't call {name}() on Variable that requires grad. Use "
                           f"var.detach().{name}() instead.")
    if self.device.type != "cpu":
        raise TypeError(f"{name}() is only implemented on CPU tensors")
    arr = self.numpy()
    flat = arr.reshape(-1) if arr.flags.c_contiguous else None
    if other is not None:
        o = np.broadcast_to(other.numpy(force=True), arr.shape)
        vals = [fn(a, b) for a, b in zip(arr.reshape(-1).tolist(), o.reshape(-1).tolist())]
    else:
        vals = [fn(a) for a in arr.reshape(-1).tolist()]
    new = np.asarray(vals).astype(arr.dtype).reshape(arr.shape)
    if flat is not None:
        arr[...] = new
    else:
        self.copy_(_tensor(new))
    bump_version(self)
    return self


def attach() -> None:
    """Copy the methods above onto `Tensor`."""
    for name, value in vars(_MoreAPI).items():
        if name not in ("__module__", "__qualname__", "__doc__", "__dict__", "__weakref__"):
            setattr(Tensor, name, value)
