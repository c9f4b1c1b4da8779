"""loom_ops_linalg: products (matmul and its family, einsum), decompositions, solvers and norms,
installed as `loom.*` functions, Tensor methods and the `loom.linalg` namespace."""
from loom.plugin import hookimpl


@hookimpl
def loom_register_ops():
    from . import decompositions, matmul, norms, products, solvers
    return matmul.OPS + products.OPS + decompositions.OPS + solvers.OPS + norms.OPS
