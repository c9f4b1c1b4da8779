"""loom_npdev: an example device backend for loom — the "npdev" device.

A second device that runs anywhere NumPy does: host memory behind an array type of its own
(`NpArray`), so that loom treats it as a separate device — tensors move to it with
``.to("npdev")``, factories make tensors on it with ``device="npdev"``, mixing it with the CPU
raises as PyTorch does, and `LOOM_DEFAULT_DEVICE=npdev` puts new tensors there. loom's tests use
it to run device swapping, transfers, cross-device errors, per-device kernels and the
conformance kit's device parity without a GPU; docs/backends.md walks through it.

Installed, it is found through its entry point (``[project.entry-points."loom.plugins"]
npdev = "loom_npdev"``); in a running interpreter, ``loom.plugins.load_plugin("npdev",
loom_npdev)`` loads it the same way.
"""
from __future__ import annotations

from loom.plugin import hookimpl

from .arrays import NpArray, xp
from .backend import NpdevBackend, NpdevGenerator

__all__ = ["NpArray", "NpdevBackend", "NpdevGenerator", "xp", "loom_register_devices"]
__version__ = "0.1.0"


@hookimpl
def loom_register_devices():
    """The one hook a device plugin implements: its backends."""
    return [NpdevBackend()]
