"""Hooks, the public graph (`autograd.graph`), saved-tensor hooks, anomaly detection,
`backward(inputs=...)`, `grad(is_grads_batched=True)`, `_version` and higher-order gradients,
each scenario run on loom and on PyTorch (the oracle)."""
import warnings

import pytest

from oracle import LIBS, both, r

import loom


def test_tensor_hook_replaces_the_gradient_and_remove_undoes_it():
    def scenario(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 2
        h = y.register_hook(lambda g: g * 10)
        hx = x.register_hook(lambda g: g + 1)
        (y * y).sum().backward()
        first = r(x.grad)
        h.remove()
        hx.remove()
        x.grad = None
        y2 = x * 2
        (y2 * y2).sum().backward()
        return first, r(x.grad)
    got, want = both(scenario)
    assert got == want


def test_node_post_hook_and_prehook_change_gradients():
    # the docs' example: a node hook that doubles the input gradient
    def scenario(lib):
        x = lib.ones(3, requires_grad=True)
        y = x * x
        seen = []
        y.grad_fn.register_prehook(lambda gos: (gos[0] * 3,))
        y.grad_fn.register_hook(lambda gis, gos: seen.append(
            (len(gis), r(gos[0]))) or tuple(None if g is None else g * 2 for g in gis))
        y.sum().backward()
        return r(x.grad), seen
    got, want = both(scenario)
    assert want[0] == "tensor([12., 12., 12.])"
    assert got == want


@LIBS
def test_node_hook_returning_the_wrong_number_of_values_raises(lib):
    x = lib.ones(3, requires_grad=True)
    y = x * 2
    y.grad_fn.register_hook(lambda gis, gos: (gis[0],))
    with pytest.raises(RuntimeError, match="has returned an incorrect number of values"):
        y.sum().backward()


def test_hook_order_tensor_hooks_then_retain_grad_then_prehooks():
    def scenario(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 3
        order = []
        y.grad_fn.register_prehook(lambda gos: order.append(("pre", r(gos[0]))))
        y.retain_grad()
        y.register_hook(lambda g: order.append(("tensor", r(g))) or g * 2)
        y.sum().backward()
        return order, r(y.grad), r(x.grad)
    got, want = both(scenario)
    assert got == want


def test_post_accumulate_grad_hook_sees_the_updated_grad():
    def scenario(lib):
        p = lib.tensor([1.0, 2.0], requires_grad=True)
        seen = []
        h = p.register_post_accumulate_grad_hook(lambda t: seen.append(r(t.grad)))
        (p * 2).sum().backward()
        (p * 3).sum().backward()
        h.remove()
        (p * 4).sum().backward()
        return seen, r(p.grad)
    got, want = both(scenario)
    assert got == want


@LIBS
def test_post_accumulate_grad_hook_refuses_non_leaves(lib):
    x = lib.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="post accumulate grad hooks cannot be registered on "
                                           "non-leaf tensors"):
        (x * 2).register_post_accumulate_grad_hook(lambda t: None)


def test_retain_grad_accumulates_over_backwards():
    def scenario(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * x
        y.retain_grad()
        z = y.sum()
        z.backward(retain_graph=True)
        z.backward()
        return r(y.grad), y.retains_grad, r(x.grad)
    got, want = both(scenario)
    assert got == want


def test_graph_node_api():
    def scenario(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (x * 2).exp()
        n = y.grad_fn
        n.metadata["tag"] = 7
        acc = n.next_functions[0][0].next_functions[0][0]
        return (isinstance(n, lib.autograd.graph.Node), n.name(), n.metadata,
                acc.name(), acc.variable is x,
                isinstance(acc, lib.autograd.graph.Node),
                lib.autograd.graph.get_gradient_edge(y).node is n)
    got, want = both(scenario)
    assert got == want


def test_saved_tensors_hooks_pack_and_unpack():
    def scenario(lib):
        log = []

        def pack(t):
            log.append(("pack", tuple(t.shape)))
            return t * 1

        def unpack(t):
            log.append("unpack")
            return t
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        with lib.autograd.graph.saved_tensors_hooks(pack, unpack):
            y = x * x
            z = x.exp()
        (y + z).sum().backward()
        return log, r(x.grad)
    got, want = both(scenario)
    assert got == want


def test_detect_anomaly_names_the_forward_op_and_where_it_was_called():
    def scenario(lib):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            with lib.autograd.detect_anomaly():
                x = lib.zeros(1, requires_grad=True)
                y = x.sqrt() * 0  # the line the warning must point at
                with pytest.raises(RuntimeError) as e:
                    y.backward()
        texts = [str(m.message) for m in w]
        return (str(e.value), any("Anomaly Detection has been enabled" in t for t in texts),
                any("Error detected in SqrtBackward0" in t and "y = x.sqrt() * 0" in t
                    for t in texts))
    got, want = both(scenario)
    assert want == ("Function 'SqrtBackward0' returned nan values in its 0th output.", True,
                    True)
    assert got == want


def test_set_detect_anomaly_off_lets_nan_through():
    def scenario(lib):
        with lib.autograd.set_detect_anomaly(False):
            x = lib.zeros(1, requires_grad=True)
            (x.sqrt() * 0).backward()
        return r(x.grad)
    got, want = both(scenario)
    assert got == want


def test_backward_inputs_accumulates_only_into_those():
    def scenario(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        w = lib.tensor([3.0, 4.0], requires_grad=True)
        (x * w).sum().backward(inputs=[x])
        a = (r(x.grad), r(w.grad))
        (x * w).sum().backward(inputs=w)
        return a, r(x.grad), r(w.grad)
    got, want = both(scenario)
    assert got == want


def test_grad_is_grads_batched():
    def scenario(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * x
        (g,) = lib.autograd.grad(y, x, lib.eye(3), is_grads_batched=True)
        return r(g)
    got, want = both(scenario)
    assert got == want


def test_version_is_an_int_shared_with_views():
    def scenario(lib):
        a = lib.zeros(4)
        v = a[1:3]
        v.add_(1)
        a.mul_(2)
        return a._version, v._version, type(a._version).__name__
    got, want = both(scenario)
    assert want == (2, 2, "int")
    assert got == want


def test_numpy_is_allowed_under_no_grad_on_a_tensor_that_requires_grad():
    # PyTorch 2.13 allows it (the result shares memory); outside no_grad it refuses
    def scenario(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        with lib.no_grad():
            a = x.numpy().tolist()
        with pytest.raises(RuntimeError, match="Can't call numpy\\(\\) on Tensor that requires "
                                               "grad"):
            x.numpy()
        return a
    got, want = both(scenario)
    assert got == want


def test_third_derivatives_of_a_polynomial_and_tanh():
    def scenario(lib):
        x = lib.tensor([0.3, -1.2, 2.0], dtype=lib.float64, requires_grad=True)
        out = []
        for f in (lambda t: t ** 4 - 2 * t ** 3 + t, lambda t: t.tanh()):
            y = f(x).sum()
            (g1,) = lib.autograd.grad(y, x, create_graph=True)
            (g2,) = lib.autograd.grad(g1.sum(), x, create_graph=True)
            (g3,) = lib.autograd.grad(g2.sum(), x)
            out.append([round(v, 10) for v in g3.tolist()])
        return out
    got, want = both(scenario)
    assert got == want


def test_hessian_of_a_small_mlp_loss():
    def scenario(lib):
        lib.manual_seed(0)
        x = lib.linspace(-1, 1, 12, dtype=lib.float64).reshape(4, 3)
        y = lib.tensor([[0.5], [-0.2], [0.1], [0.9]], dtype=lib.float64)
        w1 = lib.linspace(-0.5, 0.5, 15, dtype=lib.float64).reshape(3, 5)
        w2 = lib.linspace(0.3, -0.4, 5, dtype=lib.float64).reshape(5, 1)

        def loss(a, b):
            return ((x.mm(a).tanh().mm(b) - y) ** 2).mean()
        h = lib.autograd.functional.hessian(loss, (w1, w2))
        return [[[round(v, 9) for v in blk.reshape(-1).tolist()] for blk in row] for row in h]
    got, want = both(scenario)
    assert got == want


def test_backward_inputs_runs_the_leaf_hooks():
    def scenario(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        seen = []
        x.register_hook(lambda g: g * 10)
        x.register_post_accumulate_grad_hook(lambda t: seen.append(r(t.grad)))
        (x * x).sum().backward(inputs=[x])
        return seen, r(x.grad)
    got, want = both(scenario)
    assert got == want


def test_grad_sees_tensor_hooks_of_its_inputs():
    def scenario(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        x.register_hook(lambda g: g * 10)
        (gx,) = lib.autograd.grad((x * x).sum(), x)
        y = x * 3
        y.register_hook(lambda g: g * 10)
        y.retain_grad()
        (gy,) = lib.autograd.grad((y * y).sum(), y)
        return r(gx), r(gy), r(y.grad)
    got, want = both(scenario)
    assert got == want


def test_saved_tensors_hooks_see_what_a_function_saves():
    def scenario(lib):
        log = []

        class Sq(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                y = x * x
                ctx.save_for_backward(x, y)
                return y

            @staticmethod
            def backward(ctx, g):
                x, y = ctx.saved_tensors
                return 2 * x * g + 0 * y
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        with lib.autograd.graph.saved_tensors_hooks(
                lambda t: log.append(("pack", r(t.detach()))) or t,
                lambda t: log.append("unpack") or t):
            y = Sq.apply(x)
        y.sum().backward()
        return log, r(x.grad)
    got, want = both(scenario)
    assert got == want
