"""Inverses, determinants and solvers: inv (and ``_ex``), det, slogdet, logdet, solve (and
``_ex``), solve_triangular, cholesky_solve, lu_factor, lu, lu_solve, with PyTorch's checks,
its LinAlgError messages for singular matrices and its backward rules, written in operators
(`op_`) so that they differentiate again."""
import numpy as np

from loom.plugin import ErrorInput, SampleInput, op, sum_to_shape

from . import lu as _lum
from .triangular import _substitute
from .common import (conj, eye_like, floating, is_complex, linalg_error, mH, op_, real,
                     same_dtype, scalar_name, square, tensors_AB, to_host)


def _prefix(a, info):
    """PyTorch's "(Batch element i): " for the first failing matrix of a batch."""
    if a.ndim <= 2:
        return "", int(info.reshape(-1)[0]) if info.size else 0
    flat = to_host(info.reshape(-1))  # a few ints: read on the host (CuPy refuses np.asarray)
    i = int(np.argmax(flat != 0)) if flat.size else 0
    return f"(Batch element {i}): ", int(flat[i]) if flat.size else 0


def _singular_info(xp, a):
    return _lum.lu_factor(xp, a)[2]


# ----------------------------------------------------------------------------- inv

def _inv_checks(name, a):
    square(name, a)
    floating(name, a)


def _nan_where_not_finite(xp, a, x, vec=False):
    """NaN throughout the result of every matrix of `a` holding an inf or NaN: LAPACK's LU
    (PyTorch's) spreads it over the whole solution, NumPy's leaves some entries finite."""
    if not a.size or bool(xp.isfinite(a).all()):
        return x
    bad = ~xp.isfinite(a).all(axis=(-2, -1))
    bad = bad[..., None] if vec else bad[..., None, None]
    return xp.where(bad, np.nan, x)


def _inv(xp, a):
    _inv_checks("linalg.inv", a)
    try:
        return _nan_where_not_finite(xp, a, xp.linalg.inv(a))
    except Exception:
        pre, k = _prefix(a, _singular_info(xp, a))
        raise linalg_error(f"linalg.inv: {pre}The diagonal element {k or a.shape[-1]} is zero, "
                           f"the inversion could not be completed because the input matrix "
                           f"is singular.") from None


def _inv_ex(xp, a, *, check_errors=False):
    _inv_checks("linalg.inv_ex", a)
    info = xp.zeros(a.shape[:-2], dtype=np.int32)
    try:
        return _nan_where_not_finite(xp, a, xp.linalg.inv(a)), info
    except Exception:
        info = _singular_info(xp, a)
        if check_errors:
            pre, k = _prefix(a, info)
            raise linalg_error(f"linalg.inv_ex: {pre}The diagonal element {k} is zero, the "
                               f"inversion could not be completed because the input matrix "
                               f"is singular.") from None
        return _lu_inverse(xp, a), info


def _lu_inverse(xp, a):
    """A^{-1} through A = P L U and two substitutions, as LAPACK's getri: a zero pivot gives
    the inf and nan PyTorch's inverse of a singular matrix has, without an error."""
    lu_, piv, _ = _lum.lu_factor(xp, a)
    lower, upper = _lum.unpack(xp, lu_)
    pt = _lum.permutation(xp, piv, a.shape[-1], a.dtype).swapaxes(-1, -2)
    return _substitute(xp, upper, _substitute(xp, lower, pt, False), True)


def _inv_rule(ainv, g):
    return -(mH(ainv) @ g @ mH(ainv))


def _inv_bwd(ctx, g):
    return (_inv_rule(ctx.saved[0], g),)


def _inv_ex_bwd(ctx, grads):
    return (_inv_rule(ctx.saved[0][0], grads[0]),)


def _wellposed(rng, dt, *shape, complex_=False):
    a = rng.standard_normal(shape) + 3 * np.eye(shape[-1])
    if complex_:
        a = a + 1j * rng.standard_normal(shape)
        return a.astype(np.result_type(dt, np.complex64))
    return a.astype(dt)


def _square_samples(*shapes, cplx=True, **kw):
    def samples(rng, dt):
        out = [SampleInput((_wellposed(rng, dt, *s),), dict(kw), rtol=1e-4, atol=1e-5)
               for s in shapes]
        if cplx:
            out.append(SampleInput((_wellposed(rng, dt, 2, 2, complex_=True),), dict(kw),
                                   grad=False, rtol=1e-4, atol=1e-5, note="complex"))
        return out
    return samples


def _square_errors(singular=None, int_error=True):
    def errors(rng):
        out = [ErrorInput((np.ones((2, 3)),), match="batches of square matrices"),
               ErrorInput((np.ones(3),), match="at least 2 dimensions")]
        if int_error:
            out.append(ErrorInput((np.ones((3, 3), np.int64),),
                                  match="Expected a floating point"))
        if singular:
            out.append(ErrorInput((np.zeros((2, 3, 3)),), match=singular))
        return out
    return errors


# ----------------------------------------------------------------------------- det, slogdet

def _det(xp, a):
    _inv_checks("linalg.det", a)
    with np.errstate(invalid="ignore"):
        return xp.linalg.det(a)


def _det_bwd(ctx, g):
    """g conj(det) A^{-H}; where some matrix is singular, PyTorch's SVD form of the cofactor
    matrix (alpha U diag(prod of the other singular values) Vh), defined there too."""
    a, d = ctx.saved
    if not bool((d == 0).any()):
        return ((g * conj(d))[..., None, None] * mH(op_("linalg_inv", a)),)
    u, s, vh = op_("linalg_svd", a, False)
    alpha = conj(op_("linalg_det", u) * op_("linalg_det", vh))
    k = s.shape[-1]
    eye = eye_like(s, k)
    others = op_("prod", s[..., None, :] * (1 - eye) + eye, -1)
    return ((u * ((g * alpha)[..., None] * others)[..., None, :]) @ vh,)


def _slogdet(xp, a):
    _inv_checks("linalg.slogdet", a)
    with np.errstate(invalid="ignore"):
        sign, logabs = xp.linalg.slogdet(a)
    return sign, logabs


def _slogdet_bwd(ctx, grads):
    gsign, glog = grads
    a = ctx.saved[0]
    sign = ctx.saved[1][0]
    if glog is None and (gsign is None or not is_complex(a)):
        return (None,)
    g = glog if glog is not None else real(sign) * 0
    if is_complex(a) and gsign is not None:
        g = g - 1j * (conj(gsign) * sign).imag
    return (g[..., None, None] * _quiet_inverse(mH(a)),)


def _quiet_inverse(a):
    """A^{-1} for a backward rule (called with A^H: PyTorch solves with A^H, and a singular
    matrix then gives the same inf/nan as its rules), without an error."""
    return op_("linalg_inv_ex", a)[0]


def _logdet(xp, a):
    square("logdet", a)
    floating("logdet", a)
    with np.errstate(invalid="ignore"):
        sign, logabs = xp.linalg.slogdet(a)
    if a.dtype.kind == "c":
        return xp.log(sign) + logabs
    with np.errstate(invalid="ignore"):
        return xp.where(sign < 0, np.nan, logabs).astype(a.dtype)


def _logdet_bwd(ctx, g):
    a, out = ctx.saved
    if not is_complex(a):  # a negative determinant gave nan: PyTorch sends no gradient there
        g = g * (out == out)
    return (g[..., None, None] * _quiet_inverse(mH(a)),)


# ----------------------------------------------------------------------------- solve

def _is_vector(a, b):
    return b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])


def _solve_checks(name, a, b, left=True):
    square(name, a)
    floating(name, a)
    same_dtype(name, a, b)
    vec = _is_vector(a, b)
    bm = b[..., None] if vec else b
    n, k = (bm.shape[-2], bm.shape[-1]) if left else (bm.shape[-1], bm.shape[-2])
    if n != a.shape[-1]:
        eq = "AX = B" if left else "XA = B"
        shown = (bm.shape[-2], bm.shape[-1])
        raise RuntimeError(f"{name}: Incompatible shapes of A and B for the equation {eq} "
                           f"({a.shape[-2]}x{a.shape[-1]} and {shown[0]}x{shown[1]})")
    return vec


def _solve_raw(xp, a, b, left, vec):
    if vec:
        return _nan_where_not_finite(xp, a, xp.linalg.solve(a, b[..., None])[..., 0], True)
    if left:
        return _nan_where_not_finite(xp, a, xp.linalg.solve(a, b))
    return _nan_where_not_finite(xp, a, xp.linalg.solve(a.swapaxes(-1, -2),
                                                        b.swapaxes(-1, -2)).swapaxes(-1, -2))


def _solve(xp, a, b, *, left=True):
    vec = _solve_checks("linalg.solve", a, b, left)
    try:
        return _solve_raw(xp, a, b, left, vec)
    except np.linalg.LinAlgError:
        pre = ""
        if a.ndim > 2:
            pre, _ = _prefix(a, _singular_info(xp, a))
        raise linalg_error(f"torch.linalg.solve: {pre}The solver failed because the input "
                           f"matrix is singular.") from None


def _solve_ex(xp, a, b, *, left=True, check_errors=False):
    vec = _solve_checks("linalg.solve_ex", a, b, left)
    try:
        x = _solve_raw(xp, a, b, left, vec)
        return x, xp.zeros(a.shape[:-2], dtype=np.int32)
    except np.linalg.LinAlgError:
        info = _singular_info(xp, a)
        if check_errors:
            pre, _ = _prefix(a, info)
            raise linalg_error(f"torch.linalg.solve_ex: {pre}The solver failed because the "
                               f"input matrix is singular.") from None
        shape = np.broadcast_shapes(a.shape[:-2], (b[..., None] if vec else b).shape[:-2])
        x = xp.full(shape + ((b.shape[-1:] if vec else b.shape[-2:])), np.nan, dtype=a.dtype)
        return x, info


def _solve_rule(ctx, gx, x):
    """X = A^{-1} B: gB = A^{-H} gX, gA = -gB X^H (left=False: X = B A^{-1}, gB = gX A^{-H},
    gA = -X^H gB); each summed back over broadcast batch dims."""
    a = ctx.saved[0]
    left = ctx.params.get("left", True)
    sa, sb = ctx.shapes
    vec = len(sb) == 1 or (len(sb) == len(sa) - 1 and tuple(sb) == tuple(sa[:-1]))
    gb = op_("linalg_solve", mH(a), gx, left=left)
    ga = None
    if ctx.needs_input_grad[0]:
        if vec:
            ga = -(gb[..., :, None] * conj(x)[..., None, :])
        else:
            ga = -(gb @ mH(x)) if left else -(mH(x) @ gb)
        ga = sum_to_shape(ga, tuple(sa))
    return ga, (sum_to_shape(gb, tuple(sb)) if ctx.needs_input_grad[1] else None)


def _solve_bwd(ctx, g):
    return _solve_rule(ctx, g, ctx.saved[1])


def _solve_ex_bwd(ctx, grads):
    return _solve_rule(ctx, grads[0], ctx.saved[1][0])


def _solve_samples(rng, dt):
    w = _wellposed
    n = rng.standard_normal
    return [SampleInput((w(rng, dt, 3, 3), n((3, 2)).astype(dt)), rtol=1e-4, atol=1e-5),
            SampleInput((w(rng, dt, 3, 3), n(3).astype(dt)), rtol=1e-4, atol=1e-5,
                        note="vector B"),
            SampleInput((w(rng, dt, 2, 3, 3), n((3, 1)).astype(dt)), rtol=1e-4, atol=1e-5,
                        note="broadcast B"),
            SampleInput((w(rng, dt, 3, 3), n((2, 1, 3, 2)).astype(dt)), rtol=1e-4, atol=1e-5,
                        note="broadcast A"),
            SampleInput((w(rng, dt, 2, 3, 3), n((2, 3)).astype(dt)), rtol=1e-4, atol=1e-5,
                        note="batched vector B"),
            SampleInput((w(rng, dt, 3, 3), n((2, 3)).astype(dt)), {"left": False},
                        rtol=1e-4, atol=1e-5, note="left=False"),
            SampleInput((w(rng, dt, 2, 2, complex_=True),
                         (n((2, 1)) + 1j * n((2, 1))).astype(np.result_type(dt, np.complex64))),
                        grad=False, rtol=1e-4, atol=1e-5, note="complex")]


def _solve_errors(rng):
    return [ErrorInput((np.zeros((3, 3)), np.ones(3)), match="input matrix is singular"),
            ErrorInput((np.zeros((2, 3, 3)), np.ones((2, 3))),
                       match=r"\(Batch element 0\)"),
            ErrorInput((np.eye(3), np.ones(4)), match=r"AX = B \(3x3 and 4x1\)"),
            ErrorInput((np.eye(3), np.ones(3, np.float32)), match="same dtype"),
            ErrorInput((np.ones((2, 3)), np.ones(2)), match="square matrices")]


# ----------------------------------------------------------------------------- LU

def _lu_checks(name, a):
    if a.ndim < 2:
        raise RuntimeError(f"{name}: Expected tensor with 2 or more dimensions. Got size: "
                           f"{list(a.shape)} instead")
    floating(name, a, low_precision="lu_cpu")


def _lu_factor(xp, a, *, pivot=True):
    _lu_checks("torch.linalg.lu_factor", a)
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    lu, piv, info = _lum.lu_factor(xp, a)
    if bool((info != 0).any()):
        pre, k = _prefix(a, info)
        raise RuntimeError(f"torch.linalg.lu_factor: {pre}U[{k},{k}] is zero and using it on "
                           f"lu_solve would result in a division by zero. If you still want "
                           f"to perform the factorization, consider calling linalg.lu(A, "
                           f"pivot) or linalg.lu_factor_ex(A, pivot)")
    return lu, piv


def _lu_factor_ex(xp, a, *, pivot=True, check_errors=False):
    _lu_checks("torch.linalg.lu_factor_ex", a)
    lu, piv, info = _lum.lu_factor(xp, a)
    return lu, piv, info


def _lu_rule(a_shape, p, l, u, gl, gu):
    """PyTorch's linalg_lu_backward for square A = P L U:
    gA = P L^{-H} [tril(L^H gL, -1) + triu(gU U^H)] U^{-H}."""
    m, n = a_shape[-2:]
    if m != n:
        raise NotImplementedError("loom: the gradient of an LU decomposition of a non-square "
                                  "matrix is not implemented")
    phi = 0
    if gl is not None:
        phi = op_("tril", mH(l) @ gl, -1)
    if gu is not None:
        phi = phi + op_("triu", gu @ mH(u), 0)
    x = op_("linalg_solve_triangular", mH(l), phi, upper=True, unitriangular=True)
    x = op_("linalg_solve_triangular", mH(u), x, upper=False, left=False)
    return p @ x



def _lu_factor_bwd(ctx, grads):
    lu_, piv = ctx.saved[0][:2]
    g = grads[0]
    l = op_("tril", lu_, -1) + eye_like(lu_, lu_.shape[-1])
    u = op_("triu", lu_, 0)
    p = _perm_of(piv, lu_)
    return (_lu_rule(ctx.shapes[0], p, l, u, op_("tril", g, -1), op_("triu", g, 0)),)


def _perm_of(piv, like):
    """P of `piv` as an array, or as a constant tensor of `like`'s dtype and device."""
    import loom
    from loom.plugin import is_tensor, xp_of
    if is_tensor(piv):
        pa = _lum.permutation(np, piv.cpu().numpy(), like.shape[-2], np.float64)
        return loom.as_tensor(pa).to(dtype=like.dtype, device=like.device)
    return _lum.permutation(xp_of(piv), piv, like.shape[-2], like.dtype)


def _lu(xp, a, *, pivot=True):
    _lu_checks("linalg.lu", a)
    lu_, piv, _ = _lum.lu_factor(xp, a)
    l, u = _lum.unpack(xp, lu_)
    return _lum.permutation(xp, piv, a.shape[-2], a.dtype), l, u


def _lu_bwd(ctx, grads):
    p, l, u = ctx.saved[0]
    return (_lu_rule(ctx.shapes[0], p, l, u, grads[1], grads[2]),)


def _lu_solve(xp, lu_, pivots, b, *, left=True, adjoint=False):
    name = "linalg.lu_solve"
    if b.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor B must have at least 2 dimensions.")
    if (b.shape[-2] if left else b.shape[-1]) != lu_.shape[-1]:
        raise RuntimeError(f"{name}: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({lu_.shape[-2]}x"
                           f"{lu_.shape[-1]} and {b.shape[-2]}x{b.shape[-1]})")
    if pivots.dtype != np.int32:
        raise RuntimeError(f"{name}: Expected pivots to be of type Int, but got "
                           f"{scalar_name(pivots)}")
    l, u = _lum.unpack(xp, lu_)
    a = _lum.permutation(xp, pivots, lu_.shape[-2], lu_.dtype) @ l @ u
    if adjoint:
        a = mH(a)
    return _solve_raw(xp, a, b, left, False)


def _lu_solve_bwd(ctx, g):
    lu_, piv, b, x = ctx.saved
    p = ctx.params
    left, adj = p.get("left", True), p.get("adjoint", False)
    gb = op_("linalg_lu_solve", lu_, piv, g, left=left, adjoint=not adj)
    glu = None
    if ctx.needs_input_grad[0]:
        # through A = P L U: gA as for solve, then onto L (strictly lower) and U (upper)
        ga = -(gb @ mH(x)) if left else -(mH(x) @ gb)
        if adj:
            ga = mH(ga)
        lo = op_("tril", lu_, -1) + eye_like(lu_, lu_.shape[-1])
        up = op_("triu", lu_, 0)
        pt_ga = mH(_perm_of(piv, lu_)) @ ga
        glu = op_("tril", pt_ga @ mH(up), -1) + op_("triu", mH(lo) @ pt_ga, 0)
        glu = sum_to_shape(glu, tuple(ctx.shapes[0]))
    return glu, None, (sum_to_shape(gb, tuple(ctx.shapes[2])) if ctx.needs_input_grad[2]
                       else None)


def _lu_solve_samples(rng, dt):
    a = _wellposed(rng, np.float64, 3, 3)
    lu_, piv, _ = _lum.lu_factor(np, a)
    b = rng.standard_normal((3, 2)).astype(dt)
    kw = dict(rtol=1e-4, atol=1e-5)
    return [SampleInput((lu_.astype(dt), piv, b), **kw),
            SampleInput((lu_.astype(dt), piv, b.T.copy()), {"left": False}, **kw),
            SampleInput((lu_.astype(dt), piv, b), {"adjoint": True}, **kw)]


OPS = [
    op("linalg_inv", _inv, functions=("linalg.inv",), methods=(), torch_name="linalg.inv",
       backward=_inv_bwd, save_output=True, takes_complex_grad=True, supports_out=True,
       samples=_square_samples((3, 3), (2, 3, 3), (1, 1)),
       error_samples=_square_errors(r"\(Batch element 0\): The diagonal element 1 is zero"),
       doc="The inverse of a (batch of) square matrices; a singular matrix raises "
           "`loom.linalg.LinAlgError`."),
    op("inverse", _inv, backward=_inv_bwd, save_output=True, takes_complex_grad=True,
       samples=_square_samples((3, 3)), doc="``torch.inverse``: `linalg.inv`."),
    op("linalg_inv_ex", _inv_ex, functions=("linalg.inv_ex",), methods=(),
       torch_name="linalg.inv_ex", outputs=("inverse", "info"), backward=_inv_ex_bwd,
       save_output=True, takes_complex_grad=True, samples=_square_samples((3, 3), (2, 3, 3)),
       doc="`linalg.inv` that reports a singular matrix in ``info`` (the first zero diagonal "
           "element of U, 1-based) instead of raising, unless ``check_errors=True``."),
    op("linalg_det", _det, functions=("linalg.det", "det"), methods=("det",),
       torch_name="linalg.det", backward=_det_bwd, save_inputs=(0,), save_output=True,
       takes_complex_grad=True, samples=_square_samples((3, 3), (2, 3, 3), (1, 1)),
       error_samples=_square_errors(), node_name="LinalgDetBackward0",
       doc="The determinant of a (batch of) square matrices (its gradient is defined at "
           "singular matrices too, through the SVD, as PyTorch's is)."),
    op("linalg_slogdet", _slogdet, functions=("linalg.slogdet", "slogdet"), methods=("slogdet",),
       torch_name="linalg.slogdet", outputs=("sign", "logabsdet"), backward=_slogdet_bwd,
       save_inputs=(0,), save_output=True, takes_complex_grad=True,
       samples=_square_samples((3, 3), (2, 3, 3)), error_samples=_square_errors(),
       doc="(sign, log|det|) of a (batch of) square matrices: the determinant without "
           "overflow; sign is 0 and logabsdet -inf for a singular matrix."),
    op("logdet", _logdet, backward=_logdet_bwd, save_inputs=(0,), save_output=True,
       takes_complex_grad=True,
       samples=lambda rng, dt: [SampleInput((np.array([[2.0, 1.0], [1.0, 3.0]]),)),
                                SampleInput((_wellposed(rng, dt, 2, 3, 3) @ np.swapaxes(
                                    _wellposed(rng, dt, 2, 3, 3), -1, -2),), rtol=1e-4,
                                    atol=1e-5),
                                SampleInput((np.array([[0.0, 1.0], [1.0, 0.0]]),), grad=False,
                                            note="negative det: nan")],
       doc="log(det(A)); nan for a real matrix with a negative determinant, -inf for a "
           "singular one."),
    op("linalg_solve", _solve, prepare=tensors_AB, functions=("linalg.solve",), methods=(),
       torch_name="linalg.solve", backward=_solve_bwd, save_inputs=(0,), save_output=True,
       inputs=2, takes_complex_grad=True, supports_out=True, samples=_solve_samples,
       error_samples=_solve_errors, node_name="LinalgSolveExBackward0",
       doc="The solution X of A X = B (``left=False``: X A = B) for a (batch of) square A; "
           "B may be a vector or a batch of vectors; batch dims broadcast. A singular A "
           "raises `loom.linalg.LinAlgError`."),
    op("linalg_solve_ex", _solve_ex, prepare=tensors_AB, functions=("linalg.solve_ex",),
       methods=(),
       torch_name="linalg.solve_ex", outputs=("result", "info"), backward=_solve_ex_bwd,
       save_inputs=(0,), save_output=True, inputs=2, takes_complex_grad=True,
       samples=lambda rng, dt: _solve_samples(rng, dt)[:3],
       doc="`linalg.solve` with ``info`` (0, or the first zero pivot of A's LU) instead of "
           "raising, unless ``check_errors=True``."),
    op("linalg_lu_factor", _lu_factor, functions=("linalg.lu_factor",), methods=(),
       torch_name="linalg.lu_factor", outputs=("LU", "pivots"), backward=_lu_factor_bwd,
       save_output=True, takes_complex_grad=True, samples=_square_samples((3, 3), (2, 3, 3),
                                                                          cplx=False),
       error_samples=lambda rng: [ErrorInput((np.zeros((3, 3)),), match=r"U\[1,1\] is zero")],
       doc="The LU factorization with partial pivoting packed in one matrix (L unit lower, "
           "U upper) and LAPACK's 1-based pivots; a zero pivot raises RuntimeError."),
    op("linalg_lu_factor_ex", _lu_factor_ex, functions=("linalg.lu_factor_ex",), methods=(),
       torch_name="linalg.lu_factor_ex", outputs=("LU", "pivots", "info"),
       backward=_lu_factor_bwd, save_output=True, takes_complex_grad=True,
       samples=_square_samples((3, 3), cplx=False),
       doc="`linalg.lu_factor` with ``info`` (the first zero pivot, 1-based) instead of "
           "raising."),
    op("linalg_lu", _lu, functions=("linalg.lu",), methods=(), torch_name="linalg.lu",
       outputs=("P", "L", "U"), backward=_lu_bwd, save_output=True, takes_complex_grad=True,
       samples=_square_samples((3, 3), (2, 3, 3), cplx=False),
       doc="A = P L U with partial pivoting: P a permutation matrix, L unit lower, U upper."),
    op("linalg_lu_solve", _lu_solve, functions=("linalg.lu_solve",), methods=(),
       torch_name="linalg.lu_solve", backward=_lu_solve_bwd, save_inputs=(0, 1, 2),
       save_output=True, inputs=3, takes_complex_grad=True, samples=_lu_solve_samples,
       doc="The solution X of A X = B (``left``, ``adjoint``: A^H X = B) from A's "
           "`lu_factor`."),
]
