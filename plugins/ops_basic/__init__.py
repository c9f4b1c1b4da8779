"""loom_ops_basic: creation, elementwise, reduction, shape and indexing operators."""
from loom.plugin import hookimpl


@hookimpl
def loom_register_ops():
    from . import creation, elementwise, indexing, reductions, shape, unary
    return [*creation.OPS, *elementwise.OPS, *unary.OPS, *reductions.OPS, *shape.OPS,
            *indexing.OPS]
