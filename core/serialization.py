"""`loom.save` and `loom.load`: PyTorch's file format, safe to load by default.

A file is PyTorch's zip archive (``torch.save`` since 1.6): ``archive/data.pkl`` is a
protocol-2 pickle of the object in which each tensor is ``torch._utils._rebuild_tensor_v2``
applied to a *persistent id* naming a storage record ``archive/data/<key>`` (its raw bytes), an
offset, a size and strides. Tensors that share a storage (views) share one record, so they
share storage again after loading, as in PyTorch. The same layout means `torch.load` reads
what `loom.save` writes and `loom.load` reads what `torch.save` writes.

Loading is restricted by default (``weights_only=True``, PyTorch's default since 2.6): the
unpickler resolves only an allow-list of globals (the tensor rebuilders, storage types, dtypes,
`device`, `Size`, `OrderedDict`, a few builtins), so a file crafted to call `os.system` or
anything else on load raises `pickle.UnpicklingError` before any of it runs.
``weights_only=False`` unpickles anything, with a warning: only for files you trust.

A path ending in ``.safetensors`` reads and writes the safetensors format instead (a flat
``{name: tensor}`` dict, no pickle at all), written here without the package.
"""
from __future__ import annotations

import _compat_pickle
import codecs
import collections
import io
import json
import os
import pickle
import secrets
import struct
import sys
import warnings
import zipfile
from typing import Any, BinaryIO, Callable, Union

import numpy as np

import loom

__all__ = ["save", "load", "UnpicklingError", "add_safe_globals", "get_safe_globals",
           "clear_safe_globals", "safe_globals"]

FileLike = Union[str, os.PathLike, BinaryIO]

#: the error a refused global raises: pickle's, as PyTorch raises it
UnpicklingError = pickle.UnpicklingError

# dtype name -> PyTorch's legacy typed-storage class name (what its persistent ids carry)
_STORAGE_NAMES = {
    "float32": "FloatStorage", "float64": "DoubleStorage", "float16": "HalfStorage",
    "bfloat16": "BFloat16Storage", "complex64": "ComplexFloatStorage",
    "complex128": "ComplexDoubleStorage", "int64": "LongStorage", "int32": "IntStorage",
    "int16": "ShortStorage", "int8": "CharStorage", "uint8": "ByteStorage",
    "bool": "BoolStorage",
}
_STORAGE_DTYPES = {v: k for k, v in _STORAGE_NAMES.items()}
_DTYPE_NAMES = set(_STORAGE_NAMES) | {"float", "double", "half", "cfloat", "cdouble", "long",
                                      "int", "short", "bool"}


# -- saving ---------------------------------------------------------------------------------
class _Global:
    """A global written by name (``torch._utils _rebuild_tensor_v2``) without importing it:
    the file must name PyTorch's functions for `torch.load` to read it, and torch need not be
    installed to write one."""

    __slots__ = ("module", "name")
    _cache: dict = {}

    def __new__(cls, module: str, name: str) -> "_Global":
        key = (module, name)
        g = cls._cache.get(key)
        if g is None:  # one object per name, so the pickler memoizes it (BINGET on reuse)
            g = cls._cache[key] = object.__new__(cls)
            g.module, g.name = module, name
        return g

    def __call__(self, *args):  # never called: pickle only checks that a reducer is callable
        raise TypeError(f"{self.module}.{self.name} is written by name, not called")


class _StorageRef:
    """Stands for one storage record in the pickle; persistent_id turns it into the record's
    id."""

    __slots__ = ("key", "dtype", "location", "numel")

    def __init__(self, key, dtype, location, numel):
        self.key, self.dtype, self.location, self.numel = key, dtype, location, numel


class _Pickler(pickle._Pickler):
    """The pure-Python pickler, writing tensors as PyTorch does and loom's dtypes, devices and
    sizes under PyTorch's names."""

    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file, protocol, records: dict):
        super().__init__(file, protocol)
        self._records = records  # storage data_ptr -> (key, dtype, flat host array)
        self._refs: dict = {}

    def _save_named_global(self, obj: _Global) -> None:
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode("utf-8"))
        self.memoize(obj)

    dispatch[_Global] = _save_named_global

    def persistent_id(self, obj):
        if isinstance(obj, _StorageRef):
            return ("storage", _Global("torch", _STORAGE_NAMES[obj.dtype.name]), obj.key,
                    obj.location, obj.numel)
        return None

    def save(self, obj, save_persistent_id=True):
        if isinstance(obj, loom.dtype):  # torch.float32 is a module attribute in PyTorch
            obj = _Global("torch", obj.name)
        super().save(obj, save_persistent_id)

    def reducer_override(self, obj):
        if isinstance(obj, loom.Tensor):
            return self._reduce_tensor(obj)
        if isinstance(obj, loom.device):
            return _Global("torch", "device"), (str(obj),)
        if isinstance(obj, loom.Size):
            return _Global("torch", "Size"), (tuple(obj),)
        return NotImplemented

    def _reduce_tensor(self, t: loom.Tensor):
        if getattr(t, "_is_param", False):  # an nn.Parameter
            data = t.detach()
            return (_Global("torch._utils", "_rebuild_parameter"),
                    (data, t.requires_grad, collections.OrderedDict()))
        ref = self._storage_ref(t)
        return (_Global("torch._utils", "_rebuild_tensor_v2"),
                (ref, t.storage_offset(), tuple(t.shape), tuple(t.stride()), t.requires_grad,
                 collections.OrderedDict()))

    def _storage_ref(self, t: loom.Tensor) -> _StorageRef:
        storage = t.untyped_storage()
        ptr, nbytes = storage.data_ptr(), storage.nbytes()
        if nbytes == 0:  # empty storages may share an address: each gets its own record
            ptr = ("empty", len(self._records))
        known = self._records.get(ptr)
        if known is not None:
            if known[1] != t.dtype:
                raise RuntimeError("Cannot save multiple tensors or storages that view the "
                                   "same data as different types")
            return self._refs[ptr]
        itemsize = t.element_size()
        numel = nbytes // itemsize
        # the whole storage, as PyTorch saves it: every view of it rebuilds from this record
        flat = t.detach().as_strided((numel,), (1,), 0)
        host = flat.cpu().numpy() if numel else np.zeros(0, dtype=t.detach().cpu().numpy().dtype)
        key = str(len(self._records))
        self._records[ptr] = (key, t.dtype, host)
        ref = self._refs[ptr] = _StorageRef(key, t.dtype, str(t.device), numel)
        return ref


def _aligned_writestr(zf: zipfile.ZipFile, name: str, data: bytes, align: int = 64) -> None:
    """Write a stored member whose data starts at a multiple of `align` (PyTorch aligns its
    records to 64 bytes so that they can be memory-mapped), padding the local header's extra
    field as PyTorch does ("FB" records)."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    start = zf.fp.tell() + 30 + len(name.encode("utf-8")) + 4
    pad = (-start) % align
    info.extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
    zf.writestr(info, data)


def save(obj: Any, f: FileLike, pickle_module: Any = pickle, pickle_protocol: int = 2,
         _use_new_zipfile_serialization: bool = True) -> None:
    """Save `obj` (tensors, state dicts, nested dicts/lists/tuples of tensors and plain
    values) to `f`, a path or a writable binary file, in PyTorch's zip format: `torch.load`
    reads it. A path ending in ``.safetensors`` writes a flat ``{name: tensor}`` dict in the
    safetensors format instead."""
    if _is_safetensors(f):
        _save_safetensors(obj, f)
        return
    if not _use_new_zipfile_serialization:
        raise NotImplementedError("loom.save writes only the zip format "
                                  "(_use_new_zipfile_serialization=True)")
    records: dict = {}
    buf = io.BytesIO()
    _Pickler(buf, pickle_protocol, records).dump(obj)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        _aligned_writestr(zf, "archive/data.pkl", buf.getvalue())
        _aligned_writestr(zf, "archive/.format_version", b"1")
        _aligned_writestr(zf, "archive/.storage_alignment", b"64")
        _aligned_writestr(zf, "archive/byteorder", sys.byteorder.encode())
        for key, _dtype, host in records.values():
            _aligned_writestr(zf, f"archive/data/{key}", np.ascontiguousarray(host).tobytes())
        _aligned_writestr(zf, "archive/version", b"3\n")
        _aligned_writestr(zf, "archive/.data/serialization_id",
                          secrets.token_hex(20).encode())
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fh:
            fh.write(out.getvalue())
    else:
        f.write(out.getvalue())


# -- loading --------------------------------------------------------------------------------
class _StorageType:
    """What ``torch FloatStorage`` resolves to on load: only its dtype matters."""

    __slots__ = ("dtype",)

    def __init__(self, name: str):
        self.dtype = getattr(loom, _STORAGE_DTYPES[name])


class _LoadedStorage:
    """A storage record read back: a flat tensor on its final device; tensors are views of
    it, so tensors saved as views of one storage share it again."""

    __slots__ = ("flat",)

    def __init__(self, flat):
        self.flat = flat


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                       backward_hooks=None, metadata=None):
    t = storage.flat.as_strided(tuple(size), tuple(stride), storage_offset)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_parameter(data, requires_grad, backward_hooks, *state):
    nn = getattr(loom, "nn", None) if _has_nn() else None
    if nn is not None and hasattr(nn, "Parameter"):
        return nn.Parameter(data, requires_grad)
    return data.requires_grad_(requires_grad)


def _has_nn() -> bool:
    import importlib.util
    return importlib.util.find_spec("loom.nn") is not None


def _rebuild_from_type_v2(func, new_type, args, state):
    return func(*args)


def _allowed_globals() -> dict:
    """The globals a weights-only load may resolve: data constructors that run no user code."""
    table = {
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
        ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
        ("torch._tensor", "_rebuild_from_type_v2"): _rebuild_from_type_v2,
        ("collections", "OrderedDict"): collections.OrderedDict,
        ("collections", "Counter"): collections.Counter,
        ("torch", "Size"): loom.Size,
        ("torch", "device"): loom.device,
        ("torch", "Tensor"): loom.Tensor,
        ("_codecs", "encode"): codecs.encode,  # how protocol 2 writes bytes
        ("builtins", "set"): set, ("builtins", "frozenset"): frozenset,
        ("builtins", "bytearray"): bytearray, ("builtins", "complex"): complex,
        ("builtins", "slice"): slice, ("builtins", "range"): range,
    }
    for name in _STORAGE_DTYPES:
        table[("torch", name)] = _StorageType(name)
    for name in _DTYPE_NAMES:
        table[("torch", name)] = getattr(loom, name)
    return table


def _py3_name(module: str, name: str) -> tuple:
    """Protocol 2 writes Python 2's names (``__builtin__``); an overridden find_class sees
    them as written, so map them as pickle's own find_class does."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


# the globals a user allowed for weights-only loads: objects, or (object, "module.name")
_user_safe_globals: list = []


def _global_name(entry) -> tuple:
    if isinstance(entry, tuple):
        obj, name = entry
        return name, obj
    return f"{entry.__module__}.{entry.__qualname__}", entry


def add_safe_globals(safe_globals: list) -> None:
    """Allow these classes and functions in weights-only loads (``loom.load``'s default): each
    an object, or ``(object, "module.name")`` for one saved under another name."""
    _user_safe_globals.extend(safe_globals)


def get_safe_globals() -> list:
    """The globals `add_safe_globals` allowed."""
    return list(_user_safe_globals)


def clear_safe_globals() -> None:
    """Forget every global `add_safe_globals` allowed."""
    _user_safe_globals.clear()


class safe_globals:
    """A context in which `safe_globals` are allowed in weights-only loads."""

    def __init__(self, safe_globals: list) -> None:
        self.safe_globals = safe_globals

    def __enter__(self):
        self._before = list(_user_safe_globals)
        _user_safe_globals.extend(self.safe_globals)

    def __exit__(self, *exc) -> None:
        _user_safe_globals[:] = self._before


class _RestrictedUnpickler(pickle.Unpickler):
    """Resolves only `_allowed_globals` and the user's safe globals; anything else
    (os.system, eval, a class whose __reduce__ runs code) is refused before it can be called."""

    def __init__(self, file, persistent_load: Callable, **kw):
        super().__init__(file, **kw)
        self._persistent = persistent_load
        self._allowed = _allowed_globals()
        self._allowed.update({tuple(name.rsplit(".", 1)): obj for name, obj in
                              map(_global_name, _user_safe_globals)})

    def persistent_load(self, pid):
        return self._persistent(pid)

    def find_class(self, module, name):
        module, name = _py3_name(module, name)
        found = self._allowed.get((module, name))
        if found is None:
            full = f"{module}.{name}"
            raise UnpicklingError(
                "Weights only load failed. This file can still be loaded, to do so you have two "
                "options, do those steps only if you trust the source of the checkpoint. \n\t(1) "
                "Re-running `loom.load` with `weights_only` set to `False` will likely succeed, "
                "but it can result in arbitrary code execution. Do it only if you got the file "
                "from a trusted source.\n\t(2) Alternatively, to load with `weights_only=True` "
                "please check the recommended steps in the following error message.\n\t"
                f"WeightsUnpickler error: Unsupported global: GLOBAL {full} was not an allowed "
                f"global by default. Please use `loom.serialization.add_safe_globals([{full}])` "
                f"or the `loom.serialization.safe_globals([{full}])` context manager to "
                f"allowlist this global if you trust this class/function.")
        return found


class _FullUnpickler(pickle.Unpickler):
    """``weights_only=False``: any global, PyTorch's tensor machinery mapped to loom's."""

    def __init__(self, file, persistent_load: Callable, **kw):
        super().__init__(file, **kw)
        self._persistent = persistent_load
        self._allowed = _allowed_globals()

    def persistent_load(self, pid):
        return self._persistent(pid)

    def find_class(self, module, name):
        found = self._allowed.get(_py3_name(module, name))
        return found if found is not None else super().find_class(module, name)


def _target_device(location: str, map_location):
    """Where a storage saved on `location` goes, by `map_location` as `torch.load` reads it."""
    if map_location is None:
        return location
    if isinstance(map_location, dict):
        return map_location.get(location, location)
    if isinstance(map_location, (str, loom.device)):
        return str(map_location)
    return location


def _check_device(location: str) -> None:
    dev = loom.device(location)
    if dev.type == "cpu":
        return
    mod = getattr(loom, dev.type, None)
    if mod is None or not getattr(mod, "is_available", lambda: False)():
        raise RuntimeError(
            f"Attempting to deserialize object on a {dev.type.upper()} device but "
            f"torch.{dev.type}.is_available() is False. If you are running on a CPU-only "
            "machine, please use torch.load with map_location=torch.device('cpu') to map "
            "your storages to the CPU.")


def _open_zip(f) -> tuple:
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            data = fh.read()
    else:
        data = f.read()
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise RuntimeError("loom.load reads PyTorch's zip format (torch.save since 1.6, and "
                           "loom.save); this file is not a zip archive (the legacy format "
                           "that torch.save wrote with _use_new_zipfile_serialization=False "
                           "is not supported)")
    zf = zipfile.ZipFile(io.BytesIO(data))
    pkl = next((n for n in zf.namelist() if n.endswith("data.pkl")), None)
    if pkl is None:
        raise RuntimeError("PytorchStreamReader failed locating file data.pkl: file not found")
    return zf, pkl[:-len("data.pkl")]


def load(f: FileLike, map_location=None, pickle_module: Any = None, *,
         weights_only: bool | None = None, mmap: bool | None = None,
         **pickle_load_args) -> Any:
    """Load what `loom.save` (or `torch.save`) wrote to `f` (a path or a readable binary
    file). `map_location` moves storages: a device or its name, a dict from saved location to
    new one, or a callable ``(storage, location) -> storage or None``, as in PyTorch.

    With ``weights_only=True`` (the default) only tensors, dtypes, devices, sizes, plain
    containers and values are rebuilt; any other global in the file raises
    `pickle.UnpicklingError` without running it. ``weights_only=False`` unpickles anything (a
    file from an untrusted source can then run code): it warns."""
    if weights_only is None:
        weights_only = True
    if pickle_module is not None and weights_only:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is "
                           "specified")
    if _is_safetensors(f):
        return _load_safetensors(f, map_location)
    if not weights_only:
        warnings.warn("loom.load with weights_only=False unpickles arbitrary objects: a file "
                      "from an untrusted source can run code on load. Load only files you "
                      "trust.", UserWarning, stacklevel=2)
    zf, prefix = _open_zip(f)
    loaded: dict = {}

    def persistent_load(pid):
        if not isinstance(pid, tuple) or len(pid) != 5 or pid[0] != "storage":
            raise UnpicklingError(f"Unsupported persistent id: {pid!r}")
        _, stype, key, location, numel = pid
        if key in loaded:
            return loaded[key]
        if not isinstance(stype, _StorageType):
            raise UnpicklingError(f"Unsupported storage type in persistent id: {stype!r}")
        dtype = stype.dtype
        raw = zf.read(f"{prefix}data/{key}")
        np_dtype = loom.empty(0, dtype=dtype).numpy().dtype
        arr = np.frombuffer(bytearray(raw), dtype=np_dtype)[:numel]
        flat = loom.from_numpy(arr)
        if callable(map_location) and not isinstance(map_location, loom.device):
            moved = map_location(flat, location)
            flat = moved if isinstance(moved, loom.Tensor) else flat
            if moved is None and loom.device(location).type != "cpu":
                _check_device(location)
                flat = flat.to(location)
        else:
            target = _target_device(location, map_location)
            if loom.device(target).type != "cpu":
                _check_device(target)
                flat = flat.to(target)
        loaded[key] = _LoadedStorage(flat)
        return loaded[key]

    cls = _RestrictedUnpickler if weights_only else _FullUnpickler
    pickle_load_args.setdefault("encoding", "utf-8")
    with zf:
        return cls(io.BytesIO(zf.read(f"{prefix}data.pkl")), persistent_load,
                   **pickle_load_args).load()


# -- safetensors ----------------------------------------------------------------------------
_ST_DTYPES = {"float64": "F64", "float32": "F32", "float16": "F16", "bfloat16": "BF16",
              "int64": "I64", "int32": "I32", "int16": "I16", "int8": "I8", "uint8": "U8",
              "bool": "BOOL", "complex64": "C64"}
_ST_NAMES = {v: k for k, v in _ST_DTYPES.items()}


def _is_safetensors(f) -> bool:
    return isinstance(f, (str, os.PathLike)) and os.fspath(f).endswith(".safetensors")


def _save_safetensors(obj, path) -> None:
    """A flat ``{str: Tensor}`` dict as safetensors: an 8-byte header length, a JSON header
    (dtype, shape, byte range of each tensor, names sorted) and the tensors' bytes."""
    if not isinstance(obj, dict) or not all(isinstance(k, str) and isinstance(v, loom.Tensor)
                                            for k, v in obj.items()):
        raise ValueError("a .safetensors file holds a flat dict of str -> Tensor; save other "
                         "objects to a .pt path")
    header, chunks, offset = {}, [], 0
    for name in sorted(obj):
        t = obj[name].detach()
        code = _ST_DTYPES.get(t.dtype.name)
        if code is None:
            raise ValueError(f"safetensors has no dtype for {t.dtype}")
        data = np.ascontiguousarray(t.cpu().numpy()).tobytes()
        header[name] = {"dtype": code, "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    head += b" " * ((-len(head)) % 8)  # the data starts 8-byte aligned, as the format's writer does
    with open(path, "wb") as fh:
        fh.write(struct.pack("<Q", len(head)))
        fh.write(head)
        for c in chunks:
            fh.write(c)


def _load_safetensors(path, map_location) -> dict:
    with open(path, "rb") as fh:
        data = fh.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = getattr(loom, _ST_NAMES[info["dtype"]])
        start, end = info["data_offsets"]
        np_dtype = loom.empty(0, dtype=dtype).numpy().dtype
        arr = np.frombuffer(bytearray(data[base + start:base + end]), dtype=np_dtype)
        t = loom.from_numpy(arr).reshape(info["shape"])
        if map_location is not None and not callable(map_location):
            t = t.to(_target_device("cpu", map_location))
        out[name] = t
    return out
