"""`loom.device` and the `DeviceBackend` interface a device plugin implements."""
from __future__ import annotations

__all__ = ["device", "DeviceBackend"]


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
    `loom_register_devices`.

    Kernels are written once against the array namespace `xp` (NumPy, CuPy, ...): a backend is
    that namespace plus allocation, host transfer, random numbers and synchronisation.
    """

    #: device type this backend serves, e.g. "cuda"
    type: str = ""
    #: the array namespace kernels run against (numpy, cupy, ...)
    xp = None
    #: the concrete array class of this backend (how dispatch recognises its arrays)
    array_type: object = None.__class__

    def is_available(self) -> bool:
        """True when the device can be used now (library importable, hardware present)."""
        return self.xp is not None

    def unavailable_reason(self) -> str:
        """Why `is_available()` is False, in words a user can act on."""
        return ""

    def device_count(self) -> int:
        return 1

    def device_of(self, array) -> device:
        """The `loom.device` an array of this backend lives on."""
        return device(self.type)

    def asarray(self, host_array, index=None):
        """Copy a NumPy array onto this device (device `index`)."""
        raise NotImplementedError

    def to_host(self, array):
        """Copy an array of this backend to a NumPy array."""
        raise NotImplementedError

    def manual_seed(self, seed: int) -> None:
        """Seed this backend's random generator(s)."""

    def new_generator(self, index=None):
        """A new random-number generator for device `index` (what `loom.Generator(device)`
        wraps): an object with ``manual_seed(seed)``, ``initial_seed()``, ``get_state()`` and
        ``set_state(state)``. The sampling methods below take it as `generator` (None: the
        backend's default generator)."""
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

    def synchronize(self, index=None) -> None:
        """Wait for all queued work on the device."""

    def data_ptr(self, array) -> int:
        """Address of an array's first element."""
        raise NotImplementedError
