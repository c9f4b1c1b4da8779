"""`loom.autograd.gradcheck` and `gradgradcheck` against PyTorch's: the same verdicts, return
values, exception types and message openings for the same functions."""
from __future__ import annotations

import numpy as np
import pytest

import loom

torch = pytest.importorskip("torch", reason="torch is the oracle of gradcheck's behaviour")

MODES = pytest.mark.parametrize("fast_mode", [False, True], ids=["slow", "fast"])


def _wrong_square(lib):
    """x*x whose backward is off by a factor 1.5 (3x instead of 2x)."""
    class WrongSquare(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return g * a * 3
    return WrongSquare.apply


def _detached_backward(lib):
    """x**3 with a correct first derivative computed from a detached input, so the gradient
    is not differentiable again: first order passes, second order fails."""
    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a * a

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return g * 3 * a.detach() ** 2
    return Cube.apply


def _inputs(lib, rg=True, dtype="float64"):
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.uniform(0.5, 2.0, (3, 2)), dtype=getattr(lib, dtype), requires_grad=rg)
    y = lib.tensor(rng.uniform(0.5, 2.0, (2,)), dtype=getattr(lib, dtype), requires_grad=rg)
    return x, y


@MODES
def test_correct_gradients_pass_as_in_torch(fast_mode):
    for lib in (loom, torch):
        x, y = _inputs(lib)
        f = lambda a, b: ((a * b).sin(), a.exp())  # noqa: E731  two outputs
        assert lib.autograd.gradcheck(f, (x, y), fast_mode=fast_mode) is True
        assert lib.autograd.gradgradcheck(f, (x, y), fast_mode=fast_mode) is True


@MODES
def test_wrong_backward_raises_gradcheck_error_naming_output_and_input(fast_mode):
    messages = {}
    for lib in (loom, torch):
        x, _ = _inputs(lib)
        with pytest.raises(lib.autograd.gradcheck.__globals__["GradcheckError"]) as info:
            lib.autograd.gradcheck(_wrong_square(lib), (x,), fast_mode=fast_mode)
        assert isinstance(info.value, RuntimeError)
        messages[lib.__name__] = str(info.value)
    opening = "Jacobian mismatch for output 0 with respect to input 0,\nnumerical:"
    assert messages["torch"].startswith(opening)
    assert messages["loom"].startswith(opening)
    # slow mode prints the Jacobians as tensors, fast mode the two numbers compared
    shown = {k: m.splitlines()[1].startswith("numerical:tensor(") for k, m in messages.items()}
    assert shown["loom"] == shown["torch"] == (not fast_mode)
    if fast_mode:
        assert "recompute numerical and analytical jacobians in slow mode" in messages["loom"]


def test_mismatch_names_the_second_input_when_only_its_gradient_is_wrong():
    class HalfWrong(loom.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            return g * b, (g * a * 2).sum(0)

    x, y = _inputs(loom)
    with pytest.raises(loom.autograd.GradcheckError) as info:
        loom.autograd.gradcheck(HalfWrong.apply, (x, y), fast_mode=True)
    assert str(info.value).startswith("Jacobian mismatch for output 0 with respect to input 1,")
    e = info.value
    assert (e.output_index, e.input_index) == (0, 1)
    # the slow-mode recomputation lists the differing entries: d out[i, j] / d y[j]
    assert e.n_entries == 6
    assert {(inp, out) for inp, out, _, _ in e.entries} == {
        ((j,), (i, j)) for i in range(3) for j in range(2)}


def test_raise_exception_false_returns_false():
    for lib in (loom, torch):
        x, _ = _inputs(lib)
        assert lib.autograd.gradcheck(_wrong_square(lib), (x,), raise_exception=False) is False


def test_second_derivative_of_a_detached_backward_fails_as_in_torch():
    for lib in (loom, torch):
        x, _ = _inputs(lib)
        assert lib.autograd.gradcheck(_detached_backward(lib), (x,)) is True
        with pytest.raises(RuntimeError, match="^Jacobian mismatch for output 0 with respect "
                                               "to input 0,"):
            lib.autograd.gradgradcheck(_detached_backward(lib), (x,))


def test_no_input_requiring_grad_is_a_value_error():
    for lib in (loom, torch):
        x, _ = _inputs(lib, rg=False)
        with pytest.raises(ValueError, match="gradcheck expects at least one input tensor to "
                                             "require gradient"):
            lib.autograd.gradcheck(lambda a: a * 2, (x,))


def test_single_precision_input_warns():
    for lib in (loom, torch):
        x, _ = _inputs(lib, dtype="float32")
        with pytest.warns(UserWarning, match="Input #0 requires gradient and is not a double "
                                             "precision floating point"):
            lib.autograd.gradcheck(lambda a: a * 2, (x,), atol=1e-2, rtol=1e-2,
                                   raise_exception=False)


def test_backward_ignoring_grad_output_fails():
    for lib in (loom, torch):
        class Ignores(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                return a.sum()

            @staticmethod
            def backward(ctx, g):
                return lib.ones(3, 2, dtype=lib.float64)

        x, _ = _inputs(lib)
        # the scalar output's Jacobian is right for grad_output 1, but not for grad_output 0
        with pytest.raises(RuntimeError, match="backward not multiplied by grad_output"):
            lib.autograd.gradcheck(Ignores.apply, (x,))


def test_complex_holomorphic_function_passes():
    z = loom.tensor(np.array([0.5 + 1j, -1.0 + 0.25j, 2.0 - 0.5j]), requires_grad=True)
    assert loom.autograd.gradcheck(lambda a: a * a * 3, (z,))
    assert loom.autograd.gradcheck(lambda a: a * a * 3, (z,), fast_mode=True)
