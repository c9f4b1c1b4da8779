"""The operators of loom_example_ops. Each forward kernel, backward rule and sample set stand
together; the backward rules are written in operations that loom tensors and NumPy/CuPy arrays
both offer, so they also run under ``create_graph=True``."""
from __future__ import annotations

import numpy as np

from loom.plugin import ErrorInput, SampleInput, binary, unary, xp_of

# --------------------------------------------------------------------------- hypot

# PyTorch's names for the dtypes hypot refuses (its error says "not implemented for 'Long'").
_TORCH_NAMES = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short",
                "int32": "Int", "int64": "Long"}


def _hypot_fwd(xp, a, b):
    # Dispatch has already broadcast-checked and promoted both operands (PyTorch's rules); what
    # is left is torch.hypot's own contract: two tensors, of a floating-point type.
    for arg, pos, what in ((a, 1, "input"), (b, 2, "other")):
        if not hasattr(arg, "dtype"):
            raise TypeError(f"hypot(): argument '{what}' (position {pos}) must be Tensor, "
                            f"not {type(arg).__name__}")
    if a.dtype.kind not in "fc":
        name = _TORCH_NAMES.get(a.dtype.name, a.dtype.name)
        raise NotImplementedError(f'"hypot" not implemented for \'{name}\'')
    return xp.hypot(a, b)


def _hypot_samples(rng, dt):
    def arr(*shape):
        # |x| in [0.5, 2] with a random sign: away from 0, where the gradient is undefined
        mag = rng.uniform(0.5, 2.0, size=shape)
        return np.asarray(mag * rng.choice([-1.0, 1.0], size=shape)).astype(dt)

    return [
        SampleInput((arr(3, 4), arr(3, 4))),
        SampleInput((arr(2, 3, 4), arr(3, 1)), note="broadcast"),
        SampleInput((arr(4), arr(2, 1)), note="broadcast both"),
        SampleInput((arr(), arr(5)), note="0-dim"),
        SampleInput((arr(2, 0, 3), arr(3)), note="empty"),
    ]


def _hypot_errors(rng):
    # calls torch.hypot rejects; the conformance kit checks loom raises the same types
    a = rng.uniform(0.5, 2.0, size=(3, 4))
    return [
        ErrorInput((a.astype(np.int64), a.astype(np.int64)), error=NotImplementedError,
                   match="not implemented for 'Long'", note="integer operands"),
        ErrorInput((a, 2.0), error=TypeError, match="must be Tensor", note="Python scalar"),
        ErrorInput((a, a[:, :3]), error=RuntimeError, match="must match the size",
                   note="shapes that do not broadcast"),
    ]


# d/da sqrt(a^2 + b^2) = a / out, d/db = b / out; the builder sums each back to its shape
HYPOT = binary(
    "hypot", _hypot_fwd, da=lambda a, y: a / y, db=lambda b, y: b / y,
    samples=_hypot_samples, error_samples=_hypot_errors,
    doc="Elementwise ``sqrt(input**2 + other**2)`` of two floating-point tensors, as "
        "`torch.hypot`.")

# --------------------------------------------------------------------------- softplus

_THRESHOLD = 20.0  # torch's default: above it softplus(x) is x itself


def _softplus_fwd(xp, a):
    # logaddexp(0, a) == log(1 + exp(a)) without overflow for large a
    return xp.where(a > _THRESHOLD, a, xp.logaddexp(0.0, a)).astype(a.dtype, copy=False)


def _softplus_samples(rng, dt):
    return [
        SampleInput((rng.uniform(-3.0, 3.0, size=(3, 4)).astype(dt),)),
        SampleInput((rng.uniform(-3.0, 3.0, size=()).astype(dt),), note="0-dim"),
        SampleInput((rng.uniform(-3.0, 3.0, size=(2, 0, 3)).astype(dt),), note="empty"),
        SampleInput((rng.uniform(21.0, 40.0, size=(5,)).astype(dt),), note="above threshold"),
    ]


def _softplus_reference(a):
    return np.where(a > _THRESHOLD, a, np.logaddexp(0.0, a)).astype(a.dtype)


SOFTPLUS = unary(
    "softplus", _softplus_fwd, inplace=False, samples=_softplus_samples,
    # d/da softplus(a) = sigmoid(a), 1 exactly above the threshold as in torch
    dx=lambda g, x: xp_of(x).where(x > _THRESHOLD, g, g / (1.0 + xp_of(x).exp(-x))),
    # torch_name names a `torch.*` function or Tensor method, and softplus is neither (it is
    # torch.nn.functional.softplus), so the kit compares with this NumPy reference instead.
    methods=(), torch_name=None, reference=_softplus_reference,
    doc="Elementwise ``log(1 + exp(input))`` (``beta=1``, ``threshold=20``), as "
        "`torch.nn.functional.softplus`.")


OPS = [HYPOT, SOFTPLUS]
