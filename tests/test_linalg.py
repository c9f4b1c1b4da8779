"""loom.linalg: the namespace (how an operator's "linalg.solve" function is installed, checked
for clashes and removed), LinAlgError, the named-tuple results, the function and method forms
PyTorch has, and PyTorch's errors, each compared with PyTorch 2.13."""
from __future__ import annotations

import re

import numpy as np
import pytest

import loom
from loom.plugin import OperatorClashError, OpSpec, op, register
from loom.registry import registry

from oracle import both, torch


def _msg(f, lib):
    with pytest.raises(Exception) as e:
        f(lib)
    return type(e.value), str(e.value)


def same_error(f):
    """loom raises what PyTorch raises: a subclass of its builtin type, the same message."""
    (lt, lm), (tt, tm) = both(lambda lib: _msg(f, lib))
    base = next(c for c in tt.__mro__ if c.__module__ == "builtins")
    assert issubclass(lt, base), (lt, tt)
    assert lm == tm.splitlines()[0] if "\n" in tm else lm == tm, (lm, tm)
    return lt


def arr(*shape, seed=0, shift=0.0):
    a = np.random.default_rng(seed).standard_normal(shape)
    return a + shift * np.eye(shape[-1]) if shift else a


# ----------------------------------------------------------------------------- the namespace

def test_linalg_is_a_module_of_loom_with_the_operators_functions():
    import types
    assert isinstance(loom.linalg, types.ModuleType)
    for name in ("solve", "inv", "cholesky", "svd", "eigh", "norm", "qr", "det", "lstsq",
                 "matrix_exp", "multi_dot", "vecdot", "cross", "matmul", "householder_product"):
        assert callable(getattr(loom.linalg, name)), name
        assert callable(getattr(torch.linalg, name)), name


def test_linalg_error_is_a_runtime_error_as_in_pytorch():
    assert issubclass(loom.linalg.LinAlgError, RuntimeError)
    assert issubclass(torch.linalg.LinAlgError, RuntimeError)
    with pytest.raises(loom.linalg.LinAlgError):
        loom.linalg.inv(loom.zeros(3, 3))


def test_a_missing_linalg_function_names_the_operator():
    with pytest.raises(AttributeError, match="linalg_no_such_thing"):
        loom.linalg.no_such_thing


def test_a_namespaced_function_is_refused_when_another_plugin_holds_it():
    spec = op("my_solve", lambda xp, a, b: a, inputs=2, functions=("linalg.solve",),
              methods=(), torch_name=None, reference=lambda a, b: a)
    with pytest.raises(OperatorClashError, match=r"'linalg.solve'.*ops_linalg"):
        register(spec, plugin="elsewhere")
    assert loom.linalg.solve is registry.holders[("function", "linalg.solve")].call or \
        loom.linalg.solve.__name__ == "linalg_solve"


def test_loom_linalg_own_names_are_never_given_away():
    spec = op("my_err", lambda xp, a: a, functions=("linalg.LinAlgError",), methods=(),
              torch_name=None, reference=lambda a: a)
    with pytest.raises(OperatorClashError, match="belongs to loom itself"):
        register(spec, plugin="elsewhere")
    assert issubclass(loom.linalg.LinAlgError, RuntimeError)


def test_a_registered_namespaced_function_is_installed_and_removed_with_its_op():
    spec = op("linalg_demo_double", lambda xp, a: a * 2, functions=("linalg.demo_double",),
              methods=(), torch_name=None, reference=lambda a: a * 2,
              backward=lambda ctx, g: (g * 2,))
    entry = register(spec, plugin="tests")
    try:
        x = loom.ones(2, requires_grad=True)
        loom.linalg.demo_double(x).sum().backward()
        assert x.grad.tolist() == [2.0, 2.0]
        assert not hasattr(loom, "demo_double")  # only in the namespace
    finally:
        registry.unregister(entry)
    assert "demo_double" not in vars(loom.linalg)


def test_a_function_in_an_unknown_namespace_is_refused_by_the_spec():
    with pytest.raises(TypeError, match="namespaced function is one of linalg"):
        OpSpec("x", kernel=lambda xp, a: a, functions=("fft.x",))
    with pytest.raises(TypeError, match="not a name"):
        OpSpec("x", kernel=lambda xp, a: a, functions=("linalg.1x",))


# ----------------------------------------------------------------------------- named tuples

@pytest.mark.parametrize("call, fields", [
    (lambda lib, a: lib.linalg.qr(a), ("Q", "R")),
    (lambda lib, a: lib.linalg.svd(a), ("U", "S", "Vh")),
    (lambda lib, a: lib.svd(a), ("U", "S", "V")),
    (lambda lib, a: lib.linalg.eigh(a @ a.mT), ("eigenvalues", "eigenvectors")),
    (lambda lib, a: lib.linalg.eig(a), ("eigenvalues", "eigenvectors")),
    (lambda lib, a: lib.linalg.slogdet(a), ("sign", "logabsdet")),
    (lambda lib, a: lib.linalg.lu_factor(a), ("LU", "pivots")),
    (lambda lib, a: lib.linalg.lu(a), ("P", "L", "U")),
    (lambda lib, a: lib.linalg.lstsq(a, a[:, :1]), ("solution", "residuals", "rank",
                                                   "singular_values")),
    (lambda lib, a: lib.linalg.inv_ex(a), ("inverse", "info")),
    (lambda lib, a: lib.linalg.cholesky_ex(a @ a.mT + lib.eye(3, dtype=a.dtype)), ("L", "info")),
    (lambda lib, a: lib.linalg.solve_ex(a, a), ("result", "info")),
], ids=["qr", "svd", "old svd", "eigh", "eig", "slogdet", "lu_factor", "lu", "lstsq", "inv_ex",
        "cholesky_ex", "solve_ex"])
def test_multi_output_results_are_named_tuples_as_pytorchs(call, fields):
    a = arr(3, 3, shift=3)
    got, want = both(lambda lib: call(lib, lib.tensor(a)))
    assert type(got).__name__ == type(want).__name__
    for f in fields:
        g, w = getattr(got, f), getattr(want, f)
        assert g.dtype.__repr__().replace("loom", "torch") == repr(w.dtype) or \
            str(g.dtype) == str(w.dtype)
        assert tuple(g.shape) == tuple(w.shape), f


# ----------------------------------------------------------------------------- values

def test_function_and_method_forms_agree_with_pytorch():
    a = arr(3, 3, shift=3)
    b = arr(3, 2, seed=1)
    spd = a @ a.T + np.eye(3)

    def forms(lib):
        A, B, S = lib.tensor(a), lib.tensor(b), lib.tensor(spd)
        return [A.det(), lib.det(A), A.logdet(), S.logdet(), A.slogdet()[1], A.inverse(),
                lib.inverse(A), S.cholesky(), lib.cholesky(S, upper=True), A.qr()[1].abs(),
                lib.svd(A)[1], A.pinverse(), A.matrix_exp(), A.matrix_power(3),
                lib.matrix_power(A, -2), A.trace(), A.kron(B), A.inner(B.mT),
                lib.tensordot(A, B, 1), A.addmm(A, A, beta=0.5), A.cross(A, dim=0),
                lib.linalg.cross(A, A), lib.linalg.vecdot(A, A), lib.vdot(A[0], A[1]),
                lib.linalg.multi_dot([A, B, B.mT]), lib.einsum("ij,jk->ik", A, B),
                lib.cholesky_solve(B, lib.linalg.cholesky(S)), lib.linalg.norm(A, "nuc"),
                lib.linalg.matrix_norm(A, 2), lib.linalg.vector_norm(A, 3),
                lib.linalg.cond(A), lib.linalg.matrix_rank(A), A @ B, B.mT @ A,
                lib.linalg.pinv(A, hermitian=True), lib.linalg.pinv(B, atol=0.5),
                lib.linalg.matrix_rank(S, hermitian=True), lib.linalg.norm(A, ord=2, dim=(0, 1)),
                lib.linalg.solve(A=A, B=B), lib.linalg.eigvalsh(A, UPLO="U")]
    got, want = both(forms)
    for i, (g, w) in enumerate(zip(got, want)):
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-9, atol=1e-9, err_msg=str(i))


def test_compositions_pytorch_defines_agree_with_pytorch():
    import warnings
    a = arr(3, 3, shift=3)
    lo = np.linalg.cholesky(a @ a.T)

    def forms(lib):
        A, L = lib.tensor(a), lib.tensor(lo)
        lu, piv = lib.linalg.lu_factor(A)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # triangular_solve is deprecated in both
            tri = lib.triangular_solve(A[:, :2], A, upper=False)
        return [lib.cholesky_inverse(L), lib.cholesky_inverse(L.mT, upper=True),
                *lib.lu_unpack(lu, piv), tri.solution, tri.cloned_coefficient,
                lib.linalg.tensorinv(A.reshape(3, 3, 1)[..., 0], ind=1),
                lib.linalg.tensorsolve(A, A[0]), lib.linalg.vander(A[0], N=4),
                lib.linalg.diagonal(A.reshape(3, 1, 3), dim1=0, dim2=2)]
    for i, (g, w) in enumerate(zip(*both(forms))):
        assert g.shape == w.shape, i
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-9, atol=1e-9, err_msg=str(i))


def test_in_place_matmul_rebinds_as_pytorchs():
    def f(lib):
        a = lib.tensor(arr(2, 2))
        b = a
        a @= lib.tensor(arr(2, 2, seed=1))
        return a, b is a
    (la, lsame), (ta, tsame) = both(f)
    np.testing.assert_allclose(la.numpy(), ta.numpy())
    assert lsame == tsame


def test_batched_and_broadcast_solve_matches_pytorch():
    a, b = arr(2, 1, 3, 3, shift=3), arr(4, 3, 2, seed=1)
    got, want = both(lambda lib: lib.linalg.solve(lib.tensor(a), lib.tensor(b)))
    assert got.shape == want.shape == (2, 4, 3, 2)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-10)


def test_complex_decompositions_match_pytorch_up_to_phase():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3))
    h = a @ a.conj().T + 3 * np.eye(3)

    def f(lib):
        A, H = lib.tensor(a), lib.tensor(h)
        u, s, vh = lib.linalg.svd(A)
        q, r = lib.linalg.qr(A)
        return [lib.linalg.cholesky(H), lib.linalg.inv(A), lib.linalg.det(A), s,
                (u * s[None, :]) @ vh, q @ r, lib.linalg.eigvalsh(H), lib.linalg.solve(A, H),
                lib.linalg.matrix_exp(A), lib.linalg.slogdet(A)[1]]
    for g, w in zip(*both(f)):
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-9, atol=1e-9)


# ----------------------------------------------------------------------------- errors

@pytest.mark.parametrize("call", [
    lambda lib: lib.mm(lib.ones(2, 3), lib.ones(4, 5)),
    lambda lib: lib.addmm(lib.ones(2), lib.ones(2, 3), lib.ones(4, 5)),
    lambda lib: lib.linalg.inv(lib.zeros(3, 3)),
    lambda lib: lib.linalg.inv(lib.zeros(2, 3, 3)),
    lambda lib: lib.linalg.inv(lib.ones(3, 3, dtype=lib.int64)),
    lambda lib: lib.linalg.inv(lib.ones(3, 4)),
    lambda lib: lib.linalg.solve(lib.zeros(3, 3), lib.ones(3)),
    lambda lib: lib.linalg.solve(lib.eye(3), lib.ones(4)),
    lambda lib: lib.linalg.solve(lib.eye(3), lib.ones(3, dtype=lib.float64)),
    lambda lib: lib.linalg.cholesky(-lib.eye(3)),
    lambda lib: lib.linalg.cholesky(-lib.eye(3).expand(2, 3, 3)),
    lambda lib: lib.linalg.cholesky(lib.ones(3, 3, dtype=lib.int64)),
    lambda lib: lib.linalg.det(lib.ones(3)),
    lambda lib: lib.linalg.eigh(lib.ones(2, 3)),
    lambda lib: lib.linalg.lu_factor(lib.zeros(3, 3)),
    lambda lib: lib.linalg.matrix_power(lib.ones(2, 3), 2),
    lambda lib: lib.linalg.vector_norm(lib.ones(3, dtype=lib.int64)),
    lambda lib: lib.trace(lib.ones(2, 3, 4)),
    lambda lib: lib.linalg.cross(lib.ones(2, 4), lib.ones(2, 4)),
    lambda lib: lib.einsum("ij,jk->ik", lib.ones(2, 3), lib.ones(4, 5)),
    lambda lib: lib.einsum("ij,jk", lib.ones(2, 3)),
    lambda lib: lib.linalg.multi_dot([lib.ones(3, 2), lib.ones(3, 3)]),
    lambda lib: lib.linalg.lstsq(lib.ones(4, 3), lib.ones(3, 2)),
    lambda lib: lib.cholesky_solve(lib.ones(3, 2), lib.eye(4)),
    lambda lib: lib.linalg.svd(lib.tensor([[float("nan"), 1.0], [1.0, 1.0]])),
    lambda lib: lib.linalg.solve(A=lib.zeros(2, 2), B=lib.ones(2)),
    lambda lib: lib.linalg.vander(lib.ones(3), N=1),
    lambda lib: lib.linalg.tensorinv(lib.ones(4, 3), ind=1),
], ids=lambda f: re.sub(r"\W+", "_", f.__code__.co_consts[0] if isinstance(
    f.__code__.co_consts[0], str) else "call"))
def test_errors_are_pytorchs(call):
    same_error(call)


def test_singular_errors_are_linalg_errors():
    for call in (lambda lib: lib.linalg.inv(lib.zeros(2, 2)),
                 lambda lib: lib.linalg.solve(lib.zeros(2, 2), lib.ones(2)),
                 lambda lib: lib.linalg.cholesky(-lib.eye(2))):
        assert issubclass(same_error(call), loom.linalg.LinAlgError)


def test_ex_forms_report_instead_of_raising():
    def f(lib):
        a = lib.stack([lib.eye(2), lib.zeros(2, 2)])
        return (lib.linalg.inv_ex(a).info, lib.linalg.cholesky_ex(-a).info,
                lib.linalg.solve_ex(a, lib.ones(2, 2)).info)
    for g, w in zip(*both(f)):
        assert g.tolist() == w.tolist() and str(g.dtype) == str(w.dtype)
    with pytest.raises(loom.linalg.LinAlgError, match=r"Batch element 1"):
        loom.linalg.inv_ex(loom.stack([loom.eye(2), loom.zeros(2, 2)]), check_errors=True)
