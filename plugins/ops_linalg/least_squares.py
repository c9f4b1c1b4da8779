"""Least squares: the pseudo-inverse (linalg.pinv, pinverse) and linalg.lstsq, as PyTorch
defines their gradients: through the pseudo-inverse, X = pinv(A) B (`composite`: one function
in operators gives the kernel and the backward rule)."""
import numpy as np

from loom.plugin import ErrorInput, SampleInput, op, sample_calls

from loom.plugin import is_tensor

from .common import tensors_AB, composite, conj, matrix, mH, op_, real, scalar_name, svd_input


def _pinv(a, *, atol=None, rtol=None, hermitian=False):
    name = "linalg.pinv"
    matrix(name, a)
    if hermitian:  # from eigh (A's lower triangle), as PyTorch: |eigenvalues| are the cut
        lam, u = op_("linalg_eigh", a)
        s, vh = op_("abs", lam), mH(u) * op_("sgn", lam)[..., :, None]
    else:
        u, s, vh = op_("linalg_svd", a, False)
    smax = op_("amax", s, -1, True) if s.shape[-1] else s
    if rtol is None:
        rtol = 0.0 if atol is not None and atol > 0 else \
            np.finfo(np.float32 if str(s.dtype).endswith("32") else np.float64).eps * \
            max(a.shape[-2:])
    cut = rtol * smax
    if atol is not None:  # max(atol, rtol * smax), in operations arrays and tensors share
        cut = (cut - atol) * (cut > atol) + atol
    keep = (s > cut) + 0 * s  # 1 for the singular values kept, 0 for the others (s's dtype)
    sinv = keep / (s + (1 - keep))
    return (mH(vh) * sinv[..., None, :]) @ mH(u)


def _pinverse(a, rcond=1e-15):
    return _pinv(a, rtol=rcond)


_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def _lstsq_checks(a, b, driver):
    name = "torch.linalg.lstsq"
    if a.ndim < 2:
        raise RuntimeError(f"{name}: input must have at least 2 dimensions.")
    if a.dtype.kind not in "fc" or a.dtype.itemsize < 4:
        raise RuntimeError("This function doesn't handle types other than float and double")
    if a.dtype != b.dtype:
        raise RuntimeError(f"{name}: Expected input and other to have the same dtype, but got "
                           f"input's dtype {scalar_name(a)} and other's dtype {scalar_name(b)}")
    if driver is not None and driver not in _DRIVERS:
        raise RuntimeError(f"{name}: parameter `driver` should be one of "
                           f"({', '.join(_DRIVERS)})")
    vec = b.ndim == a.ndim - 1
    if vec:  # a batch of vectors: its batch dims broadcast with A's first
        for k in range(1, min(b.ndim - 1, a.ndim - 2) + 1):
            x, y = a.shape[-2 - k], b.shape[-1 - k]
            if x != y and 1 not in (x, y):
                raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor "
                                   f"b ({y}) at non-singleton dimension "
                                   f"{max(a.ndim - 2, b.ndim - 1) - k}")
    if (b.shape[-1] if vec else b.shape[-2]) != a.shape[-2]:
        raise RuntimeError(f"{name}: input.size(-2) should match other.size(-2)")
    return vec


def _lstsq_all(a, b, rcond=None, *, driver=None):
    """(solution, residuals, rank, singular_values) with what PyTorch's CPU drivers fill in:
    rank for gelsy, gelsd, gelss; singular values for gelsd, gelss; residuals (squared, per
    column) for m > n when every matrix has full rank, except with gelsy. Solution, residuals
    and singular values are differentiable (through pinv(A) B and svdvals)."""
    if not is_tensor(a):  # the checks read array dtypes; the rule re-runs this on tensors
        _lstsq_checks(a, b, driver)
        from loom.plugin import xp_of
        svd_input(xp_of(a), a, "torch.linalg.lstsq")
    driver = driver or "gelsy"
    vec = b.ndim == a.ndim - 1
    bm = b[..., None] if vec else b
    # gels assumes full rank and ignores rcond; the others cut singular values below it
    x = _pinv(a, rtol=rcond if driver != "gels" else None) @ bm
    m, n = a.shape[-2:]
    s = op_("linalg_svdvals", a)
    rank = op_("sum", s > _cutoff(s, rcond, m, n), -1, False)
    empty = s.reshape(-1)[:0]
    residuals = empty
    if m > n and driver != "gelsy" and bool((rank == n).all()):
        r = a @ x - bm
        residuals = op_("sum", real(r * conj(r)), -2, False)
    return (x[..., 0] if vec else x, residuals,
            rank if driver != "gels" else rank.reshape(-1)[:0],
            s if driver in ("gelsd", "gelss") else empty)


def _cutoff(s, rcond, m, n):
    if not (m and n):
        return 0
    eps = float(np.finfo(np.float32 if str(s.dtype).endswith("32") else np.float64).eps)
    return (rcond if rcond is not None and rcond > 0 else eps * max(m, n)) * \
        op_("amax", s, -1, True)


_LSTSQ_K, _LSTSQ_COMPOSED = composite(_lstsq_all, 2)


def _LSTSQ_B(ctx, grads):
    # PyTorch's singular_values are not differentiable (its output_differentiability): a
    # gradient sent to them is dropped, as PyTorch drops it
    return _LSTSQ_COMPOSED(ctx, (grads[0], grads[1], None, None))


def _lstsq_samples(rng, dt):
    n = rng.standard_normal
    kw = dict(rtol=1e-4, atol=1e-5)
    # gelsd/gelss give singular values, which PyTorch does not differentiate: finite
    # differences would see them, so those samples are forward-only (tests compare the VJP)
    return [SampleInput((n((5, 3)).astype(dt), n((5, 2)).astype(dt)), **kw),
            SampleInput((n((5, 3)).astype(dt), n(5).astype(dt)), {"driver": "gelsd"},
                        grad=False, **kw),
            SampleInput((n((2, 4, 3)).astype(dt), n((2, 4, 2)).astype(dt)),
                        {"driver": "gelss"}, grad=False, **kw),
            SampleInput((n((3, 4)).astype(dt), n((3, 2)).astype(dt)), {"driver": "gels"},
                        **kw)]


_PINV_K, _PINV_B = composite(_pinv, 1)
_PINVERSE_K, _PINVERSE_B = composite(_pinverse, 1)

OPS = [
    op("linalg_pinv", _PINV_K, backward=_PINV_B, save_inputs=(0,), methods=(),
       functions=("linalg.pinv",), torch_name="linalg.pinv", takes_complex_grad=True,
       samples=sample_calls(((3, 4),), ((4, 2),), ((2, 3, 3),), rtol=1e-4, atol=1e-5),
       doc="The Moore-Penrose pseudo-inverse, from the SVD: singular values at or below "
           "max(atol, rtol * the largest) count as zero."),
    op("pinverse", _PINVERSE_K, backward=_PINVERSE_B, save_inputs=(0,), takes_complex_grad=True,
       samples=sample_calls(((3, 4),), rtol=1e-4, atol=1e-5),
       doc="``torch.pinverse``: `linalg.pinv` with ``rtol=rcond``."),
    op("linalg_lstsq", _LSTSQ_K, backward=_LSTSQ_B, prepare=tensors_AB, inputs=2,
       save_inputs=(0, 1), methods=(),
       functions=("linalg.lstsq",), torch_name="linalg.lstsq",
       outputs=("solution", "residuals", "rank", "singular_values"), takes_complex_grad=True,
       samples=_lstsq_samples, error_samples=lambda rng: [
           ErrorInput((np.ones(3), np.ones((3, 2))), match="at least 2 dimensions"),
           ErrorInput((np.ones((4, 3)), np.ones((3, 2))), match=r"size\(-2\) should match"),
           ErrorInput((np.ones((4, 3)), np.ones((4, 2))), {"driver": "foo"},
                      match="should be one of")],
       doc="The least-squares solution of A X = B, with PyTorch's residuals, rank and "
           "singular values per driver (the CPU default 'gelsy'); the gradient flows "
           "through the solution, as pinv(A) B."),
]
