"""Matrix products. Forward kernels are the array namespace's `matmul`; the backward rules are
products of the gradient with the other operand's transpose."""
from __future__ import annotations

from loom.plugin import SampleInput, dense, dtype_of, op, sum_to_shape


def _mT(x):
    return x.swapaxes(-1, -2)


# PyTorch's message names dtypes by their C++ scalar types
_CPP_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
              "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int",
              "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
              "bool": "bool", "complex64": "c10::complex<float>",
              "complex128": "c10::complex<double>"}


def _check_same(opname, a, b):
    if a.dtype != b.dtype:
        da, db = dtype_of(a).name, dtype_of(b).name
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{_CPP_NAMES[da]} != {_CPP_NAMES[db]} ({opname}: {da} and {db})")


def _mm(xp, a, b):
    if a.ndim != 2:
        raise RuntimeError(f"self must be a matrix (mm: got a {a.ndim}-D tensor of shape "
                           f"{list(a.shape)})")
    if b.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix (mm: got a {b.ndim}-D tensor of shape "
                           f"{list(b.shape)})")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x"
                           f"{a.shape[1]} and {b.shape[0]}x{b.shape[1]})")
    _check_same("mm", a, b)
    return xp.matmul(a, b)


def _mm_bwd(ctx, g):
    a, b = ctx.saved
    na, nb = ctx.needs_input_grad
    if na and nb:
        g = dense(g)
    return (g @ _mT(b) if na else None, _mT(a) @ g if nb else None)


def _matmul(xp, a, b):
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{a.ndim}D and {b.ndim}D")
    _check_same("matmul", a, b)
    ka = a.shape[-1]
    kb = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if ka != kb:
        if a.ndim == 1 and b.ndim == 1:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and "
                               f"src [{b.shape[0]}] to have the same number of elements, but "
                               f"got {a.shape[0]} and {b.shape[0]} elements respectively")
        ash = "x".join(map(str, (a.shape if a.ndim > 1 else (1,) + a.shape)[-2:]))
        bsh = "x".join(map(str, (b.shape if b.ndim > 1 else b.shape + (1,))[-2:]))
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({ash} and {bsh})")
    return xp.matmul(a, b)


def _matmul_bwd(ctx, g):
    a, b = ctx.saved
    na, nb = ctx.needs_input_grad
    sa, sb = ctx.shapes
    # Promote 1-D operands to matrices so one rule covers every case.
    a2 = a.reshape((1,) + tuple(sa)) if len(sa) == 1 else a
    b2 = b.reshape(tuple(sb) + (1,)) if len(sb) == 1 else b
    g2 = g
    if len(sa) == 1 and len(sb) == 1:
        g2 = g.reshape((1, 1))
    elif len(sa) == 1:
        g2 = g.reshape(tuple(g.shape[:-1]) + (1, g.shape[-1]))
    elif len(sb) == 1:
        g2 = g.reshape(tuple(g.shape) + (1,))
    ga = gb = None
    if na and nb:
        g2 = dense(g2)
    if na:
        ga = sum_to_shape(g2 @ _mT(b2), tuple(a2.shape))
        ga = ga.reshape(tuple(sa))
    if nb:
        gb = sum_to_shape(_mT(a2) @ g2, tuple(b2.shape))
        gb = gb.reshape(tuple(sb))
    return ga, gb


def _bmm(xp, a, b):
    if a.ndim != 3 or b.ndim != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor (bmm: got {a.ndim}D and {b.ndim}D)")
    if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")
    _check_same("bmm", a, b)
    return xp.matmul(a, b)


def _dot(xp, a, b):
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src "
                           f"[{b.shape[0]}] to have the same number of elements, but got "
                           f"{a.shape[0]} and {b.shape[0]} elements respectively")
    _check_same("dot", a, b)
    return xp.dot(a, b)  # a NumPy scalar becomes 0-dim in dispatch


def _mv(xp, a, b):
    if a.ndim != 2 or b.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {a.ndim}, {b.ndim}")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({a.shape[0]}), mat ({a.shape[0]}x"
                           f"{a.shape[1]}), vec ({b.shape[0]})")
    _check_same("mv", a, b)
    return xp.matmul(a, b)


def _mv_bwd(ctx, g):
    a, b = ctx.saved
    na, nb = ctx.needs_input_grad
    return (g[:, None] * b[None, :] if na else None, _mT(a) @ g if nb else None)


def _outer(xp, a, b):
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"outer: expected 1D tensors, got {a.ndim}D and {b.ndim}D")
    return xp.multiply.outer(a, b)


def _outer_bwd(ctx, g):
    a, b = ctx.saved
    na, nb = ctx.needs_input_grad
    return (g @ b if na else None, _mT(g) @ a if nb else None)


def _samples(*pairs):
    def samples(rng, dt):
        return [SampleInput((rng.standard_normal(sa).astype(dt),
                             rng.standard_normal(sb).astype(dt)), rtol=1e-4, atol=1e-5)
                for sa, sb in pairs]
    return samples


def _dot_bwd(ctx, g):
    a, b = ctx.saved
    na, nb = ctx.needs_input_grad
    return (g * b if na else None, g * a if nb else None)


def _product(name, kernel, backward, pairs, doc, **fields):
    return op(name, kernel, backward=backward, inputs=2, save_inputs=(0, 1),
              samples=_samples(*pairs), doc=doc, **fields)


OPS = [
    _product("mm", _mm, _mm_bwd, (((3, 4), (4, 2)), ((8, 1), (1, 1))),
             "Matrix product of two 2-D tensors.", supports_out=True),
    _product("matmul", _matmul, _matmul_bwd,
             (((3, 4), (4, 2)), ((4,), (4, 3)), ((3, 4), (4,)), ((4,), (4,)),
              ((2, 3, 4), (4, 5)), ((2, 1, 3, 4), (3, 4, 2))),
             "Matrix product with NumPy/PyTorch broadcasting of batch dimensions.",
             methods=("matmul", "__matmul__"), supports_out=True,
             node_name=lambda p: "MmBackward0"),
    _product("bmm", _bmm, _mm_bwd, (((2, 3, 4), (2, 4, 5)),),
             "Batched matrix product of 3-D tensors."),
    _product("dot", _dot, _dot_bwd, (((5,), (5,)),), "Dot product of two 1-D tensors.",
             functions=("dot", "inner")),
    _product("mv", _mv, _mv_bwd, (((3, 4), (4,)),), "Matrix-vector product."),
    _product("outer", _outer, _outer_bwd, (((3,), (4,)),), "Outer product of two 1-D tensors.",
             functions=("outer", "ger")),
]
