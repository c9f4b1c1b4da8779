"""Connectionist temporal classification loss as an operator: the forward (alpha) recursion
over the blank-extended targets in log space, batched over the samples; the backward rule is
the derivative, ``-exp(log(alpha beta) + nll - lp)`` per time step and class (the beta
recursion on arrays; zero past each input's length), and under ``create_graph`` the same
recursion differentiated on tensors. PyTorch's ``ctc_loss`` gradient adds ``exp(lp)`` (the
gradient for log-softmax inputs); `loom.nn.functional.ctc_loss` adds that term."""
import numpy as np

import loom
from loom.plugin import (ErrorInput, SampleInput, backend_of, composite, is_tensor, move_like,
                         op)

_NEG = -np.inf


def _lse(*xs):
    """Elementwise log-sum-exp of arrays with -inf entries (no warnings, -inf when all are)."""
    m = xs[0]
    for x in xs[1:]:
        m = np.maximum(m, x)
    safe = np.where(np.isfinite(m), m, 0)
    s = sum(np.exp(x - safe) for x in xs)
    with np.errstate(divide="ignore"):
        return np.where(np.isfinite(m), np.log(s) + safe, m)


def _prepare(xp, log_probs, targets, input_lengths, target_lengths, blank):
    """Checks as PyTorch's ctc_loss_cpu; the extended labels (N, 2 Smax + 1) and the masks of
    where the skip transition (s - 2 -> s) is allowed."""
    lp = np.asarray(log_probs)
    if lp.ndim != 3:
        raise RuntimeError(f"log_probs must be 3-D (batch_size, input length, num_labels), but "
                           f"got: {lp.ndim}")
    if lp.dtype.kind != "f":
        raise RuntimeError(f'"ctc_loss_cpu" not implemented for \'{lp.dtype}\'')
    t_max, n, c = lp.shape
    tg = np.asarray(targets)
    il = np.asarray(input_lengths).astype(np.int64).reshape(-1)
    tl = np.asarray(target_lengths).astype(np.int64).reshape(-1)
    if tg.dtype.kind not in "iu":
        raise RuntimeError("ctc_loss: expected targets to be an integer tensor")
    if not 0 <= blank < c:
        raise RuntimeError("blank must be in label range")
    if il.shape[0] != n:
        raise RuntimeError(f"input_lengths must be of size batch_size, but got {il.shape[0]} "
                           f"and {n}")
    if tl.shape[0] != n:
        raise RuntimeError(f"target_lengths must be of size batch_size, but got {tl.shape[0]} "
                           f"and {n}")
    s_max = int(tl.max()) if n else 0
    labels = np.zeros((n, s_max), np.int64)
    if tg.ndim == 1:
        offsets = np.concatenate([[0], np.cumsum(tl)[:-1]]) if n else np.zeros(0, np.int64)
        for b in range(n):
            labels[b, :tl[b]] = tg[offsets[b]:offsets[b] + tl[b]]
    else:
        for b in range(n):
            if tl[b] > tg.shape[1]:
                raise RuntimeError(f"Expected tensor to have size at least {tl[b]} at dimension "
                                   f"1, but got size {tg.shape[1]} for argument #2 'targets' "
                                   "(while checking arguments for ctc_loss_allocate_outputs)")
            labels[b, :tl[b]] = tg[b, :tl[b]]
    for b in range(n):
        if il[b] > t_max:
            raise RuntimeError(f"Expected input_lengths to have value at most {t_max}, but got "
                               f"value {il[b]} (while checking arguments for "
                               f"ctc_loss_allocate_outputs)")
        if il[b] < 0 or tl[b] < 0:
            raise RuntimeError("ctc_loss: lengths must be non-negative")
    ext = np.full((n, 2 * s_max + 1), blank, np.int64)
    ext[:, 1::2] = labels
    skip = np.zeros(ext.shape, bool)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    valid = np.arange(2 * s_max + 1)[None, :] < (2 * tl[:, None] + 1)
    return lp, ext, skip, valid, il, tl


def _emissions(lp, ext):
    """lp[t, b, ext[b, s]] as (T, N, S')."""
    n = lp.shape[1]
    return lp[:, np.arange(n)[:, None], ext]


def _alpha(lp, ext, skip, valid, il, tl):
    t_max, n, _ = lp.shape
    em = _emissions(lp, ext)
    s2 = ext.shape[1]
    la = np.full((t_max, n, s2), _NEG, lp.dtype)
    if t_max == 0:
        return la, em
    first = np.full((n, s2), _NEG, lp.dtype)
    first[:, 0] = em[0, :, 0]
    if s2 > 1:
        first[:, 1] = np.where(tl > 0, em[0, :, 1], _NEG)
    la[0] = np.where(valid, first, _NEG)
    for t in range(1, t_max):
        prev = la[t - 1]
        one = np.concatenate([np.full((n, 1), _NEG, lp.dtype), prev[:, :-1]], 1)
        two = np.concatenate([np.full((n, 2), _NEG, lp.dtype), prev[:, :-2]], 1)[:, :s2]
        two = np.where(skip, two, _NEG)
        cur = np.where(valid, _lse(prev, one, two) + em[t], _NEG)
        la[t] = np.where((t < il)[:, None], cur, prev)
    return la, em


def _nll(la, il, tl):
    n = la.shape[1]
    out = np.empty(n, la.dtype)
    for b in range(n):
        if il[b] == 0:
            out[b] = 0.0 if tl[b] == 0 else np.inf
            continue
        last = la[il[b] - 1, b]
        end = 2 * tl[b]
        v = last[end] if tl[b] == 0 else _lse(last[end:end + 1], last[end - 1:end])[0]
        out[b] = -v
    return out


def _to_host(a):
    """An array or tensor on the host (NumPy): the recursions run there, one sample-batched
    step per time step."""
    if is_tensor(a):
        return a.detach().cpu().numpy()
    if isinstance(a, (np.generic, int, float)):
        return np.asarray(a)
    return np.asarray(backend_of(a).to_host(a))


def _ctc(xp, log_probs, targets, input_lengths, target_lengths, blank=0, zero_infinity=False):
    lp, ext, skip, valid, il, tl = _prepare(
        xp, _to_host(log_probs), _to_host(targets), _to_host(input_lengths),
        _to_host(target_lengths), blank)
    la, _ = _alpha(lp, ext, skip, valid, il, tl)
    nll = _nll(la, il, tl)
    if zero_infinity:
        nll = np.where(nll == np.inf, 0, nll)
    return move_like(np.ascontiguousarray(nll, lp.dtype), log_probs)


_LOG_ZERO = -1e30  # "log 0" on tensors: finite, so that the log-sum-exp's gradient is 0


def _ctc_tensors(log_probs, targets, input_lengths, target_lengths, blank=0,
                 zero_infinity=False):
    """The per-sample loss in loom operations (the rule under create_graph differentiates
    it)."""
    lp_np = np.zeros(tuple(log_probs.shape), np.float32)
    _, ext, skip, valid, il, tl = _prepare(np, lp_np, _to_host(targets),
                                           _to_host(input_lengths), _to_host(target_lengths),
                                           blank)
    t_max, n, _ = log_probs.shape
    s2 = ext.shape[1]
    dev = log_probs.device

    def on(a):
        return loom.from_numpy(np.ascontiguousarray(a)).to(dev)
    em = log_probs[:, loom.arange(n, device=dev).unsqueeze(1), on(ext)]   # (T, N, S')
    valid_t, skip_t = on(valid), on(skip)
    first = np.zeros((n, s2), bool)
    first[:, 0] = True
    if s2 > 1:
        first[:, 1] = tl > 0
    la = loom.where(on(first & valid), em[0], _LOG_ZERO)
    pad1 = loom.full((n, 1), _LOG_ZERO, dtype=log_probs.dtype, device=dev)
    pad2 = loom.full((n, 2), _LOG_ZERO, dtype=log_probs.dtype, device=dev)
    for t in range(1, t_max):
        one = loom.cat([pad1, la[:, :-1]], 1)
        two = loom.where(skip_t, loom.cat([pad2, la[:, :-2]], 1)[:, :s2], _LOG_ZERO)
        m = loom.maximum(loom.maximum(la, one), two).detach()
        lse = m + loom.log(loom.exp(la - m) + loom.exp(one - m) + loom.exp(two - m))
        cur = loom.where(valid_t, lse + em[t], _LOG_ZERO)
        la = loom.where(on((t < il)[:, None]), cur, la)
    rows = loom.arange(n, device=dev)
    a = la[rows, on(2 * tl)]
    b = loom.where(on(tl > 0), la[rows, on(np.maximum(2 * tl - 1, 0))], _LOG_ZERO)
    m = loom.maximum(a, b).detach()   # (logaddexp's rule overflows at a gap of 1e30)
    nll = -(m + loom.log(loom.exp(a - m) + loom.exp(b - m)))
    if (il == 0).any():   # no input: loss 0 for an empty target, infinite otherwise
        empty = np.where(tl == 0, 0.0, -_LOG_ZERO)
        nll = loom.where(on(il == 0), on(empty).to(nll.dtype), nll)
    if zero_infinity:
        nll = loom.where(nll > 1e29, loom.zeros_like(nll), nll)
    return nll


_, _tensor_rule = composite(_ctc_tensors, 4)


def _ctc_backward(ctx, g):
    if is_tensor(g):
        return _tensor_rule(ctx, g)
    saved = ctx.saved
    blank = ctx.params.get("blank", 0)
    zero_infinity = ctx.params.get("zero_infinity", False)
    lp, ext, skip, valid, il, tl = _prepare(np, *(_to_host(a) for a in saved), blank)
    t_max, n, c = lp.shape
    la, em = _alpha(lp, ext, skip, valid, il, tl)
    nll = _nll(la, il, tl)
    s2 = ext.shape[1]
    lb = np.full((t_max, n, s2), _NEG, lp.dtype)
    for b in range(n):
        T = il[b]
        if T == 0:
            continue
        end = 2 * tl[b]
        lb[T - 1, b, end] = em[T - 1, b, end]
        if tl[b] > 0:
            lb[T - 1, b, end - 1] = em[T - 1, b, end - 1]
    # skip into s from s - 2 forward is skip from s to s + 2 backward: allowed when ext[s + 2]
    # may skip
    skip_b = np.zeros(ext.shape, bool)
    skip_b[:, :-2] = skip[:, 2:]
    for t in range(t_max - 2, -1, -1):
        nxt = lb[t + 1]
        one = np.concatenate([nxt[:, 1:], np.full((n, 1), _NEG, lp.dtype)], 1)
        two = np.concatenate([nxt[:, 2:], np.full((n, 2), _NEG, lp.dtype)], 1)[:, :s2]
        two = np.where(skip_b, two, _NEG)
        cur = np.where(valid, _lse(nxt, one, two) + em[t], _NEG)
        active = (t < il - 1)[:, None]
        lb[t] = np.where(active, cur, lb[t])
    ab = la + lb   # (T, N, S')
    lcab = np.full((t_max, n, c), _NEG, lp.dtype)
    for s in range(s2):
        idx = ext[:, s]
        cur = lcab[:, np.arange(n), idx]
        lcab[:, np.arange(n), idx] = _lse(cur, ab[:, :, s])
    gout = np.broadcast_to(_to_host(g).astype(lp.dtype), (n,))
    with np.errstate(over="ignore", invalid="ignore"):
        res = -np.exp(lcab + nll[None, :, None] - lp)
    res = res * gout[None, :, None]
    live = np.arange(t_max)[:, None] < il[None, :]
    if zero_infinity:
        live = live & (nll != np.inf)[None, :]
    res = np.ascontiguousarray(np.where(live[:, :, None], res, 0), lp.dtype)
    return move_like(res, saved[0]), None, None, None


def _samples(rng, dt):
    def lp(t, n, c):
        x = rng.standard_normal((t, n, c))
        return (x - np.log(np.exp(x).sum(-1, keepdims=True))).astype(dt)
    return [SampleInput((lp(6, 2, 4), np.array([[1, 2, 2], [3, 1, 0]]), np.array([6, 5]),
                         np.array([3, 2])), rtol=1e-4, atol=1e-5),
            SampleInput((lp(5, 3, 3), np.array([1, 1, 2, 2, 1]), np.array([5, 4, 2]),
                         np.array([2, 2, 1])), {"blank": 0}, rtol=1e-4, atol=1e-5),
            SampleInput((lp(4, 2, 5), np.array([[4, 4, 4, 4], [1, 2, 3, 4]]),
                         np.array([4, 4]), np.array([4, 2])), {"zero_infinity": True},
                        rtol=1e-4, atol=1e-5),
            SampleInput((lp(5, 2, 4), np.array([[0, 1], [2, 0]]), np.array([5, 3]),
                         np.array([1, 0])), {"blank": 3}, rtol=1e-4, atol=1e-5)]


def _errors(rng):
    lp = np.zeros((4, 2, 3))
    return [ErrorInput((lp, np.array([[1, 2], [1, 1]]), np.array([5, 4]), np.array([2, 2])),
                       match="Expected input_lengths to have value at most 4"),
            ErrorInput((lp, np.array([[1, 2], [1, 1]]), np.array([4, 4]), np.array([2, 3])),
                       match="Expected tensor to have size at least 3 at dimension 1")]


def _reference(log_probs, targets, input_lengths, target_lengths, blank=0,
               zero_infinity=False):
    import torch
    return torch.nn.functional.ctc_loss(
        torch.from_numpy(np.array(log_probs)), torch.from_numpy(np.array(targets)),
        torch.from_numpy(np.array(input_lengths)), torch.from_numpy(np.array(target_lengths)),
        blank=blank, reduction="none", zero_infinity=zero_infinity).numpy()


OPS = [op("ctc_loss", _ctc, backward=_ctc_backward, inputs=4, save_inputs=(0, 1, 2, 3),
          methods=(), functions=(), torch_name=None, reference=_reference, samples=_samples,
          error_samples=_errors,
          doc="CTC loss of (T, N, C) log-probabilities against padded (N, S) or concatenated "
              "targets, one value per sample (reduction='none'; `loom.nn.functional.ctc_loss` "
              "reduces, and adds PyTorch's exp(log_probs) term to the gradient).")]
