"""Embedding lookup with its gradient written once: rows gathered forward, summed back into
the rows (index_add), the padding row left without gradient."""
import numpy as np

from loom.plugin import ErrorInput, SampleInput, apply_op, op


def _embedding(xp, weight, indices, padding_idx=None):
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    if indices.dtype.kind not in "iu":
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got {indices.dtype} instead "
                           f"(while checking arguments for embedding)")
    n = weight.shape[0]
    if indices.size and (int(indices.max()) >= n or int(indices.min()) < 0):
        raise IndexError("index out of range in self")
    return weight[indices]


def _embedding_bwd(ctx, g):
    indices, = ctx.saved
    shape = ctx.shapes[0]
    p = ctx.params.get("padding_idx")
    flat = indices.reshape(-1)
    g2 = g.reshape((-1, shape[1]))
    if p is not None:  # the padding row gets no gradient
        g2 = g2 * (flat != (p % shape[0]))[:, None]
    # zeros of the weight's shape, g's dtype and device: a zero row broadcast (then copied)
    base = apply_op("zeros_like", apply_op("expand", g2[:1], shape))
    return apply_op("index_add", base, flat, g2, 0), None


def _samples(rng, dt):
    w = lambda: rng.standard_normal((6, 3)).astype(dt)
    return [SampleInput((w(), np.array([[0, 2, 5], [2, 2, 1]]))),
            SampleInput((w(), np.array([1, 4, 1, 0])), {"padding_idx": 1}, grad=False,
                        note="PyTorch's padding row gets no gradient: not the derivative"),
            SampleInput((w(), np.array(3)))]


def _errors(rng):
    return [ErrorInput((np.ones((4, 2)), np.array([0, 4])), error=IndexError,
                       match="index out of range in self"),
            ErrorInput((np.ones((4, 2)), np.array([0.0, 1.0])), error=RuntimeError,
                       match="Long, Int")]


def _reference(weight, indices, padding_idx=None):
    return weight[indices]


OPS = [op("embedding", _embedding, backward=_embedding_bwd, inputs=2, save_inputs=(1,),
          methods=(), functions=(), torch_name=None, reference=_reference,
          samples=_samples, error_samples=_errors,
          doc="Rows of `weight` (num_embeddings, dim) picked by integer `indices` (weight "
              "first, as the kernel takes it; `loom.nn.functional.embedding` takes indices "
              "first, as PyTorch's does).")]
