"""Decompositions: cholesky (and its ``_ex`` form), qr, svd and svdvals, eigh and eigvalsh, eig
and eigvals, with PyTorch's named-tuple results and its backward rules (written in operators,
so they differentiate again). Where a gradient is ill-defined (repeated singular values or
eigenvalues, the phase of complex singular or eigen vectors) the rules divide by the gap as
PyTorch's do: the result is inf/nan there, as in PyTorch."""
import numpy as np

from loom.plugin import ErrorInput, SampleInput, op

from .common import (conj, eye_like, first_failure, floating, is_complex, linalg_error, mH,
                     op_, real, square, matrix, scalar_name, svd_of)


def _diag(x):
    return x.diagonal(0, -2, -1)


def _embed(d):
    return op_("diag_embed", d)


def _off_diagonal_quotient(num, den):
    """``num / den`` off the diagonal and 0 on it (`den` is a difference of eigen or singular
    values, zero on the diagonal by construction)."""
    n = num.shape[-1]
    eye = eye_like(den, n)
    return num / (den + eye) * (1 - eye)


# ----------------------------------------------------------------------------- cholesky

def _spd(rng, dt, *shape, complex_=False):
    n = shape[-1]
    a = rng.standard_normal(shape)
    if complex_:
        a = a + 1j * rng.standard_normal(shape)
    return (a @ np.conj(np.swapaxes(a, -1, -2)) + n * np.eye(n)).astype(
        np.result_type(dt, np.complex64) if complex_ else dt)


def _not_pd_message(name, xp, a):
    """PyTorch's message: the batch element and the order of the first leading minor that is
    not positive-definite (found by bisection: every minor after a failing one fails too)."""
    def fails(m):
        try:
            xp.linalg.cholesky(m)
            return False
        except Exception:
            return True
    i, flat = first_failure(xp, a, fails)
    m = flat[i]
    lo, hi = 1, m.shape[-1]
    while lo < hi:
        mid = (lo + hi) // 2
        if fails(m[:mid, :mid]):
            hi = mid
        else:
            lo = mid + 1
    prefix = f"(Batch element {i}): " if a.ndim > 2 else ""
    return (f"{name}: {prefix}The factorization could not be completed because the input is "
            f"not positive-definite (the leading minor of order {lo} is not positive-definite).")


def _cholesky_info(xp, a):
    """(L, info) with PyTorch's info: 0, or the order of the failing leading minor."""
    try:
        return xp.linalg.cholesky(a), None
    except Exception:
        return None, _not_pd_message("linalg.cholesky", xp, a)


def _cholesky_checks(name, a):
    square(name, a)
    floating(name, a, low_precision="cholesky_cpu")


def _linalg_cholesky(xp, a, *, upper=False, out_name="linalg.cholesky"):
    _cholesky_checks(out_name, a)
    l, msg = _cholesky_info(xp, a)
    if msg is not None:
        raise linalg_error(msg.replace("linalg.cholesky", out_name, 1))
    return mH(l) if upper else l


def _old_cholesky(xp, a, upper=False):
    """torch.cholesky: an empty input comes back as it is (of any rank), integer inputs meet
    the CPU kernel's NotImplementedError."""
    if a.size == 0:
        return a.copy()
    square("cholesky", a)
    if a.dtype.kind not in "fc":
        raise NotImplementedError(f'"cholesky_cpu" not implemented for \'{scalar_name(a)}\'')
    return _linalg_cholesky(xp, a, upper=upper)


def _cholesky_ex(xp, a, *, upper=False, check_errors=False):
    _cholesky_checks("linalg.cholesky_ex", a)
    l, msg = _cholesky_info(xp, a)
    info = xp.zeros(a.shape[:-2], dtype=np.int32)
    if msg is not None:
        if check_errors:
            raise linalg_error(msg.replace("linalg.cholesky", "linalg.cholesky_ex", 1))
        # per matrix: the order of the first failing leading minor, and L's partial result
        # replaced by what each successful matrix gives (PyTorch leaves garbage there)
        flat = a.reshape((-1,) + a.shape[-2:])
        ls = xp.zeros_like(flat)
        infos = info.reshape(-1)
        for k in range(flat.shape[0]):
            try:
                ls[k] = xp.linalg.cholesky(flat[k])
            except Exception:
                m = _not_pd_message("", xp, flat[k])
                infos[k] = int(m.split("order ")[1].split(" ")[0])
        l = xp.tril(ls.reshape(a.shape))
    return (mH(l) if upper else l), info


def _cholesky_rule(l, gl, upper):
    """PyTorch's cholesky_backward: gA = L^{-H} Phi(L^H gL) L^{-1}, Phi taking the lower
    triangle with half the diagonal, made Hermitian."""
    if upper:
        l, gl = mH(l), mH(gl)
    ga = op_("tril", mH(l) @ gl, 0)
    ga = 0.5 * (ga + mH(op_("tril", ga, -1)))
    ga = op_("linalg_solve_triangular", mH(l), ga, upper=True)
    return op_("linalg_solve_triangular", l, ga, upper=False, left=False)


def _cholesky_bwd(ctx, g):
    return (_cholesky_rule(ctx.saved[0], g, ctx.params.get("upper", False)),)


def _cholesky_ex_bwd(ctx, grads):
    return (_cholesky_rule(ctx.saved[0][0], grads[0], ctx.params.get("upper", False)),)


# The kernel reads one triangle, and PyTorch's gradient is the symmetric one (what a
# symmetric perturbation sees): finite differences of the raw input cannot check it, so the
# gradients are checked in tests/test_linalg_grads.py through A -> A A^H, as PyTorch's own
# OpInfo samples do.
def _chol_samples(rng, dt):
    out = [SampleInput((_spd(rng, dt, 3, 3),), grad=False),
           SampleInput((_spd(rng, dt, 2, 3, 3),), {"upper": True}, grad=False,
                       note="batched, upper"),
           SampleInput((_spd(rng, dt, 1, 1),), grad=False)]
    out.append(SampleInput((_spd(rng, dt, 2, 2, complex_=True),), grad=False, note="complex"))
    return out


def _chol_errors(rng):
    return [ErrorInput((-np.eye(3),), error=RuntimeError,
                       match="leading minor of order 1 is not positive-definite"),
            ErrorInput((np.stack([np.eye(2), np.diag([1.0, -1.0])]),), error=RuntimeError,
                       match=r"\(Batch element 1\).*order 2"),
            ErrorInput((np.ones((2, 3)),), match="batches of square matrices"),
            ErrorInput((np.ones((3, 3), np.int64),), match="Expected a floating point")]


_DOC_CHOL = ("The Cholesky factor L of a (batch of) Hermitian positive-definite matrices, "
             "A = L L^H (``upper=True``: U with A = U^H U). A matrix that is not "
             "positive-definite raises `loom.linalg.LinAlgError`.")

# ----------------------------------------------------------------------------- qr


def _qr(xp, a, mode="reduced"):
    matrix("linalg.qr", a)
    floating("linalg.qr", a, low_precision="linalg_qr_cpu")
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           f"'reduced' (default), 'r', or 'complete'")
    if mode == "r":
        r = xp.linalg.qr(a, mode="r")
        return xp.zeros((0,), dtype=a.dtype), r
    return tuple(xp.linalg.qr(a, mode=mode))


def _syminvadj(x):
    r = x + mH(x)
    d = _diag(r)
    return r - _embed(real(d) * 0.5)


def _qr_tall(q, r, gq, gr):
    """PyTorch's linalg_qr_backward for m >= n: (gQ + Q syminvadj(triu(gR R^H - Q^H gQ)))
    R^{-H}."""
    if gq is None:
        mh = gr @ mH(r)
    elif gr is None:
        mh = -(mH(q) @ gq)
    else:
        mh = gr @ mH(r) - mH(q) @ gq
    b = q @ _syminvadj(op_("triu", mh, 0))
    if gq is not None:
        b = b + gq
    return op_("linalg_solve_triangular", mH(r), b, upper=False, left=False)


def _qr_bwd(ctx, grads):
    gq, gr = grads
    q, r = ctx.saved[0]
    mode = ctx.params.get("mode", "reduced")
    m, n = ctx.shapes[0][-2], ctx.shapes[0][-1]
    if mode == "r":
        raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed "
                           "when mode='r'. Please use linalg.qr(A, mode='reduced') if you are "
                           "going to differentiate through linalg.qr.")
    if mode == "complete" and m > n:
        raise RuntimeError("The QR decomposition is not differentiable when mode='complete' "
                           "and nrows > ncols.")
    if m >= n:
        return (_qr_tall(q, r, gq, gr),)
    # a wide A = [X | Y] = Q [U | V]: X = Q U is square, and Y = Q V moves with Q, so
    # gY = Q gV and X's rule sees gQ + Y gV^H (PyTorch's m < n case)
    u, v = r[..., :m], r[..., m:]
    gu = gr[..., :m] if gr is not None else None
    gv = gr[..., m:] if gr is not None else None
    if gv is not None:
        gq = q @ (v @ mH(gv)) if gq is None else gq + q @ (v @ mH(gv))
    gx = _qr_tall(q, u, gq, gu)
    gy = q @ gv if gv is not None else 0 * v
    return (op_("cat", gx, gy, dim=-1),)


# ----------------------------------------------------------------------------- svd

def _svd_checks(name, a):
    matrix(name, a)
    floating(name, a, low_precision="linalg_svd_cpu")


def _svd(xp, a, full_matrices=True, *, driver=None):
    _svd_checks("linalg.svd", a)
    u, s, vh = svd_of(xp, a, lambda m: tuple(xp.linalg.svd(m, full_matrices=full_matrices)))
    return u, s, vh


def _svdvals(xp, a, *, driver=None):
    _svd_checks("linalg.svdvals", a)
    return svd_of(xp, a, lambda m: xp.linalg.svd(m, compute_uv=False))


def _svd_rule(gu, gs, gvh, u, s, vh):
    """PyTorch's svd_backward, for the reduced factors (k = min(m, n) columns)."""
    if gu is None and gvh is None:
        return (u * gs[..., None, :]) @ vh if gs is not None else None
    m, n = u.shape[-2], vh.shape[-1]
    v = mH(vh)
    gv = mH(gvh) if gvh is not None else None
    uhgu = mH(u) @ gu if gu is not None else None
    vhgv = vh @ gv if gv is not None else None
    s2 = s * s
    e = s2[..., None, :] - s2[..., :, None]
    sr, sc = s[..., None, :], s[..., :, None]
    if gu is not None and gv is not None:
        num = (uhgu - mH(uhgu)) * sr + sc * (vhgv - mH(vhgv))
    elif gu is not None:
        num = (uhgu - mH(uhgu)) * sr
    else:
        num = sc * (vhgv - mH(vhgv))
    ga = _off_diagonal_quotient(num, e)
    if gs is not None:
        ga = ga + _embed(gs)
    if is_complex(u) and gu is not None:
        # the phase freedom of each singular pair: PyTorch's term from the imaginary diagonal
        ga = ga + _embed(1j * (_diag(uhgu).imag / (2 * s)))
    if m > n and gu is not None:
        ga = u @ ga
        gus = gu / sr
        ga = (ga + gus - u @ (mH(u) @ gus)) @ vh
    elif m < n and gv is not None:
        ga = ga @ vh
        gvs = gv / sr
        ga = u @ (ga + mH(gvs) - (mH(gvs) @ v) @ vh)
    else:
        ga = u @ ga @ vh
    return ga


def _narrowed(x, k, axis):
    if x is None:
        return None
    return x[..., :k] if axis == -1 else x[..., :k, :]


def _svd_bwd(ctx, grads):
    gu, gs, gvh = grads
    u, s, vh = ctx.saved[0]
    k = s.shape[-1]
    if ctx.params.get("full_matrices", True) and (gu is not None or gvh is not None):
        m, n = u.shape[-2], vh.shape[-1]
        if m != n:
            raise RuntimeError("linalg_svd_backward: Setting full_matrices=True in forward is "
                               "not supported unless the singular vectors are not used")
    u, vh = _narrowed(u, k, -1), _narrowed(vh, k, -2)
    gu, gvh = _narrowed(gu, k, -1), _narrowed(gvh, k, -2)
    return (_svd_rule(gu, gs, gvh, u, s, vh),)


def _svdvals_bwd(ctx, g):
    a = ctx.saved[0]
    u, s, vh = op_("linalg_svd", a, False)
    return (_svd_rule(None, g, None, u, s, vh),)


def _old_svd(xp, a, some=True, compute_uv=True):
    _svd_checks("svd", a)
    if not compute_uv:
        s = svd_of(xp, a, lambda m: xp.linalg.svd(m, compute_uv=False))
        m, n = a.shape[-2:]  # PyTorch's zero U and V are m x m and n x n, whatever `some`
        return xp.zeros(a.shape[:-2] + (m, m), a.dtype), s, \
            xp.zeros(a.shape[:-2] + (n, n), a.dtype)
    u, s, vh = svd_of(xp, a, lambda m: tuple(xp.linalg.svd(m, full_matrices=not some)))
    return u, s, mH(vh)


def _old_svd_bwd(ctx, grads):
    gu, gs, gv = grads
    u, s, v = ctx.saved[0]
    if not ctx.params.get("compute_uv", True):
        raise RuntimeError("svd_backward: Setting compute_uv to false in torch.svd doesn't "
                           "compute singular matrices, and hence we cannot compute backward. "
                           "Please use torch.svd(compute_uv=True)")
    k = s.shape[-1]
    u, v = _narrowed(u, k, -1), _narrowed(v, k, -1)
    gu, gv = _narrowed(gu, k, -1), _narrowed(gv, k, -1)
    return (_svd_rule(gu, gs, mH(gv) if gv is not None else None, u, s, mH(v)),)


# ----------------------------------------------------------------------------- eigh

def _uplo(uplo):
    if uplo not in ("L", "U", "l", "u"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {uplo}")
    return uplo.upper()


def _eigh(xp, a, UPLO="L"):
    square("linalg.eigh", a)
    if a.dtype.kind not in "fc" or a.dtype.itemsize < 4:
        raise NotImplementedError(f'"linalg_eigh_cpu" not implemented for \'{scalar_name(a)}\'')
    w, v = _converged("linalg.eigh", lambda: xp.linalg.eigh(a, UPLO=_uplo(UPLO)))
    return w, v


def _eigvalsh(xp, a, UPLO="L"):
    square("linalg.eigvalsh", a)
    if a.dtype.kind not in "fc" or a.dtype.itemsize < 4:
        raise NotImplementedError(f'"linalg_eigh_cpu" not implemented for \'{scalar_name(a)}\'')
    return _converged("linalg.eigh", lambda: xp.linalg.eigvalsh(a, UPLO=_uplo(UPLO)))


def _converged(name, run):
    try:
        return run()
    except np.linalg.LinAlgError:
        raise linalg_error(f"{name}: The algorithm failed to converge because the input "
                           f"matrix is ill-conditioned or has too many repeated "
                           f"eigenvalues.") from None


def _eigh_rule(gl, gv, l, v):
    """PyTorch's linalg_eig_backward for Hermitian input: V (gV-part / (L_j - L_i) +
    diag(gL)) V^H, the gV part projected onto the skew-Hermitian matrices."""
    if gv is None:
        return (v * gl[..., None, :]) @ mH(v)
    vhgv = mH(v) @ gv
    vhgv = 0.5 * (vhgv - mH(vhgv))
    ga = _off_diagonal_quotient(vhgv, l[..., None, :] - l[..., :, None])
    if gl is not None:
        ga = ga + _embed(gl)
    return v @ (ga @ mH(v))


def _eigh_bwd(ctx, grads):
    l, v = ctx.saved[0]
    return (_eigh_rule(grads[0], grads[1], l, v),)


def _eigvalsh_bwd(ctx, g):
    l, v = op_("linalg_eigh", ctx.saved[0], ctx.params.get("UPLO", "L"))
    return (_eigh_rule(g, None, l, v),)


def _sym(rng, dt, *shape):
    a = rng.standard_normal(shape)
    return (a + np.swapaxes(a, -1, -2)).astype(dt)


def _herm(rng, *shape):
    a = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    return a + np.conj(np.swapaxes(a, -1, -2))


# ----------------------------------------------------------------------------- eig

def _eig_checks(name, a):
    square(name, a)
    if a.dtype.kind not in "fc":
        raise RuntimeError(f"Unknown Complex ScalarType for {scalar_name(a)}")
    floating(name, a, low_precision="linalg_eig_make_complex_eigenvectors")


def _complex_of(xp, x):
    return x.astype(np.result_type(x.dtype, np.complex64), copy=False)


def _finite_for_eig(xp, a):
    if a.size and not bool(xp.isfinite(a).all()):
        raise RuntimeError("torch.linalg.eig: input tensor should not contain infs or NaNs.")


def _eig(xp, a):
    _eig_checks("linalg.eig", a)
    _finite_for_eig(xp, a)
    w, v = xp.linalg.eig(a)
    return _complex_of(xp, w), _complex_of(xp, v)


def _eigvals(xp, a):
    _eig_checks("linalg.eigvals", a)
    _finite_for_eig(xp, a)
    return _complex_of(xp, xp.linalg.eigvals(a))


def _eig_rule(gl, gv, l, v, a_complex):
    """PyTorch's linalg_eig_backward (general A): V^{-H} (gV-part / conj(L_j - L_i) +
    diag(gL)) V^H, gV projected onto the tangent space of unit-norm columns."""
    if gv is None:
        ga = _embed(gl)
    else:
        vhgv = mH(v) @ gv
        vhgv = vhgv - mH(v) @ (v * real(_diag(vhgv))[..., None, :])
        lc = conj(l)
        ga = _off_diagonal_quotient(vhgv, lc[..., None, :] - lc[..., :, None])
        if gl is not None:
            ga = ga + _embed(gl)
    ga = op_("linalg_solve", mH(v), ga @ mH(v))
    return ga if a_complex else real(ga)


def _eig_bwd(ctx, grads):
    a, (l, v) = ctx.saved
    return (_eig_rule(grads[0], grads[1], l, v, is_complex(a)),)


def _eigvals_bwd(ctx, g):
    a = ctx.saved[0]
    l, v = op_("linalg_eig", a)
    return (_eig_rule(g, None, l, v, is_complex(a)),)


def _eig_fwd_samples(rng, dt):  # eigenvalues only: sorted so the comparison is well-posed
    a = np.diag(np.arange(1.0, 4.0)) + np.triu(rng.standard_normal((3, 3)), 1)
    return [SampleInput((a.astype(dt),), grad=False, rtol=1e-3, atol=1e-4),
            SampleInput((np.stack([a, a.T * 2]).astype(dt),), grad=False, rtol=1e-3,
                        atol=1e-4)]


def _mat_samples(*shapes, grad=True, **kw):
    def samples(rng, dt):
        return [SampleInput((rng.standard_normal(s).astype(dt),), dict(kw), grad=grad,
                            rtol=1e-4, atol=1e-5) for s in shapes]
    return samples


OPS = [
    op("linalg_cholesky", _linalg_cholesky, functions=("linalg.cholesky",), methods=(),
       torch_name="linalg.cholesky", backward=_cholesky_bwd, save_output=True,
       samples=_chol_samples, error_samples=_chol_errors, supports_out=True, doc=_DOC_CHOL,
       takes_complex_grad=True, signature="(A, *, upper=False, out=None)"),
    op("linalg_cholesky_ex", _cholesky_ex, functions=("linalg.cholesky_ex",), methods=(),
       torch_name="linalg.cholesky_ex", backward=_cholesky_ex_bwd, save_output=True,
       outputs=("L", "info"), samples=_chol_samples, takes_complex_grad=True,
       doc="`linalg.cholesky` that reports failure in ``info`` (the order of the first leading "
           "minor that is not positive-definite, 0 on success) instead of raising, unless "
           "``check_errors=True``."),
    op("cholesky", _old_cholesky,
       backward=_cholesky_bwd, save_output=True, takes_complex_grad=True,
       samples=_chol_samples, doc=_DOC_CHOL + " (``torch.cholesky``).",
       signature="(input, upper=False)"),
    op("linalg_qr", _qr, functions=("linalg.qr",), methods=(), torch_name="linalg.qr",
       outputs=("Q", "R"), backward=_qr_bwd, save_output=True, takes_complex_grad=True,
       samples=_mat_samples((3, 3), (4, 2), (2, 3, 2), (2, 4), (2, 2, 3)),
       error_samples=lambda rng: [
           ErrorInput((np.ones((3, 3), np.int64),), match="Expected a floating point"),
           ErrorInput((np.ones(3),), match="at least 2 dimensions")],
       doc="QR decomposition A = QR of a (batch of) matrices: ``mode`` 'reduced' (Q m x k), "
           "'complete' (Q m x m) or 'r' (R only, Q empty)."),
    op("qr", lambda xp, a, some=True: _qr(xp, a, "reduced" if some else "complete"),
       outputs=("Q", "R"), backward=lambda ctx, g: _qr_bwd(
           type("C", (), dict(saved=ctx.saved, shapes=ctx.shapes,
                              params={"mode": "reduced" if ctx.params.get("some", True)
                                      else "complete"}))(), g),
       save_output=True, takes_complex_grad=True, samples=_mat_samples((3, 3), (4, 2)),
       doc="``torch.qr``: `linalg.qr` with ``some=True`` for the reduced form."),
    op("linalg_svd", _svd, functions=("linalg.svd",), methods=(), torch_name="linalg.svd",
       outputs=("U", "S", "Vh"), backward=_svd_bwd, save_output=True, takes_complex_grad=True,
       samples=_mat_samples((3, 3), (4, 2), full_matrices=False),
       error_samples=lambda rng: [ErrorInput((np.ones((3, 3), np.int64),),
                                             match="Expected a floating point")],
       doc="Singular value decomposition A = U diag(S) Vh, S in "
       "descending order (``full_matrices=False`` for the reduced factors). U and Vh are "
       "unique only up to a sign (a phase, complex) per singular pair."),
    op("linalg_svdvals", _svdvals, functions=("linalg.svdvals",), methods=(),
       torch_name="linalg.svdvals", backward=_svdvals_bwd, save_inputs=(0,),
       takes_complex_grad=True, samples=_mat_samples((3, 3), (4, 2), (2, 2, 3)),
       doc="The singular values of a (batch of) matrices, in descending order."),
    op("svd", _old_svd, outputs=("U", "S", "V"), backward=_old_svd_bwd, save_output=True,
       takes_complex_grad=True, samples=_mat_samples((3, 3), (4, 2)),
       doc="``torch.svd``: A = U diag(S) V^H, V (not V^H) returned; ``some=True`` for the "
           "reduced factors, ``compute_uv=False`` gives zero U and V."),
    op("linalg_eigh", _eigh, functions=("linalg.eigh",), methods=(), torch_name="linalg.eigh",
       outputs=("eigenvalues", "eigenvectors"), backward=_eigh_bwd, save_output=True,
       takes_complex_grad=True,
       samples=lambda rng, dt: [SampleInput((_sym(rng, dt, 3, 3),), grad=False, rtol=1e-4,
                                            atol=1e-5)],
       error_samples=lambda rng: [ErrorInput((np.ones((2, 3)),), match="square matrices")],
       doc="Eigenvalues (ascending) and eigenvectors of a (batch of) Hermitian matrices, "
           "from the ``UPLO`` triangle. Each eigenvector is unique only up to sign (phase)."),
    op("linalg_eigvalsh", _eigvalsh, functions=("linalg.eigvalsh",), methods=(),
       torch_name="linalg.eigvalsh", backward=_eigvalsh_bwd, save_inputs=(0,),
       takes_complex_grad=True,
       samples=lambda rng, dt: [SampleInput((_sym(rng, dt, 3, 3),), rtol=1e-4, atol=1e-5,
                                            grad=False),
                                SampleInput((_sym(rng, dt, 2, 4, 4),), {"UPLO": "U"},
                                            rtol=1e-4, atol=1e-5, grad=False),
                                SampleInput((_herm(rng, 3, 3).astype(
                                    np.result_type(dt, np.complex64)),), grad=False,
                                    rtol=1e-4, atol=1e-5, note="complex")],
       doc="The eigenvalues (ascending) of a (batch of) Hermitian matrices."),
    op("linalg_eig", _eig, functions=("linalg.eig",), methods=(), torch_name="linalg.eig",
       outputs=("eigenvalues", "eigenvectors"), backward=_eig_bwd, save_output=True,
       takes_complex_grad=True, samples=_eig_fwd_samples, save_inputs=(0,),
       doc="Eigenvalues and eigenvectors (complex) of a (batch of) square matrices; each "
           "eigenvector has unit norm and is unique only up to a phase."),
    op("linalg_eigvals", _eigvals, functions=("linalg.eigvals",), methods=(),
       torch_name="linalg.eigvals", backward=_eigvals_bwd, save_inputs=(0,),
       takes_complex_grad=True, samples=_eig_fwd_samples,
       error_samples=lambda rng: [ErrorInput((np.ones((2, 3)),), match="square matrices")],
       doc="The (complex) eigenvalues of a (batch of) square matrices."),
]
