"""Pooling: max (with the indices PyTorch returns), average and adaptive average, 1-d and
2-d, on the window taps of the padded input. The backward rules send the gradient through the
indices (max), spread it over the taps (average, `untaps`) or apply the transposed averaging
matrices (adaptive); each serves arrays and, under ``create_graph``, tensors."""
import functools
import math

import numpy as np

import loom
from loom.plugin import ErrorInput, SampleInput, is_tensor, keep_where, op, xp_of

from .common import composite, matmul, pad, refuse_dtypes, stack, taps, tuple_of, untaps


def _out_size(n, k, s, p, d, ceil_mode):
    num = n + 2 * p - d * (k - 1) - 1
    o = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (o - 1) * s >= n + p:  # the last window must start inside the input
        o -= 1
    return o


def _geometry(name, shape, k, kernel_size, stride, padding, dilation, ceil_mode):
    """The pooling windows over an input of `shape`: (kernel, stride, padding, dilation,
    output size, input size, pads), spatial dims only; `pads` ((before, after) per dim)
    reach the last window ceil_mode makes."""
    if len(shape) not in (k + 1, k + 2):
        raise RuntimeError(f"{name}: Expected {k + 1}D or {k + 2}D (batch mode) tensor with "
                           f"optional 0 dim batch size for input, but got:{list(shape)}")
    if any(s == 0 for s in shape[-k - 1 + (len(shape) == k + 1):]):
        raise RuntimeError(f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with optional 0 "
                           f"dim batch size for input, but got:{list(shape)}")
    fn = name.replace("_with_indices", "")
    ks = tuple_of(kernel_size, k, "kernel_size", fn, 2)
    st = ks if stride is None or stride == [] or stride == () else \
        tuple_of(stride, k, "stride", fn, 3)
    pd, dl = tuple_of(padding, k, "padding", fn, 4), tuple_of(dilation, k, "dilation", fn, 5)
    for p, kk in zip(pd, ks):
        if p > kk // 2:
            raise RuntimeError(f"{name}: pad should be at most half of effective kernel size, but "
                               f"got pad={p}, kernel_size={kk} and dilation={dl[0]}"
                               if "max" in name else
                               f"pad should be at most half of kernel size, but got "
                               f"pad={p} and kernel_size={kk}")
    sp = tuple(shape[-k:])
    out = tuple(_out_size(n, kk, s, p, d, ceil_mode) for n, kk, s, p, d in zip(sp, ks, st, pd, dl))
    if any(o <= 0 for o in out):
        given, calc = shape[-k - 1:], (shape[-k - 1],) + out
        raise RuntimeError(f"{name}: Given input size: ({'x'.join(map(str, given))}). "
                           f"Calculated output size: ({'x'.join(map(str, calc))}). "
                           f"Output size is too small")
    # pad right enough for ceil_mode's last window
    pads = [(p, max(p, (o - 1) * s + d * (kk - 1) + 1 - n - p))
            for p, o, s, d, kk, n in zip(pd, out, st, dl, ks, sp)]
    return ks, st, pd, dl, out, sp, pads


def _scatter(parts, geo):
    """The per-tap gradients `parts` added back into the input's shape (`untaps`)."""
    ks, st, _, dl, out, sp, pads = geo
    size = tuple(n + b + a for n, (b, a) in zip(sp, pads))
    return untaps(parts, size, pads, ks, st, dl, out)


def _max_pool(name, k, x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    refuse_dtypes(name, x, ("Float", "Double", "Half", "BFloat16", "Long", "Int", "Short", "Char",
                            "Byte"))
    geo = _geometry(name, x.shape, k, kernel_size, stride, padding, dilation, ceil_mode)
    ks, st, pd, dl, out, sp, pads = geo
    xp = xp_of(x)
    # the maxima elementwise over the taps, then each window's tap as PyTorch's scan in tap
    # order picks it: the first maximum, or the last NaN (several times faster than an argmax
    # across a stacked axis of the taps)
    low = -math.inf if x.dtype.kind in "fc" else np.iinfo(x.dtype).min   # the padding
    parts = taps(pad(x, pads, low), ks, st, dl, out)
    values = xp.array(parts[0], copy=True)
    for part in parts[1:]:
        xp.maximum(values, part, out=values)
    # the index: the window's first position in the input's flattened spatial dims plus the
    # picked tap's offset from it
    steps = [_numel(sp[i + 1:]) for i in range(k)]
    offsets = [sum(o * d * n for o, d, n in zip(off, dl, steps)) for off in np.ndindex(*ks)]
    if len(parts) <= 16:  # which taps hold the maximum, as bits; a table gives the first's
        wide = len(parts) > 8
        code = xp.zeros(values.shape, np.uint16 if wide else np.uint8)
        for t, part in enumerate(parts):
            hit = part == values
            hit = hit.astype(np.uint16) if wide else hit.view(np.uint8)
            hit <<= t
            code |= hit
        idx = xp.asarray(_first_of(tuple(offsets)))[code]
    else:
        idx = xp.zeros(values.shape, np.int64)
        for t in range(len(parts) - 1, -1, -1):
            xp.copyto(idx, offsets[t], where=parts[t] == values)
    if values.dtype.kind in "fc" and xp.isnan(values).any():
        for t, part in enumerate(parts):
            xp.copyto(idx, offsets[t], where=part != part)
    inside = 0  # each window's first position inside the input (its start may be padding)
    for i in range(k):
        start = np.arange(out[i], dtype=np.int64) * st[i] - pd[i]
        shape = (-1,) + (1,) * (k - 1 - i)
        idx += xp.asarray(start * steps[i]).reshape(shape)
        start = np.where(start < 0, start + -(start // dl[i]) * dl[i], start)
        inside = inside + xp.asarray(start * steps[i]).reshape(shape)
    if any(b or a for b, a in pads) and (values == low).any():
        # a window holding nothing above the padding: PyTorch names its first inner position
        idx = xp.where(values == low, inside, idx)
    return values, idx


@functools.lru_cache(maxsize=16)  # a table holds up to 2**16 entries
def _first_of(offsets):
    """For each bit mask of taps, the offset of its lowest tap (0 for none): the pick among
    tied maxima, one table lookup per window instead of a pass per tap."""
    codes = np.arange(1, 1 << len(offsets))
    table = np.zeros(1 << len(offsets), np.int64)
    table[1:] = np.asarray(offsets, np.int64)[np.log2(codes & -codes).astype(np.intp)]
    return table


def _max_pool_backward(k):
    """Max pooling's rule: the gradient of each window's maximum added to the input element
    its index names. On arrays that is one `bincount` over flat positions (each (N, C) plane
    offset by its number); on tensors (under ``create_graph``) a `scatter_add`, which records
    itself."""
    def backward(ctx, grads):
        g, idx, shape = grads[0], ctx.saved[1][1], ctx.shapes[0]
        if g is None:
            return (None,)
        lead, plane = tuple(g.shape[:-k]), _numel(shape[-k:])
        g2, i2 = g.reshape(lead + (-1,)), idx.reshape(lead + (-1,))
        if is_tensor(g):
            gx = loom.zeros(lead + (plane,), dtype=g.dtype, device=g.device)
            return (_tied(gx.scatter_add(-1, i2, g2).reshape(shape), ctx),)
        xp = xp_of(g)
        flat = i2 + (xp.arange(_numel(lead)) * plane).reshape(lead + (1,))
        gx = xp.bincount(flat.reshape(-1), weights=g2.reshape(-1), minlength=_numel(shape))
        return (gx.astype(g.dtype, copy=False).reshape(shape),)
    return backward


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def _tied(gx, ctx):
    """`gx`, recorded (under ``create_graph``) as a function of the input too, with a zero
    derivative: PyTorch's pooling backward takes the input, so differentiating the gradient
    in the input gives zeros, not an unused-input error."""
    if not is_tensor(gx):
        return gx
    x = ctx.saved[0]
    return gx + keep_where(loom.zeros_like(x, dtype=loom.bool), x)


def _max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    return _max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode)


def _max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode)


def _avg_pool(name, k, x, kernel_size, stride=None, padding=0, ceil_mode=False,
              count_include_pad=True, divisor_override=None):
    # PyTorch's CPU kernel (avg_pool2d serves 1-d too)
    refuse_dtypes("avg_pool2d", x, ("Float", "Double", "Half", "BFloat16", "Long"))
    ks, st, pd, dl, out, sp, pads = _geometry(name, x.shape, k, kernel_size, stride, padding, 1,
                                              ceil_mode)
    dt = x.dtype
    if dt == np.float16:  # accumulated in float32, as PyTorch's CPU kernel does
        return _avg_pool(name, k, x.astype(np.float32), kernel_size, stride, padding, ceil_mode,
                         count_include_pad, divisor_override).astype(dt)
    parts = taps(pad(x, pads), ks, st, dl, out)
    total = parts[0] + parts[1] if len(parts) > 1 else parts[0].copy()
    for part in parts[2:]:  # summed in place, tap by tap (no stacked copy of the windows)
        total += part
    integer = total.dtype.kind in "iu"
    if divisor_override:
        return total // divisor_override if integer else total / divisor_override
    div = _divisor(ks, st, pd, out, sp, count_include_pad)
    if integer:  # Long input: the quotient truncated, as PyTorch's integer division
        return xp_of(total).trunc(total / xp_of(total).asarray(div)).astype(dt)
    return total / xp_of(total).asarray(div).astype(dt)


def _divisor(ks, st, pd, out, sp, count_include_pad):
    """The divisor of each window (a float64 array of the output's spatial shape): its cells
    inside the padded input (count_include_pad) or inside the input itself, as PyTorch counts
    them."""
    k = len(ks)
    div = np.ones(out)
    for i in range(k):
        start = np.arange(out[i]) * st[i] - pd[i]
        end = np.minimum(start + ks[i], sp[i] + pd[i])
        if not count_include_pad:
            n = np.minimum(end, sp[i]) - np.maximum(start, 0)
        else:
            n = end - start
        div = div * n.reshape((-1,) + (1,) * (k - 1 - i))
    return div


def _avg_pool_backward(name, k):
    """Average pooling's rule: each window's gradient over its divisor, spread over the
    window's taps and scattered back."""
    def backward(ctx, g):
        p = ctx.params
        geo = _geometry(name, ctx.shapes[0], k, p["kernel_size"], p["stride"], p["padding"], 1,
                        p["ceil_mode"])
        ks, st, pd, _, out, sp, _ = geo
        if p.get("divisor_override"):
            share = g / p["divisor_override"]
        else:
            share = g / _const(_divisor(ks, st, pd, out, sp, p["count_include_pad"]), g)
        return (_tied(_scatter([share] * int(np.prod(ks)), geo), ctx),)
    return backward


def _const(a, like):
    """NumPy array `a` in the dtype and on the device of `like` (an array or a tensor)."""
    if is_tensor(like):
        return loom.as_tensor(a, dtype=like.dtype, device=like.device)
    return xp_of(like).asarray(a).astype(like.dtype, copy=False)


def _avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
                count_include_pad=True):
    return _avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad)


def _avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
                count_include_pad=True, divisor_override=None):
    return _avg_pool("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


def _adaptive_avg_pool2d(input, output_size):
    x = input
    if x.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got "
                           f"{list(x.shape)}")
    h, w = x.shape[-2:]
    if isinstance(output_size, (list, tuple)) and len(output_size) == 2:  # None: keep the size
        output_size = tuple(n if s is None else s for s, n in zip(output_size, (h, w)))
    oh, ow = tuple_of(output_size, 2, "output_size")
    rows = []
    for i in range(oh):
        a, b = (i * h) // oh, -(-((i + 1) * h) // oh)
        cols = []
        for j in range(ow):
            c, d = (j * w) // ow, -(-((j + 1) * w) // ow)
            cell = x[..., a:b, c:d]
            cols.append(cell.mean(axis=(-2, -1)))
        rows.append(stack(cols, -1))
    return stack(rows, -2)


def _adaptive_matrix(n, m):
    """The (m, n) matrix whose row i averages adaptive cell i of a length-n axis."""
    a = np.zeros((m, n))
    for i in range(m):
        lo, hi = (i * n) // m, -(-((i + 1) * n) // m)
        a[i, lo:hi] = 1.0 / (hi - lo)
    return a


def _adaptive_avg_pool2d_backward(ctx, g):
    """Adaptive average pooling is ``Ah @ x @ Aw^T`` with the averaging matrices of each
    axis, so its gradient is ``Ah^T @ g @ Aw``."""
    h, w = ctx.shapes[0][-2:]
    oh, ow = g.shape[-2:]
    ah, aw = _adaptive_matrix(h, oh), _adaptive_matrix(w, ow)
    return (_tied(matmul(matmul(_const(ah.T, g), g), _const(aw, g)), ctx),)


def _samples(calls, **fields):
    def samples(rng, dt):
        return [SampleInput((rng.standard_normal(shape).astype(dt),) + rest, kw, **fields)
                for shape, rest, kw in calls]
    return samples


def _op(name, fn, calls, doc, errors, backward, torch_name=None, **fields):
    kernel, _ = composite(fn, 1)  # the kernel: fn on arrays, with fn's signature
    return op(name, kernel, backward=backward, inputs=1, save_inputs=(0,), methods=(),
              functions=fields.pop("functions", (name,)),
              torch_name=torch_name or f"nn.functional.{name}", samples=_samples(calls),
              error_samples=errors, doc=doc, **fields)


def _bad_input(shape, kernel):
    return lambda rng: [ErrorInput((np.ones(shape), kernel), match="Expected",
                                   note="wrong number of dims")]


OPS = [
    _op("max_pool1d_with_indices", _max_pool1d,
        [((2, 3, 7), (2,), {}), ((3, 8), (3, 2, 1), {"ceil_mode": True}),
         ((1, 2, 9), (3,), {"dilation": 2, "padding": 1})],
        "1-d max pooling: the maxima and their flat positions in the input.",
        _bad_input((2, 2, 3, 4), 2), _max_pool_backward(1),
        save_output=True, functions=()),
    _op("max_pool2d_with_indices", _max_pool2d,
        [((2, 3, 6, 5), (2,), {}), ((3, 7, 7), (3, 2, 1), {"ceil_mode": True}),
         ((1, 2, 7, 6), ((3, 2), (1, 2), (1, 0), (2, 1)), {}),
         ((2, 2, 8, 7), (3, 2, 1), {"ceil_mode": True})],
        "2-d max pooling: the maxima and their flat positions in the input's H x W.",
        _bad_input((2, 3), 2), _max_pool_backward(2),
        save_output=True, functions=()),
    _op("avg_pool1d", _avg_pool1d,
        [((2, 3, 7), (2,), {}), ((3, 8), (3, 2, 1), {"ceil_mode": True}),
         ((1, 2, 9), (3, 2, 1), {"count_include_pad": False})],
        "1-d average pooling.", _bad_input((2, 2, 3, 4), 2), _avg_pool_backward("avg_pool1d", 1),
        torch_name="avg_pool1d"),
    _op("avg_pool2d", _avg_pool2d,
        [((2, 3, 6, 5), (2,), {}), ((3, 7, 7), (3, 2, 1), {"ceil_mode": True}),
         ((1, 2, 7, 6), ((3, 2), (1, 2), (1, 0)), {"count_include_pad": False}),
         ((1, 2, 4, 4), (2,), {"divisor_override": 3})],
        "2-d average pooling.", _bad_input((1, 2, 3, 4, 5), 2),
        _avg_pool_backward("avg_pool2d", 2),
        functions=()),
    _op("adaptive_avg_pool2d", _adaptive_avg_pool2d,
        [((2, 3, 7, 5), ((3, 2),), {}), ((3, 6, 6), (2,), {}), ((1, 2, 5, 4), ((5, 4),), {})],
        "2-d adaptive average pooling to `output_size`.", _bad_input((2, 3), 2),
        _adaptive_avg_pool2d_backward, functions=()),
]
