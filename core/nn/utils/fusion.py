"""Folding an evaluation-mode batch norm into the convolution or linear layer before it: the
normalisation is an affine map per channel, so it becomes part of the layer's weight and
bias."""
from __future__ import annotations

import copy

import loom

from ..parameter import Parameter

__all__ = ["fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval",
           "fuse_linear_bn_weights"]


def _affine(bn_rm, bn_rv, bn_eps, bn_w, bn_b):
    """The per-channel scale and shift that evaluation-mode batch norm applies."""
    scale = loom.rsqrt(bn_rv + bn_eps)
    if bn_w is not None:
        scale = scale * bn_w
    shift = -bn_rm * scale
    if bn_b is not None:
        shift = shift + bn_b
    return scale, shift


def fuse_conv_bn_weights(conv_w, conv_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b, transpose=False):
    """The weight and bias (Parameters, in the convolution's dtypes) of a convolution followed
    by batch norm with these statistics; `transpose` for a transposed convolution (output
    channels on dim 1)."""
    scale, shift = _affine(bn_rm, bn_rv, bn_eps, bn_w, bn_b)
    shape = [1, -1] if transpose else [-1, 1]
    shape += [1] * (conv_w.dim() - 2)
    w = (conv_w * scale.reshape(shape)).to(conv_w.dtype)
    b = shift if conv_b is None else conv_b * scale + shift
    b = b.to(conv_b.dtype if conv_b is not None else conv_w.dtype)
    return Parameter(w.detach(), conv_w.requires_grad), \
        Parameter(b.detach(), conv_b.requires_grad if conv_b is not None else
                  conv_w.requires_grad)


def fuse_linear_bn_weights(linear_w, linear_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b):
    """The weight and bias of a linear layer followed by batch norm with these statistics."""
    return fuse_conv_bn_weights(linear_w, linear_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b)


def fuse_conv_bn_eval(conv, bn, transpose: bool = False):
    """A copy of `conv` that computes ``bn(conv(x))`` (both in evaluation mode)."""
    if conv.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    fused = copy.deepcopy(conv)
    if fused.bias is None:
        fused.bias = Parameter(loom.zeros(fused.weight.shape[1 if transpose else 0],
                                          dtype=fused.weight.dtype,
                                          device=fused.weight.device))
    fused.weight, fused.bias = fuse_conv_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias,
        transpose)
    return fused


def fuse_linear_bn_eval(linear, bn):
    """A copy of `linear` that computes ``bn(linear(x))`` (both in evaluation mode)."""
    if linear.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    if linear.out_features != bn.num_features and bn.num_features != 1:
        raise AssertionError("To fuse, linear.out_features must equal bn.num_features or "
                             "bn.num_features must equal 1")
    fused = copy.deepcopy(linear)
    fused.weight, fused.bias = fuse_linear_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias)
    return fused
