"""`Tensor`: a header (the backend array view) over a `Storage`, plus autograd state.

Slots set on every tensor: `_data` (the backend array), `_rg` (requires grad), `grad_fn`,
`_version` (a shared one-element list, or None until a view or an in-place op needs one),
`_grad` and `_base` (the tensor a view views). Slots used rarely (`_edge`, `_accum` (a leaf's
(AccumulateGrad, 0) edge), `_hooks`,
`_retain`) stay unset until needed: dispatch builds tensors with `object.__new__` and six
stores, which is most of why a 10-element add costs less in loom than in PyTorch.
"""
from __future__ import annotations

import warnings

import numpy as np

from . import backends, dispatch, engine, grad_mode
from . import inplace as _inplace
from . import promotion as _promotion
from . import dtypes as _dt
from .device import device as _device
from . import graph as _graph
from .registry import missing_operator, registry
from .storage import (TypedStorage, UntypedStorage, layout_strides, storage_offset,
                      strides_in_elements)

__all__ = ["Tensor", "Size", "wrap", "device_unavailable"]

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


_ONES: dict = {}  # (shape, dtype) -> read-only ones, the implicit gradient of a scalar


def wrap(arr) -> "Tensor":
    """A tensor over backend array `arr` (no copy)."""
    t = _new(Tensor)
    t._data = arr
    t._rg = False
    t.grad_fn = None
    t._version = None
    t._grad = None
    t._base = None
    return t


def _wrap_output(node, arr):
    """A saved output, unpacked for create_graph: a tensor whose history is `node`."""
    t = wrap(arr)
    t.grad_fn = node
    t._edge = (node, 0)
    t._rg = True
    return t


def device_unavailable(dev):
    """The error for a device no loaded backend can serve, naming the plugin and extra."""
    from .plugins import status_of

    be = backends.backends.get(dev.type)
    if dev.type == "cuda":
        reason = be.unavailable_reason() if be is not None else \
            f"the device_cuda plugin {status_of('device_cuda')}"
        return RuntimeError(
            f"CUDA is not available: {reason}. Install loom with the 'cuda' extra "
            f"(pip install 'loom-tensor[cuda]') on a machine with an NVIDIA GPU.")
    if be is not None:
        return RuntimeError(f"device '{dev}' is not available: {be.unavailable_reason()}")
    return RuntimeError(f"no loaded plugin provides device type '{dev.type}' "
                        f"(loaded device types: {', '.join(sorted(backends.backends))})")


def _host(arr):
    be = backends.backend_of(arr)
    return arr if be.type == "cpu" else be.to_host(arr)


class Tensor:
    """A multi-dimensional array with autograd, in PyTorch's programming model."""

    __slots__ = ("_data", "_rg", "grad_fn", "_version", "_grad", "_base", "_edge", "_accum",
                 "_hooks", "_retain", "__weakref__")
    __array_priority__ = 1000  # NumPy defers to our reflected operators
    __array_ufunc__ = None
    is_sparse = False
    is_quantized = False
    is_meta = False

    def __new__(cls, *args, dtype=None, device=None):
        """Legacy constructor: ``Tensor(5, 3)`` (uninitialised, here zeros), ``Tensor([1, 2])``
        (float32 data), ``Tensor()`` (empty), ``Tensor(ndarray)``."""
        dt = dtype or _dt.get_default_dtype()
        if not args:
            return _factory("zeros")(0, dtype=dt, device=device)
        if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
            src = args[0]
            if isinstance(src, (float, complex, bool)):
                raise TypeError(f"new(): data must be a sequence (got {type(src).__name__})")
            if isinstance(src, Tensor):
                return src
            from .creation import tensor
            t = tensor(src, dtype=dt, device=device)
        else:
            for a in args:
                if not isinstance(a, (int, np.integer)):
                    raise TypeError(f"new(): argument 'size' must be tuple of ints, but found "
                                    f"element of type {type(a).__name__}")
            t = _factory("zeros")(*args, dtype=dt, device=device)
        if cls is not Tensor:
            raise TypeError("loom.Tensor cannot be subclassed yet")
        return t

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
    def device(self):
        return backends.backend_of(self._data).device_of(self._data)

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def is_cpu(self) -> bool:
        return self.device.type == "cpu"

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
        if a.flags.c_contiguous:
            return True
        # PyTorch ignores strides of size-1 dimensions
        expected = 1
        for size, st in zip(reversed(a.shape), reversed(strides_in_elements(a))):
            if size != 1 and st != expected:
                return False
            expected *= size
        return True

    def contiguous(self, memory_format=None) -> "Tensor":
        """Self when already contiguous, else a contiguous copy (differentiable)."""
        if self.is_contiguous():
            return self
        return _factory("contiguous")(self)

    def untyped_storage(self) -> UntypedStorage:
        from .storage import root_of
        return UntypedStorage(root_of(self._data), self.device)

    def storage(self) -> TypedStorage:
        from .storage import root_of
        return TypedStorage(root_of(self._data), self.device)

    def data_ptr(self) -> int:
        from .storage import data_ptr
        return data_ptr(self._data)

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f" or self.dtype is _dt.bfloat16

    def is_complex(self) -> bool:
        return self._data.dtype.kind == "c"

    @property
    def layout(self):
        return "torch.strided"

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
            # slots the backward path reads on leaves that require grad
            self._accum = None
            self._hooks = None
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
        box = self._version
        if box is None:
            box = self._version = [0]
        t._version = box
        return t

    def detach_(self) -> "Tensor":
        self.grad_fn = None
        self._rg = False
        return self

    def retain_grad(self) -> None:
        """Keep `.grad` for this non-leaf tensor after backward."""
        if self.grad_fn is None:
            if not self._rg:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        if getattr(self, "_retain", False):
            return
        self._retain = True
        me = self

        def keep(g):
            if _gs.enabled and g.grad_fn is not None:
                me._grad = g if me._grad is None else me._grad + g
            else:
                me._grad = wrap(g._data.copy()) if me._grad is None else \
                    wrap(me._grad._data + g._data)
        self._hook_on_edge(keep)

    @property
    def retains_grad(self) -> bool:
        return getattr(self, "_retain", False)

    def register_hook(self, hook):
        """`hook(grad) -> Tensor or None` runs when this tensor's gradient is computed."""
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is None:
            hooks = self._hooks
            if hooks is None:
                hooks = self._hooks = []
            hooks.append(hook)
            from .graph import _Handle
            return _Handle(hooks, hook)
        return self._hook_on_edge(hook)

    def _hook_on_edge(self, hook):
        from .graph import _Handle
        node, nr = self._edge
        per_node = engine.pre_hooks.setdefault(node, {})
        lst = per_node.setdefault(nr, [])
        lst.append(hook)
        return _Handle(lst, hook)

    @property
    def _version_count(self) -> int:
        return 0 if self._version is None else self._version[0]

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Compute the gradient of this tensor w.r.t. graph leaves (see `loom.autograd.backward`)."""
        if gradient is None and inputs is None and not create_graph and self.grad_fn is not None:
            # fast path for the common `loss.backward()`
            a = self._data
            if a.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if a.dtype.kind not in "fV":  # V: bfloat16 (ml_dtypes)
                raise RuntimeError(f"grad can be implicitly created only for real scalar "
                                   f"outputs but got {self.dtype}")
            if type(a) is np.ndarray:
                # A shared read-only one: nothing writes into incoming gradients, and the
                # engine copies an array that is referenced elsewhere before keeping it.
                g = _ONES.get((a.shape, a.dtype))
                if g is None:
                    g = _ONES[(a.shape, a.dtype)] = np.ones(a.shape, a.dtype)
                    g.flags.writeable = False
            else:
                g = backends.backend_of(a).xp.ones(a.shape, a.dtype)
            engine.run_backward((self._edge,), (g,), bool(retain_graph), False)
            return
        from .autograd import backward
        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    # ------------------------------------------------------------------ conversion
    def item(self):
        """The value of a one-element tensor as a Python number."""
        a = self._data
        if a.size != 1:
            raise RuntimeError(f"a Tensor with {a.size} elements cannot be converted to Scalar")
        return _host(a).reshape(()).item()

    def tolist(self):
        return _host(self._data).tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The data as a NumPy array sharing memory (CPU tensors that don't require grad)."""
        if self._rg and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        if self.device.type != "cpu":
            if force:
                return _host(self._data)
            raise TypeError(f"can't convert {self.device} device type tensor to numpy. Use "
                            "Tensor.cpu() to copy the tensor to host memory first.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        a = self.numpy() if not self._rg else self.detach().numpy()
        return a if dtype is None else a.astype(dtype)

    def cpu(self) -> "Tensor":
        return self.to("cpu")

    def cuda(self, device=None, non_blocking=False) -> "Tensor":
        return self.to(_device("cuda", device) if isinstance(device, int) else
                       _device(device if device is not None else "cuda"))

    def to(self, *args, **kwargs) -> "Tensor":
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)``; copies only when
        something changes; differentiable."""
        dev = kwargs.pop("device", None)
        dt = kwargs.pop("dtype", None)
        kwargs.pop("non_blocking", None)
        copy = kwargs.pop("copy", False)
        for a in args:
            if isinstance(a, _dt.dtype):
                dt = a
            elif isinstance(a, Tensor):
                dev, dt = a.device, a.dtype
            elif isinstance(a, (str, _device)):
                dev = a
            elif a is not None:
                raise TypeError(f"to() received an invalid combination of arguments - got "
                                f"{type(a).__name__}")
        r = self
        if dev is not None:
            dev = _device(dev)
            if dev != self.device and not (dev.index is None and dev.type == self.device.type):
                r = _factory("_to_device")(r, device=str(dev))
        if dt is not None and dt is not r.dtype:
            r = _factory("_to_dtype")(r, dtype=dt)
        if copy and r is self:
            r = r.clone()
        return r

    def type(self, dtype=None):
        if dtype is None:
            dt = self.dtype
            return f"torch.{'cuda.' if self.is_cuda else ''}{dt.legacy or dt.name}"
        if isinstance(dtype, str):
            name = dtype.rsplit(".", 1)[-1]
            dtype = next(d for d in _dt.ALL if d.legacy == name)
        elif isinstance(getattr(dtype, "dtype", None), _dt.dtype):  # FloatTensor & co.
            dtype = dtype.dtype
        return self.to(dtype)

    def float(self):
        return self.to(_dt.float32)

    def double(self):
        return self.to(_dt.float64)

    def half(self):
        return self.to(_dt.float16)

    def long(self):
        return self.to(_dt.int64)

    def int(self):
        return self.to(_dt.int32)

    def short(self):
        return self.to(_dt.int16)

    def char(self):
        return self.to(_dt.int8)

    def byte(self):
        return self.to(_dt.uint8)

    def bool(self):
        return self.to(_dt.bool)

    def bfloat16(self):
        return self.to(_dt.bfloat16)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        from .creation import tensor
        return tensor(data, dtype=dtype or self.dtype, device=device or self.device,
                      requires_grad=requires_grad)

    # ------------------------------------------------------------------ Python protocol
    def __repr__(self) -> str:
        from .tensor_str import format_tensor
        suffixes = []
        dev = self.device
        if dev.type != "cpu":
            suffixes.append(f"device='{dev}'")
        if self.grad_fn is not None:
            suffixes.append(f"grad_fn=<{self.grad_fn.name()}>")
        elif self._rg:
            suffixes.append("requires_grad=True")
        dt = self.dtype
        a = _host(self._data)
        if dt is _dt.bfloat16:
            a = a.astype(np.float32)
        return format_tensor(a, dtype_name=dt.name,
                             is_default_float=dt is _dt.get_default_dtype() or
                             dt is _dt.get_default_dtype().to_complex(), suffixes=suffixes)

    __str__ = __repr__

    def __format__(self, spec):
        if self._data.ndim == 0:
            return format(self.item(), spec)
        return format(repr(self), spec)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        for i in range(self._data.shape[0]):
            yield self[i]

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.item())

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __complex__(self) -> complex:
        return complex(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self.item())

    __hash__ = object.__hash__

    def __contains__(self, element) -> bool:
        return bool((self == element).any())

    def __getattr__(self, name):
        # Only reached for names no registered operator provides (operators are installed as
        # methods); say which plugin would provide it.
        if name.startswith("__") or name in Tensor.__slots__:
            raise AttributeError(name)
        raise missing_operator(name)

    def __reduce_ex__(self, proto):
        return (_rebuild, (_host(self._data), self._rg))

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol at the moment.")
        t = wrap(self._data.copy())
        if self._rg:
            t.requires_grad_(True)
        memo[id(self)] = t
        return t


def _rebuild(arr, rg):
    t = wrap(arr)
    if rg:
        t.requires_grad_(True)
    return t


def _factory(name):
    op = registry.ops.get(name)
    if op is None:
        raise missing_operator(name)
    return op.call


dispatch.Tensor = Tensor
dispatch.wrap = wrap
_inplace.Tensor = Tensor
_promotion.Tensor = Tensor
_graph._tensor_type[0] = Tensor
engine.wrap = wrap
engine.wrap_output = _wrap_output
engine.tensor_type = Tensor
