"""loom on CUDA (CuPy) against torch.cuda, side by side, in one run.

    python benchmarks/cuda.py            # needs CuPy, a GPU and a CUDA build of PyTorch
    python benchmarks/cuda.py --quick    # few rounds: a smoke test, not a measurement

Cases: large elementwise forward+backward, a 4096x4096 matmul forward+backward, and the MLP
training step of benchmarks/run.py (784-512-512-10, batch 128), all in float32. Method as in
run.py: warm up, then interleaved rounds (each round times loom and torch once, alternating
which goes first); a timing ends with the device synchronised; the median over rounds is
reported, with loom/torch. Results are compared once before timing. Without CuPy, a GPU or a
CUDA PyTorch the script says which is missing and exits 0.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np

ELEMS = 1 << 24
MATMUL = 4096
MLP_SIZES, MLP_BATCH, MLP_LR = (784, 512, 512, 10), 128, 0.01


def _elementwise(lib, x0):
    x = lib.tensor(x0, device="cuda", requires_grad=True)

    def step():
        y = (x * x + 1.0).sin() * x.exp()
        y.sum().backward()
        g = x.grad
        x.grad = None
        return g
    return step


def _matmul(lib, a0, b0):
    a = lib.tensor(a0, device="cuda", requires_grad=True)
    b = lib.tensor(b0, device="cuda", requires_grad=True)

    def step():
        (a @ b).sum().backward()
        g = a.grad
        a.grad = b.grad = None
        return g
    return step


def _mlp(lib, inp):
    X = lib.tensor(inp["x"], device="cuda")
    Y = lib.tensor(inp["onehot"], device="cuda")
    W = [lib.tensor(w, device="cuda", requires_grad=True) for w in inp["ws"]]
    B = [lib.tensor(b, device="cuda", requires_grad=True) for b in inp["bs"]]
    params = W + B

    def step():
        h = (X @ W[0] + B[0]).clamp(min=0)
        h = (h @ W[1] + B[1]).clamp(min=0)
        z = h @ W[2] + B[2]
        zs = z - z.amax(dim=1, keepdim=True)
        logp = zs - zs.exp().sum(dim=1, keepdim=True).log()
        loss = -(logp * Y).sum() / MLP_BATCH
        loss.backward()
        with lib.no_grad():
            for p in params:
                p.sub_(MLP_LR * p.grad)
                p.grad = None
        return loss
    return step


def _inputs():
    rng = np.random.default_rng(0)
    n = MLP_SIZES
    ws = [(rng.standard_normal((n[i], n[i + 1])) / np.sqrt(n[i])).astype(np.float32)
          for i in range(3)]
    bs = [np.zeros(n[i + 1], np.float32) for i in range(3)]
    onehot = np.eye(n[-1], dtype=np.float32)[rng.integers(0, n[-1], MLP_BATCH)]
    return {
        "elementwise": (rng.standard_normal(ELEMS).astype(np.float32) * 0.5,),
        "matmul": tuple(rng.standard_normal((MATMUL, MATMUL)).astype(np.float32) / 64
                        for _ in range(2)),
        "mlp": ({"x": rng.random((MLP_BATCH, n[0]), dtype=np.float32), "onehot": onehot,
                 "ws": ws, "bs": bs},),
    }


CASES = [("elementwise", f"sin(x*x+1)*exp(x) fwd+bwd, {ELEMS} elem", _elementwise),
         ("matmul", f"{MATMUL}x{MATMUL} matmul fwd+bwd", _matmul),
         ("mlp", "MLP 784-512-512-10 train step, batch 128", _mlp)]


def _missing() -> str:
    try:
        import cupy  # noqa: F401
    except ImportError:
        return "CuPy is not installed"
    import loom
    if not loom.cuda.is_available():
        return f"loom sees no CUDA device ({loom.backends.backends['cuda'].unavailable_reason()})"
    try:
        import torch
    except ImportError:
        return "PyTorch is not installed"
    if not torch.cuda.is_available():
        return "PyTorch has no CUDA device (a CPU build?)"
    return ""


def _time(step, sync, iters):
    sync()
    t = time.perf_counter()
    for _ in range(iters):
        step()
    sync()
    return (time.perf_counter() - t) / iters


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true")
    args = p.parse_args(argv)
    why = _missing()
    if why:
        print(f"skipped: {why}")
        return 0
    import loom
    import torch
    rounds, iters = (3, 2) if args.quick else (15, 10)
    syncs = {"loom": loom.cuda.synchronize, "torch": torch.cuda.synchronize}
    inputs = _inputs()
    print(f"GPU: {loom.cuda.get_device_name()}; torch {torch.__version__}; "
          f"{rounds} rounds x {iters} iterations, median per iteration\n")
    print("| case | torch.cuda | loom cuda | loom/torch |")
    print("| --- | ---: | ---: | ---: |")
    for name, label, build in CASES:
        steps = {lib.__name__: build(lib, *inputs[name]) for lib in (loom, torch)}
        got = {k: s() for k, s in steps.items()}  # compared once, before timing
        a = got["loom"].detach().cpu().numpy()
        b = got["torch"].detach().cpu().numpy()
        note = "" if np.allclose(a, b, rtol=1e-3, atol=1e-4) else " (results differ!)"
        times = {k: [] for k in steps}
        for r in range(rounds):
            for k in (("loom", "torch") if r % 2 else ("torch", "loom")):
                times[k].append(_time(steps[k], syncs[k], iters))
        med = {k: statistics.median(v) for k, v in times.items()}
        print(f"| {label}{note} | {med['torch'] * 1e3:.3f} ms | {med['loom'] * 1e3:.3f} ms | "
              f"{med['loom'] / med['torch']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
