"""A seeded differential fuzz of ops_linalg's operators (beyond the matmul family, which the
main fuzz covers) against PyTorch: shapes, dtypes, NaN, junk arguments, through the same
machinery as tests/test_fuzz.py, on a stream of its own."""
from __future__ import annotations

from test_fuzz import _ops, fuzz

SEED = 20261203
CALLS = 800

# (operator, what) -> why loom differs; each a known gap with its reason
KNOWN: dict = {
    ("addbmm", "values"): "complex64: the batch is summed in another order than PyTorch's fused "
                          "kernel, beyond the fuzz's 1e-5 where terms cancel",
    ("tensordot", "error-type"): "a number as `other`: loom's TypeError (not a tensor) where "
                                 "PyTorch's Python wrapper fails with AttributeError",
    # complex64 with inf/nan among the values: NumPy's complex product of an infinity (and
    # float32 complex rounding) differs from PyTorch's kernels'
    ("addmv", "values"): "complex64 rounding of a fused multiply-add",
    ("addr", "values"): "complex64 infinities and rounding",
    ("inner", "values"): "complex64 infinities",
    ("vdot", "values"): "complex64 infinities",
    ("tensordot", "values"): "complex64 rounding in another summation order",
    ("cholesky_solve", "values"): "complex64 infinities in the factor",
    # a matrix with an infinity: PyTorch's LAPACK (MKL) returns NaN in most entries but keeps
    # some exact ones; loom returns NaN for the whole matrix
    ("svd", "values"): "an infinity in the input: which entries are NaN differs",
    ("pinverse", "values"): "an infinity in the input: which entries are NaN differs",
    ("qr", "values"): "an infinity or NaN in the input: which entries are NaN differs",
    ("logdet", "grad"): "a NaN in the input: which gradient entries are NaN differs (LU order)",
    ("kron", "grad"): "float16 gradients summed in another order",
    ("addmm", "values"): "complex64 rounding of the fused multiply-add",
    ("inverse", "values"): "a complex matrix with an infinity: MKL returns some finite entries, "
                           "loom NaN throughout (as for real ones, where the two agree)",
    ("logdet", "values"): "a matrix with an infinity: the sign LAPACK's pivoting gives the "
                          "determinant (so inf or NaN) differs",
    ("cholesky_inverse", "values"): "a factor with an infinity, or a complex one whose diagonal "
                                    "is not real (not a Cholesky factor): LAPACK's potri "
                                    "spreads and reads them differently",
}


def test_linalg_fuzz_against_pytorch():
    fuzz(_ops(linalg=True), SEED, CALLS, KNOWN)
