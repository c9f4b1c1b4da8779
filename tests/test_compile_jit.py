"""`loom.compile`, `loom.compiler` and `loom.jit`: PyTorch's argument checks, eager results
and gradients, `OptimizedModule`'s state-dict keys, and the TorchScript pass-throughs."""
import numpy as np
import pytest
import torch

import loom


@pytest.fixture(autouse=True)
def _keep_torch_distribution_validation():
    # PyTorch's compiler switches distribution validation off for the whole process when it
    # runs; put it back so later tests see PyTorch's default
    saved = torch.distributions.Distribution._validate_args
    yield
    torch.distributions.Distribution.set_default_validate_args(saved)


def _outcome(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e)
    return None


def test_compiled_function_runs_eagerly_with_gradients():
    def f(x):
        return (x.sin() * 2).sum()

    g = loom.compile(f)
    assert g is not f and g.__name__ == "f" and g.__wrapped__ is f
    x = loom.tensor([0.5, 1.0], requires_grad=True)
    g(x).backward()
    assert loom.allclose(x.grad, 2 * x.detach().cos())
    assert loom.compile(backend="eager")(f)(x).item() == f(x).item()


def test_compiled_module_matches_torch_keys_and_delegates():
    res = {}
    for lib in (torch, loom):
        lib.manual_seed(0)
        m = lib.nn.Linear(3, 2)
        cm = lib.compile(m, backend="eager")
        y = cm(lib.ones(1, 3))
        res[lib.__name__] = (type(cm).__name__, list(cm.state_dict()), cm._orig_mod is m,
                             cm.in_features, cm.weight is m.weight,
                             len(list(cm.parameters())), isinstance(cm, lib.nn.Module),
                             list(y.shape))
    assert res["loom"] == res["torch"]


def test_compile_errors_match_torch():
    def f(x):
        return x

    cases = [lambda L: L.compile(f, mode="bogus"),
             lambda L: L.compile(f, mode="default", options={}),
             lambda L: L.compile(3),
             lambda L: L.compile(f, mode="max-autotune")]
    for c in cases:
        assert _outcome(lambda: c(loom)) == _outcome(lambda: c(torch))


def test_unknown_backend_is_refused():
    with pytest.raises(RuntimeError, match="Invalid backend: 'nope'"):
        loom.compile(lambda x: x, backend="nope")


def test_compiler_namespace():
    assert loom.compiler.is_compiling() is torch.compiler.is_compiling() is False
    f = loom.compiler.disable(np.sin)
    assert f is np.sin
    loom.compiler.reset()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_jit_pass_throughs():
    def f(x):
        return x * 2

    m = loom.nn.Linear(2, 2)
    assert loom.jit.script(f) is f and loom.jit.script(m) is m
    assert loom.jit.trace(f, loom.ones(2)) is f
    assert loom.jit.trace(m, (loom.ones(1, 2),)) is m
    with pytest.raises(RuntimeError):
        loom.jit.trace(m, loom.ones(1, 3))  # a wrong example fails, as in PyTorch
    assert loom.jit.is_scripting() is torch.jit.is_scripting() is False
    assert loom.jit.is_tracing() is torch.jit.is_tracing() is False
    assert loom.jit.ignore(f) is f and loom.jit.unused(f) is f and loom.jit.export(f) is f
    assert loom.jit.annotate(int, 3) == torch.jit.annotate(int, 3) == 3
    assert loom.jit.Final is torch.jit.Final
    with pytest.raises(RuntimeError, match="TorchScript"):
        loom.jit.save(m, "m.pt")
    with pytest.raises(RuntimeError, match="TorchScript"):
        loom.jit.load("m.pt")


def test_jit_script_and_trace_warn_as_torch():
    for lib in (torch, loom):
        with pytest.warns(DeprecationWarning, match=r"`torch.jit.script` is deprecated"):
            lib.jit.script(lib.nn.Linear(2, 2))
        with pytest.warns(DeprecationWarning, match=r"`torch.jit.trace` is deprecated"):
            lib.jit.trace(lib.nn.Linear(2, 2), lib.ones(1, 2))
