"""loom_ops_linalg: products (matmul and its family, einsum), decompositions, solvers and norms,
installed as `loom.*` functions, Tensor methods and the `loom.linalg` namespace."""
from loom.plugin import hookimpl

# single-output operators whose PyTorch function forms take out= (besides those that declare
# it where they are defined)
_TAKE_OUT = frozenset((
    "addbmm", "addmm", "addmv", "addr", "baddbmm", "bmm", "chain_matmul", "cholesky",
    "cholesky_inverse", "cross", "dot", "inner", "inverse", "kron", "linalg_cond",
    "linalg_cross", "linalg_det", "linalg_eigvals", "linalg_eigvalsh",
    "linalg_householder_product", "linalg_lu_solve", "linalg_matrix_norm",
    "linalg_matrix_power", "linalg_matrix_rank", "linalg_multi_dot", "linalg_norm",
    "linalg_pinv", "linalg_svdvals", "linalg_tensorinv", "linalg_tensorsolve", "linalg_vecdot",
    "linalg_vector_norm", "mv", "outer", "vdot"))


@hookimpl
def loom_register_ops():
    from . import (addmm, composites, decompositions, einsum, least_squares, matmul,
                   matrix_functions, norms, products, solvers, triangular)
    ops = (matmul.OPS + addmm.OPS + products.OPS + decompositions.OPS + solvers.OPS +
           triangular.OPS + norms.OPS + matrix_functions.OPS + least_squares.OPS + einsum.OPS +
           composites.OPS)
    return [s.replace(supports_out=True) if s.name in _TAKE_OUT else s for s in ops]
