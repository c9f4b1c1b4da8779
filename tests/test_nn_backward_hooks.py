"""Module backward hooks (full, pre, the older name) and the smaller Module additions
(get_buffer, set_submodule, bfloat16, share_memory, compile) against torch.nn."""
import warnings

import numpy as np
import pytest
import torch

import loom


def _record(lib, build, make_inputs, hooks):
    lib.manual_seed(0)
    m = build(lib)
    log = []
    for kind, fn in hooks:
        getattr(m, kind)(lambda *a, fn=fn: fn(log, *a))
    inputs = make_inputs(lib)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = m(*inputs)
        (out[0] if isinstance(out, tuple) else out).sum().backward()
    grads = [None if not isinstance(x, lib.Tensor) or x.grad is None else _Near(x.grad.numpy())
             for x in inputs]
    return log, grads


def _shapes(grads):
    return tuple(None if g is None else tuple(g.shape) for g in grads)


def _vals(grads):
    return tuple(None if g is None else _Near(g.detach().numpy()) for g in grads)


class _Near:
    """An array that compares equal to another within float32 rounding."""

    def __init__(self, a):
        self.a = np.asarray(a, dtype=np.float64)

    def __eq__(self, other):
        return isinstance(other, _Near) and self.a.shape == other.a.shape and \
            np.allclose(self.a, other.a, rtol=1e-5, atol=1e-6)

    def __repr__(self):
        return repr(self.a)


def log_full(log, mod, gi, go):
    log.append(("full", type(mod).__name__, _shapes(gi), _vals(gi), _shapes(go), _vals(go)))


def log_pre(log, mod, go):
    log.append(("pre", type(mod).__name__, _shapes(go), _vals(go)))


def scale_input(log, mod, gi, go):
    return tuple(None if g is None else g * 3 for g in gi)


def scale_output(log, mod, go):
    return tuple(None if g is None else g * 2 for g in go)


CASES = {
    "linear": (lambda T: T.nn.Linear(3, 2), lambda T: [T.ones(4, 3, requires_grad=True)]),
    "linear input without grad": (lambda T: T.nn.Linear(3, 2), lambda T: [T.ones(4, 3)]),
    "two inputs and a number": (
        lambda T: T.nn.Bilinear(3, 2, 2),
        lambda T: [T.ones(4, 3, requires_grad=True), T.full((4, 2), 0.5)]),
    "sequential": (lambda T: T.nn.Sequential(T.nn.Linear(3, 4), T.nn.ReLU(), T.nn.Linear(4, 1)),
                   lambda T: [T.arange(12.0).reshape(4, 3).requires_grad_()]),
    "lstm tuple output": (lambda T: T.nn.LSTM(3, 2, batch_first=True),
                          lambda T: [T.ones(2, 4, 3, requires_grad=True)]),
}
HOOKS = {
    "full": [("register_full_backward_hook", log_full)],
    "pre and full": [("register_full_backward_pre_hook", log_pre),
                     ("register_full_backward_hook", log_full)],
    "replace grad_input": [("register_full_backward_hook", scale_input),
                           ("register_full_backward_hook", log_full)],
    "replace grad_output": [("register_full_backward_pre_hook", scale_output),
                            ("register_full_backward_hook", log_full)],
}


@pytest.mark.parametrize("hooks", list(HOOKS), ids=list(HOOKS))
@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_backward_hooks_as_torch(case, hooks):
    build, inputs = CASES[case]
    got = _record(loom, build, inputs, HOOKS[hooks])
    want = _record(torch, build, inputs, HOOKS[hooks])
    assert got == want


def test_hook_handles_remove_and_the_no_input_grad_warning():
    m = loom.nn.Linear(2, 2)
    calls = []
    h = m.register_full_backward_hook(lambda *a: calls.append(1))
    with pytest.warns(UserWarning, match="no inputs require gradients"):
        m(loom.ones(1, 2)).sum().backward()
    h.remove()
    m(loom.ones(1, 2)).sum().backward()
    assert calls == [1]


def test_module_helpers_as_torch():
    for lib in (torch, loom):
        net = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.BatchNorm1d(2))
        assert tuple(net.get_buffer("1.running_mean").shape) == (2,)
        with pytest.raises(AttributeError):
            net.get_buffer("1.nothing")
        net.set_submodule("0", lib.nn.Linear(2, 2, bias=False))
        assert net[0].bias is None
        with pytest.raises(ValueError):
            net.set_submodule("0", 3)
        assert net.share_memory() is net and net.compile() is None
        assert str(net.bfloat16()[0].weight.dtype).endswith("bfloat16")


def test_the_older_hook_name_registers_the_full_hook():
    # PyTorch's register_backward_hook saw the gradients of the module's last operation (for a
    # Linear: bias, input and transposed weight); loom's runs the full hook
    build, inputs = CASES["sequential"]
    got = _record(loom, build, inputs, [("register_backward_hook", log_full)])
    want = _record(loom, build, inputs, [("register_full_backward_hook", log_full)])
    assert got == want and got[0]
