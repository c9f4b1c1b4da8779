"""The losses as operators: elementwise regression losses, negative log-likelihood and cross
entropy (class indices or probabilities, class weights, ignore_index, label smoothing),
binary cross entropy (on probabilities and on logits) and KL divergence. Each is one function
in operators that arrays and tensors both offer: the kernel runs it, the backward rule
differentiates the same function (so second derivatives come too)."""
import numpy as np

from loom.plugin import ErrorInput, SampleInput, is_tensor, op

from loom.plugin import xp_of

from . import fused
from .common import composite, op_

_REDUCTIONS = ("none", "mean", "sum")


def _where(cond, a, b):
    """``where`` on arrays or tensors, with Python numbers for either branch."""
    return xp_of(cond).where(cond, a, b)


def _a(x):
    """A 0-dim NumPy result as an array (NumPy's 0-dim arithmetic gives scalars)."""
    return np.asarray(x) if isinstance(x, np.generic) else x


def _reduce(loss, reduction):
    loss = _a(loss)
    if reduction == "mean":
        return op_("mean", loss)
    if reduction == "sum":
        return op_("sum", loss)
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _mse(input, target, reduction="mean"):
    d = input - target
    return _reduce(d * d, reduction)


def _l1(input, target, reduction="mean"):
    return _reduce(op_("abs", input - target), reduction)


def _smooth_l1(input, target, reduction="mean", beta=1.0):
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    d = op_("abs", input - target)
    if beta == 0:
        return _reduce(d, reduction)
    return _reduce(_where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta), reduction)


def _huber(input, target, reduction="mean", delta=1.0):
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    d = op_("abs", input - target)
    return _reduce(_where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta)), reduction)


def _class_dim(name, x, target):
    if x.ndim == 0:
        raise RuntimeError(f"{name}: input tensor should be 1D or more, got 0D")
    return 0 if x.ndim == 1 else 1


def _nll_core(logp, target, weight, ignore_index, reduction, label_smoothing, name):
    """Weighted negative log-likelihood of class indices `target` under log-probabilities
    `logp` (classes along dim 1, or 0 unbatched), with PyTorch's label smoothing."""
    cd = _class_dim(name, logp, target)
    c = logp.shape[cd]
    expect = tuple(logp.shape[:cd]) + tuple(logp.shape[cd + 1:])
    if tuple(target.shape) != expect:
        if logp.ndim == 2 and target.ndim == 1:
            raise ValueError(f"Expected input batch_size ({logp.shape[0]}) to match target "
                             f"batch_size ({target.shape[0]}).")
        raise RuntimeError(f"Expected target size {list(expect)}, got {list(target.shape)}"
                           if logp.ndim > 2 else
                           f"0D or 1D target tensor expected, multi-target not supported")
    floating = target.is_floating_point() if is_tensor(target) else target.dtype.kind not in "iu"
    if floating:
        raise RuntimeError(f"expected scalar type Long but found {target.dtype}")
    if tuple(weight.shape) != (c,):
        raise RuntimeError(f"weight tensor should be defined either for all {c} classes or no "
                           f"classes but got weight tensor of shape: {list(weight.shape)}")
    keep = target != ignore_index
    safe = _where(keep, target, 0)
    if not is_tensor(safe) and safe.size and (int(safe.max()) >= c or int(safe.min()) < 0):
        raise IndexError(f"Target {int(safe.max()) if int(safe.max()) >= c else int(safe.min())}"
                         f" is out of bounds.")
    picked = op_("squeeze", op_("gather", logp, op_("unsqueeze", safe, cd), cd), cd)
    w = _where(keep, weight[safe], 0.0)
    loss = -picked * w
    if label_smoothing > 0:
        shape = [1] * logp.ndim
        shape[cd] = c
        smooth = -op_("sum", logp * weight.reshape(tuple(shape)), cd)
        smooth = _where(keep, smooth, 0.0)
        loss = (1 - label_smoothing) * loss + (label_smoothing / c) * smooth
    if reduction == "mean":
        return op_("sum", _a(loss)) / op_("sum", _a(w))
    return _reduce(loss, reduction)


def _rows_fast(x, target, weight):
    """Whether the array fast path serves this call: (N, C) floating scores with N > 0, (N,)
    integer class indices and (C,) weights, the shapes `_nll_core` accepts; anything else
    (tensors under a composite rule, other ranks, the errors) takes the general path."""
    return not is_tensor(x) and x.ndim == 2 and x.shape[0] and x.dtype.kind == "f" and \
        target.ndim == 1 and target.shape[0] == x.shape[0] and target.dtype.kind in "iu" and \
        weight.shape == x.shape[1:]


def _rows_loss(x, target, weight, ignore_index, reduction, label_smoothing, log_input):
    """nll_loss / cross_entropy of (N, C) arrays against (N,) class indices in a few array
    operations: the training-loop case, without an operator dispatch per step. The same
    arithmetic as `_nll_core` (PyTorch's label smoothing, weights, ignore_index)."""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    xp = xp_of(x)
    n, c = x.shape
    if log_input:
        logp = x
    else:
        z = x - fused.row_reduce(x, "max")
        logp = z - xp.log(fused.row_reduce(xp.exp(z), "sum"))
    hi, lo = int(target.max()), int(target.min())
    # an ignore_index outside the targets' range (-100 by default) ignores nothing
    every = not lo <= ignore_index <= hi
    if every:
        keep, safe = None, target
    else:
        keep = target != ignore_index
        safe = xp.where(keep, target, 0)
        hi, lo = int(safe.max()), int(safe.min())
    if hi >= c or lo < 0:
        raise IndexError(f"Target {hi if hi >= c else lo} is out of bounds.")
    w = weight[safe]
    if not every:
        w = xp.where(keep, w, 0)
    loss = -logp[xp.arange(n), safe] * w
    if label_smoothing > 0:
        smooth = -(logp * weight).sum(axis=1)
        if not every:
            smooth = xp.where(keep, smooth, 0)
        loss = (1 - label_smoothing) * loss + (label_smoothing / c) * smooth
    if reduction == "mean":
        return _a(loss.sum() / w.sum())
    return _a(loss.sum()) if reduction == "sum" else loss


def _nll(input, target, weight, ignore_index=-100, reduction="mean"):
    if _rows_fast(input, target, weight):
        return _rows_loss(input, target, weight, ignore_index, reduction, 0.0, True)
    return _nll_core(input, target, weight, ignore_index, reduction, 0.0, "nll_loss")


def _cross_entropy(input, target, weight, ignore_index=-100, reduction="mean",
                   label_smoothing=0.0):
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                           f"{label_smoothing}")
    if _rows_fast(input, target, weight):
        return _rows_loss(input, target, weight, ignore_index, reduction, label_smoothing, False)
    cd = _class_dim("cross_entropy", input, target)
    logp = op_("log_softmax", input, cd)
    floating = target.is_floating_point() if is_tensor(target) else target.dtype.kind == "f"
    if not floating:
        return _nll_core(logp, target, weight, ignore_index, reduction, label_smoothing,
                         "cross_entropy")
    # class probabilities
    if tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(f"The size of tensor a ({input.shape[cd]}) must match the size of "
                           f"tensor b ({target.shape[cd] if target.ndim > cd else 1}) at "
                           f"non-singleton dimension {cd}")
    c = input.shape[cd]
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / c
    shape = [1] * input.ndim
    shape[cd] = c
    loss = -op_("sum", logp * target * weight.reshape(tuple(shape)), cd)
    if reduction == "mean":
        n = int(np.prod(input.shape)) // c
        return op_("sum", loss) / n
    return _reduce(loss, reduction)


def _bce(input, target, reduction="mean"):
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(f"Using a target size (torch.Size({list(target.shape)})) that is "
                         f"different to the input size (torch.Size({list(input.shape)})) is "
                         f"deprecated. Please ensure they have the same size.")
    if not is_tensor(input) and input.size and (input.min() < 0 or input.max() > 1):
        raise RuntimeError("all elements of input should be between 0 and 1")
    # PyTorch clamps the logs at -100 so that 0 and 1 give finite losses
    logp = op_("clamp", op_("log", input), -100.0)
    log1m = op_("clamp", op_("log1p", -input), -100.0)
    return _reduce(-(target * logp + (1 - target) * log1m), reduction)


def _bce_logits(input, target, reduction="mean"):
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(f"Target size (torch.Size({list(target.shape)})) must be the same as "
                         f"input size (torch.Size({list(input.shape)}))")
    # (1 - t) x + log(1 + exp(-x)), with log(1 + exp(-x)) = logaddexp(0, -x) (stable)
    return _reduce((1 - target) * input + op_("logaddexp", input * 0, -input), reduction)


def _kl_div(input, target, reduction="mean", log_target=False):
    if log_target:
        loss = op_("exp", target) * (target - input)
    else:
        loss = op_("xlogy", target, target) - target * input
    if reduction == "batchmean":
        return op_("sum", loss) / (input.shape[0] if input.ndim else 1)
    return _reduce(loss, reduction)


def _pair(dt, rng, shape, kind):
    x = rng.standard_normal(shape).astype(dt)
    if kind == "prob":
        x = rng.uniform(0.05, 0.95, shape).astype(dt)
    return x


def _regression_samples(extra):
    def samples(rng, dt):
        out = []
        for shape, kw in [((3, 4), {}), ((2, 3, 2), {"reduction": "sum"}),
                          ((5,), {"reduction": "none"})] + extra:
            x, t = _pair(dt, rng, shape, ""), _pair(dt, rng, shape, "")
            out.append(SampleInput((x, t), kw, rtol=1e-4, atol=1e-5))
        return out
    return samples


def _bad_reduction(rng):
    return [ErrorInput((np.ones(3), np.ones(3)), {"reduction": "avg"}, error=ValueError,
                       match="avg is not a valid value for reduction")]


def _regression(name, fn, doc, extra=(), rule=None, **fields):
    kernel, backward = composite(fn, 2)
    backward = rule or backward
    return op(name, kernel, backward=backward, inputs=2, save_inputs=(0, 1), methods=(),
              functions=(), torch_name=f"nn.functional.{name}",
              samples=_regression_samples(list(extra)), error_samples=_bad_reduction,
              doc=doc, **fields)


def _nll_samples(log_input):
    def samples(rng, dt):
        def x(*s):
            v = rng.standard_normal(s).astype(dt)
            return v if not log_input else (v - np.log(np.exp(v).sum(1 if v.ndim > 1 else 0,
                                                                      keepdims=True)))
        w = rng.uniform(0.5, 2, 4).astype(dt)
        one = np.ones(4, dt)
        t = np.array([0, 3, 1, 3, 2])
        out = [SampleInput((x(5, 4), t, one), rtol=1e-4, atol=1e-5),
               SampleInput((x(5, 4), t, w), {"reduction": "sum"}, rtol=1e-4, atol=1e-5),
               SampleInput((x(5, 4), t, w), {"ignore_index": 3}, rtol=1e-4, atol=1e-5),
               SampleInput((x(2, 4, 3), np.array([[0, 1, 2], [3, 3, 0]]), w),
                           {"reduction": "none"}, rtol=1e-4, atol=1e-5),
               SampleInput((x(4), np.array(2), one), rtol=1e-4, atol=1e-5)]
        if not log_input:
            out.append(SampleInput((x(5, 4), t, w), {"label_smoothing": 0.2}, rtol=1e-4,
                                   atol=1e-5))
            p = rng.uniform(0.1, 1, (3, 4)).astype(dt)
            p = p / p.sum(1, keepdims=True)
            out.append(SampleInput((x(3, 4), p, one), rtol=1e-4, atol=1e-5))
            out.append(SampleInput((x(3, 4), p, w), {"label_smoothing": 0.1,
                                                     "reduction": "sum"}, rtol=1e-4, atol=1e-5))
        return out
    return samples


def _nll_errors(rng):
    return [ErrorInput((np.ones((3, 4)), np.array([0, 1]), np.ones(4)), error=ValueError,
                       match=r"Expected input batch_size \(3\) to match target batch_size \(2\)"),
            ErrorInput((np.ones((2, 4)), np.array([0, 4]), np.ones(4)), error=IndexError,
                       match="Target 4 is out of bounds.")]


def _torch_reference(name):
    """PyTorch's forward as the reference: compared through `reference` rather than
    `torch_name` because PyTorch refuses a gradient for `weight` (loom's function form refuses
    it the same way; the operator itself differentiates it, checked by finite differences)."""
    def reference(input, target, weight, **kw):
        import torch
        return getattr(torch.nn.functional, name)(
            torch.from_numpy(np.array(input)), torch.from_numpy(np.array(target)),
            torch.from_numpy(np.array(weight)), **kw).numpy()
    return reference


def _ce_node(p):
    """PyTorch's node for cross_entropy: nll_loss's, or the sum that label smoothing adds."""
    return "AddBackward0" if p and p.get("label_smoothing") else "NllLossBackward0"


def _class_op(name, fn, log_input):
    kernel, backward = composite(fn, 3)
    # the closed form for class indices; the class weights' gradient (which PyTorch refuses)
    # and probability targets go through the composite rule
    backward = fused.with_fallback(fused.nll_like_backward(log_input), backward,
                                   fused.weight_or_probabilities)
    return op(name, kernel, backward=backward, inputs=3, save_inputs=(0, 1, 2), methods=(),
              functions=(), torch_name=None, reference=_torch_reference(name),
              node_name=None if log_input else _ce_node,
              samples=_nll_samples(log_input),
              error_samples=_nll_errors,
              doc=f"{name} with classes along dim 1 (0 unbatched); `weight` is required here "
                  f"(`loom.nn.functional.{name}` passes ones when it is None).")


def _bce_samples(rng, dt):
    p = lambda *s: rng.uniform(0.05, 0.95, s).astype(dt)
    return [SampleInput((p(3, 4), p(3, 4))),
            SampleInput((p(5,), (rng.uniform(size=5) > 0.5).astype(dt)), {"reduction": "sum"}),
            SampleInput((p(2, 3), p(2, 3)), {"reduction": "none"})]


def _bce_logit_samples(rng, dt):
    x = lambda *s: (3 * rng.standard_normal(s)).astype(dt)
    p = lambda *s: rng.uniform(0, 1, s).astype(dt)
    return [SampleInput((x(3, 4), p(3, 4))),
            SampleInput((x(5,), (rng.uniform(size=5) > 0.5).astype(dt)), {"reduction": "sum"}),
            SampleInput((x(2, 3), p(2, 3)), {"reduction": "none"})]


def _kl_samples(rng, dt):
    lp = lambda *s: np.log(rng.uniform(0.05, 1, s)).astype(dt)
    p = lambda *s: rng.uniform(0.05, 1, s).astype(dt)
    return [SampleInput((lp(3, 4), p(3, 4)), {"reduction": "batchmean"}),
            SampleInput((lp(3, 4), p(3, 4))),
            SampleInput((lp(2, 3), lp(2, 3)), {"reduction": "sum", "log_target": True}),
            SampleInput((lp(5,), p(5,)), {"reduction": "none"})]


def _binary(name, fn, samples, errors, doc, rule=None, **fields):
    kernel, backward = composite(fn, 2)
    backward = rule or backward
    return op(name, kernel, backward=backward, inputs=2, save_inputs=(0, 1), methods=(),
              functions=(), torch_name=f"nn.functional.{name}", samples=samples,
              error_samples=errors, doc=doc, **fields)


# PyTorch composes these losses of other operators: its node is the last one's
def _l1_node(p):
    r = (p or {}).get("reduction", "mean")
    return {"sum": "SumBackward0", "none": "AbsBackward0"}.get(r, "MeanBackward0")


def _kl_node(p):
    p = p or {}
    r = p.get("reduction", "mean")
    if r == "none":
        return "MulBackward0" if p.get("log_target") else "SubBackward0"
    return {"sum": "SumBackward0", "batchmean": "DivBackward0"}.get(r, "MeanBackward0")


OPS = [
    _regression("mse_loss", _mse, "Mean squared error.", rule=fused.mse_backward),
    _regression("l1_loss", _l1, "Mean absolute error.", rule=fused.l1_backward,
                node_name=_l1_node),
    _regression("smooth_l1_loss", _smooth_l1, "Smooth L1: quadratic below `beta`, linear above.",
                extra=[((4, 3), {"beta": 0.5})]),
    _regression("huber_loss", _huber, "Huber: quadratic below `delta`, linear above.",
                extra=[((4, 3), {"delta": 0.7, "reduction": "sum"})]),
    _class_op("nll_loss", _nll, True),
    _class_op("cross_entropy", _cross_entropy, False),
    _binary("binary_cross_entropy", _bce, _bce_samples,
            lambda rng: [ErrorInput((np.full(3, 0.5), np.full(2, 0.5)), error=ValueError,
                                    match="different to the input size")],
            "Binary cross entropy of probabilities `input` against `target`."),
    _binary("binary_cross_entropy_with_logits", _bce_logits, _bce_logit_samples,
            lambda rng: [ErrorInput((np.ones(3), np.ones(2)), error=ValueError,
                                    match="must be the same as input size")],
            "Binary cross entropy of logits `input` (sigmoid fused, stable) against `target`.",
            rule=fused.bce_logits_backward),
    _binary("kl_div", _kl_div, _kl_samples, _bad_reduction,
            "KL divergence of log-probabilities `input` from `target` (probabilities, or "
            "log-probabilities with log_target=True).", node_name=_kl_node),
]
