"""linear: ``input @ weight.T + bias`` as one operator, as PyTorch runs `F.linear` (one addmm
for a 2-D input). One node instead of three (transpose, matmul, add) and one output buffer:
the bias is added into the product in place. The weight's gradient comes out in the weight's
own layout, so it becomes the parameter's ``.grad`` without a copy."""
import math

import numpy as np

from loom.plugin import ErrorInput, SampleInput, dense, op, sum_to_shape

from .common import matmul, scalar_name

# PyTorch's C++ names of the dtypes, in mm's "expected m1 and m2 ..." message
_C_NAMES = dict(int64="long int", int32="int", int16="short int", int8="signed char",
                uint8="unsigned char", bool="bool", float16="c10::Half",
                bfloat16="c10::BFloat16", float32="float", float64="double",
                complex64="c10::complex<float>", complex128="c10::complex<double>")

_GIVEN = "given"  # the `bias` parameter when a bias tensor is among the inputs


def _prepare(input, weight, bias=None):
    """The tensors as the leading arguments, in the order of PyTorch's node (addmm's: bias,
    input, weight; mm's: input, weight), so that ``grad_fn.next_functions`` lists them as
    there; a missing bias is the parameter ``bias=None``."""
    return (input, weight, None) if bias is None else (bias, input, weight)


def _check(x, w, b, has_bias):
    if x.ndim == 0 or w.ndim == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are "
                           f"{x.ndim}D and {w.ndim}D")
    if w.ndim != 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {w.ndim}D"
                           if w.ndim > 2 else "mat2 must be a matrix, got 1-D tensor")
    rows = math.prod(x.shape[:-1])
    if x.shape[-1] != w.shape[1]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{x.shape[-1]} "
                           f"and {w.shape[1]}x{w.shape[0]})")
    if x.dtype != w.dtype:
        raise RuntimeError(
            f"mat1 and mat2 must have the same dtype, but got {scalar_name(x)} and "
            f"{scalar_name(w)}" if has_bias else f"expected m1 and m2 to have the same dtype, "
            f"but got: {_C_NAMES.get(x.dtype.name, x.dtype.name)} != "
            f"{_C_NAMES.get(w.dtype.name, w.dtype.name)}")
    if b is not None:
        if b.dtype != w.dtype:
            raise RuntimeError(f"self and mat2 must have the same dtype, but got "
                               f"{scalar_name(b)} and {scalar_name(w)}")
        _check_bias(b.shape, (rows, w.shape[0]), scalar_name(b))
    if x.dtype == bool:
        raise NotImplementedError("\"addmm_impl_cpu_\" not implemented for 'Bool'")


def _check_bias(shape, target, scalar):
    """The bias expands to (rows, out), the product's 2-D form, as addmm's does."""
    tsizes = f"Target sizes: [{', '.join(map(str, target))}].  Tensor sizes: " \
             f"[{', '.join(map(str, shape))}]"
    if len(shape) > 2:
        raise RuntimeError(f"expand(torch.{scalar}Tensor{{[{', '.join(map(str, shape))}]}}, "
                           f"size=[{', '.join(map(str, target))}]): the number of sizes provided "
                           f"(2) must be greater or equal to the number of dimensions in the "
                           f"tensor ({len(shape)})")
    for i in range(1, len(shape) + 1):
        s, t = shape[-i], target[-i]
        if s != t and s != 1:
            raise RuntimeError(f"The expanded size of the tensor ({t}) must match the existing "
                               f"size ({s}) at non-singleton dimension {2 - i}.  {tsizes}")


def _parse(bias=_GIVEN):  # the None that `_prepare` puts after the tensors when there is no bias
    return {"bias": bias}


def _linear(xp, *arrays, bias=_GIVEN):
    if len(arrays) == 3:
        b, x, w = arrays
    else:
        (x, w), b = arrays, None
    dt = x.dtype
    if not (w.ndim == 2 and x.ndim and x.shape[-1] == w.shape[1] and w.dtype == dt and
            dt.kind in "fc" and (b is None or b.dtype == dt and b.shape == w.shape[:1])):
        _check(x, w, b, b is not None)  # the common call skips straight to the product
    y = matmul(x, w.T)
    if b is not None:
        if b.shape == y.shape[-1:] and y.flags.writeable:
            y += b  # a fresh product: the bias goes in place, no second buffer
        else:
            y = (y.reshape((-1, w.shape[0])) + b).reshape(y.shape)
    return y


def _linear_bwd(ctx, g):
    """grad_input = g @ W, grad_weight = g^T @ input (over every leading dim), grad_bias = g
    summed to the bias's shape; each only when asked. Written in operations that arrays and
    tensors share, so under create_graph the rule is recorded and differentiates again."""
    x, w = ctx.saved[-2], ctx.saved[-1]  # (bias,) input, weight
    need = ctx.needs_input_grad
    biased = len(need) == 3
    nx, nw = need[-2], need[-1]
    out, inn = w.shape
    g = dense(g)
    gx = matmul(g, w) if nx else None
    gw = gb = None
    if nw or (biased and need[0]):
        g2 = g.reshape((-1, out))
        if nw:
            gw = matmul(g2.T, x.reshape((-1, inn)))
        if biased and need[0]:
            gb = sum_to_shape(g2, tuple(ctx.shapes[0]))
    return (gb, gx, gw) if biased else (gx, gw)


def _samples(rng, dt):
    r = lambda *s: rng.standard_normal(s).astype(dt)  # noqa: E731
    return [SampleInput((r(3, 4), r(5, 4), r(5))), SampleInput((r(3, 4), r(5, 4))),
            SampleInput((r(4,), r(2, 4), r(2))), SampleInput((r(2, 3, 4), r(5, 4), r(5))),
            SampleInput((r(2, 3, 4), r(5, 4))), SampleInput((r(3, 4), r(5, 4), r(3, 5))),
            SampleInput((r(3, 4), r(5, 4), r(1, 5))), SampleInput((r(3, 4), r(5, 4), r()))]


def _errors(rng):
    return [ErrorInput((np.ones((2, 5)), np.ones((4, 3)), np.ones(4)), match="cannot be "
                       "multiplied", note="inner sizes differ"),
            ErrorInput((np.ones((2, 3)), np.ones((4, 3)), np.ones(3)), match="expanded size",
                       note="bias does not fit the output"),
            ErrorInput((np.ones((2, 3)), np.ones((4, 3), np.float32), np.ones(4, np.float32)),
                       match="same dtype", note="input and weight dtypes differ"),
            ErrorInput((np.ones((2, 3), bool), np.ones((4, 3), bool)),
                       error=NotImplementedError, note="bool operands")]


def _reference(*arrays, **kw):
    import torch
    args = [torch.from_numpy(np.array(a)) for a in arrays]
    return torch.nn.functional.linear(*args).numpy()


OPS = [
    op("linear", _linear, backward=_linear_bwd, variadic=True, prepare=_prepare, parse=_parse,
       save_inputs=(0, 1, 2), methods=(), functions=(), torch_name=None,
       reference=_reference,
       node_name=lambda p: "MmBackward0" if p and p.get("bias") is None else "AddmmBackward0",
       samples=_samples, error_samples=_errors,
       doc="``input @ weight.T + bias`` (`bias` optional), PyTorch's `F.linear`: input "
           "(..., in), weight (out, in), bias broadcastable to (rows, out). "
           "`loom.nn.functional.linear` calls it."),
]
