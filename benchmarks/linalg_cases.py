"""Benchmark cases of ops_linalg, added to run.py's table through cases.py: a batched
linalg.solve and a large Cholesky factorisation, each forward and backward, against PyTorch and
NumPy's own linalg (the NumPy column writes the same gradients by hand with np.linalg; NumPy
has no triangular solver, so its Cholesky backward solves with np.linalg.solve, as loom's does
at that size)."""
from __future__ import annotations

import numpy as np

SOLVE_BATCH, SOLVE_N, SOLVE_K = 256, 64, 4
CHOL_N = 512


def _solve_inputs():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((SOLVE_BATCH, SOLVE_N, SOLVE_N)) + SOLVE_N ** 0.5 * np.eye(SOLVE_N)
    return {"A": a, "B": rng.standard_normal((SOLVE_BATCH, SOLVE_N, SOLVE_K)),
            "W": rng.standard_normal((SOLVE_BATCH, SOLVE_N, SOLVE_K))}


def _solve_factory(lib_name, lib, to_np):
    def factory(inp):
        a, b, w = inp["A"].copy(), inp["B"].copy(), inp["W"].copy()
        if lib_name == "numpy":
            def step():
                x = np.linalg.solve(a, b)
                gb = np.linalg.solve(a.swapaxes(-1, -2), w)  # d (x * w).sum()
                return gb @ -x.swapaxes(-1, -2), gb
            return step, lambda: list(step())
        L = lib()
        A, B = (L.from_numpy(v).requires_grad_() for v in (a, b))
        W = L.from_numpy(w)

        def step():
            A.grad = B.grad = None
            (L.linalg.solve(A, B) * W).sum().backward()

        def read():
            step()
            return [to_np(A.grad), to_np(B.grad)]
        return step, read
    return factory


def _chol_inputs():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((CHOL_N, CHOL_N))
    return {"A": x @ x.T + CHOL_N * np.eye(CHOL_N), "W": rng.standard_normal((CHOL_N, CHOL_N))}


def _chol_factory(lib_name, lib, to_np):
    def factory(inp):
        a, w = inp["A"].copy(), inp["W"].copy()
        if lib_name == "numpy":
            def step():
                lo = np.linalg.cholesky(a)
                gl = np.tril(w)  # d (L * W).sum() / dL, on the lower triangle
                phi = np.tril(lo.T @ gl)
                phi = 0.5 * (phi + np.tril(phi, -1).T)
                ga = np.linalg.solve(lo.T, phi)                 # L^{-H} phi
                ga = np.linalg.solve(lo.T, ga.T).T              # ... L^{-1}
                return [ga]
            return step, step
        L = lib()
        A = L.from_numpy(a).requires_grad_()
        W = L.from_numpy(w)

        def step():
            A.grad = None
            (L.linalg.cholesky(A) * W).sum().backward()

        def read():
            step()
            return [to_np(A.grad)]
        return step, read
    return factory


def linalg_cases(Case, impls, lib, to_np):
    """The cases, built with cases.py's `Case`, implementation names, `lib(name)` and `to_np`."""
    def per_impl(maker):
        return {name: maker(name, lambda name=name: lib(name), to_np) for name in impls}
    return [
        Case("linalg_solve", f"linalg.solve fwd+bwd, {SOLVE_BATCH}x{SOLVE_N}x{SOLVE_N} f64",
             per_impl(_solve_factory), _solve_inputs, target=("numpy", 1.1), rtol=1e-8,
             atol=1e-10),
        Case("cholesky512", f"linalg.cholesky fwd+bwd, {CHOL_N}^2 f64", per_impl(_chol_factory),
             _chol_inputs, target=("numpy", 1.1), rtol=1e-7, atol=1e-9),
    ]
