"""Functions PyTorch defines from the others: cholesky_inverse, lu_unpack and triangular_solve
(its older forms), linalg.tensorinv, linalg.tensorsolve, linalg.vander and linalg.diagonal.
Each is one function in operators (`composite`): the kernel runs it on arrays, the backward
rule differentiates it on tensors."""
import math

import numpy as np

from loom.plugin import ErrorInput, SampleInput, is_tensor, move_like, op, sample_calls

from . import lu as _lum
from .common import as_tensor, composite, eye_like, op_, scalar_name, square, to_host


def _cholesky_inverse(l, upper=False):
    if not is_tensor(l):  # PyTorch's checks, on arrays (the rule re-runs this on tensors)
        square("cholesky_inverse", l)
        if l.dtype.kind not in "fc":
            raise NotImplementedError(f'"cholesky_inverse_out_cpu" not implemented for '
                                      f"'{scalar_name(l)}'")
    # the identity, in l's batch shape (zeros_like: no NaN from the triangle not read)
    return op_("cholesky_solve", op_("zeros_like", l) + eye_like(l, l.shape[-1]), l, upper)


def _constant(x, like):
    """A constant array `x` (NumPy) as `like`'s kind: an array, or a tensor without history."""
    if is_tensor(like):
        return as_tensor(x).to(dtype=like.dtype, device=like.device)
    return move_like(x.astype(like.dtype), like)


def _lu_unpack(lu, pivots, unpack_data=True, unpack_pivots=True):
    if lu.ndim == 0:
        raise IndexError("Dimension specified as -1 but tensor has no dimensions")
    if lu.ndim == 1:
        raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but "
                         "got -2)")
    m, n = lu.shape[-2:]
    k = min(m, n)
    if not is_tensor(lu) and unpack_pivots:
        if pivots.dtype != np.int32:
            raise RuntimeError("torch.lu_unpack: LU_pivots is expected to be a contiguous "
                               "tensor of torch.int32 dtype. Note: this function is intended "
                               "to be used with the output produced by torch.linalg.lu_factor")
        if pivots.size and k and (bool((pivots[..., :k] < 1).any()) or
                                  bool((pivots[..., :k] > m).any())):
            raise RuntimeError("pivots passed to lu_unpack must be between 1 and LU.size(-2) "
                               "inclusive.Did you properly pass the result of lu_factor?")
    empty = lu.reshape(-1)[:0]
    if unpack_data:
        lower = op_("tril", lu[..., :, :k], -1) + eye_like(lu, max(m, k))[:m, :k]
        upper = op_("triu", lu[..., :k, :], 0)
    else:
        lower = upper = empty
    if unpack_pivots:
        piv = np.asarray(to_host(pivots))[..., :k]  # PyTorch reads the first min(m, n)
        p = _constant(_lum.permutation(np, piv, m, np.float64), lu)
    else:
        p = empty
    return p, lower, upper


def _triangular_solve(b, a, upper=True, transpose=False, unitriangular=False):
    if not is_tensor(a):  # once per call, not again when the rule re-runs this on tensors
        if b.dtype != a.dtype:
            raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type "
                               f"{scalar_name(b)} and A of type {scalar_name(a)} instead.")
        if a.dtype.kind not in "fc" or a.dtype.itemsize < 4:
            raise NotImplementedError(f'"triangular_solve_cpu" not implemented for '
                                      f"'{scalar_name(a)}'")
        import warnings
        warnings.warn("torch.triangular_solve is deprecated in favor of "
                      "torch.linalg.solve_triangularand will be removed in a future PyTorch "
                      "release.\ntorch.linalg.solve_triangular has its arguments reversed and "
                      "does not return a copy of one of the inputs.\nX = "
                      "torch.triangular_solve(B, A).solution\nshould be replaced with\nX = "
                      "torch.linalg.solve_triangular(A, B).", UserWarning, stacklevel=4)
    t = a.swapaxes(-1, -2) if transpose else a  # A^T, not A^H, as PyTorch's flag means
    x = op_("linalg_solve_triangular", t, b, upper=upper != transpose, unitriangular=unitriangular)
    return x, a + 0


def _tensorinv(a, ind=2):
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    out_shape, in_shape = tuple(a.shape[:ind]), tuple(a.shape[ind:])
    p, q = math.prod(out_shape), math.prod(in_shape)
    if p != q:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {q} != {p}")
    return op_("linalg_inv", a.reshape(p, q)).reshape(in_shape + out_shape)


def _tensorsolve(a, b, dims=None):
    if dims is not None:
        nd = a.ndim
        rest = [d for d in range(nd) if d not in [x % nd for x in dims]]
        a = op_("permute", a, rest + [x % nd for x in dims])
    left, right = tuple(a.shape[:b.ndim]), tuple(a.shape[b.ndim:])
    p, q = math.prod(left), math.prod(right)
    if p != q:
        raise RuntimeError(f"Expected self to satisfy the requirement "
                           f"prod(self.shape[other.ndim:]) == prod(self.shape[:other.ndim]), "
                           f"but got {q} != {p}")
    return op_("linalg_solve", a.reshape(p, q), b.reshape(p)).reshape(right)


def _vander(x, *, N=None):
    if x.ndim < 1:
        raise RuntimeError("linalg.vander: x must have at least one dimension.")
    n = x.shape[-1] if N is None else N
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    powers = [x[..., None] ** 0 + 0 * x[..., None]]
    for _ in range(1, n):
        powers.append(powers[-1] * x[..., None])
    return op_("cat", *powers, dim=-1)


def _diagonal(a, *, offset=0, dim1=-2, dim2=-1):
    return op_("diagonal", a, offset, dim1, dim2)


_K = {n: composite(f, k) for n, f, k in (
    ("cholesky_inverse", _cholesky_inverse, 1), ("lu_unpack", _lu_unpack, 2),
    ("triangular_solve", _triangular_solve, 2), ("tensorinv", _tensorinv, 1),
    ("tensorsolve", _tensorsolve, 2), ("vander", _vander, 1), ("diagonal", _diagonal, 1))}


def _op(name, key, n, samples, doc, **fields):
    kernel, backward = _K[key]
    fields.setdefault("methods", ())
    return op(name, kernel, backward=backward, inputs=n, save_inputs=tuple(range(n)),
              takes_complex_grad=True, samples=samples, doc=doc, **fields)


def _factor(rng, dt, n=3, upper=False):
    x = rng.standard_normal((n, n))
    lo = np.linalg.cholesky(x @ x.T + n * np.eye(n))
    return (lo.T if upper else lo).astype(dt)


def _lu_samples(rng, dt):
    a = rng.standard_normal((3, 3)) + 3 * np.eye(3)
    lu, piv, _ = _lum.lu_factor(np, a)
    w = rng.standard_normal((4, 3))
    lu_w, piv_w, _ = _lum.lu_factor(np, w)
    kw = dict(rtol=1e-5, atol=1e-6)
    return [SampleInput((lu.astype(dt), piv), **kw), SampleInput((lu_w.astype(dt), piv_w), **kw),
            SampleInput((lu.astype(dt), piv), {"unpack_pivots": False}, **kw)]


def _tri_samples(rng, dt):
    a = (rng.standard_normal((3, 3)) + 3 * np.eye(3)).astype(dt)
    b = rng.standard_normal((3, 2)).astype(dt)
    kw = dict(rtol=1e-4, atol=1e-5)
    return [SampleInput((b, a), **kw), SampleInput((b, a), {"upper": False, "transpose": True},
                                                    **kw),
            SampleInput((b, a), {"unitriangular": True}, **kw)]


OPS = [
    _op("cholesky_inverse", "cholesky_inverse", 1,
        lambda rng, dt: [SampleInput((_factor(rng, dt),), rtol=1e-4, atol=1e-5, grad=False),
                         SampleInput((_factor(rng, dt, upper=True), True), rtol=1e-4,
                                     atol=1e-5, grad=False)],
        "The inverse of A = L L^H (``upper``: U^H U) from its Cholesky factor (one triangle "
        "read; gradients as cholesky_solve's).", methods=("cholesky_inverse",)),
    _op("lu_unpack", "lu_unpack", 2, _lu_samples,
        "(P, L, U) of a packed LU factorisation and its pivots; ``unpack_data=False`` or "
        "``unpack_pivots=False`` leave that part empty.", outputs=("P", "L", "U")),
    _op("triangular_solve", "triangular_solve", 2, _tri_samples,
        "``torch.triangular_solve(b, A)``: the solution X of A X = b for triangular A (its "
        "``upper`` triangle; ``transpose`` solves A^T X = b) and a copy of A.",
        outputs=("solution", "cloned_coefficient"), methods=("triangular_solve",)),
    _op("linalg_tensorinv", "tensorinv", 1,
        lambda rng, dt: [SampleInput(((rng.standard_normal((4, 2, 2)) +
                                       3 * np.eye(4).reshape(4, 2, 2)).astype(dt), 1),
                                     rtol=1e-4, atol=1e-5)],
        "The inverse of a tensor seen as a matrix of its first `ind` and last dims.",
        functions=("linalg.tensorinv",), torch_name="linalg.tensorinv",
        error_samples=lambda rng: [ErrorInput((np.ones((4, 3)), 1), match="prod")]),
    _op("linalg_tensorsolve", "tensorsolve", 2,
        lambda rng, dt: [SampleInput(((rng.standard_normal((2, 3, 6)) +
                                       3 * np.eye(6).reshape(2, 3, 6)).astype(dt),
                                      rng.standard_normal((2, 3)).astype(dt)),
                                     rtol=1e-4, atol=1e-5)],
        "The X with tensordot(A, X, X.ndim) = B.", functions=("linalg.tensorsolve",),
        torch_name="linalg.tensorsolve"),
    _op("linalg_vander", "vander", 1,
        sample_calls(((4,),), ((2, 3), {"N": 5}), ((3,), {"N": 2}), rtol=1e-5, atol=1e-6),
        "The Vandermonde matrix of x: columns x^0, x^1, ..., x^(N-1) (N = x.shape[-1]).",
        functions=("linalg.vander",), torch_name="linalg.vander"),
    _op("linalg_diagonal", "diagonal", 1,
        sample_calls(((3, 4),), ((2, 3, 3), {"offset": 1}), ((2, 3, 4), {"dim1": 0, "dim2": 2})),
        "`diagonal` with the matrix dims last by default (``offset``, ``dim1=-2``, "
        "``dim2=-1``).", functions=("linalg.diagonal",), torch_name="linalg.diagonal"),
]
