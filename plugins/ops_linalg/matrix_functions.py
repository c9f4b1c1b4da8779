"""Functions of a matrix: matrix_exp (scaling and squaring of a Taylor series, on the array
namespace) and householder_product (the Q of a product of Householder reflectors)."""
import math

import numpy as np

from loom.plugin import ErrorInput, SampleInput, op

from .common import composite, eye_like, floating, mH, op_, square

# Taylor degree after scaling the matrix to a 1-norm of at most 1/2: the remainder of the
# series is below 0.5^19/19! ~ 1e-23, past double precision
_DEGREE = 18


def _matrix_exp(xp, a):
    square("linalg.matrix_exp", a)
    floating("linalg.matrix_exp", a, low_precision="linalg_matrix_exp")
    n = a.shape[-1]
    if a.size == 0:
        return a.copy()
    norm = float(abs(a).sum(axis=-2).max()) if a.size else 0.0
    s = max(0, math.ceil(math.log2(norm / 0.5))) if norm > 0.5 else 0
    x = a / (2.0 ** s)
    eye = xp.eye(n, dtype=a.dtype)
    e = eye + x / _DEGREE
    for k in range(_DEGREE - 1, 0, -1):  # Horner: I + X/k (I + X/(k+1) (...))
        e = eye + (x @ e) / k
    for _ in range(s):
        e = e @ e
    return e


def _matrix_exp_bwd(ctx, g):
    """The Fréchet derivative at A^H applied to g: the top-right block of
    exp([[A^H, g], [0, A^H]]), as PyTorch computes it."""
    a = ctx.saved[0]
    ah = mH(a)
    n = a.shape[-1]
    zero = ah * 0
    big = op_("cat", op_("cat", ah, g, dim=-1), op_("cat", zero, ah, dim=-1), dim=-2)
    return (op_("linalg_matrix_exp", big)[..., :n, n:],)


def _householder(a, tau):
    """Q = H_1 ... H_k, H_i = I - tau_i v_i v_i^H, v_i = e_i + (the part of column i of A below
    the diagonal): applied one reflector at a time, in operators."""
    name = "torch.linalg.householder_product"
    if a.ndim < 2:
        raise RuntimeError(f"{name}: input must have at least 2 dimensions.")
    m, n = a.shape[-2:]
    if m < n:
        raise RuntimeError(f"{name}: input.shape[-2] must be greater than or equal to "
                           f"input.shape[-1]")
    k = tau.shape[-1]
    if n < k:
        raise RuntimeError(f"{name}: input.shape[-1] must be greater than or equal to "
                           f"tau.shape[-1]")
    eye = eye_like(a, m)
    v = op_("tril", a, -1) + eye[:, :n]
    q = eye[:, :n] + 0 * a  # the first n columns of the identity, in a's batch shape
    for i in range(k - 1, -1, -1):  # Q = H_0 (H_1 (... (H_{k-1} I_{m x n})))
        vi = v[..., :, i:i + 1]
        q = q - (tau[..., i, None, None] * vi) @ (mH(vi) @ q)
    return q


_HH_K, _HH_B = composite(_householder, 2)


def _hh_samples(rng, dt):
    kw = dict(rtol=1e-4, atol=1e-5)
    return [SampleInput((rng.standard_normal((4, 3)).astype(dt),
                         rng.standard_normal(3).astype(dt)), **kw),
            SampleInput((rng.standard_normal((2, 3, 3)).astype(dt),
                         rng.standard_normal((2, 2)).astype(dt)), **kw)]


OPS = [
    op("linalg_matrix_exp", _matrix_exp, functions=("linalg.matrix_exp", "matrix_exp"),
       methods=("matrix_exp",), torch_name="linalg.matrix_exp", backward=_matrix_exp_bwd,
       save_inputs=(0,), takes_complex_grad=True,
       samples=lambda rng, dt: [SampleInput((rng.standard_normal(s).astype(dt) * f,),
                                            rtol=1e-4, atol=1e-5)
                                for s, f in (((3, 3), 1.0), ((2, 3, 3), 0.3), ((2, 2), 3.0))],
       error_samples=lambda rng: [ErrorInput((np.ones((2, 3)),), match="square matrices"),
                                  ErrorInput((np.ones((2, 2), np.int64),),
                                             match="Expected a floating point")],
       doc="The matrix exponential of a (batch of) square matrices."),
    op("linalg_householder_product", _HH_K, functions=("linalg.householder_product",
                                                       "orgqr"),
       methods=("orgqr",), torch_name="linalg.householder_product", backward=_HH_B, inputs=2,
       save_inputs=(0, 1), takes_complex_grad=True, samples=_hh_samples,
       error_samples=lambda rng: [ErrorInput((np.ones((3, 2)), np.ones(3)),
                                             match="must be greater than or equal to "
                                                   "tau.shape")],
       doc="The first n columns of the product of Householder reflectors H_i = I - tau_i "
           "v_i v_i^H stored below the diagonal of A (what `geqrf` returns)."),
]
