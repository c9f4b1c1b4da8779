"""`autograd.functional` (jacobian, hessian, vjp, jvp, hvp, vhp) against PyTorch: values,
result structure for tensors and tuples, create_graph, strict mode and errors."""
import pytest

from oracle import LIBS, both, r


def _fn(lib):
    def f(x, y):
        return (x * y.exp()).sum() + (x ** 3).sum()

    def g(x):
        return x ** 2 * x.sin()

    def two(x, y):
        return x * y, x + y.sum()
    return f, g, two


def _show(v):
    if isinstance(v, tuple):
        return tuple(_show(e) for e in v)
    return None if v is None else (tuple(v.shape), [round(e, 9) for e in v.reshape(-1).tolist()],
                                   v.requires_grad)


def test_values_and_structure():
    def scenario(lib):
        F = lib.autograd.functional
        f, g, two = _fn(lib)
        x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64)
        y = lib.tensor([1.0, 0.3, -0.7], dtype=lib.float64)
        v = lib.tensor([1.0, 2.0, -1.0], dtype=lib.float64)
        return [_show(F.jacobian(g, x)), _show(F.jacobian(two, (x, y))),
                _show(F.jacobian(f, (x, y))), _show(F.hessian(f, (x, y))),
                _show(F.hessian(lambda t: (t ** 3).sum(), x)),
                _show(F.vjp(g, x, v)), _show(F.jvp(g, x, v)), _show(F.jvp(two, (x, y), (v, v))),
                _show(F.hvp(lambda t: (t ** 3).sum(), x, v)),
                _show(F.vhp(f, (x, y), (v, v))),
                _show(F.vjp(lambda t: t.sum(), x)),
                _show(F.jacobian(g, x, vectorize=True))]
    got, want = both(scenario)
    assert got == want


def test_create_graph_results_are_differentiable():
    def scenario(lib):
        F = lib.autograd.functional
        x = lib.tensor([0.5, -1.0], dtype=lib.float64, requires_grad=True)
        j = F.jacobian(lambda t: t ** 3, x, create_graph=True)
        (gx,) = lib.autograd.grad(j.sum(), x)
        _, hv = F.hvp(lambda t: (t ** 4).sum(), x, lib.ones(2, dtype=lib.float64),
                      create_graph=True)
        (gh,) = lib.autograd.grad(hv.sum(), x)
        return _show(j), _show(gx), _show(gh)
    got, want = both(scenario)
    assert got == want


@LIBS
@pytest.mark.parametrize("case", ["strict_jacobian", "strict_vjp", "v_none", "v_size",
                                  "hessian_not_scalar", "hessian_linear_strict", "bad_output",
                                  "forward_mode"])
def test_errors(lib, case):
    F = lib.autograd.functional
    x = lib.ones(2)
    calls = {
        "strict_jacobian": (RuntimeError, "Output 0 of the user-provided function does not "
                            "require gradients",
                            lambda: F.jacobian(lambda t: lib.ones(2), x, strict=True)),
        "strict_vjp": (RuntimeError, "does not require gradients",
                       lambda: F.vjp(lambda t: lib.ones(2), x, lib.ones(2), strict=True)),
        "v_none": (RuntimeError, "The vector v can only be None if the user-provided function "
                   "returns a single Tensor with a single element",
                   lambda: F.vjp(lambda t: t * 2, x)),
        "v_size": (RuntimeError, "v has invalid size: should be torch.Size\\(\\[2\\]\\) but got "
                   "torch.Size\\(\\[3\\]\\)", lambda: F.vjp(lambda t: t * 2, x, lib.ones(3))),
        "hessian_not_scalar": (RuntimeError, "should contain a single element",
                               lambda: F.hessian(lambda t: t * 2, x)),
        "hessian_linear_strict": (RuntimeError, "jacobian of the user-provided function with "
                                  "respect to input 0 is independent of the input",
                                  lambda: F.hessian(lambda t: t.sum(), x, strict=True)),
        "bad_output": (TypeError, "must be either a Tensor or a tuple of Tensors but the value "
                       "at index 1 has type", lambda: F.vjp(lambda t: (t * 2, 3), x,
                                                            lib.ones(2))),
        "forward_mode": (NotImplementedError, "only implemented for `vectorize=True`",
                         lambda: F.jacobian(lambda t: t.sum(), x, strategy="forward-mode")),
    }
    exc, msg, call = calls[case]
    with pytest.raises(exc, match=msg):
        call()
