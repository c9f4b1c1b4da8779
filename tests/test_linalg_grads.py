"""Gradients of ops_linalg that the conformance kit cannot check by itself, compared with
PyTorch's to second order and, where the function is real, by finite differences:

- decompositions that read one triangle (cholesky, eigh, eigvalsh, cholesky_solve): PyTorch's
  gradient is the symmetric one, so they are differentiated through a symmetric
  parametrisation (A -> X X^T + n I, L = tril(X) + 3 I), as PyTorch's own OpInfo samples do;
- factors unique only up to sign or phase (svd, eigh, eig): through losses that do not depend
  on it (|U|^2, |V|^2, the singular and eigen values);
- complex inputs (the kit's finite differences are real): the same vector-Jacobian products
  as PyTorch's for a real loss.
"""
from __future__ import annotations

import numpy as np
import pytest

import loom

from oracle import torch


def _grads(lib, fn, arrays, ws, second):
    leaves = [lib.tensor(a, requires_grad=True) for a in arrays]
    out = fn(lib, *leaves)
    gs = lib.autograd.grad(out, leaves, create_graph=second)
    if not second:
        return [g.detach().numpy() for g in gs], None
    total = sum(((g * lib.tensor(w)).real if g.is_complex() else g * lib.tensor(w)).sum()
                for g, w in zip(gs, ws))
    hs = lib.autograd.grad(total, leaves, allow_unused=True)
    return ([g.detach().numpy() for g in gs],
            [np.zeros(a.shape) if h is None else h.numpy() for h, a in zip(hs, arrays)])


def same_gradients(fn, *arrays, second=True, rtol=1e-7, atol=1e-9, finite=True):
    """fn(lib, *tensors) -> a real scalar: loom's gradient (and second-order term) equals
    PyTorch's; for real inputs, loom's gradcheck/gradgradcheck pass too."""
    rng = np.random.default_rng(7)
    ws = [rng.standard_normal(a.shape) for a in arrays]
    lg, lh = _grads(loom, fn, arrays, ws, second)
    tg, th = _grads(torch, fn, arrays, ws, second)
    for g, t in zip(lg, tg):
        np.testing.assert_allclose(g, t, rtol=rtol, atol=atol)
    if second:
        for h, t in zip(lh, th):
            np.testing.assert_allclose(h, t, rtol=1e-6, atol=1e-7)
    if finite and all(np.isrealobj(a) for a in arrays):
        leaves = tuple(loom.tensor(a, requires_grad=True) for a in arrays)
        assert loom.autograd.gradcheck(lambda *x: fn(loom, *x), leaves)
        if second:
            assert loom.autograd.gradgradcheck(lambda *x: fn(loom, *x), leaves)


def arr(*shape, seed=0, complex_=False):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    return a + 1j * rng.standard_normal(shape) if complex_ else a


def spd(lib, x):
    n = x.shape[-1]
    return x @ x.mT + n * lib.eye(n, dtype=x.dtype)


def hermitian(lib, x):
    n = x.shape[-1]
    return x @ x.mH + n * lib.eye(n, dtype=x.dtype)


def w(lib, shape, seed=1):
    return lib.tensor(np.random.default_rng(seed).standard_normal(shape))


# ----------------------------------------------------------------------------- one triangle

@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)])
def test_cholesky_gradient_through_a_symmetric_input(shape, upper):
    same_gradients(lambda lib, x: (lib.linalg.cholesky(spd(lib, x), upper=upper) *
                                   w(lib, shape)).sum(), arr(*shape))


def test_cholesky_ex_and_torch_cholesky_gradients():
    same_gradients(lambda lib, x: (lib.linalg.cholesky_ex(spd(lib, x)).L * w(lib, (3, 3))).sum()
                   + (lib.cholesky(spd(lib, x), upper=True) ** 2).sum(), arr(3, 3))


@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_gradient_through_sign_free_losses(uplo):
    def f(lib, x):
        vals, vecs = lib.linalg.eigh(x + x.mT, UPLO=uplo)
        return (vals * w(lib, (2, 4))).sum() + (vecs * vecs * w(lib, (2, 4, 4), 2)).sum()
    same_gradients(f, arr(2, 4, 4))


def test_eigvalsh_gradient():
    same_gradients(lambda lib, x: (lib.linalg.eigvalsh(x + x.mT) ** 3).sum(), arr(4, 4))


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_solve_gradient_through_a_triangular_factor(upper):
    def f(lib, b, x):
        t = (lib.triu(x) if upper else lib.tril(x)) + 3 * lib.eye(3, dtype=x.dtype)
        return (lib.cholesky_solve(b, t, upper=upper) * w(lib, (2, 3, 2))).sum()
    same_gradients(f, arr(2, 3, 2), arr(3, 3, seed=1))


def test_cholesky_inverse_gradient_through_a_triangular_factor():
    same_gradients(lambda lib, x: (lib.cholesky_inverse(lib.tril(x) + 3 * lib.eye(3, dtype=x.dtype))
                                   * w(lib, (3, 3))).sum(), arr(3, 3))


# ----------------------------------------------------------------------------- gauge freedom

@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 3), (2, 3, 4)])
def test_svd_gradient_through_sign_free_losses(shape):
    k = min(shape[-2:])

    def f(lib, x):
        u, s, vh = lib.linalg.svd(x, full_matrices=False)
        return ((s * w(lib, shape[:-2] + (k,))).sum() + (u * u * w(lib, u.shape, 2)).sum()
                + (vh * vh * w(lib, vh.shape, 3)).sum())
    same_gradients(f, arr(*shape))


def test_old_svd_and_svdvals_gradients():
    same_gradients(lambda lib, x: (lib.svd(x)[1] * w(lib, (2,))).sum() +
                   (lib.svd(x).V ** 2 * w(lib, (2, 2))).sum() + lib.linalg.svdvals(x).sum(),
                   arr(3, 2))


def test_svd_with_full_matrices_refuses_gradients_of_the_vectors_of_a_rectangular_input():
    x = loom.tensor(arr(3, 2), requires_grad=True)
    u = loom.linalg.svd(x).U
    with pytest.raises(RuntimeError, match="full_matrices=True"):
        (u * u).sum().backward()


def test_eig_gradient_of_a_real_matrix():
    a = np.diag([1.0, 2.5, 4.0]) + 0.3 * arr(3, 3)

    def f(lib, x):
        vals, vecs = lib.linalg.eig(x)
        return (vals.real * w(lib, (3,))).sum() + (vals.imag ** 2).sum() + \
            (vecs.abs() ** 2 * w(lib, (3, 3), 2)).sum()
    # first order only: the rule takes the real part of complex tensors, and ops_basic's
    # `real` has no complex backward rule yet
    same_gradients(f, a, finite=False, second=False, rtol=1e-6, atol=1e-8)
    same_gradients(lambda lib, x: (lib.linalg.eigvals(x).real ** 2).sum(), a, finite=False,
                   second=False)


@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (2, 4), (2, 2, 3)])
def test_qr_gradient(shape):
    def f(lib, x):
        q, r = lib.linalg.qr(x)
        return (q * w(lib, q.shape)).sum() + (r * w(lib, r.shape, 2)).sum()
    same_gradients(f, arr(*shape))


def test_qr_gradient_of_r_only_refused_as_in_pytorch():
    x = loom.tensor(arr(3, 2), requires_grad=True)
    with pytest.raises(RuntimeError, match="mode='r'"):
        loom.linalg.qr(x, mode="r").R.sum().backward()


# ----------------------------------------------------------------------------- LU and det

def test_lu_and_lu_factor_gradients():
    a = arr(3, 3) + 3 * np.eye(3)
    same_gradients(lambda lib, x: sum((t * w(lib, (3, 3), k)).sum()
                                      for k, t in enumerate(lib.linalg.lu(x)[1:])), a)
    same_gradients(lambda lib, x: (lib.linalg.lu_factor(x).LU * w(lib, (3, 3))).sum(), a)


@pytest.mark.parametrize("left, adjoint", [(True, False), (False, False), (True, True)])
def test_lu_solve_gradient_with_respect_to_the_factor_and_b(left, adjoint):
    a = arr(3, 3) + 3 * np.eye(3)
    lu, piv = torch.linalg.lu_factor(torch.tensor(a))

    def f(lib, packed, b):
        p = lib.tensor(piv.numpy())
        return (lib.linalg.lu_solve(packed, p, b, left=left, adjoint=adjoint) *
                w(lib, b.shape)).sum()
    same_gradients(f, lu.numpy(), arr(3, 3, seed=2))


def test_det_gradient_at_a_singular_matrix_is_the_cofactor_matrix():
    a = arr(3, 3)
    a[2] = a[0] + a[1]
    same_gradients(lambda lib, x: lib.linalg.det(x), a, second=False)


def test_slogdet_and_logdet_gradients():
    same_gradients(lambda lib, x: (lib.linalg.slogdet(x).logabsdet +
                                   lib.logdet(spd(lib, x))).sum(), arr(2, 3, 3))


# ----------------------------------------------------------------------------- complex

@pytest.mark.parametrize("name, fn", [
    ("inv", lambda lib, x: (lib.linalg.inv(x).abs() ** 2).sum()),
    ("det", lambda lib, x: lib.linalg.det(x).abs()),
    ("slogdet", lambda lib, x: lib.linalg.slogdet(x).logabsdet + lib.linalg.slogdet(x).sign.real),
    ("solve", lambda lib, x: (lib.linalg.solve(x, x.mH).real * 1.5).sum()),
    ("cholesky", lambda lib, x: (lib.linalg.cholesky(hermitian(lib, x)).abs() ** 2).sum()),
    ("svdvals", lambda lib, x: (lib.linalg.svdvals(x) ** 2).sum()),
    ("svd", lambda lib, x: (lib.linalg.svd(x).U.abs() ** 2 * w(lib, (3, 3))).sum()),
    ("eigh", lambda lib, x: (lib.linalg.eigh(hermitian(lib, x)).eigenvalues ** 2).sum() +
     (lib.linalg.eigh(hermitian(lib, x)).eigenvectors.abs() ** 2 * w(lib, (3, 3))).sum()),
    ("qr", lambda lib, x: (lib.linalg.qr(x).R.abs() ** 2 * w(lib, (3, 3))).sum()),
    ("matrix_exp", lambda lib, x: (lib.linalg.matrix_exp(x).abs() ** 2).sum()),
    ("einsum", lambda lib, x: lib.einsum("ij,jk->ik", x, x.mH).abs().sum()),
    ("pinv", lambda lib, x: (lib.linalg.pinv(x).abs() ** 2).sum()),
    ("kron", lambda lib, x: (lib.kron(x, x).abs() ** 2).sum()),
    ("addmm", lambda lib, x: (lib.addmm(x, x, x, beta=0.5).abs() ** 2).sum()),
    ("matrix_norm", lambda lib, x: lib.linalg.matrix_norm(x) + lib.linalg.norm(x, "nuc")),
    ("vector_norm", lambda lib, x: lib.linalg.vector_norm(x, 3)),
    ("lstsq", lambda lib, x: (lib.linalg.lstsq(x, x[:, :1]).solution.abs() ** 2).sum()),
])
def test_complex_gradients_match_pytorch(name, fn):
    same_gradients(fn, arr(3, 3, complex_=True) + 2 * np.eye(3), second=False, rtol=1e-6,
                   atol=1e-8)


def test_lstsq_gradient_through_solution_and_residuals_ignores_singular_values():
    def f(lib, a, b):
        r = lib.linalg.lstsq(a, b, driver="gelsd")
        return (r.solution * w(lib, (3, 2))).sum() + r.residuals.sum() + r.singular_values.sum()
    same_gradients(f, arr(5, 3), arr(5, 2, seed=1), finite=False)
