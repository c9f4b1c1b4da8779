"""`loom.random`: the default generator's seed and state (``torch.random``).

The functions are loom's own (`loom.manual_seed` is `loom.random.manual_seed`); `fork_rng`
restores the CPU generator's state (and the other devices' when asked) when its block ends.
"""
from __future__ import annotations

import contextlib

import loom
from loom import Generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state

__all__ = ["Generator", "default_generator", "fork_rng", "get_rng_state", "initial_seed",
           "manual_seed", "seed", "set_rng_state"]


def __getattr__(name):
    if name == "default_generator":
        return loom.default_generator
    raise AttributeError(f"module 'loom.random' has no attribute '{name}'")


@contextlib.contextmanager
def fork_rng(devices=None, enabled: bool = True, _caller: str = "fork_rng",
             _devices_kw: str = "devices", device_type: str = "cuda"):
    """Run a block whose random draws leave the CPU's default generator as it was: its state
    is saved on entry and restored on exit (``enabled=False``: does nothing). loom's device
    backends keep no state a script can read back, so other devices' generators are not
    saved; PyTorch's CPU build has none to save either."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)
