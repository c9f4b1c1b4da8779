"""loom_ops_basic: creation, random, elementwise, reduction, shape and indexing operators."""
from loom.plugin import hookimpl


@hookimpl
def loom_register_ops():
    from . import creation, elementwise, gather, indexing, random, reductions, shape
    return [*creation.OPS, *random.OPS, *elementwise.OPS, *reductions.OPS, *shape.OPS,
            *indexing.OPS, *gather.OPS]
