"""loom_ops_linalg: the matmul family (mm, matmul and ``@``, bmm, mv, dot, outer)."""
from loom.plugin import hookimpl


@hookimpl
def loom_register_ops():
    from . import matmul
    return matmul.OPS
