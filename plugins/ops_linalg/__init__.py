"""loom_ops_linalg: products (matmul and its family, einsum), decompositions, solvers and norms,
installed as `loom.*` functions, Tensor methods and the `loom.linalg` namespace."""
from loom.plugin import hookimpl


@hookimpl
def loom_register_ops():
    from . import (addmm, composites, decompositions, einsum, least_squares, matmul,
                   matrix_functions, norms, products, solvers, triangular)
    return (matmul.OPS + addmm.OPS + products.OPS + decompositions.OPS + solvers.OPS +
            triangular.OPS + norms.OPS +
            matrix_functions.OPS + least_squares.OPS + einsum.OPS + composites.OPS)
