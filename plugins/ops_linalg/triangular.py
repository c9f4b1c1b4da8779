"""Triangular systems: linalg.solve_triangular (blocked substitution, or LAPACK's LU solve for a
large regular system: NumPy has no triangular solver) and cholesky_solve, with PyTorch's checks
and backward rules (gradients projected onto the triangle the forward reads)."""
import numpy as np

from loom.plugin import ErrorInput, SampleInput, op, sum_to_shape

from .common import (floating, mH, op_, same_dtype, scalar_name, square, tensors_AB)


def _triangle(xp, a, upper, unitriangular):
    t = xp.triu(a) if upper else xp.tril(a)
    if unitriangular:
        n = a.shape[-1]
        d = xp.arange(n)
        t = t.copy()
        t[..., d, d] = 1
    return t


_BLOCK = 64  # rows solved one by one inside a block; blocks meet through one matmul each


def _substitute(xp, t, b, upper):
    """Forward (lower) or back (upper) substitution, as LAPACK's trsm does it: blocks of
    `_BLOCK` rows, each solved row by row after one matmul with the rows already solved. A
    zero on the diagonal gives inf and nan, as PyTorch's does (no error)."""
    n = t.shape[-1]
    shape = np.broadcast_shapes(t.shape[:-2], b.shape[:-2])
    t = xp.broadcast_to(t, shape + t.shape[-2:])
    x = xp.broadcast_to(b, shape + b.shape[-2:]).astype(np.result_type(t.dtype, b.dtype))
    x = x.copy()
    starts = list(range(0, n, _BLOCK))
    if upper:
        starts.reverse()
    with np.errstate(all="ignore"):
        for s0 in starts:
            s1 = min(s0 + _BLOCK, n)
            done = slice(s1, n) if upper else slice(0, s0)
            if (n - s1 if upper else s0) > 0:
                x[..., s0:s1, :] -= t[..., s0:s1, done] @ x[..., done, :]
            rows = range(s1 - 1, s0 - 1, -1) if upper else range(s0, s1)
            for i in rows:
                inner = slice(i + 1, s1) if upper else slice(s0, i)
                if inner.stop > inner.start:
                    x[..., i, :] -= (t[..., i, None, inner] @ x[..., inner, :])[..., 0, :]
                x[..., i, :] /= t[..., i, i, None]
    return x


def _solve_triangular(xp, a, b, *, upper, left=True, unitriangular=False):
    name = "linalg.solve_triangular"
    square(name, a)
    floating(name, a)
    same_dtype(name, a, b)
    if b.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor B must have at least 2 dimensions.")
    if (b.shape[-2] if left else b.shape[-1]) != a.shape[-1]:
        raise RuntimeError(f"{name}: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({a.shape[-2]}x{a.shape[-1]} "
                           f"and {b.shape[-2]}x{b.shape[-1]})")
    t = _triangle(xp, a, upper, unitriangular)
    if not left:  # X A = B  <=>  A^T X^T = B^T, with the other triangle
        t, b, upper = t.swapaxes(-1, -2), b.swapaxes(-1, -2), not upper
    n = t.shape[-1]
    d = t[..., xp.arange(n), xp.arange(n)]
    if n > _BLOCK and bool(xp.isfinite(t).all() and (d != 0).all()):
        # a large regular system: LAPACK's LU solve (NumPy has no triangular solver), several
        # times faster than substitution in Python steps, the same to rounding
        x = xp.linalg.solve(t, b)
    else:  # small, singular or not finite: substitution, rounding and inf/nan as PyTorch's
        x = _substitute(xp, t, b, upper)
    return x if left else x.swapaxes(-1, -2)


def _solve_triangular_bwd(ctx, g):
    a, x = ctx.saved
    p = ctx.params
    upper, left, unit = p["upper"], p.get("left", True), p.get("unitriangular", False)
    gb = op_("linalg_solve_triangular", mH(a), g, upper=not upper, left=left,
             unitriangular=unit)
    ga = None
    if ctx.needs_input_grad[0]:
        ga = -(gb @ mH(x)) if left else -(mH(x) @ gb)
        ga = op_("triu", ga, 1 if unit else 0) if upper else op_("tril", ga, -1 if unit else 0)
        ga = sum_to_shape(ga, tuple(ctx.shapes[0]))
    return ga, (sum_to_shape(gb, tuple(ctx.shapes[1])) if ctx.needs_input_grad[1] else None)


def _tri_samples(rng, dt):
    a = (rng.standard_normal((3, 3)) + 3 * np.eye(3)).astype(dt)
    ab = (rng.standard_normal((2, 3, 3)) + 3 * np.eye(3)).astype(dt)
    b = rng.standard_normal((3, 2)).astype(dt)
    kw = dict(rtol=1e-4, atol=1e-5)
    return [SampleInput((a, b), {"upper": True}, **kw),
            SampleInput((a, b), {"upper": False, "unitriangular": True}, **kw),
            SampleInput((ab, b), {"upper": False}, note="broadcast", **kw),
            SampleInput((a, b.T.copy()), {"upper": True, "left": False}, **kw)]


# ----------------------------------------------------------------------------- cholesky_solve

def _cholesky_solve(xp, b, l, upper=False):
    if b.ndim < 2:
        raise RuntimeError(f"b should have at least 2 dimensions, but has {b.ndim} dimensions "
                           f"instead")
    if l.ndim < 2:
        raise RuntimeError(f"u should have at least 2 dimensions, but has {l.ndim} dimensions "
                           f"instead")
    if l.shape[-1] != l.shape[-2] or l.shape[-1] != b.shape[-2]:
        raise RuntimeError(f"Incompatible matrix sizes for cholesky_solve: each A matrix is "
                           f"{l.shape[-2]} by {l.shape[-1]} but each b matrix is "
                           f"{b.shape[-2]} by {b.shape[-1]}")
    if b.dtype == l.dtype and b.dtype.kind not in "fc":
        raise NotImplementedError(f'"cholesky_solve_cpu" not implemented for '
                                  f"'{scalar_name(b)}'")
    if b.dtype != l.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type "
                           f"{scalar_name(b)} and A of type {scalar_name(l)} instead.")
    floating("cholesky_solve", l, low_precision="cholesky_solve_cpu")
    lo = mH(xp.triu(l)) if upper else xp.tril(l)
    y = _solve_triangular(xp, lo, b, upper=False)
    return _solve_triangular(xp, mH(lo), y, upper=True)


def _cholesky_solve_bwd(ctx, g):
    b, l, x = ctx.saved
    upper = ctx.params.get("upper", False)
    gb = op_("cholesky_solve", g, l, upper)
    gl = None
    if ctx.needs_input_grad[1]:
        common = gb @ mH(x)
        common = common + mH(common)
        gl = -(l @ common) if upper else -(common @ l)
        gl = sum_to_shape(gl, tuple(ctx.shapes[1]))
    return (sum_to_shape(gb, tuple(ctx.shapes[0])) if ctx.needs_input_grad[0] else None), gl


def _chol_solve_samples(rng, dt):
    def factor(*shape, upper=False):
        a = rng.standard_normal(shape)
        s = a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])
        lo = np.linalg.cholesky(s)
        return (np.swapaxes(lo, -1, -2) if upper else lo).astype(dt)
    b = rng.standard_normal((3, 2)).astype(dt)
    kw = dict(rtol=1e-4, atol=1e-5)
    # one triangle of the factor is read; PyTorch's gradient is not projected onto it, so
    # gradients are checked in the tests through a triangular parametrisation
    return [SampleInput((b, factor(3, 3)), grad=False, **kw),
            SampleInput((b, factor(3, 3, upper=True)), {"upper": True}, grad=False, **kw),
            SampleInput((rng.standard_normal((2, 3, 1)).astype(dt), factor(3, 3)),
                        note="broadcast", grad=False, **kw)]



OPS = [
    op("linalg_solve_triangular", _solve_triangular, prepare=tensors_AB,
       functions=("linalg.solve_triangular",), methods=(), torch_name="linalg.solve_triangular",
       backward=_solve_triangular_bwd,
       save_inputs=(0,), save_output=True, inputs=2, takes_complex_grad=True,
       supports_out=True, samples=_tri_samples, error_samples=lambda rng: [
           ErrorInput((np.eye(3), np.ones((4, 2))), {"upper": True},
                      match=r"AX = B \(3x3 and 4x2\)")],
       doc="The solution X of A X = B (``left=False``: X A = B) for triangular A: only the "
           "``upper`` (or lower) triangle of A is read, its diagonal taken as ones when "
           "``unitriangular``."),
    op("cholesky_solve", _cholesky_solve, backward=_cholesky_solve_bwd, save_inputs=(0, 1),
       save_output=True, inputs=2, takes_complex_grad=True, samples=_chol_solve_samples,
       supports_out=True, error_samples=lambda rng: [
           ErrorInput((np.ones((3, 2)), np.eye(4)), match="Incompatible matrix sizes")],
       doc="The solution X of A X = B given A's Cholesky factor (``upper`` for U with "
           "A = U^H U)."),
]
