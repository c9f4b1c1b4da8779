"""loom_signal: a signal-processing op pack for loom, using only its public extension API.

Three operators, each described once (kernel, backward rule, samples, error samples, docs) and
published under the namespace ``signal`` (``loom.ops.signal.<name>``):

- ``conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1)``: the 1-D
  cross-correlation of ``torch.conv1d`` (padding also ``"valid"`` or ``"same"``);
- ``moving_average(input, window, dim=-1)``: the mean of every `window` consecutive elements
  along `dim` (NumPy's ``convolve(x, ones(w) / w, "valid")``);
- ``circular_conv(input, other)``: the circular convolution of two signals along their last
  dimension, computed with the FFT (``xp.fft``).

Every backward rule is written in operations that raw arrays and loom tensors both offer (or
calls the pack's own operators through ``loom.plugin.apply_op``), so gradients of gradients
work too. ``python -m loom check signal_ops`` runs the conformance kit on the pack.
"""
from __future__ import annotations

from loom.plugin import hookimpl

__version__ = "0.1.0"
# the loom plugin API this pack is written for; loom refuses it, naming both versions, if it
# provides another
LOOM_PLUGIN_API = "1.0"


@hookimpl
def loom_register_ops():
    # imported here so that loading the plugin costs nothing until loom asks for its operators
    from .conv import CONV1D
    from .fftconv import CIRCULAR_CONV
    from .smooth import MOVING_AVERAGE
    return [CONV1D, MOVING_AVERAGE, CIRCULAR_CONV]
