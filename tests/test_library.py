"""loom.library: custom ops from a typed Python function, as torch.library.custom_op makes
them (PyTorch 2.13 is the oracle for schemas, gradients, node names and errors); the op is a
registry operator like a plugin's, callable as loom.ops.ns.name."""
from __future__ import annotations

import itertools
from typing import Optional, Sequence

import numpy as np
import pytest

import loom
from loom import Tensor
from loom.library import custom_op, opcheck
from loom.plugin import OperatorClashError, OpSpec, SampleInput
from loom.registry import registry

torch = pytest.importorskip("torch")

_ids = itertools.count()


def _ns():
    """A fresh namespace per test: ops stay registered for the session."""
    return f"libtest{next(_ids)}"


def _error(fn):
    try:
        fn()
    except Exception as e:
        return type(e), str(e)
    return None


def _sin_pair(ns):
    """mysin in loom and in torch, same code."""
    @custom_op(f"{ns}::mysin", mutates_args=())
    def mysin(x: Tensor) -> Tensor:
        return x.sin()

    @torch.library.custom_op(f"{ns}::mysin", mutates_args=())
    def tsin(x: torch.Tensor) -> torch.Tensor:
        return x.sin()
    return mysin, tsin


def test_custom_op_is_a_registry_op_called_as_loom_ops_ns_name():
    ns = _ns()
    mysin, tsin = _sin_pair(ns)
    entry = registry.ops[f"{ns}::mysin"]
    assert isinstance(entry.spec, OpSpec) and entry.plugin == __name__
    space = getattr(loom.ops, ns)
    # the name is the op's own callable: a call that records nothing runs the function on
    # the caller's tensor, one that records goes through the registry's callable (one node)
    assert space.mysin is mysin._call
    x = loom.tensor([0.5, 1.0, -2.0])
    np.testing.assert_allclose(space.mysin(x).numpy(), np.sin(x.numpy()))
    np.testing.assert_allclose(mysin(x).numpy(), np.sin(x.numpy()))
    assert repr(mysin) == repr(tsin) == f"<CustomOpDef({ns}::mysin)>"
    assert _error(lambda: space.nope) == (AttributeError,
                                          f"'_OpNamespace' '{ns}' object has no attribute 'nope'")


def test_without_autograd_backward_raises_pytorchs_error():
    ns = _ns()
    mysin, tsin = _sin_pair(ns)
    x = loom.tensor([0.5, 1.0], requires_grad=True)
    tx = torch.tensor([0.5, 1.0], requires_grad=True)
    y, ty = mysin(x), tsin(tx)
    assert type(y.grad_fn).__name__ == type(ty.grad_fn).__name__
    assert y.requires_grad
    want = _error(lambda: ty.sum().backward())
    assert want[0] is RuntimeError
    assert _error(lambda: y.sum().backward()) == want


def test_register_autograd_gives_pytorchs_gradients_and_second_derivatives():
    ns = _ns()
    mysin, tsin = _sin_pair(ns)

    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x.cos()
    mysin.register_autograd(backward, setup_context=setup_context)
    tsin.register_autograd(backward, setup_context=setup_context)
    v = [0.3, -1.2, 2.0]
    x = loom.tensor(v, dtype=loom.float64, requires_grad=True)
    tx = torch.tensor(v, dtype=torch.float64, requires_grad=True)
    (g,) = loom.autograd.grad(getattr(loom.ops, ns).mysin(x).sum(), x, create_graph=True)
    (tg,) = torch.autograd.grad(tsin(tx).sum(), tx, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy(), rtol=1e-15)
    g.sum().backward()
    tg.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-15)
    assert loom.autograd.gradgradcheck(mysin, (x.detach().requires_grad_(),))


def test_register_functions_take_the_op_by_name():
    ns = _ns()
    mysin, _ = _sin_pair(ns)
    loom.library.register_autograd(f"{ns}::mysin", lambda ctx, g: g * 3.0)
    loom.library.register_fake(f"{ns}::mysin", lambda x: loom.empty_like(x))
    x = loom.ones(2, requires_grad=True)
    mysin(x).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    assert mysin.fake(x).shape == (2,)
    with pytest.raises(ValueError, match="not a custom op"):
        loom.library.register_fake("nowhere::op", lambda x: x)


def test_schema_from_type_hints_as_torch_writes_it():
    ns = _ns()

    def f(x: Tensor, w: Optional[Tensor], xs: Sequence[Tensor], n: int, f: float, b: bool,
          s: str, dt: loom.dtype, dev: loom.device, k: int = 2) -> tuple[Tensor, Tensor]:
        return x.clone(), x.clone()

    def tf(x: torch.Tensor, w: Optional[torch.Tensor], xs: Sequence[torch.Tensor], n: int,
           f: float, b: bool, s: str, dt: torch.dtype, dev: torch.device,
           k: int = 2) -> tuple[torch.Tensor, torch.Tensor]:
        return x.clone(), x.clone()

    def g(t: Tensor, v: float) -> None:
        t.add_(v)

    def tg(t: torch.Tensor, v: float) -> None:
        t.add_(v)
    assert custom_op(f"{ns}::f", mutates_args=())(f).schema == \
        str(torch.library.custom_op(f"{ns}::f", mutates_args=())(tf)._opoverload._schema)
    assert custom_op(f"{ns}::g", mutates_args=("t",))(g).schema == \
        str(torch.library.custom_op(f"{ns}::g", mutates_args=("t",))(tg)._opoverload._schema)
    assert loom.library.infer_schema(g, mutates_args=()) == "(Tensor t, float v) -> ()"


def test_bad_declarations_raise_as_torch():
    ns = _ns()

    def no_hint(x):
        return x

    def bad_type(x: Tensor, d: dict) -> Tensor:
        return x

    def tbad_type(x: torch.Tensor, d: dict) -> torch.Tensor:
        return x

    def ok(x: Tensor) -> Tensor:
        return x.clone()
    for fn in (no_hint,):
        got = _error(lambda: custom_op(f"{ns}::a", mutates_args=())(fn))
        want = _error(lambda: torch.library.custom_op(f"{ns}::a", mutates_args=())(fn))
        assert got == want
    got = _error(lambda: custom_op(f"{ns}::b", mutates_args=())(bad_type))
    want = _error(lambda: torch.library.custom_op(f"{ns}::b", mutates_args=())(tbad_type))
    assert got[0] is want[0] is ValueError
    assert got[1].startswith("infer_schema(func): Parameter d has unsupported type <class 'dict'>")
    got = _error(lambda: custom_op(f"{ns}::c", mutates_args=("q",))(ok))
    assert got[0] is ValueError and "{'q'} in mutates_args were not found" in got[1]
    got = _error(lambda: custom_op(f"{ns}::d")(ok))
    assert got == (TypeError, "custom_op() missing 1 required keyword-only argument: "
                              "'mutates_args'")
    assert _error(lambda: custom_op("nonamespace", mutates_args=())(ok))[0] is ValueError
    assert f"{ns}::a" not in registry.ops and f"{ns}::b" not in registry.ops


def test_mutates_args_bumps_the_version_counter():
    ns = _ns()

    @custom_op(f"{ns}::add_into", mutates_args=("t",))
    def add_into(t: Tensor, v: float) -> None:
        t.add_(v)

    @torch.library.custom_op(f"{ns}::add_into", mutates_args=("t",))
    def tadd_into(t: torch.Tensor, v: float) -> None:
        t.add_(v)

    def run(lib, op):
        w = lib.ones(2, requires_grad=True)
        t = lib.zeros(2)
        y = w * t  # saves t for backward
        assert op(t, 1.5) is None
        assert t.tolist() == [1.5, 1.5]
        return _error(lambda: y.sum().backward())
    got, want = run(loom, add_into), run(torch, tadd_into)
    assert got[0] is want[0] is RuntimeError
    assert "has been modified by an inplace operation" in got[1]
    assert got[1].split(";")[0] == want[1].split(";")[0]


def test_optional_and_sequence_tensor_arguments_get_gradients():
    ns = _ns()

    @custom_op(f"{ns}::lin", mutates_args=())
    def lin(x: Tensor, w: Tensor, b: Optional[Tensor] = None, scale: float = 1.0) -> Tensor:
        y = x @ w
        return (y + b if b is not None else y) * scale

    def setup(ctx, inputs, output):
        x, w, b, scale = inputs
        ctx.save_for_backward(x, w)
        ctx.scale = scale

    def backward(ctx, g):
        x, w = ctx.saved_tensors
        g = g * ctx.scale
        return g @ w.mT, x.mT @ g, g.sum(0) if ctx.needs_input_grad[2] else None, None
    lin.register_autograd(backward, setup_context=setup)
    x, w, b = (loom.randn(*s, dtype=loom.float64, requires_grad=True)
               for s in ((3, 4), (4, 2), (2,)))
    assert loom.autograd.gradcheck(lambda x, w, b: lin(x, w, b, scale=2.0), (x, w, b))
    assert loom.autograd.gradgradcheck(lambda x, w, b: lin(x, w, b, scale=2.0), (x, w, b))
    assert loom.autograd.gradcheck(lambda x, w: lin(x, w), (x, w))

    @custom_op(f"{ns}::cat_sum", mutates_args=())
    def cat_sum(xs: Sequence[Tensor]) -> tuple[Tensor, Tensor]:
        c = loom.cat(xs)
        return c * 1, c.sum()
    cat_sum.register_autograd(lambda ctx, g1, g2: [g1[:2] + g2, g1[2:] + g2])
    a, c = loom.randn(2, dtype=loom.float64), loom.randn(3, dtype=loom.float64)
    assert loom.autograd.gradcheck(lambda a, c: cat_sum([a, c]),
                                   (a.requires_grad_(), c.requires_grad_()))


def test_register_kernel_per_device_and_device_types():
    ns = _ns()

    @custom_op(f"{ns}::only_cuda", mutates_args=(), device_types="cuda")
    def only_cuda(x: Tensor) -> Tensor:
        return x * 2
    err = _error(lambda: only_cuda(loom.ones(2)))
    assert err[0] is NotImplementedError and "no kernel registered" in err[1]

    @only_cuda.register_kernel("cpu")
    def _(x):
        return x * 3
    assert only_cuda(loom.ones(2)).tolist() == [3.0, 3.0]


def test_tensor_method_and_clashes_go_through_the_registry():
    ns = _ns()

    @custom_op(f"{ns}::twice", mutates_args=(), tensor_method=f"{ns}_twice")
    def twice(x: Tensor) -> Tensor:
        return x * 2
    assert getattr(loom.ones(2), f"{ns}_twice")().tolist() == [2.0, 2.0]

    def sin(x: Tensor) -> Tensor:
        return x.clone()
    err = _error(lambda: custom_op(f"{ns}::sin", mutates_args=(), tensor_method=True)(sin))
    assert err[0] is OperatorClashError and "'sin'" in err[1] and "ops_basic" in err[1]
    assert f"{ns}::sin" not in registry.ops  # nothing left behind
    assert loom.ones(1).sin().item() == pytest.approx(np.sin(1.0))


def test_aliasing_output_raises_as_torch():
    ns = _ns()

    @custom_op(f"{ns}::same", mutates_args=())
    def same(x: Tensor) -> Tensor:
        return x
    err = _error(lambda: same(loom.ones(2)))
    assert err[0] is RuntimeError and "must not also be an input to this custom operator" in err[1]


def test_opcheck_checks_schema_autograd_and_fake_rule():
    ns = _ns()
    mysin, _ = _sin_pair(ns)
    mysin.register_autograd(lambda ctx, g: g * ctx.saved_tensors[0].cos(),
                            setup_context=lambda ctx, inputs, output:
                            ctx.save_for_backward(inputs[0]))
    x = loom.randn(3, requires_grad=True)
    out = opcheck(mysin, (x,), raise_exception=False)
    assert out["test_schema"] == out["test_autograd_registration"] == "SUCCESS"
    assert "no fake impl registered" in out["test_faketensor"]
    mysin.register_fake(lambda x: loom.empty_like(x))
    assert opcheck(mysin, (x,)) == {"test_schema": "SUCCESS",
                                    "test_autograd_registration": "SUCCESS",
                                    "test_faketensor": "SUCCESS"}
    mysin.register_fake(lambda x: x.new_empty(4))
    with pytest.raises(RuntimeError, match=r"test_faketensor failed .*shape \(4,\).*shape \(3,\)"):
        opcheck(mysin, (x,))
    mysin.register_autograd(lambda ctx, g: g * 2.0)  # wrong
    with pytest.raises(RuntimeError, match="test_autograd_registration failed"):
        opcheck(mysin, (x,), test_utils="test_autograd_registration")


def test_conformance_kit_checks_a_custom_op_with_samples():
    ns = _ns()
    mysin, _ = _sin_pair(ns)
    mysin.register_autograd(lambda ctx, g: g * ctx.saved_tensors[0].cos(),
                            setup_context=lambda ctx, inputs, output:
                            ctx.save_for_backward(inputs[0]))
    assert not loom.testing.opcheck(f"{ns}::mysin", raise_exception=False).passed
    mysin.register_samples(lambda rng, dt: [SampleInput((rng.standard_normal((3, 4)).astype(dt),))])
    # forward has no reference to compare with (no torch_name): the gradients are checked
    report = loom.testing.opcheck(f"{ns}::mysin", checks=["gradient", "gradgrad"])
    assert report.passed and report.counts()["gradient"][0] == 1


def test_custom_op_in_loom_info(tmp_path):
    import subprocess
    import sys
    code = ("import loom\nfrom loom import Tensor\n"
            "@loom.library.custom_op('infons::op1', mutates_args=())\n"
            "def op1(x: Tensor) -> Tensor:\n    return x * 2\n"
            "from loom.__main__ import main\nmain(['info'])\n")
    p = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    section = p.stdout.split("Custom operators:")[1].split("Failures:")[0]
    assert "infons::op1" in section and "from __main__" in section and "no autograd" in section


@pytest.mark.parametrize("declared, ok", [("1.0", True), ("1", True), (None, True),
                                          ("1.7", False), ("2.0", False), ("0.9", False),
                                          ("one", False)])
def test_plugin_api_check(declared, ok):
    from loom.plugins import PluginApiError, check_api
    if ok:
        check_api("pack", declared, "here")
        return
    with pytest.raises(PluginApiError) as e:
        check_api("pack", declared, "here")
    assert "plugin 'pack'" in str(e.value) and "1.0" in str(e.value)
    if declared != "one":
        assert f"loom plugin API {declared} (here)" in str(e.value)


def test_call_recording_nothing_runs_the_function_on_the_callers_tensor_and_stays_opaque():
    """As PyTorch's custom op: the result of a call without grad has no history, even when
    the function uses a tensor that requires grad (the op is opaque to autograd); returning
    the input or a view of it is refused on both paths."""
    ns = _ns()
    w = loom.tensor([1.0, 2.0, 3.0], requires_grad=True)
    tw = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)

    @custom_op(f"{ns}::scale", mutates_args=())
    def scale(x: Tensor) -> Tensor:
        return x * w

    @torch.library.custom_op(f"{ns}::scale", mutates_args=())
    def tscale(x: torch.Tensor) -> torch.Tensor:
        return x * tw

    x = loom.tensor([0.5, 1.0, -2.0])
    y, ty = scale(x), tscale(torch.tensor([0.5, 1.0, -2.0]))
    assert (y.requires_grad, y.grad_fn) == (ty.requires_grad, ty.grad_fn) == (False, None)
    np.testing.assert_allclose(y.numpy(), ty.numpy())
    xr = loom.tensor([0.5, 1.0, -2.0], requires_grad=True)
    with loom.no_grad():
        assert not scale(xr).requires_grad

    @custom_op(f"{ns}::flat", mutates_args=())
    def flat(x: Tensor) -> Tensor:
        return x.view(-1)

    @torch.library.custom_op(f"{ns}::flat", mutates_args=())
    def tflat(x: torch.Tensor) -> torch.Tensor:
        return x.view(-1)

    for inp, tinp in ((x, torch.tensor([0.5, 1.0, -2.0])),
                      (xr, torch.tensor([0.5, 1.0, -2.0], requires_grad=True))):
        err, terr = _error(lambda: flat(inp)), _error(lambda: tflat(tinp))
        assert err[0] is terr[0] is RuntimeError
        assert "may not alias any inputs" in err[1] and "may not alias any inputs" in terr[1]
