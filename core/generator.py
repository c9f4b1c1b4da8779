"""`loom.Generator`: a random-number generator object, as `torch.Generator`.

A generator belongs to one device; its state lives in whatever the device backend's
`new_generator()` returns (on the CPU, a generator reproducing PyTorch's stream bit for bit).
Every random operator takes ``generator=``; without one it draws from the device's default
generator, which `loom.manual_seed` seeds. ``loom.default_generator`` wraps the CPU's.
"""
from __future__ import annotations

import secrets

import numpy as np

from .backends import resolve_device
from .device import device as _device
from .tensor import Tensor, wrap

__all__ = ["Generator", "generator_impl"]


class Generator:
    """A random-number generator for `device` (``Generator()``: the CPU)."""

    __slots__ = ("device", "impl")

    def __init__(self, device="cpu"):
        be, index = resolve_device(device)
        if be.type != "cpu" and index is None:  # "cuda" means the current device, as PyTorch
            index = be.current_device()
        self.device = _device(be.type, index if be.type != "cpu" else None)
        self.impl = be.new_generator(index)

    @classmethod
    def _wrapping(cls, impl, dev) -> "Generator":
        g = object.__new__(cls)
        g.device, g.impl = _device(dev), impl
        return g

    def manual_seed(self, seed: int) -> "Generator":
        """Seed it (any int in [-2**63, 2**64)); returns the generator."""
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            raise TypeError(f"manual_seed expected a long, but got {type(seed).__name__}")
        self.impl.manual_seed(int(seed))
        return self

    def seed(self) -> int:
        """Seed it from the operating system's randomness; returns the seed."""
        s = secrets.randbits(63)
        self.impl.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        """The seed it was last seeded with."""
        return self.impl.initial_seed()

    def get_state(self) -> Tensor:
        """Its state as a uint8 tensor (on the CPU, the bytes `torch.get_rng_state` gives)."""
        return wrap(np.frombuffer(bytes(self.impl.get_state()), dtype=np.uint8).copy())

    def set_state(self, state: Tensor) -> "Generator":
        """Restore a state `get_state` returned."""
        if not isinstance(state, Tensor) or state.dtype.name != "uint8":
            raise TypeError("expected a torch.ByteTensor (a uint8 tensor) as the state")
        self.impl.set_state(state.numpy().tobytes())
        return self

    def __repr__(self) -> str:
        return f"<torch._C.Generator object at {id(self):#x}>"


def generator_impl(generator, backend):
    """The backend-level generator of `generator` (None for the default), checking that it
    belongs to `backend`'s device type, with PyTorch's error."""
    if generator is None:
        return None
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be a torch.Generator, not {type(generator).__name__}")
    if generator.device.type != backend.type:
        raise RuntimeError(f"Expected a '{backend.type}' device type for generator but found "
                           f"'{generator.device.type}'")
    return generator.impl
