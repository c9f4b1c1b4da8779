"""`loom.device` and the `DeviceBackend` interface a device plugin implements."""
from __future__ import annotations

__all__ = ["device", "DeviceBackend", "SyncStream", "SyncEvent"]


class device:
    """A device: a type (``"cpu"``, ``"cuda"``, ...) and an optional index, as in PyTorch.

    ``device("cuda:1")``, ``device("cuda", 1)`` and ``device("cpu")`` are all accepted.
    """

    __slots__ = ("type", "index")
    _cache: dict = {}

    def __new__(cls, type_or_str, index=None):
        if isinstance(type_or_str, device):
            return type_or_str
        key = (type_or_str, index)
        hit = cls._cache.get(key)
        if hit is not None:
            return hit
        if not isinstance(type_or_str, str):
            raise TypeError(f"device() received an invalid combination of arguments - got "
                            f"({type(type_or_str).__name__})")
        t = type_or_str
        if ":" in t:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was "
                                   f"passed explicitly: {t}")
            t, _, idx = t.partition(":")
            try:
                index = int(idx)
            except ValueError:
                raise RuntimeError(f"Invalid device string: '{type_or_str}'") from None
        if not t or not t.replace("_", "").isalnum():
            raise RuntimeError(f"Invalid device string: '{type_or_str}'")
        if index is not None and index < 0:
            raise RuntimeError(f"Device index must not be negative, got {index}")
        self = object.__new__(cls)
        self.type = t
        self.index = index
        cls._cache[key] = self
        return self

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and self.type == other.type and self.index == other.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))


class DeviceBackend:
    """What a device plugin supplies. Subclass it and return an instance from
    `loom_register_devices`; docs/backends.md is the contract in full, with a worked backend.

    Kernels are written once against the array namespace `xp` (NumPy, CuPy, ...): a backend is
    that namespace plus allocation, host transfer, random numbers, synchronisation and memory
    statistics. The methods below that have a body are defaults a backend may keep; the ones
    raising `NotImplementedError` are what every available backend implements.
    """

    #: device type this backend serves, e.g. "cuda"
    type: str = ""
    #: the array namespace kernels run against (numpy, cupy, ...); every function and factory
    #: of it returns `array_type`
    xp = None
    #: the concrete array class of this backend (how dispatch recognises its arrays)
    array_type: object = None.__class__
    #: DLPack's device type code of this backend's memory (1: host, 2: CUDA), or None
    dlpack_device_type = None
    #: {operator name: kernel(xp, ...)} replacing an operator's shared `xp` kernel on this
    #: device (a fused kernel where the library lacks one or is slow); an operator's own
    #: `device_kernels` entry for this type still comes first
    kernels: dict = {}

    # ---------------------------------------------------------------- devices
    def is_available(self) -> bool:
        """True when the device can be used now (library importable, hardware present); it
        never raises."""
        return self.xp is not None

    def unavailable_reason(self) -> str:
        """Why `is_available()` is False, in words a user can act on."""
        return ""

    def device_count(self) -> int:
        """How many devices of this type there are; indices run from 0 to this minus 1."""
        return 1

    def current_device(self) -> int:
        """Index of the device that an index-less placement (``"cuda"``) means."""
        return getattr(self, "_current", 0)

    def set_device(self, index: int) -> None:
        """Make device `index` the current one (loom has checked it is in range)."""
        self._current = index

    def device_of(self, array) -> device:
        """The `loom.device` an array of this backend lives on: with its index
        (``cuda:0``), as PyTorch prints it; by default the bare type."""
        return device(self.type)

    # ---------------------------------------------------------------- transfers
    def asarray(self, host_array, index=None):
        """Copy a NumPy array onto device `index` (None: the current device)."""
        raise NotImplementedError

    def to_host(self, array):
        """Copy an array of this backend to a new NumPy array (never a view of device memory:
        a CPU tensor made by ``.cpu()`` owns its storage)."""
        raise NotImplementedError

    def to_device(self, array, index=None):
        """Copy an array of this backend onto another of its devices; by default through the
        host."""
        return self.asarray(self.to_host(array), index)

    def pin_memory(self, host_array):
        """`host_array` in page-locked host memory for fast, asynchronous copies to this
        device; by default the array itself (the device needs no pinning)."""
        return host_array

    def is_pinned(self, host_array) -> bool:
        """Whether `host_array` is in page-locked memory this backend allocated."""
        return False

    def from_dlpack(self, obj):
        """An array of this backend sharing memory with a DLPack producer whose
        ``__dlpack_device__()`` names `dlpack_device_type`; by default ``xp.from_dlpack``."""
        return self.xp.from_dlpack(obj)

    def data_ptr(self, array) -> int:
        """Address of an array's first element."""
        raise NotImplementedError

    # ---------------------------------------------------------------- random numbers
    def manual_seed(self, seed: int) -> None:
        """Seed the default generator of every device of this type (`manual_seed_all`)."""

    def new_generator(self, index=None):
        """A new random-number generator for device `index` (what `loom.Generator(device)`
        wraps): an object with ``manual_seed(seed)``, ``initial_seed()``, ``get_state()`` (bytes)
        and ``set_state(bytes)``. The sampling methods below take it as `generator` (None: the
        backend's default generator of device `index`)."""
        raise NotImplementedError(f"device type '{self.type}' has no Generator")

    def rand(self, shape, np_dtype, index=None, generator=None):
        """Uniform [0, 1) samples."""
        raise NotImplementedError

    def randn(self, shape, np_dtype, index=None, generator=None):
        """Standard normal samples."""
        raise NotImplementedError

    def randint(self, low, high, shape, np_dtype, index=None, generator=None):
        """Integers uniform in [low, high); by default from `rand` in float64."""
        u = self.rand(shape, "float64", index, generator)
        return (self.xp.floor(u * (high - low)) + low).astype(np_dtype)

    def randperm(self, n, np_dtype, index=None, generator=None):
        """A random permutation of range(n); by default the order of `n` uniforms."""
        return self.xp.argsort(self.rand((n,), "float64", index, generator)).astype(np_dtype)

    # ---------------------------------------------------------------- streams
    def synchronize(self, index=None) -> None:
        """Wait for all queued work on device `index` (None: the current device)."""

    def new_stream(self, index=None, priority=0):
        """A stream (queue of work) on device `index`: an object with ``synchronize()``,
        ``query()``, ``wait_stream(other)``, ``record_event(event)`` and, used as a context
        manager, making itself current. By default a `SyncStream`: work runs when called."""
        return SyncStream(index)

    def current_stream(self, index=None):
        """The stream work on device `index` is queued to now."""
        streams = self.__dict__.setdefault("_default_streams", {})
        if index not in streams:
            streams[index] = self.new_stream(index)
        return streams[index]

    def new_event(self, enable_timing=False):
        """An event: ``record(stream)``, ``query()``, ``synchronize()``, ``wait(stream)`` and
        ``elapsed_time(end)`` in milliseconds. By default a `SyncEvent`."""
        return SyncEvent(enable_timing)

    # ---------------------------------------------------------------- memory statistics
    def memory_allocated(self, index=None) -> int:
        """Bytes held by live arrays on device `index`."""
        return 0

    def max_memory_allocated(self, index=None) -> int:
        """The peak of `memory_allocated` since the start or `reset_peak_memory_stats`."""
        return 0

    def reset_peak_memory_stats(self, index=None) -> None:
        """Start the peak of `max_memory_allocated` again from the current value."""

    def memory_reserved(self, index=None) -> int:
        """Bytes the backend's allocator holds (in use or cached for reuse)."""
        return self.memory_allocated(index)

    def empty_cache(self) -> None:
        """Give cached, unused blocks back to the device."""


class SyncStream:
    """The stream of a device whose work runs when it is called: every query is True and
    waiting returns at once."""

    def __init__(self, index=None):
        self.index = index

    def synchronize(self) -> None:
        """Wait for the stream's work (already done)."""

    def query(self) -> bool:
        """Whether all the stream's work is done."""
        return True

    def wait_stream(self, other) -> None:
        """Make later work on this stream wait for `other`'s queued work."""

    def wait_event(self, event) -> None:
        """Make later work on this stream wait for `event`."""

    def record_event(self, event=None):
        """Record `event` (a new one if None) on this stream; returns it."""
        event = event if event is not None else SyncEvent()
        event.record(self)
        return event

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class SyncEvent:
    """An event of a synchronous device: recording it notes the time."""

    def __init__(self, enable_timing=False):
        self.enable_timing = enable_timing
        self._t = None

    def record(self, stream=None) -> None:
        import time
        self._t = time.perf_counter()

    def query(self) -> bool:
        return True

    def synchronize(self) -> None:
        """Wait for the event (already reached)."""

    def wait(self, stream=None) -> None:
        """Make `stream` wait for the event (nothing to wait for)."""

    def elapsed_time(self, end) -> float:
        """Milliseconds from this event to `end` (both recorded, with timing enabled)."""
        if not (self.enable_timing and end.enable_timing):
            raise RuntimeError("Both events must be created with argument 'enable_timing=True'.")
        if self._t is None or end._t is None:
            raise RuntimeError("Both events must be recorded before calculating elapsed time.")
        return (end._t - self._t) * 1000.0
