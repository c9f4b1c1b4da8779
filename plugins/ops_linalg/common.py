"""What the linear-algebra kernels and rules share: PyTorch's input checks and messages, the
`LinAlgError` of a singular or indefinite matrix, and conjugate transposes that serve raw
arrays and tensors alike (so one backward rule runs on both)."""
import numpy as np

import loom
from loom.plugin import apply_op, backend_of, composite, dtype_of, is_tensor, move_like
from loom.plugin import tensor_of as as_tensor  # noqa: F401 (the rules' name for it)

# PyTorch's ScalarType names, as its messages print them
_SCALAR = dict(int64="Long", int32="Int", int16="Short", int8="Char", uint8="Byte", bool="Bool",
               float16="Half", bfloat16="BFloat16", float32="Float", float64="Double",
               complex64="ComplexFloat", complex128="ComplexDouble")


def scalar_name(a) -> str:
    """PyTorch's name of an array's dtype (``Long``, ``ComplexDouble``)."""
    return _SCALAR.get(dtype_of(a).name, dtype_of(a).name)


def is_complex(x) -> bool:
    """Whether a raw array or a tensor is complex."""
    return x.is_complex() if is_tensor(x) else x.dtype.kind == "c"


def mH(x):
    """The conjugate transpose of the last two dims (the transpose for real values, without
    the copy ``conj`` would make)."""
    t = x.swapaxes(-1, -2)
    return t.conj() if is_complex(x) else t


def conj(x):
    """The complex conjugate; real values as they are."""
    return x.conj() if is_complex(x) else x


def real(x):
    """The real part; real values as they are."""
    return x.real if is_complex(x) else x


def floating(name, a, low_precision="runtime"):
    """Refuse integer and bool inputs as PyTorch's linalg functions do; `low_precision` says
    how half and bfloat16 are refused: ``"runtime"`` (PyTorch's "Low precision dtypes not
    supported"), or the name of PyTorch's CPU kernel (a NotImplementedError)."""
    k = a.dtype.kind
    if k in "fc" and a.dtype.itemsize > 2 + 2 * (k == "c"):
        return
    if k in "fc" or dtype_of(a).name == "bfloat16":
        if low_precision == "runtime":
            raise RuntimeError(f"{name}: Low precision dtypes not supported. Got "
                               f"{scalar_name(a)}")
        raise NotImplementedError(f'"{low_precision}" not implemented for '
                                  f"'{scalar_name(a)}'")
    raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got "
                       f"{scalar_name(a)}")


def square(name, a, what="A"):
    """PyTorch's checks of a (batch of) square matrices."""
    if a.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor {what} must have at least 2 dimensions.")
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"{name}: {what} must be batches of square matrices, but they are "
                           f"{a.shape[-2]} by {a.shape[-1]} matrices")


def matrix(name, a, what="A"):
    if a.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor {what} must have at least 2 dimensions.")


def same_dtype(name, a, b):
    if a.dtype != b.dtype:
        raise RuntimeError(f"{name}: Expected A and B to have the same dtype, but found A of "
                           f"type {scalar_name(a)} and B of type {scalar_name(b)} instead")


def first_failure(xp, a, fails):
    """The flat batch index of the first matrix of `a` for which ``fails(matrix)`` is true."""
    flat = a.reshape((-1,) + a.shape[-2:])
    return next((i for i in range(flat.shape[0]) if fails(flat[i])), 0), flat


def linalg_error(msg):
    return loom.linalg.LinAlgError(msg)


def svd_input(xp, a, name="linalg.svd"):
    """`a` for an SVD, as PyTorch's LAPACK treats it: NaN raises LinAlgError (the algorithm
    does not converge)."""
    if a.size and bool(xp.isnan(a).any()):
        raise linalg_error(f"{name}: The algorithm failed to converge because the input matrix "
                           f"contained non-finite values.")
    return a


def svd_of(xp, a, run, name="linalg.svd"):
    """``run(a)`` (an SVD and what follows from it) with PyTorch's handling of non-finite
    input: NaN raises, a matrix with an infinity gives NaN in every output of that matrix."""
    svd_input(xp, a, name)
    if not a.size:
        return run(a)
    bad = ~xp.isfinite(a).all(axis=(-2, -1))
    if not bool(bad.any()):
        return run(a)
    out = run(xp.where(bad[..., None, None], 0, a))
    outs = out if isinstance(out, tuple) else (out,)
    fixed = []
    for o in outs:
        o = o.copy()
        o[bad] = np.nan
        fixed.append(o)
    return tuple(fixed) if isinstance(out, tuple) else fixed[0]


def eye_like(x, n):
    """The n x n identity in `x`'s dtype and device (array or tensor)."""
    if is_tensor(x):
        return loom.eye(n, dtype=x.dtype, device=x.device)
    from loom.plugin import xp_of
    return xp_of(x).eye(n, dtype=x.dtype)


def tensors_AB(A, B, *rest):
    """`prepare` of an op whose tensors PyTorch names A and B: ``solve(A=a, B=b)`` works."""
    return (A, B) + rest


def op_(name, *args, **kw):
    """A registered operator on arrays or tensors (`apply_op`), short to read in rules."""
    return apply_op(name, *args, **kw)


def to_host(x):
    """A tensor's or a device array's values as a NumPy array (small metadata: pivots)."""
    return x.cpu().numpy() if is_tensor(x) else backend_of(x).to_host(x)


