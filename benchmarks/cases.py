"""The cases `run.py` times: for each, one step per implementation (NumPy by hand, PyTorch,
loom) on the same inputs, with the ratio loom must reach. The timing machinery and the
report stay in run.py."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

IMPLS = ("numpy", "torch", "loom")

_LIBS: dict[str, object] = {}


def _lib(name: str):
    if name not in _LIBS:
        _LIBS[name] = __import__(name)
    return _LIBS[name]


@dataclass
class Case:
    name: str
    label: str
    # impl name -> factory(inputs) -> (step, read); `read()` runs one step and returns the
    # arrays to compare across implementations (None: nothing to compare).
    factories: dict[str, Callable]
    inputs: Callable[[], dict] | None = None
    target: tuple[str, float] | None = None  # (denominator impl, max allowed loom/denominator)
    rtol: float = 1e-4
    atol: float = 1e-5
    kind: str = "timed"  # or "import"
    # another case measuring the same work with built-in ops: the table of relative costs
    # compares each implementation's median with its median there (custom op vs built-in)
    baseline: str | None = None
    baseline_target: float | None = None  # max allowed loom/loom-baseline


def _np(t) -> np.ndarray:
    """A torch or loom tensor (or an array) as a NumPy array, detached."""
    if isinstance(t, np.ndarray):
        return t
    if hasattr(t, "detach"):
        t = t.detach()
    return np.asarray(t.numpy())


def _rng_inputs(n_or_shape, names, seed=0):
    def make():
        rng = np.random.default_rng(seed)
        shape = n_or_shape if isinstance(n_or_shape, tuple) else (n_or_shape,)
        return {k: rng.random(shape, dtype=np.float32) for k in names}
    return make


# -- 1 / 2: 10-element add ---------------------------------------------------

def _add_factory(lib_name: str, grad: bool):
    def factory(inp):
        if lib_name == "numpy":
            a, b = inp["a"].copy(), inp["b"].copy()
            step = lambda: a + b  # noqa: E731
            return step, lambda: [step()]
        lib = _lib(lib_name)
        a = lib.from_numpy(inp["a"].copy())
        b = lib.from_numpy(inp["b"].copy())
        if grad:
            a.requires_grad_()
        step = lambda: a + b  # noqa: E731

        def read():
            r = step()
            if grad and r.grad_fn is None:
                raise AssertionError(f"{lib_name}: a + b recorded no graph node")
            return [_np(r)]
        return step, read
    return factory


# -- 3: (a*b+a).sum().backward() on 10 elements ------------------------------

def _small_bwd_factory(lib_name: str):
    def factory(inp):
        if lib_name == "numpy":
            a, b = inp["a"].copy(), inp["b"].copy()

            def step():
                s = (a * b + a).sum()  # forward, as the others compute it
                ga = b + 1
                gb = a.copy()  # a fresh gradient buffer, as autograd hands out
                return s, ga, gb
            return step, lambda: list(step()[1:])
        lib = _lib(lib_name)
        a = lib.from_numpy(inp["a"].copy()).requires_grad_()
        b = lib.from_numpy(inp["b"].copy()).requires_grad_()

        def step():
            a.grad = None  # zero_grad(set_to_none=True): no accumulation, as numpy
            b.grad = None
            (a * b + a).sum().backward()

        def read():
            step()
            return [_np(a.grad), _np(b.grad)]
        return step, read
    return factory


# -- 4: linear-regression loop step ------------------------------------------
# examples/seeds/seed001_linear_regression.py, one iteration of its loop (plotting aside).

LR = 0.001  # the seed's


def _regression_factory(lib_name: str):
    def factory(inp):
        if lib_name == "numpy":
            rng = np.random.default_rng(1000)
            w = inp["w"].copy()
            b = inp["b"].copy()
            f32 = np.float32

            def step():
                x = rng.random((8, 1), dtype=f32) * 20
                y = x * 2 + (1 + rng.standard_normal((8, 1), dtype=f32)) * 3
                y_pred = x @ w + b  # b broadcasts as expand_as does
                d = y_pred - y
                loss = (0.5 * d ** 2).sum()
                # hand-written backward: d loss / d y_pred = d
                gw = x.T @ d
                gb = d.sum(0, keepdims=True)
                w[...] -= LR * gw  # in place, like w.data.sub_
                b[...] -= LR * gb
                return loss
            return step, lambda: None
        lib = _lib(lib_name)
        lib.manual_seed(1000)
        w = lib.from_numpy(inp["w"].copy()).requires_grad_()
        b = lib.from_numpy(inp["b"].copy()).requires_grad_()

        def step():
            x = lib.rand(8, 1) * 20
            y = x * 2 + (1 + lib.randn(8, 1)) * 3
            y_pred = x.mm(w) + b.expand_as(y)
            loss = (0.5 * (y_pred - y) ** 2).sum()
            loss.backward()
            w.data.sub_(LR * w.grad.data)
            b.data.sub_(LR * b.grad.data)
            w.grad.data.zero_()
            b.grad.data.zero_()
            return loss
        return step, lambda: (step(), None)[1]
    return factory


def _regression_inputs():
    rng = np.random.default_rng(1000)
    # the seed's w = torch.rand(1, 1), b = torch.zeros(1, 1)
    return {"w": rng.random((1, 1), dtype=np.float32), "b": np.zeros((1, 1), np.float32)}


# -- 5: (a*b+c).exp().sum().backward() on 10**6 elements ----------------------

def _big_bwd_factory(lib_name: str):
    def factory(inp):
        if lib_name == "numpy":
            a, b, c = inp["a"].copy(), inp["b"].copy(), inp["c"].copy()

            def step():
                e = np.exp(a * b + c)
                s = e.sum()
                return s, e * b, e * a, e
            return step, lambda: list(step()[1:])
        lib = _lib(lib_name)
        a, b, c = (lib.from_numpy(inp[k].copy()).requires_grad_() for k in "abc")

        def step():
            a.grad = b.grad = c.grad = None
            (a * b + c).exp().sum().backward()

        def read():
            step()
            return [_np(a.grad), _np(b.grad), _np(c.grad)]
        return step, read
    return factory


# -- 6: 1024x1024 (A@B).sum().backward() --------------------------------------

def _matmul_factory(lib_name: str):
    def factory(inp):
        if lib_name == "numpy":
            A, B = inp["A"].copy(), inp["B"].copy()

            def step():
                C = A @ B
                s = C.sum()
                G = np.ones_like(C)
                return s, G @ B.T, A.T @ G
            return step, lambda: list(step()[1:])
        lib = _lib(lib_name)
        A = lib.from_numpy(inp["A"].copy()).requires_grad_()
        B = lib.from_numpy(inp["B"].copy()).requires_grad_()

        def step():
            A.grad = B.grad = None
            (A @ B).sum().backward()

        def read():
            step()
            return [_np(A.grad), _np(B.grad)]
        return step, read
    return factory


def _matmul_inputs():
    rng = np.random.default_rng(0)
    return {k: rng.random((1024, 1024), dtype=np.float32) for k in "AB"}


# -- 7: MLP training step ----------------------------------------------------
# 784-512-512-10, batch 128, clamp(min=0) as ReLU, a stable log-softmax cross-entropy against
# one-hot targets, plain SGD in place under no_grad. NumPy writes the gradients by hand.

MLP_SIZES = (784, 512, 512, 10)
MLP_BATCH = 128
MLP_LR = 0.01


def _xent(z, onehot):
    """NumPy's stable log-softmax cross entropy of logits `z` and its gradient, by hand."""
    m = z.max(axis=1, keepdims=True)
    e = np.exp(z - m)
    s = e.sum(axis=1, keepdims=True)
    logp = z - m - np.log(s)
    return -(logp * onehot).sum() / MLP_BATCH, (e / s - onehot) / MLP_BATCH


def _numpy_mlp(x, onehot, ws, bs):
    """The MLP step in NumPy with the gradients written by hand (weights (in, out))."""
    def step():
        h1p = x @ ws[0] + bs[0]
        h1 = np.maximum(h1p, 0)
        h2p = h1 @ ws[1] + bs[1]
        h2 = np.maximum(h2p, 0)
        z = h2 @ ws[2] + bs[2]
        loss, dz = _xent(z, onehot)
        gw2, gb2 = h2.T @ dz, dz.sum(0)
        dh2 = (dz @ ws[2].T) * (h2p > 0)
        gw1, gb1 = h1.T @ dh2, dh2.sum(0)
        dh1 = (dh2 @ ws[1].T) * (h1p > 0)
        gw0, gb0 = x.T @ dh1, dh1.sum(0)
        for p, g in zip(ws + bs, (gw0, gw1, gw2, gb0, gb1, gb2)):
            p -= MLP_LR * g
        return loss
    return step, lambda: [np.asarray(step())] + [w.copy() for w in ws]


def _mlp_factory(lib_name: str):
    def factory(inp):
        x, onehot = inp["x"], inp["onehot"]
        ws = [w.copy() for w in inp["ws"]]
        bs = [b.copy() for b in inp["bs"]]
        if lib_name == "numpy":
            return _numpy_mlp(x, onehot, ws, bs)
        lib = _lib(lib_name)
        X, Y = lib.from_numpy(x.copy()), lib.from_numpy(onehot.copy())
        W = [lib.from_numpy(w).requires_grad_() for w in ws]
        B = [lib.from_numpy(b).requires_grad_() for b in bs]
        params = W + B

        def step():
            h = (X @ W[0] + B[0]).clamp(min=0)
            h = (h @ W[1] + B[1]).clamp(min=0)
            z = h @ W[2] + B[2]
            logp = z.log_softmax(dim=1)  # stable: shifted by the row maximum
            loss = -(logp * Y).sum() / MLP_BATCH
            loss.backward()
            with lib.no_grad():
                for p in params:
                    p.sub_(MLP_LR * p.grad)
                    p.grad = None
            return loss

        def read():
            loss = step()
            # copies: the weights keep changing in place as the timed steps run
            return [_np(loss.detach())] + [_np(w.detach()).copy() for w in W]
        return step, read
    return factory


def _mlp_inputs():
    rng = np.random.default_rng(0)
    n = MLP_SIZES
    ws = [(rng.standard_normal((a, b)) / np.sqrt(a)).astype(np.float32)
          for a, b in zip(n[:-1], n[1:])]
    bs = [np.zeros(b, np.float32) for b in n[1:]]
    labels = rng.integers(0, n[-1], MLP_BATCH)
    return {"x": rng.random((MLP_BATCH, n[0]), dtype=np.float32), "ws": ws, "bs": bs,
            "onehot": np.eye(n[-1], dtype=np.float32)[labels]}


def _numpy_linear_mlp(x, onehot, ws, bs):
    """The MLP step in NumPy with the gradients written by hand, each weight stored as
    `nn.Linear` stores it, (out, in): ``x @ W.T + b`` (BLAS runs a product with a transposed
    operand at its own speed, so the layout is part of the work compared)."""
    ws = [np.ascontiguousarray(w.T) for w in ws]

    def step():
        h1p = x @ ws[0].T + bs[0]
        h1 = np.maximum(h1p, 0)
        h2p = h1 @ ws[1].T + bs[1]
        h2 = np.maximum(h2p, 0)
        z = h2 @ ws[2].T + bs[2]
        loss, dz = _xent(z, onehot)
        gw2, gb2 = dz.T @ h2, dz.sum(0)
        dh2 = (dz @ ws[2]) * (h2p > 0)
        gw1, gb1 = dh2.T @ h1, dh2.sum(0)
        dh1 = (dh2 @ ws[1]) * (h1p > 0)
        gw0, gb0 = dh1.T @ x, dh1.sum(0)
        for p, g in zip(ws + bs, (gw0, gw1, gw2, gb0, gb1, gb2)):
            p -= MLP_LR * g
        return loss
    return step, lambda: [np.asarray(step())] + [w.T.copy() for w in ws]


def _nn_mlp_factory(lib_name: str):
    """The same MLP step written as PyTorch code is usually written: `nn.Sequential` of
    `nn.Linear` and `nn.ReLU`, `F.cross_entropy` on class indices, `optim.SGD`. NumPy writes it
    by hand with the same weight layout."""
    def factory(inp):
        x, onehot = inp["x"], inp["onehot"]
        ws = [w.copy() for w in inp["ws"]]
        bs = [b.copy() for b in inp["bs"]]
        if lib_name == "numpy":
            return _numpy_linear_mlp(x, onehot, ws, bs)
        lib = _lib(lib_name)
        nn = lib.nn
        n = MLP_SIZES
        model = nn.Sequential(nn.Linear(n[0], n[1]), nn.ReLU(), nn.Linear(n[1], n[2]), nn.ReLU(),
                              nn.Linear(n[2], n[3]))
        linears = [model[0], model[2], model[4]]
        with lib.no_grad():
            for lin, w, b in zip(linears, ws, bs):
                lin.weight.copy_(lib.from_numpy(np.ascontiguousarray(w.T)))
                lin.bias.copy_(lib.from_numpy(b))
        opt = lib.optim.SGD(model.parameters(), lr=MLP_LR)
        X = lib.from_numpy(x.copy())
        T = lib.from_numpy(onehot.argmax(axis=1).astype(np.int64))
        F = nn.functional

        def step():
            opt.zero_grad()
            loss = F.cross_entropy(model(X), T)
            loss.backward()
            opt.step()
            return loss

        def read():
            loss = step()
            return [_np(loss.detach())] + [_np(lin.weight.detach()).T.copy() for lin in linears]
        return step, read
    return factory


# -- custom op vs built-in: the same sin on 10 elements -------------------------

def _sin_factory(lib_name: str, custom: bool):
    """sin of 10 elements: the built-in (``loom.sin``, ``torch.sin``, ``np.sin``) or a custom
    op whose body is that built-in (``loom.library.custom_op`` / ``torch.library.custom_op``,
    called as ``loom.ops.bench.sin`` / ``torch.ops.bench.sin``): the difference is the cost of
    going through a custom op."""
    def factory(inp):
        if lib_name == "numpy":
            a = inp["a"].copy()
            step = lambda: np.sin(a)  # noqa: E731
            return step, lambda: [step()]
        lib = _lib(lib_name)
        a = lib.from_numpy(inp["a"].copy())
        fn = lib.sin
        if custom:
            fn = _custom_sin(lib_name)
        step = lambda: fn(a)  # noqa: E731
        return step, lambda: [_np(step())]
    return factory


def _custom_sin(lib_name: str):
    if lib_name == "loom":
        import loom
        if not hasattr(loom.ops.bench, "sin"):
            # the schema given as text: this module's annotations are strings (postponed)
            # naming a local import, which type hints cannot resolve
            @loom.library.custom_op("bench::sin", mutates_args=(),
                                    schema="(Tensor x) -> Tensor")
            def _sin(x):
                return loom.sin(x)
        return loom.ops.bench.sin
    import torch
    if not hasattr(torch.ops.bench, "sin"):
        @torch.library.custom_op("bench::sin", mutates_args=(), schema="(Tensor x) -> Tensor")
        def _tsin(x):
            return torch.sin(x)
    return torch.ops.bench.sin


def _per_impl(maker, *args):
    return {name: maker(name, *args) for name in IMPLS}


CASES = [
    Case("add10", "add, 10 elem, no grad", _per_impl(_add_factory, False),
         _rng_inputs(10, "ab"), target=("torch", 0.7)),
    Case("add10_grad", "add, 10 elem, a.requires_grad", _per_impl(_add_factory, True),
         _rng_inputs(10, "ab"), target=("torch", 0.7)),
    Case("fwdbwd10", "(a*b+a).sum().backward(), 10 elem", _per_impl(_small_bwd_factory),
         _rng_inputs(10, "ab"), target=("torch", 0.5)),
    Case("regression", "linear-regression loop step", _per_impl(_regression_factory),
         _regression_inputs, target=("torch", 0.7)),
    Case("fwdbwd1e6", "(a*b+c).exp().sum().backward(), 10^6", _per_impl(_big_bwd_factory),
         _rng_inputs(10 ** 6, "abc"), target=("numpy", 1.5), rtol=1e-4, atol=1e-5),
    # float32 sums of 1024 products differ between BLAS libraries in the last bits.
    Case("matmul1024", "(A@B).sum().backward(), 1024^2", _per_impl(_matmul_factory),
         _matmul_inputs, target=("numpy", 1.1), rtol=1e-3, atol=1e-3),
    Case("mlp", "MLP 784-512-512-10 train step, batch 128", _per_impl(_mlp_factory),
         _mlp_inputs, target=("numpy", 1.1), rtol=1e-4, atol=1e-5),
    Case("nn_mlp", "the same MLP step with nn.Linear, F.cross_entropy, optim.SGD",
         _per_impl(_nn_mlp_factory), _mlp_inputs, target=("numpy", 1.1), rtol=1e-4, atol=1e-5),
    Case("sin10", "sin, 10 elem (built-in)", _per_impl(_sin_factory, False),
         _rng_inputs(10, "a")),
    Case("custom_op10", "sin, 10 elem, as a custom op (ops.bench.sin)",
         _per_impl(_sin_factory, True), _rng_inputs(10, "a"), baseline="sin10",
         baseline_target=1.5),
    Case("import", "import time (fresh interpreter)", {}, kind="import",
         target=("torch", 0.25)),
]


def _linalg_cases():
    from linalg_cases import linalg_cases  # benchmarks/, beside this script
    return linalg_cases(Case, IMPLS, lambda name: _lib(name), _np)


CASES[-1:-1] = _linalg_cases()  # before the import-time case, which stays last


