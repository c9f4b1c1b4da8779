"""Matrix products: PyTorch's checks of ranks, sizes and dtypes, then the array namespace's
`matmul`; the backward rules are products of the gradient with the other operand (transposed)."""
import numpy as np

from loom.plugin import (ErrorInput, dense, dtype_of, op, promote_arrays, sample_calls,
                         sum_to_shape)


def _mT(x):
    return x.swapaxes(-1, -2)


# PyTorch's message names dtypes by their C++ scalar types
_CPP_NAMES = dict(float32="float", float64="double", float16="c10::Half",
                  bfloat16="c10::BFloat16", int64="long int", int32="int", int16="short int",
                  int8="signed char", uint8="unsigned char", bool="bool",
                  complex64="c10::complex<float>", complex128="c10::complex<double>")


def _dtype_error(name, a, b):
    da, db = dtype_of(a).name, dtype_of(b).name
    return (f"expected m1 and m2 to have the same dtype, but got: {_CPP_NAMES[da]} != "
            f"{_CPP_NAMES[db]} ({name}: {da} and {db})")


def _cannot_multiply(sa, sb):
    return f"mat1 and mat2 shapes cannot be multiplied ({sa[0]}x{sa[1]} and {sb[0]}x{sb[1]})"


def _inconsistent(n, m):
    return (f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have the same "
            f"number of elements, but got {n} and {m} elements respectively")


def _not_matrix(which, x):
    return f"{which} must be a matrix (mm: got a {x.ndim}-D tensor of shape {list(x.shape)})"


def _mm_error(a, b):
    return (_not_matrix("self", a) if a.ndim != 2 else _not_matrix("mat2", b) if b.ndim != 2
            else _cannot_multiply(a.shape, b.shape) if a.shape[1] != b.shape[0] else None)


def _bmm_error(a, b):
    return (f"batch1 must be a 3D tensor (bmm: got {a.ndim}D and {b.ndim}D)"
            if a.ndim != 3 or b.ndim != 3 else
            f"Expected size for first two dimensions of batch2 tensor to be: [{a.shape[0]}, "
            f"{a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}]."
            if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1] else None)


def _dot_error(a, b):
    return (f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors"
            if a.ndim != 1 or b.ndim != 1 else _inconsistent(a.shape[0], b.shape[0])
            if a.shape[0] != b.shape[0] else None)


def _mv_error(a, b):
    if a.ndim == 0 or b.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    return (f"vector + matrix @ vector expected, got {a.ndim}, {b.ndim}"
            if a.ndim != 2 or b.ndim != 1 else f"size mismatch, got input ({a.shape[0]}), mat "
            f"({a.shape[0]}x{a.shape[1]}), vec ({b.shape[0]})" if a.shape[1] != b.shape[0]
            else None)


def _outer_error(a, b):
    return None if a.ndim == 1 and b.ndim == 1 else \
        f"outer: expected 1D tensors, got {a.ndim}D and {b.ndim}D"


def _matmul_error(a, b):
    if a.ndim == 0 or b.ndim == 0:
        return (f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and "
                f"{b.ndim}D")
    if a.dtype != b.dtype:
        return _dtype_error("matmul", a, b)
    if a.shape[-1] == (b.shape[-2] if b.ndim > 1 else b.shape[0]):
        return None
    # the message counts a 1-D operand as a row (first) or a column (second)
    return _inconsistent(a.shape[0], b.shape[0]) if a.ndim == 1 and b.ndim == 1 else \
        _cannot_multiply((a.shape if a.ndim > 1 else (1,) + a.shape)[-2:],
                         (b.shape if b.ndim > 1 else b.shape + (1,))[-2:])


def _mm_bwd(ctx, g):  # written out (not da=/db=): mm is on the training-loop path
    a, b = ctx.saved
    na, nb = ctx.needs_input_grad
    if na and nb:
        g = dense(g)
    return (g @ _mT(b) if na else None, _mT(a) @ g if nb else None)


def _matmul_bwd(ctx, g):
    a, b = ctx.saved
    na, nb = ctx.needs_input_grad
    sa, sb = ctx.shapes
    if len(sa) == 2 and len(sb) == 2:  # two matrices (a layer's x @ W): mm's rule
        if na and nb:
            g = dense(g)
        return (g @ b.T if na else None, a.T @ g if nb else None)
    # a 1-D operand as a matrix (a: one row, b: one column), so one rule covers every case
    if len(sb) == 1:
        b, g = b.reshape(sb + (1,)), g.reshape(tuple(g.shape) + (1,))
    if len(sa) == 1:
        a, g = a.reshape((1,) + sa), g.reshape(tuple(g.shape[:-1]) + (1, g.shape[-1]))
    if na and nb:
        g = dense(g)
    ga = sum_to_shape(g @ _mT(b), tuple(a.shape)) if na else None
    gb = sum_to_shape(_mT(a) @ g, tuple(b.shape)) if nb else None
    # back to a 1-D operand's shape; a 2-D one keeps the product itself (a fresh array that
    # becomes a leaf's .grad without a copy)
    return (ga if ga is None or ga.shape == sa else ga.reshape(sa),
            gb if gb is None or gb.shape == sb else gb.reshape(sb))


# PyTorch's kernel names in its "not implemented for 'Bool'" error
_BOOL_KERNEL = dict(mm="addmm_impl_cpu_", matmul="addmm_impl_cpu_", bmm="bmm", dot="dot",
                    mv="addmv_impl_cpu")


def _product(name, error, calls, doc, backward=None, da=None, db=None, product=None,
             same_dtype=True, **fields):
    """A product of two tensors: `error(a, b)` is PyTorch's message for the wrong ranks or sizes
    (a chain of conditions: a call pays only the comparisons), checked before the dtypes; then
    ``product(xp, a, b)``, matmul by default. Backward: `backward`, or ``da``/``db(g, a, b)``."""
    two_matrices = name in ("mm", "matmul")  # the products defined on two matrices

    def kernel(xp, a, b):
        if two_matrices and a.ndim == 2 and b.ndim == 2 and a.shape[1] == b.shape[0] and \
                a.dtype == b.dtype and a.dtype.kind in "fc":
            return xp.matmul(a, b)  # two matrices that fit: the checks below all pass
        msg = error(a, b) or (_dtype_error(name, a, b) if same_dtype and a.dtype != b.dtype
                              else None)
        if msg is not None:
            raise RuntimeError(msg)
        if a.dtype == bool and name in _BOOL_KERNEL:
            kernel = "dot" if name == "matmul" and a.ndim == b.ndim == 1 else _BOOL_KERNEL[name]
            raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')
        return xp.matmul(a, b) if product is None else product(xp, a, b)

    def rule(ctx, g):
        (a, b), (na, nb) = ctx.saved, ctx.needs_input_grad
        return (da(g, a, b) if na else None, db(g, a, b) if nb else None)
    sa, sb = calls[0][:2]
    errors = (lambda rng: [ErrorInput((np.ones(sa, bool), np.ones(sb, bool)),
                                      error=NotImplementedError, note="bool operands")]) \
        if name in _BOOL_KERNEL else None
    return op(name, kernel, backward=backward or rule, inputs=2, save_inputs=(0, 1), doc=doc,
              samples=sample_calls(*calls, inputs=2, rtol=1e-4, atol=1e-5),
              error_samples=errors, **fields)


OPS = [
    _product("mm", _mm_error, (((3, 4), (4, 2)), ((8, 1), (1, 1))),
             "Matrix product of two 2-D tensors.", backward=_mm_bwd, supports_out=True),
    _product("matmul", _matmul_error,
             (((3, 4), (4, 2)), ((4,), (4, 3)), ((3, 4), (4,)), ((4,), (4,)),
              ((2, 3, 4), (4, 5)), ((2, 1, 3, 4), (3, 4, 2))),
             "Matrix product with NumPy/PyTorch broadcasting of batch dimensions.",
             backward=_matmul_bwd, methods=("matmul", "__matmul__"), rmethods=("__rmatmul__",),
             functions=("matmul", "linalg.matmul"), supports_out=True,
             node_name=lambda p: "MmBackward0"),
    _product("bmm", _bmm_error, (((2, 3, 4), (2, 4, 5)),),
             "Batched matrix product of 3-D tensors.", backward=_mm_bwd),
    # xp.dot gives a NumPy scalar, which dispatch makes a 0-dim tensor
    _product("dot", _dot_error, (((5,), (5,)),), "Dot product of two 1-D tensors.",
             da=lambda g, a, b: g * b, db=lambda g, a, b: g * a,
             product=lambda xp, a, b: xp.dot(a, b)),
    _product("mv", _mv_error, (((3, 4), (4,)),), "Matrix-vector product.",
             da=lambda g, a, b: g[:, None] * b[None, :], db=lambda g, a, b: _mT(a) @ g),
    _product("outer", _outer_error, (((3,), (4,)),), "Outer product of two 1-D tensors.",
             da=lambda g, a, b: g @ b, db=lambda g, a, b: _mT(g) @ a, same_dtype=False,
             product=lambda xp, a, b: xp.multiply.outer(*promote_arrays(a, b)),
             functions=("outer", "ger"), methods=("outer", "ger")),
]
