"""Differential tests of loom's autograd against PyTorch (the oracle): leaves and flags,
backward, graph nodes, grad mode, detach and .data, version counters.

Each scenario is written once against a module ``lib`` (``loom`` or ``torch``) and run on both.
Value scenarios return what a user would print (reprs, flags, names) and the two results must be
equal; error scenarios run once per library so that the torch run shows the expectation holds
for the oracle itself, and the loom run checks loom: same exception type, same key message parts.
"""
import threading
import warnings

import pytest

from oracle import LIBS, both, close as _close, node_name, r, structure

# ---------------------------------------------------------------------------- leaves, flags

def test_leaf_and_requires_grad_propagation():
    def scenario(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        c = lib.tensor([3.0, 4.0])
        y = x * c
        z = c * c
        with lib.no_grad():
            w = x * c
        return [(t.is_leaf, t.requires_grad, t.grad_fn is None) for t in (x, c, y, z, w)]
    got, want = both(scenario)
    assert want == [(True, True, True), (True, False, True), (False, True, False),
                    (True, False, True), (True, False, True)]
    assert got == want


def test_requires_grad_setter_and_detach_flags():
    def scenario(lib):
        x = lib.tensor([1.0, 2.0])
        x.requires_grad = True
        y = x * x
        d = y.detach()
        return [x.requires_grad, x.is_leaf, d.requires_grad, d.is_leaf, d.grad_fn is None,
                r(y), r(d)]
    got, want = both(scenario)
    assert want[:5] == [True, True, False, True, True]
    assert got == want


@LIBS
def test_requires_grad_false_on_non_leaf_raises(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf variables"):
        y.requires_grad_(False)


def test_grad_of_non_leaf_is_none_and_warns():
    def scenario(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * x
        y.sum().backward()
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            g = y.grad
        msgs = [(c.category.__name__, "not a leaf Tensor" in str(c.message),
                 "retain_grad()" in str(c.message)) for c in w]
        return g, msgs, r(x.grad)
    got, want = both(scenario)
    assert want[:2] == (None, [("UserWarning", True, True)])
    assert got == want


def test_grad_of_leaf_does_not_warn():
    def scenario(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            g = x.grad
        return g, len(w)
    got, want = both(scenario)
    assert want == (None, 0)
    assert got == want


# ---------------------------------------------------------------------------- backward

def test_grad_accumulates_over_two_backward_calls():
    def scenario(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        (x * x).sum().backward()
        first = r(x.grad)
        (x * x).sum().backward()
        return first, r(x.grad)
    got, want = both(scenario)
    assert want[1] == "tensor([ 4.,  8., 12.])"
    assert got == want


def test_retain_graph_allows_second_backward():
    def scenario(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (x * x).sum()
        y.backward(retain_graph=True)
        y.backward()
        return r(x.grad)
    got, want = both(scenario)
    assert want == "tensor([4., 8.])"
    assert got == want


@LIBS
@pytest.mark.parametrize("retain_first", [False, True], ids=["plain", "after_retain"])
def test_second_backward_through_freed_graph_raises(lib, retain_first):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    if retain_first:
        y.backward(retain_graph=True)
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


@LIBS
def test_second_backward_through_freed_graph_raises_for_exp(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp().sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_second_backward_works_when_nothing_was_saved():
    def scenario(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x + 2
        g = lib.tensor([1.0, 10.0, 100.0])
        y.backward(g)
        y.backward(g)
        return r(x.grad)
    got, want = both(scenario)
    assert want == "tensor([  2.,  20., 200.])"
    assert got == want


@LIBS
def test_non_scalar_backward_without_gradient_raises(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar "
                                           "outputs"):
        y.backward()


@LIBS
def test_backward_of_tensor_without_grad_raises(lib):
    x = lib.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        x.sum().backward()


def test_one_element_output_backward_without_gradient():
    def scenario(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = (x * x).sum().reshape(1)
        assert tuple(y.shape) == (1,)
        y.backward()
        z = lib.tensor([[5.0]], requires_grad=True)
        (z * z).backward()
        return r(x.grad), r(z.grad)
    got, want = both(scenario)
    assert want == ("tensor([2., 4., 6.])", "tensor([[10.]])")
    assert got == want


def test_zero_dim_leaf_grad():
    def scenario(lib):
        x = lib.tensor(2.0, requires_grad=True)
        (x * x).backward()
        first = (r(x.grad), tuple(x.grad.shape), x.grad.dim())
        (x ** 3).backward()
        (g,) = lib.autograd.grad(x.exp(), x)
        return first, r(x.grad), r(g), g.dim()
    got, want = both(scenario)
    assert want == (("tensor(4.)", (), 0), "tensor(16.)", "tensor(7.3891)", 0)
    assert got == want


@pytest.mark.parametrize("shapes", [((3, 1), (1, 4)), ((2, 3), (3,)), ((2, 3), ()),
                                    ((1, 3), (2, 1, 3)), ((4, 1, 2), (3, 1))],
                         ids=str)
@pytest.mark.parametrize("op", ["add", "mul", "sub", "div"])
def test_broadcast_grads_are_reduced_to_input_shape(shapes, op):
    def scenario(lib):
        sa, sb = shapes
        na, nb = max(1, _prod(sa)), max(1, _prod(sb))
        a = lib.arange(1, na + 1, dtype=lib.float64).reshape(sa).requires_grad_()
        b = (lib.arange(1, nb + 1, dtype=lib.float64) * 0.5 + 1).reshape(sb).requires_grad_()
        y = getattr(lib, op)(a, b)
        w = lib.arange(y.numel(), dtype=lib.float64).reshape(y.shape)
        (y * w).sum().backward()
        return tuple(a.grad.shape), tuple(b.grad.shape), a.grad.tolist(), b.grad.tolist()
    got, want = both(scenario)
    assert want[:2] == shapes
    assert got[:2] == want[:2]
    assert _close(got[2:], want[2:])


def _prod(shape):
    n = 1
    for s in shape:
        n *= s
    return n


# ---------------------------------------------------------------------------- graph nodes

GRAPH_CASES = {
    "AddBackward0": lambda lib, a, b: a + b,
    "MulBackward0": lambda lib, a, b: a * b,
    "MeanBackward0": lambda lib, a, b: a.mean(),
    "SumBackward0": lambda lib, a, b: a.sum(),
    "MmBackward0": lambda lib, a, b: lib.mm(a, b.t()),
    "ExpandBackward0": lambda lib, a, b: a[:1].expand(4, 3),
    "TBackward0": lambda lib, a, b: a.t(),
    "ViewBackward0": lambda lib, a, b: a.view(6),
    "DivBackward0": lambda lib, a, b: a / b,
    "PowBackward0": lambda lib, a, b: a ** 2,
    # beyond the list above: the overload suffixes PyTorch prints
    "SumBackward1": lambda lib, a, b: a.sum(0),
    "MeanBackward1": lambda lib, a, b: a.mean(1),
    "PowBackward1": lambda lib, a, b: a ** b,
    "SubBackward0": lambda lib, a, b: a - b,
    "ExpBackward0": lambda lib, a, b: a.exp(),
}


@pytest.mark.parametrize("name", list(GRAPH_CASES))
def test_grad_fn_names(name):
    def scenario(lib):
        a = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
        b = lib.tensor([[2.0, 1.0, 0.5], [1.0, 2.0, 4.0]], requires_grad=True)
        y = GRAPH_CASES[name](lib, a, b)
        return node_name(y.grad_fn), y.grad_fn.name(), repr(y).endswith(f"grad_fn=<{name}>)")
    got, want = both(scenario)
    assert want == (name, name, True)
    assert got == want


def test_grad_fn_type_name_is_node_name():
    # `type(y.grad_fn).__name__` is how PyTorch code and tutorials often inspect a node.
    def scenario(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        return [type(f).__name__ for f in ((a * a).grad_fn, (a + a).grad_fn, a.sum().grad_fn)]
    got, want = both(scenario)
    assert want == ["MulBackward0", "AddBackward0", "SumBackward0"]
    assert got == want


def test_next_functions_structure():
    def scenario(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        c = lib.tensor([3.0, 4.0])
        y = a * c
        z = (a * a + a).sum()
        acc = y.grad_fn.next_functions[0][0]
        return (structure(y.grad_fn), structure(z.grad_fn), acc.variable is a,
                acc.next_functions, y.grad_fn.next_functions[1])
    got, want = both(scenario)
    assert want[0] == (("AccumulateGrad", 0, ()), (None, 0, None))
    assert want[1] == (("AddBackward0", 0, (
        ("MulBackward0", 0, (("AccumulateGrad", 0, ()), ("AccumulateGrad", 0, ()))),
        ("AccumulateGrad", 0, ()))),)
    assert want[2:] == (True, (), (None, 0))
    assert got == want


def test_accumulate_grad_node_is_shared_per_leaf():
    def scenario(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        f1 = (a * 2.0).grad_fn.next_functions[0][0]
        f2 = (a + 1.0).grad_fn.next_functions[0][0]
        return f1 is f2
    got, want = both(scenario)
    assert want is True
    assert got == want


def test_scalar_multiply_backward():
    # a Python scalar operand: the graph must not treat it as a saved tensor
    def scenario(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = (x * 2).sum() + (3.0 * x).sum() + (x / 4).sum() + (x ** 2).sum()
        y.backward()
        return r(y), r(x.grad)
    got, want = both(scenario)
    assert want[1] == "tensor([ 7.2500,  9.2500, 11.2500])"
    assert got == want


# ---------------------------------------------------------------------------- grad mode

def test_no_grad_enable_grad_set_grad_enabled_as_context_managers():
    def scenario(lib):
        x = lib.tensor([1.0], requires_grad=True)
        out = []
        with lib.no_grad():
            out.append((lib.is_grad_enabled(), (x * x).requires_grad))
            with lib.enable_grad():
                out.append((lib.is_grad_enabled(), (x * x).requires_grad))
            out.append(lib.is_grad_enabled())
        out.append(lib.is_grad_enabled())
        with lib.set_grad_enabled(False):
            out.append((lib.is_grad_enabled(), (x * x).requires_grad))
            with lib.set_grad_enabled(True):
                out.append(lib.is_grad_enabled())
            out.append(lib.is_grad_enabled())
        out.append(lib.is_grad_enabled())
        lib.set_grad_enabled(False)  # as a plain call: takes effect at once
        out.append(lib.is_grad_enabled())
        lib.set_grad_enabled(True)
        out.append(lib.is_grad_enabled())
        return out
    got, want = both(scenario)
    assert want == [(False, False), (True, True), False, True, (False, False), True, False,
                    True, False, True]
    assert got == want


def test_grad_mode_restored_after_exception():
    def scenario(lib):
        try:
            with lib.no_grad():
                raise KeyError("boom")
        except KeyError:
            pass
        return lib.is_grad_enabled()
    got, want = both(scenario)
    assert want is True
    assert got == want


def test_grad_mode_decorators():
    def scenario(lib):
        x = lib.tensor([1.0], requires_grad=True)

        @lib.no_grad()
        def f1(t):
            return t * t, lib.is_grad_enabled()

        @lib.enable_grad()
        def f3(t):
            return t * t, lib.is_grad_enabled()

        @lib.set_grad_enabled(False)
        def f4(t):
            return t * t, lib.is_grad_enabled()

        out = []
        for f in (f1, f3, f4):
            y, mode = f(x)
            out.append((f.__name__, y.requires_grad, mode, lib.is_grad_enabled()))
        with lib.no_grad():
            y, mode = f3(x)
            out.append(("f3 in no_grad", y.requires_grad, mode, lib.is_grad_enabled()))
        return out
    got, want = both(scenario)
    assert want == [("f1", False, False, True),
                    ("f3", True, True, True), ("f4", False, False, True),
                    ("f3 in no_grad", True, True, False)]
    assert got == want


def test_no_grad_as_bare_decorator():
    def scenario(lib):
        @lib.no_grad
        def f(t):
            return t * t, lib.is_grad_enabled()

        y, mode = f(lib.tensor([1.0], requires_grad=True))
        return f.__name__, y.requires_grad, mode, lib.is_grad_enabled()
    got, want = both(scenario)
    assert want == ("f", False, False, True)
    assert got == want


def test_grad_mode_is_thread_local():
    def scenario(lib):
        entered, release = threading.Event(), threading.Event()
        seen = {}

        def worker():
            with lib.no_grad():
                seen["worker"] = lib.is_grad_enabled()
                entered.set()
                release.wait(10)

        th = threading.Thread(target=worker)
        th.start()
        try:
            assert entered.wait(10)
            x = lib.tensor([1.0], requires_grad=True)
            seen["main"] = (lib.is_grad_enabled(), (x * x).requires_grad)
        finally:
            release.set()
            th.join()
        # a new thread starts with grad mode on even while its parent is in no_grad
        with lib.no_grad():
            box = []
            t2 = threading.Thread(target=lambda: box.append(lib.is_grad_enabled()))
            t2.start()
            t2.join()
            seen["child"] = box[0]
        return seen
    got, want = both(scenario)
    assert want == {"worker": False, "main": (True, True), "child": True}
    assert got == want


# ---------------------------------------------------------------------------- detach, .data

def test_detach_shares_storage():
    def scenario(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        d = x.detach()
        same_ptr = d.data_ptr() == x.data_ptr()
        d.mul_(10.0)
        return same_ptr, r(x), r(d), d.requires_grad, d.is_leaf
    got, want = both(scenario)
    assert want[:2] == (True, "tensor([10., 20., 30.], requires_grad=True)")
    assert got == want


@LIBS
def test_in_place_on_detached_saved_tensor_is_detected(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.exp()
    y.detach().zero_()  # detach shares the version counter
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_data_attribute():
    def scenario(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * x
        d = x.data
        out = [d.requires_grad, d.is_leaf, d.data_ptr() == x.data_ptr(), r(y.data)]
        d.mul_(3.0)  # not tracked: no version error, backward sees the new value
        y.sum().backward()
        out.append(r(x.grad))
        x.data = lib.tensor([7.0, 8.0])
        out.append(r(x))
        return out
    got, want = both(scenario)
    assert want == [False, True, True, "tensor([1., 4.])", "tensor([ 6., 12.])",
                    "tensor([7., 8.], requires_grad=True)"]
    assert got == want


@LIBS
@pytest.mark.parametrize("how", ["method", "factory", "setter"])
def test_requires_grad_on_int_tensor_raises(lib, how):
    with pytest.raises(RuntimeError, match="(?i)only Tensors of floating point"):
        if how == "method":
            lib.tensor([1, 2]).requires_grad_()
        elif how == "factory":
            lib.tensor([1, 2], requires_grad=True)
        else:
            lib.tensor([1, 2]).requires_grad = True


# ---------------------------------------------------------------------------- versions

@LIBS
def test_modified_saved_output_raises_with_versions(lib):
    a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = a.exp()          # ExpBackward0 saves its output
    b.add_(1)
    with pytest.raises(RuntimeError) as ei:
        b.sum().backward()
    msg = str(ei.value)
    assert "modified by an inplace operation" in msg
    assert "[torch.FloatTensor [3]]" in msg
    assert "is at version 1; expected version 0 instead" in msg


@LIBS
def test_modified_saved_input_raises_with_versions(lib):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = a + 0.0           # non-leaf, so in-place is allowed
    c = b * b             # saves b
    b.mul_(2)
    b.add_(1)
    with pytest.raises(RuntimeError) as ei:
        c.sum().backward()
    msg = str(ei.value)
    assert "modified by an inplace operation" in msg
    assert "is at version 2; expected version 0 instead" in msg


def test_in_place_on_unsaved_tensor_is_fine():
    def scenario(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = a + 0.0
        c = b + a         # add saves nothing
        b.mul_(3)
        c.sum().backward()
        return r(a.grad), r(b)
    got, want = both(scenario)
    assert want == ("tensor([2., 2.])", "tensor([3., 6.], grad_fn=<MulBackward0>)")
    assert got == want


@LIBS
@pytest.mark.parametrize("op", ["add_", "mul_", "zero_", "setitem", "iadd", "view_setitem"])
def test_in_place_on_leaf_requiring_grad_raises(lib, op):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad is being used in "
                                           "an in-place operation"):
        if op == "add_":
            x.add_(1)
        elif op == "mul_":
            x.mul_(2)
        elif op == "zero_":
            x.zero_()
        elif op == "setitem":
            x[0] = 5.0
        elif op == "iadd":
            x += 1
        else:
            x[:1].fill_(0.0)


def test_in_place_on_leaf_under_no_grad_is_allowed():
    def scenario(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        with lib.no_grad():
            x.add_(1)
            x.mul_(0.5)
        return r(x), x.is_leaf, x.grad_fn is None
    got, want = both(scenario)
    assert want == ("tensor([1.0000, 1.5000], requires_grad=True)", True, True)
    assert got == want


def test_number_on_the_left_of_a_commutative_operator_records_the_tensor_first():
    """``2 * t`` and ``2 + t`` record as PyTorch does: the tensor's edge first."""
    import torch
    import loom
    for lib in (loom, torch):
        t = lib.ones(2, requires_grad=True)
        for y in (2 * t, 2 + t, 0.5 * t):
            nf = y.grad_fn.next_functions
            assert type(nf[0][0]).__name__ == "AccumulateGrad" and nf[1][0] is None
    x = loom.tensor([1.0, -2.0], requires_grad=True)
    (3 * x + 1).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
