"""The rest of `Tensor`: device placement, conversion, printing, the Python protocol and the
autograd entry points (`backward`, hooks).

These need the layers above the class (backends, the engine, the registry), so they are
defined here and attached to `Tensor` once, when `loom` is imported; the class itself sits low
so that dispatch and the engine can build tensors directly.
"""
from __future__ import annotations

import warnings
import weakref

import numpy as np

from . import backends, engine
from . import dtypes as _dt
from .backends import device_unavailable, host_array as _host
from .device import device as _device
from .recording import edge_of as _edge_of
from .graph import _Handle, hooks_of
from .registry import missing_operator, registry
from .inplace import bump_version as _bump_version, write_into as _write_into
from .tensor_str import format_tensor
from .storage import TypedStorage, UntypedStorage, data_ptr, root_of
from .tensor import Size, Tensor, wrap
from . import grad_mode
from .autograd.gradients import backward as _autograd_backward
from .creation import tensor as _tensor_from_data

__all__ = ["attach"]

_gs = grad_mode.state
_ONES: dict = {}  # (shape, dtype) -> read-only ones, the implicit gradient of a scalar


def _accelerator_type() -> str:
    """The device type a bare index means: the first available device type besides cpu
    (PyTorch's current accelerator), "cuda" when there is none."""
    for t, be in sorted(backends.backends.items()):
        if t != "cpu" and backends.available(be):
            return t
    return "cuda"


def _pinning_backend(device=None):
    """The backend that pins host memory for `device` (None: the current accelerator)."""
    t = _device(device).type if device is not None else _accelerator_type()
    be = backends.backends.get(t)
    if t == "cpu" or be is None or not backends.available(be):
        raise RuntimeError("Cannot access accelerator device when none is available.")
    return be


class _TensorAPI:
    """Holder of the methods `attach` copies onto `Tensor` (never instantiated)."""

    def __new__(cls, *args, dtype=None, device=None):
        """Legacy constructor: ``Tensor(5, 3)`` (uninitialised, here zeros), ``Tensor([1, 2])``
        (float32 data), ``Tensor()`` (empty), ``Tensor(ndarray)``. On the CPU unless `device`
        says otherwise: the default device does not move it, as in PyTorch."""
        dt = dtype or _dt.get_default_dtype()
        if device is None:
            device = "cpu"
        if not args:
            return _factory("zeros")(0, dtype=dt, device=device)
        if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
            src = args[0]
            if isinstance(src, (float, complex, bool)):
                raise TypeError(f"new(): data must be a sequence (got {type(src).__name__})")
            if isinstance(src, Tensor):
                return src
            t = _tensor_from_data(src, dtype=dt, device=device)
        else:
            for a in args:
                if not isinstance(a, (int, np.integer)):
                    raise TypeError(f"new(): argument 'size' must be tuple of ints, but found "
                                    f"element of type {type(a).__name__}")
            t = _factory("zeros")(*args, dtype=dt, device=device)
        if cls is not Tensor:
            raise TypeError("loom.Tensor cannot be subclassed yet")
        return t

    @property
    def device(self):
        return backends.backend_of(self._data).device_of(self._data)

    @property
    def real(self) -> "Tensor":
        """The real part (a view; the tensor itself when it is real)."""
        return _factory("real")(self)

    @property
    def imag(self) -> "Tensor":
        """The imaginary part of a complex tensor (a view)."""
        return _factory("imag")(self)

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def is_cpu(self) -> bool:
        return self.device.type == "cpu"

    def contiguous(self, memory_format=None) -> "Tensor":
        """Self when already contiguous in `memory_format` (C order by default;
        ``loom.channels_last``: NHWC), else a copy in it (differentiable)."""
        if self.is_contiguous(memory_format):
            return self
        return _factory("contiguous")(self, memory_format=memory_format)

    def untyped_storage(self) -> UntypedStorage:
        return UntypedStorage(root_of(self._data), self.device)

    def storage(self) -> TypedStorage:
        return TypedStorage(root_of(self._data), self.device)

    def retain_grad(self) -> None:
        """Keep `.grad` for this non-leaf tensor after backward."""
        if self.grad_fn is None:
            if not self._rg:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        if getattr(self, "_retain", False):
            return
        self._retain = True
        node, nr = self._edge
        # weakly: the node must not keep alive the tensor that holds the node
        hooks_of(node).retain[nr] = weakref.ref(self)

    @property
    def retains_grad(self) -> bool:
        return getattr(self, "_retain", False)

    def register_hook(self, hook):
        """`hook(grad) -> Tensor or None` runs when this tensor's gradient is computed; a
        returned tensor replaces the gradient. Returns a handle whose `remove()` undoes it."""
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        node, nr = _edge_of(self)
        lst = hooks_of(node).tensor.setdefault(nr, [])
        lst.append(hook)
        return _Handle(lst, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """`hook(tensor)` runs after this leaf's `.grad` has been updated by backward."""
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                               "tensors")
        node = _edge_of(self)[0]
        lst = hooks_of(node).post_acc
        lst.append(hook)
        return _Handle(lst, hook)

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
        _autograd_backward(self, gradient, retain_graph, create_graph, inputs=inputs)

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
        """The data as a NumPy array sharing memory: CPU tensors that don't require grad, or
        any under `no_grad` (as PyTorch); ``force=True`` detaches and copies to the host."""
        if self._rg and not force and _gs.enabled:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        if self.device.type != "cpu":
            if force:
                return _host(self._data)
            raise TypeError(f"can't convert {self.device} device type tensor to numpy. Use "
                            "Tensor.cpu() to copy the tensor to host memory first.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        if dtype is not None and a.dtype != dtype:
            return a.astype(dtype)
        return a.copy() if copy else a

    def __array_wrap__(self, array, context=None, return_scalar=False):
        # NumPy functions of a tensor give a tensor (np.sin(t), a 0-dim one too), as PyTorch's
        return wrap(array if type(array) is np.ndarray else np.asarray(array))

    def __dlpack__(self, stream=None, **kwargs):
        """DLPack export (zero-copy): `numpy.from_dlpack(t)`, `torch.from_dlpack(t)`."""
        if self._rg and _gs.enabled:
            raise RuntimeError("Can't export tensors that require gradient, use "
                               "tensor.detach()")
        a = self._data
        if stream is not None:
            kwargs["stream"] = stream
        return a.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    def is_signed(self) -> bool:
        """Whether the dtype is a signed type (floating types included), as PyTorch."""
        return self.dtype.is_signed

    def cfloat(self):
        return self.to(_dt.complex64)

    def cdouble(self):
        return self.to(_dt.complex128)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        """Zeros of `size`, with this tensor's dtype and device unless given."""
        return _factory("zeros")(*size, dtype=dtype or self.dtype, device=device or self.device,
                                 requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        """Ones of `size`, with this tensor's dtype and device unless given."""
        return _factory("ones")(*size, dtype=dtype or self.dtype, device=device or self.device,
                                requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        """An uninitialised tensor of `size` (zeros in loom), this tensor's dtype and device."""
        return _factory("empty")(*size, dtype=dtype or self.dtype, device=device or self.device,
                                 requires_grad=requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        """`fill_value` of `size`, with this tensor's dtype and device unless given."""
        return _factory("full")(size, fill_value, dtype=dtype or self.dtype,
                                device=device or self.device, requires_grad=requires_grad)

    def copy_(self, src, non_blocking=False):
        """Copy `src` (broadcast, cast, moved to this device) into this tensor; returns self."""
        if not isinstance(src, Tensor):
            raise TypeError(f"copy_(): argument 'src' (position 1) must be Tensor, not "
                            f"{type(src).__name__}")
        if src.device != self.device:
            src = src.to(self.device)
        if src.dtype is not self.dtype:
            src = src.to(self.dtype)
        ss, ts = src._data.shape, self._data.shape
        if ss != ts:
            try:
                ok = np.broadcast_shapes(ss, ts) == ts
            except ValueError:
                ok = False
            if not ok:
                n = max(len(ss), len(ts))
                for i in range(1, n + 1):
                    a, b = (ts[-i] if i <= len(ts) else 1), (ss[-i] if i <= len(ss) else 1)
                    if a != b and b != 1:
                        raise RuntimeError(f"The size of tensor a ({a}) must match the size of "
                                           f"tensor b ({b}) at non-singleton dimension {n - i}")
        if _gs.enabled and (self._rg or src._rg):
            self[...] = src  # recorded (IndexPutBackward): the gradient reaches src
            return self
        _write_into("copy_", self, src._data)
        _bump_version(self)
        return self

    def cpu(self, memory_format=None) -> "Tensor":
        """This tensor on the CPU (itself when it is there already)."""
        return self.to("cpu")

    def cuda(self, device=None, non_blocking=False, memory_format=None) -> "Tensor":
        """This tensor on CUDA device `device` (an index, ``"cuda:1"``; None: the current
        one). Without CuPy or a GPU it raises, naming the extra to install."""
        if device is None:
            dev = _device("cuda")
        elif isinstance(device, int) and not isinstance(device, bool):
            dev = _device("cuda", device)
        else:
            dev = _device(device)
            if dev.type != "cuda":
                raise RuntimeError(f"Invalid device, must be cuda device, got {dev}")
        return self.to(dev, non_blocking=non_blocking)

    def to(self, *args, **kwargs) -> "Tensor":
        """``to(dtype)``, ``to(device, dtype=None, non_blocking=False, copy=False)``,
        ``to(other)``; copies only when something changes (or `copy`); differentiable.
        `non_blocking` is accepted: loom's transfers complete before they return."""
        dev = kwargs.pop("device", None)
        dt = kwargs.pop("dtype", None)
        non_blocking = kwargs.pop("non_blocking", False)
        copy = kwargs.pop("copy", False)
        fmt = kwargs.pop("memory_format", None)
        if fmt is not None and fmt.name not in ("preserve_format", "contiguous_format"):
            r = self.to(*args, **kwargs, device=dev, dtype=dt, non_blocking=non_blocking,
                        copy=copy)
            return r.contiguous(memory_format=fmt)
        if kwargs:
            raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kwargs))}'")
        flags = []
        for a in args:
            if isinstance(a, _dt.dtype):
                dt = a
            elif isinstance(a, Tensor):
                dev, dt = a.device, a.dtype
            elif isinstance(a, (str, _device)):
                dev = a
            elif isinstance(a, bool):  # to(device, dtype, non_blocking, copy)
                flags.append(a)
            elif isinstance(a, int):  # an index means the current accelerator's device
                dev = _device(_accelerator_type(), a)
            elif a is not None:
                raise TypeError(f"to() received an invalid combination of arguments - got "
                                f"{type(a).__name__}")
        if len(flags) > 2:
            raise TypeError("to() received an invalid combination of arguments - got "
                            "too many bool arguments")
        if len(flags) == 2:
            copy = flags[1]
        r = self
        if dev is not None:
            dev = _device(dev)
            here = self.device
            if dev != here and not (dev.index is None and dev.type == here.type):
                r = _factory("_to_device")(r, device=str(dev))
        if dt is not None and dt is not r.dtype:
            r = _factory("_to_dtype")(r, dtype=dt)
        if copy and r is self:
            r = r.clone()
        return r

    def get_device(self) -> int:
        """The index of the device the tensor is on; -1 on the CPU."""
        d = self.device
        return -1 if d.type == "cpu" else (d.index or 0)

    def is_pinned(self, device=None) -> bool:
        """Whether this CPU tensor is in page-locked memory (from `pin_memory()`)."""
        if self.device.type != "cpu":
            return False
        return any(backends.available(be) and be.is_pinned(root_of(self._data))
                   for t, be in backends.backends.items() if t != "cpu")

    def pin_memory(self, device=None) -> "Tensor":
        """A copy of this CPU tensor in page-locked memory, for fast asynchronous copies to
        the accelerator (CUDA); RuntimeError when no accelerator is available."""
        if self.device.type != "cpu":
            raise RuntimeError(f"cannot pin '{self.type()}' only dense CPU tensors can be "
                               f"pinned")
        be = _pinning_backend(device)
        if be.is_pinned(root_of(self._data)):
            return self
        return wrap(be.pin_memory(np.ascontiguousarray(self._data)))

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

    def type_as(self, other):
        """`self` cast to `other`'s dtype (itself when it has that dtype already)."""
        if not isinstance(other, Tensor):
            raise TypeError(f"type_as(): argument 'other' (position 1) must be Tensor, not "
                            f"{type(other).__name__}")
        return self.to(other.dtype)

    def is_nonzero(self) -> bool:
        """The truth of a one-element tensor."""
        if self._data.size == 0:
            raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
        return self.__bool__()

    def fill_diagonal_(self, fill_value, wrap=False):
        """Fill the main diagonal in place (all dims equal beyond 2-D); `wrap` restarts it
        every ``cols + 1`` rows of a tall matrix."""
        shape = tuple(self._data.shape)
        if len(shape) < 2:
            raise RuntimeError("dimensions must larger than 1")
        if len(shape) > 2 and len(set(shape)) != 1:
            raise RuntimeError("all dimensions of input must be of equal length")
        n = min(shape)
        if len(shape) == 2 and wrap and shape[0] > shape[1]:
            flat = np.arange(0, shape[0] * shape[1], shape[1] + 1)
            index = np.unravel_index(flat, shape)
        else:
            index = (np.arange(n),) * len(shape)
        self[tuple(wrap_index(i) for i in index)] = fill_value
        return self

    def sum_to_size(self, *size):
        """The sum of `self` down to `size`, which must expand to self's shape."""
        size = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) \
            else tuple(size)
        shape = tuple(self._data.shape)
        lead = len(shape) - len(size)
        if lead < 0 or any(s != 1 and s != d for s, d in zip(size, shape[lead:])):
            raise RuntimeError(f"size {{{list(size)}}} is not expandable to size "
                               f"{{{list(shape)}}}.")
        dims = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(size)
                                          if s == 1 and shape[lead + i] != 1)
        out = self.sum(dims, keepdim=True) if dims else self
        return out.reshape(size) if out.shape != size else out

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
        """Fill with ``exp`` of normal samples (PyTorch's stream for the same seed)."""
        if not (self.is_floating_point()):
            raise NotImplementedError(f'"log_normal_cpu" not implemented for '
                                      f"'{_SCALAR.get(self.dtype.name, self.dtype.name)}'")
        if std <= 0:
            raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
        kw = {} if generator is None else {"generator": generator}
        return self.normal_(mean, std, **kw).exp_()

    def is_same_size(self, other) -> bool:
        return tuple(self._data.shape) == tuple(other._data.shape)

    def is_inference(self) -> bool:
        return False

    def share_memory_(self):
        """Kept for code written for multiprocessing: loom's CPU tensors need no move."""
        return self

    def is_shared(self) -> bool:
        return False

    def new(self, *args, **kwargs):
        """Legacy constructor: ``x.new(2, 3)`` (uninitialised, zeros in loom), ``x.new(data)``
        and ``x.new()``, in self's dtype and device."""
        if len(args) == 1 and not isinstance(args[0], (int, np.integer, Size)):
            if isinstance(args[0], Tensor):
                return args[0].to(self.device, self.dtype)
            return _tensor_from_data(args[0], dtype=self.dtype, device=self.device)
        return self.new_zeros(*args, **kwargs) if args else self.new_zeros(0)

    def float_power_(self, exponent):
        if self.dtype is not _dt.float64 and self.dtype is not _dt.complex128:
            raise RuntimeError(f"the base given to float_power_ has dtype "
                               f"{_SCALAR.get(self.dtype.name, self.dtype.name)} but the "
                               f"operation's result requires dtype "
                               f"{'ComplexDouble' if self.is_complex() else 'Double'}")
        return self.copy_(_factory("float_power")(self, exponent))

    def unsafe_chunk(self, chunks, dim=0):
        return self.chunk(chunks, dim)

    def unsafe_split(self, split_size, dim=0):
        return self.split(split_size, dim)

    # loom conjugates and negates eagerly: a tensor never carries a lazy conj or neg bit
    def is_conj(self) -> bool:
        return False

    def is_neg(self) -> bool:
        return False

    def resolve_conj(self):
        return self

    def resolve_neg(self):
        return self

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
        return _tensor_from_data(data, dtype=dtype or self.dtype, device=device or self.device,
                      requires_grad=requires_grad)

    # ------------------------------------------------------------------ Python protocol
    def __repr__(self) -> str:
        suffixes = []
        dev = self.device
        if dev.type != "cpu":
            suffixes.append(f"device='{dev}'")
        if self.grad_fn is not None:
            # C++ nodes print without their namespace (CopySlices, Error)
            name = self.grad_fn.name().replace("torch::autograd::", "")
            suffixes.append(f"grad_fn=<{name}>")
        elif self._rg:
            suffixes.append("requires_grad=True")
        dt = self.dtype
        a = _host(self._data)
        if dt is _dt.bfloat16:
            a = a.astype(np.float32)
        s = format_tensor(a, dtype_name=dt.name,
                          is_default_float=dt is _dt.get_default_dtype() or
                          dt is _dt.get_default_dtype().to_complex(), suffixes=suffixes)
        # nn.Parameter's tensors are plain Tensors (the per-call path tests the exact type)
        # marked `_is_param`; they print as PyTorch's Parameter does
        return "Parameter containing:\n" + s if getattr(self, "_is_param", False) else s

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

    def __contains__(self, element) -> bool:
        return bool((self == element).any())

    def __getattr__(self, name):
        # Only reached for names no registered operator provides (operators are installed as
        # methods); say which plugin would provide it.
        if name.startswith("__") or name in Tensor.__slots__:
            raise AttributeError(name)
        raise missing_operator(name)

    def __reduce_ex__(self, proto):
        if getattr(self, "_is_param", False):
            return (_rebuild, (_host(self._data), self._rg, True))
        return (_rebuild, (_host(self._data), self._rg))

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol at the moment.")
        t = wrap(self._data.copy())
        if self._rg:
            t.requires_grad_(True)
        if getattr(self, "_is_param", False):
            t._is_param = True
        memo[id(self)] = t
        return t


_SCALAR = dict(float32="Float", float16="Half", bfloat16="BFloat16", int64="Long",
               int32="Int", int16="Short", int8="Char", uint8="Byte", bool="Bool",
               complex64="ComplexFloat")


def wrap_index(i):  # an index array as a tensor, for fill_diagonal_'s assignment
    return wrap(np.asarray(i, dtype=np.int64))


def _rebuild(arr, rg, is_param=False):
    t = wrap(arr)
    if rg:
        t.requires_grad_(True)
    if is_param:
        t._is_param = True
    return t


def _factory(name):
    op = registry.ops.get(name)
    if op is None:
        raise missing_operator(name)
    return op.call


def attach() -> None:
    """Copy the methods above onto `Tensor`."""
    for name, value in vars(_TensorAPI).items():
        if name not in ("__module__", "__qualname__", "__doc__", "__dict__", "__weakref__"):
            setattr(Tensor, name, value)
