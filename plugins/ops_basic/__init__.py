"""loom_ops_basic: creation, random, elementwise, comparison and logic, reduction, scan,
sorting, shape, joining and indexing operators."""
from loom.plugin import hookimpl


@hookimpl
def loom_register_ops():
    from . import (clamp, counting, creation, distances, elementwise, gather, indexing,
                   joining, logic, numeric, random, reductions, scans, shape, sorting, unary)
    from .names import with_out, with_special_names
    return with_out(with_special_names([
        *creation.OPS, *random.OPS, *elementwise.OPS, *clamp.OPS, *unary.OPS, *logic.OPS,
        *reductions.OPS, *scans.OPS, *sorting.OPS, *counting.OPS, *shape.OPS, *joining.OPS,
        *indexing.OPS, *gather.OPS, *numeric.OPS, *distances.OPS]))
