"""LU with partial pivoting on the array namespace (NumPy has no LU of its own): the factor, its
pivots in LAPACK's 1-based form and the first zero pivot of each matrix, which is what PyTorch's
messages for singular matrices name."""
import numpy as np


def lu_factor(xp, a):
    """(LU, pivots, info) for a batch of m x n matrices: L unit lower (below the diagonal of
    LU), U upper; pivots[i] is the 1-based row swapped with row i; info the 1-based index of
    the first zero pivot (0: none). Column by column, vectorised over the batch."""
    m, n = a.shape[-2:]
    k = min(m, n)
    batch = a.shape[:-2]
    lu = a.reshape((-1, m, n)).copy()
    b = lu.shape[0]
    rows = xp.arange(b)
    piv = xp.zeros((b, k), dtype=np.int32)
    info = xp.zeros(b, dtype=np.int32)
    for j in range(k):
        p = xp.argmax(abs(lu[:, j:, j]), axis=1) + j if b else xp.zeros(0, dtype=np.int64)
        piv[:, j] = p + 1
        top = lu[rows, j].copy()
        lu[rows, j] = lu[rows, p]
        lu[rows, p] = top
        pivot = lu[:, j, j]
        zero = pivot == 0
        info = xp.where((info == 0) & zero, j + 1, info)
        if j + 1 < m:
            lu[:, j + 1:, j] /= xp.where(zero, 1, pivot)[:, None]
            if j + 1 < n:
                lu[:, j + 1:, j + 1:] -= lu[:, j + 1:, j, None] * lu[:, j, None, j + 1:]
    return lu.reshape(a.shape), piv.reshape(batch + (k,)), info.reshape(batch)


def permutation(xp, pivots, m, dtype):
    """The permutation matrices P (A = P L U) of LAPACK pivots."""
    batch = pivots.shape[:-1]
    if pivots.shape[-1] == 0:  # no pivots (an empty factor): the identity
        return xp.broadcast_to(xp.eye(m, dtype=dtype), batch + (m, m)).copy()
    piv = pivots.reshape((-1, pivots.shape[-1])) - 1
    b = piv.shape[0]
    perm = xp.broadcast_to(xp.arange(m), (b, m)).copy()
    rows = xp.arange(b)
    for j in range(piv.shape[-1]):
        p = piv[:, j]
        top = perm[rows, j].copy()
        perm[rows, j] = perm[rows, p]
        perm[rows, p] = top
    # row j of P^T A is row perm[j] of A, so P[perm[j], j] = 1
    eye = xp.eye(m, dtype=dtype)
    pt = eye[perm]                      # P^T: row j is e_{perm[j]}
    return pt.swapaxes(-1, -2).reshape(batch + (m, m))


def unpack(xp, lu):
    """(L, U) of a packed LU (L unit lower m x k, U upper k x n)."""
    m, n = lu.shape[-2:]
    k = min(m, n)
    lower = xp.tril(lu[..., :, :k], -1) + xp.eye(m, k, dtype=lu.dtype)
    return lower, xp.triu(lu[..., :k, :])
