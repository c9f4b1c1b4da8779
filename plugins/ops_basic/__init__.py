"""loom_ops_basic: creation, elementwise, reduction, shape and indexing operators."""
from loom.plugin import hookimpl


@hookimpl
def loom_register_ops():
    from . import creation, elementwise, indexing, reductions, shape
    return [*creation.OPS, *elementwise.OPS, *reductions.OPS, *shape.OPS, *indexing.OPS]
