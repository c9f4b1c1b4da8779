"""Fused backward rules of the common losses: the gradient in closed form (softmax minus the
smoothed, weighted one-hot for cross entropy; sigmoid minus target for the logits form; the
residual for MSE and L1), written once in operations that raw arrays and loom tensors both
offer, so the same rule serves ``create_graph`` (and differentiates again). A case a closed
form here does not cover (a gradient for the class weights, which PyTorch refuses anyway)
falls back to the op's composite rule."""
import numpy as np

import loom
from loom.plugin import is_tensor, xp_of

from .common import op_


def _a(x):
    return np.asarray(x) if isinstance(x, np.generic) else x


def _scale(g, reduction, n):
    """The incoming gradient as the factor of each element's derivative."""
    if reduction == "mean":
        return g / n if n else g * 0
    return g


def _arange_like(x, n):
    if is_tensor(x):
        return loom.arange(n, device=x.device)
    return xp_of(x).arange(n)


def with_fallback(rule, fallback, needs_fallback):
    """`rule`, or `fallback` when ``needs_fallback(ctx)``."""
    def backward(ctx, g):
        if needs_fallback(ctx):
            return fallback(ctx, g)
        return rule(ctx, g)
    return backward


def mse_backward(ctx, g):
    x, t = ctx.saved
    d = x - t
    gx = 2 * d * _scale(g, ctx.params["reduction"], _a(d).size if not is_tensor(d) else d.numel())
    return (gx if ctx.needs_input_grad[0] else None,
            -gx if ctx.needs_input_grad[1] else None)


def l1_backward(ctx, g):
    x, t = ctx.saved
    d = x - t
    n = d.numel() if is_tensor(d) else _a(d).size
    gx = op_("sign", _a(d)) * _scale(g, ctx.params["reduction"], n)
    return (gx if ctx.needs_input_grad[0] else None,
            -gx if ctx.needs_input_grad[1] else None)


def bce_logits_backward(ctx, g):
    x, t = ctx.saved
    n = x.numel() if is_tensor(x) else _a(x).size
    s = _scale(g, ctx.params["reduction"], n)
    return ((op_("sigmoid", x) - t) * s if ctx.needs_input_grad[0] else None,
            -x * s if ctx.needs_input_grad[1] else None)


def _class_indices(ctx):
    t = ctx.saved[1]
    return not (t.is_floating_point() if is_tensor(t) else t.dtype.kind == "f")


def nll_like_backward(log_input):
    """The gradient of nll_loss (``log_input``: `input` holds log-probabilities) or of
    cross_entropy (logits) with class indices, weights, ignore_index and label smoothing."""
    def backward(ctx, g):
        x, t, w = ctx.saved
        p = ctx.params
        x, t = _a(x), _a(t)
        if not is_tensor(x) and x.ndim == 2 and t.ndim == 1:
            return (_rows_backward(x, t, w, _a(g), p, log_input), None, None)
        cd = 0 if x.ndim == 1 else 1
        c = x.shape[cd]
        ls = p.get("label_smoothing", 0.0)
        xpw = xp_of(t)
        keep = t != p["ignore_index"]
        safe = xpw.where(keep, t, 0)
        wt = xpw.where(keep, w[safe], 0.0)                       # (N, ...)
        shape = [1] * x.ndim
        shape[cd] = c
        classes = _arange_like(x, c).reshape(tuple(shape))
        onehot = classes == op_("unsqueeze", safe, cd)
        coef = xpw.where(onehot, op_("unsqueeze", (1 - ls) * wt, cd), 0.0)
        if ls:
            coef = coef + (ls / c) * w.reshape(tuple(shape)) * op_("unsqueeze", keep, cd)
        red = p["reduction"]
        if red == "mean":
            scale = g / op_("sum", _a(wt))
        elif red == "sum":
            scale = g
        else:
            scale = op_("unsqueeze", _a(g), cd)
        if log_input:
            gx = -coef * scale
        else:
            sm = op_("softmax", x, cd)
            gx = (sm * op_("sum", coef, cd, True) - coef) * scale
        return gx, None, None
    return backward


def row_reduce(x, how):
    """``x.max/sum(axis=1, keepdims=True)`` of an (N, C) array. For few classes NumPy loops
    once per row; on a NumPy array the transposed copy reduced over its first dim runs one
    vector loop instead, about 3x faster."""
    if type(x) is np.ndarray and x.shape[1] <= 32 and x.shape[0] >= 16:
        t = np.ascontiguousarray(x.T)
        return (np.maximum.reduce(t, 0) if how == "max" else np.add.reduce(t, 0))[:, None]
    return x.max(axis=1, keepdims=True) if how == "max" else x.sum(axis=1, keepdims=True)


def _rows_backward(x, t, w, g, p, log_input):
    """The same gradient for (N, C) arrays and (N,) class indices, in a few array operations:
    coef = (1 - ls) * w[t] at the target class plus (ls / C) * w everywhere (zero on ignored
    rows); d/dx = -coef for log-probabilities, softmax(x) * rowsum(coef) - coef for logits."""
    xp = xp_of(x)
    n, c = x.shape
    ls = p.get("label_smoothing", 0.0)
    ig = p["ignore_index"]
    every = not int(t.min()) <= ig <= int(t.max())  # the forward checked the range
    keep = True if every else t != ig
    safe = t if every else xp.where(keep, t, 0)
    wt = w[safe] if every else xp.where(keep, w[safe], 0)       # (N,)
    red = p["reduction"]
    scale = g / wt.sum() if red == "mean" else g if red == "sum" else g[:, None]
    rows = xp.arange(n)
    if log_input:
        gx = xp.zeros_like(x)
    else:
        e = xp.exp(x - row_reduce(x, "max"))
        rowsum = (1 - ls) * wt + ((ls / c) * w.sum()) * keep if ls else wt
        gx = e * (rowsum / row_reduce(e, "sum")[:, 0])[:, None]  # softmax * rowsum(coef)
    gx[rows, safe] -= (1 - ls) * wt
    if ls:
        gx -= (ls / c) * w if every else (ls / c) * w * keep[:, None]
    gx *= scale
    return gx


def weight_needs_grad(ctx):
    return ctx.needs_input_grad[2]


def weight_or_probabilities(ctx):
    return ctx.needs_input_grad[2] or not _class_indices(ctx)
