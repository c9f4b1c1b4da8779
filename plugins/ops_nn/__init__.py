"""loom_ops_nn: the kernels `loom.nn` needs as operators — linear, convolution, pooling, embedding and
the losses — each tested by the conformance kit."""
from loom.plugin import hookimpl


@hookimpl
def loom_register_ops():
    from . import conv, ctc, embedding, linear, loss, pooling
    return linear.OPS + conv.OPS + pooling.OPS + embedding.OPS + loss.OPS + ctc.OPS
