"""loom_ops_basic: creation, elementwise, reduction, scan, sorting, shape and indexing operators."""
from loom.plugin import hookimpl


@hookimpl
def loom_register_ops():
    from . import creation, elementwise, indexing, reductions, scans, shape, sorting
    return [*creation.OPS, *elementwise.OPS, *reductions.OPS, *scans.OPS, *sorting.OPS,
            *shape.OPS, *indexing.OPS]
