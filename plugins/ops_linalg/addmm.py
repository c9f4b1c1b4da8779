"""The ``beta * input + alpha * product`` family: addmm, addmv, baddbmm, addbmm, addr, with
PyTorch's checks (ranks, sizes, dtypes, how `input` broadcasts) made on arrays before the
composition runs, and the backward rules written out in operators."""
import numpy as np

from loom.plugin import ErrorInput, is_tensor, op, promote_arrays, sample_calls, sum_to_shape

from .common import composite, conj, mH, op_, scalar_name

# PyTorch's C++ type names, as baddbmm's message prints them
_CPP = dict(float32="float", float64="double", float16="c10::Half", bfloat16="c10::BFloat16",
            int64="long int", int32="int", int16="short int", int8="signed char",
            uint8="unsigned char", bool="bool", complex64="c10::complex<float>",
            complex128="c10::complex<double>")


def _expand_error(inp, shape):
    """PyTorch's error when `input` does not broadcast to the product's `shape`."""
    if inp.ndim > len(shape):
        return (f"expand(torch.{scalar_name(inp)}Tensor{{{list(inp.shape)}}}, size="
                f"{list(shape)}): the number of sizes provided ({len(shape)}) must be greater "
                f"or equal to the number of dimensions in the tensor")
    for k in range(1, inp.ndim + 1):
        if inp.shape[-k] not in (1, shape[-k]):
            return (f"The expanded size of the tensor ({shape[-k]}) must match the existing "
                    f"size ({inp.shape[-k]}) at non-singleton dimension {len(shape) - k}.  "
                    f"Target sizes: {list(shape)}.  Tensor sizes: {list(inp.shape)}")
    return None


def _mm_shapes(m1, m2, who1="mat1", who2="mat2"):
    for who, m in ((who1, m1), (who2, m2)):
        if m.ndim != 2:
            raise RuntimeError(f"{who} must be a matrix, got {m.ndim}-D tensor")
    if m1.shape[1] != m2.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({m1.shape[0]}x"
                           f"{m1.shape[1]} and {m2.shape[0]}x{m2.shape[1]})")


def _bool_refused(kernel, a):
    if a.dtype == bool:
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')


def _check(name, inp, a, b):
    """PyTorch's checks of each op, in its order; the product's shape."""
    if name == "addmm":
        _mm_shapes(a, b)
        if a.dtype != b.dtype:
            raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                               f"{scalar_name(a)} and {scalar_name(b)}")
        shape = (a.shape[0], b.shape[1])
    elif name in ("addbmm", "baddbmm"):
        if a.ndim != 3 or b.ndim != 3:
            n = a.ndim if name == "addbmm" else min(a.ndim, b.ndim)
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[-{n}, {n - 1}], but got 2)")
        if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
            raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to "
                               f"be: [{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, "
                               f"{b.shape[1]}].")
        shape = (a.shape[1], b.shape[2]) if name == "addbmm" else \
            (a.shape[0], a.shape[1], b.shape[2])
    elif name == "addmv":
        if a.ndim != 2 or b.ndim != 1 or inp.ndim > 1:
            raise RuntimeError(f"vector + matrix @ vector expected, got {inp.ndim}, {a.ndim}, "
                               f"{b.ndim}")
        n_in = inp.shape[0] if inp.ndim else 1
        if a.shape[1] != b.shape[0] or n_in not in (1, a.shape[0]):
            raise RuntimeError(f"size mismatch, got input ({n_in}), mat ({a.shape[0]}x"
                               f"{a.shape[1]}), vec ({b.shape[0]})")
        shape = (a.shape[0],)
    else:  # addr
        for who, v in (("vec1", a), ("vec2", b)):
            if v.ndim != 1:
                raise RuntimeError(f"addr: Expected 1-D argument {who}, but got {v.ndim}-D")
        shape = (a.shape[0], b.shape[0])
    msg = _expand_error(inp, shape)
    if msg is not None:
        raise RuntimeError(msg)
    if name in ("addmm", "addbmm") and inp.dtype != a.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got "
                           f"{scalar_name(inp)} and {scalar_name(b)}")
    if name == "addmv" and not inp.dtype == a.dtype == b.dtype:
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got "
                           f"{scalar_name(inp)}, {scalar_name(a)}, and {scalar_name(b)}")
    if name == "baddbmm" and not inp.dtype == a.dtype == b.dtype:
        raise RuntimeError(f"Input dtypes must be the same, got: input {_CPP[inp.dtype.name]}, "
                           f"batch1: {_CPP[a.dtype.name]}, batch2: {_CPP[b.dtype.name]}")
    if name != "addr":
        _bool_refused({"addmm": "addmm_impl_cpu_", "addbmm": "addmm_impl_cpu_",
                       "addmv": "addmv_impl_cpu", "baddbmm": "baddbmm"}[name], a)


def _same_dtype(s, a):
    """The batch sum in the operands' dtype (sum would widen integers to int64)."""
    return s if is_tensor(s) or s.dtype == a.dtype else s.astype(a.dtype)


_PRODUCT = {"addmm": lambda a, b: op_("mm", a, b), "addmv": lambda a, b: op_("mv", a, b),
            "baddbmm": lambda a, b: op_("bmm", a, b),
            "addbmm": lambda a, b: _same_dtype(op_("sum", op_("bmm", a, b), 0, False), a),
            "addr": lambda a, b: op_("outer", a, b)}


def _family(name):
    product = _PRODUCT[name]

    def fn(inp, a, b, *, beta=1, alpha=1):
        if not is_tensor(inp):  # on arrays: PyTorch's checks (the rule re-runs fn on tensors)
            _check(name, inp, a, b)
            kind = np.result_type(inp.dtype, a.dtype, b.dtype).kind
            if name == "addr":
                if kind in "biu" and (isinstance(beta, float) or isinstance(alpha, float)):
                    which = "beta" if isinstance(beta, float) else "alpha"
                    raise RuntimeError(f"For integral input tensors, argument {which} must not "
                                       f"be a floating point number.")
                inp, a, b = promote_arrays(inp, a, b)
                if inp.dtype == bool:  # logical: (beta and input) or (alpha and outer)
                    out = np.logical_and.outer(a, b) if alpha else np.zeros(
                        (a.shape[0], b.shape[0]), bool)
                    return out | inp if beta else out
            if kind in "iu":  # PyTorch converts the scalars to the integer type
                beta, alpha = int(beta), int(alpha)
        prod = product(a, b)
        prod = prod if alpha == 1 else prod * alpha
        if beta == 0:
            # input is ignored, nan and inf included; its gradient is zero, not None
            if str(inp.dtype).rsplit(".", 1)[-1].startswith(("float", "complex", "bfloat")):
                return prod + 0 * op_("nan_to_num", inp, 0.0, 0.0, 0.0)
            return prod + 0 * inp
        return (inp if beta == 1 else inp * beta) + prod
    fn.__name__ = f"_{name}"
    return fn


def _scaled(x, c):
    """x times the conjugate of a Python number (PyTorch's convention), skipping 1."""
    c = c.conjugate() if isinstance(c, complex) else c
    return x if c == 1 else x * c


def _family_backward(name):
    """The rule written out (the products' gradients, not a re-run of the forward: these ops
    sit on training paths): input gets beta * g summed to its shape, the factors alpha * the
    product's gradients."""
    def backward(ctx, g):
        inp, a, b = ctx.saved
        p = ctx.params
        beta, alpha = p.get("beta", 1), p.get("alpha", 1)
        n_in, n_a, n_b = ctx.needs_input_grad
        gi = sum_to_shape(_scaled(g, beta), tuple(ctx.shapes[0])) if n_in else None
        ga = gb = None
        if n_a or n_b:
            g = _scaled(g, alpha)
            if name in ("addmm", "baddbmm"):
                ga = g @ mH(b) if n_a else None
                gb = mH(a) @ g if n_b else None
            elif name == "addbmm":  # the product was summed over the batch
                ga = g[None] @ mH(b) if n_a else None
                gb = mH(a) @ g[None] if n_b else None
            elif name == "addmv":
                ga = g[:, None] * conj(b)[None, :] if n_a else None
                gb = mH(a) @ g if n_b else None
            else:  # addr
                ga = g @ conj(b) if n_a else None
                gb = g.swapaxes(-1, -2) @ conj(a) if n_b else None
        return gi, ga, gb
    return backward


def _op(name, calls, doc, errors=None):
    kernel, _ = composite(_family(name), 3)
    backward = _family_backward(name)
    return op(name, kernel, backward=backward, inputs=3, save_inputs=(0, 1, 2),
              methods=(name,), inplace=f"{name}_", takes_complex_grad=True, doc=doc,
              error_samples=errors,
              samples=sample_calls(*calls, inputs=3, rtol=1e-4, atol=1e-5))


OPS = [
    _op("addmm", (((2, 4), (2, 3), (3, 4)), ((4,), (2, 3), (3, 4), {"beta": 0.5, "alpha": 2.0}),
                  ((2, 4), (2, 3), (3, 4), {"beta": 0})),
        "beta * input + alpha * (mat1 @ mat2); input broadcasts to the product.",
        lambda rng: [ErrorInput((np.ones(2), np.ones((2, 3)), np.ones((4, 5))),
                                match=r"mat1 and mat2 shapes cannot be multiplied \(2x3 and "
                                      r"4x5\)"),
                     ErrorInput((np.ones(0), np.ones((2, 3)), np.ones((3, 4))),
                                match="The expanded size of the tensor")]),
    _op("addmv", (((2,), (2, 3), (3,)), ((1,), (2, 3), (3,), {"beta": 2.0})),
        "beta * input + alpha * (mat @ vec).",
        lambda rng: [ErrorInput((np.ones(0), np.ones((2, 3)), np.ones(3)),
                                match=r"size mismatch, got input \(0\)")]),
    _op("baddbmm", (((2, 2, 4), (2, 2, 3), (2, 3, 4)),
                    ((2, 4), (2, 2, 3), (2, 3, 4), {"alpha": 0.5})),
        "beta * input + alpha * bmm(batch1, batch2)."),
    _op("addbmm", (((2, 4), (3, 2, 3), (3, 3, 4)),),
        "beta * input + alpha * the sum over the batch of bmm(batch1, batch2)."),
    _op("addr", (((2, 3), (2,), (3,)), ((3,), (2,), (3,), {"beta": 0.0})),
        "beta * input + alpha * outer(vec1, vec2), with PyTorch's type promotion."),
]
