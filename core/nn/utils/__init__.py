"""`loom.nn.utils`: gradient clipping, flattening parameters to one vector, (in `rnn`)
padding and packing sequences for the recurrent layers, weight and spectral normalisation
(hook forms here, parametrizations in `parametrizations`) and `parametrize`."""
from __future__ import annotations

import math

import loom

from . import fusion, parametrizations, parametrize, prune, rnn  # noqa: F401
from .convert_parameters import parameters_to_vector, vector_to_parameters  # noqa: F401
from .fusion import (fuse_conv_bn_eval, fuse_conv_bn_weights, fuse_linear_bn_eval,  # noqa
                     fuse_linear_bn_weights)
from .spectral_norm import remove_spectral_norm, spectral_norm  # noqa: F401
from .weight_norm import remove_weight_norm, weight_norm  # noqa: F401
__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector",
           "vector_to_parameters", "get_total_norm", "clip_grads_with_norm_",
           "fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval",
           "fuse_linear_bn_weights", "skip_init"]


def skip_init(module_cls, *args, **kwargs):
    """`module_cls(*args, **kwargs)` whose parameters are left to be set by the caller
    (PyTorch leaves them uninitialised; here they hold the default initialisation)."""
    if "device" not in __import__("inspect").signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    return module_cls(*args, **kwargs)


def _grads(parameters):
    if isinstance(parameters, loom.Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def get_total_norm(tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach=None):
    """The `norm_type` norm of all `tensors` together (as if concatenated)."""
    if isinstance(tensors, loom.Tensor):
        tensors = [tensors]
    tensors = list(tensors)
    if not tensors:
        return loom.tensor(0.0)
    norms = loom.stack([loom.linalg.vector_norm(t, norm_type) for t in tensors])
    total = loom.linalg.vector_norm(norms, norm_type)
    if error_if_nonfinite and not bool(loom.isfinite(total)):
        raise RuntimeError(f"The total norm of order {float(norm_type)} for gradients from "
                           f"`parameters` is non-finite, so it cannot be clipped. To disable "
                           f"this error and scale the gradients by the non-finite norm anyway, "
                           f"set `error_if_nonfinite=False`")
    return total


def clip_grads_with_norm_(parameters, max_norm: float, total_norm, foreach=None) -> None:
    """Scale the gradients by ``max_norm / (total_norm + 1e-6)`` when that is below 1."""
    coef = loom.clamp(max_norm / (total_norm + 1e-6), max=1.0)
    with loom.no_grad():
        for g in _grads(parameters):
            g.mul_(coef.to(g.dtype))


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach=None):
    """Scale the gradients of `parameters` so that their total `norm_type` norm is at most
    `max_norm`; returns the total norm before clipping."""
    if isinstance(parameters, loom.Tensor):
        parameters = [parameters]
    parameters = list(parameters)
    grads = _grads(parameters)
    if not grads:
        return loom.tensor(0.0)
    total = get_total_norm(grads, float(norm_type), error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total)
    return total


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient of `parameters` into [-clip_value, clip_value] in place."""
    with loom.no_grad():
        for g in _grads(parameters):
            g.clamp_(-float(clip_value), float(clip_value))
