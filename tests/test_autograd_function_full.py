"""`autograd.Function` in full against PyTorch: several and non-tensor outputs,
needs_input_grad, None gradients, mark_non_differentiable, mark_dirty, set_materialize_grads,
saving outputs, nested Functions, create_graph, the setup_context form, once_differentiable,
vjp as an alias of backward, and PyTorch's errors for bad gradients."""
import pytest

from oracle import LIBS, both, r


def _functions(lib):
    F = lib.autograd.Function

    class SplitScale(F):
        @staticmethod
        def forward(ctx, x, k, flag):
            ctx.k = k
            ctx.flag = flag
            return x * k, x + 1, "label", 3

        @staticmethod
        def backward(ctx, ga, gb, gl, gi):
            return ga * ctx.k + gb, None, None

    class Square(F):
        @staticmethod
        def forward(ctx, x):
            y = x * x
            ctx.save_for_backward(x, y)  # an input and an output
            return y

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            return 2 * x * g + 0 * y

    class Outer(F):  # a Function calling another inside forward
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return Square.apply(x) * 2

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 4 * x * g
    return SplitScale, Square, Outer


def test_several_outputs_non_tensor_inputs_and_outputs():
    def scenario(lib):
        SplitScale, _, _ = _functions(lib)
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        a, b, label, i = SplitScale.apply(x, 3.0, True)
        (a.sum() + b.sum()).backward()
        return r(a), r(b), label, i, r(x.grad), a.grad_fn.name()
    got, want = both(scenario)
    assert got == want


def test_saved_output_and_nested_function_and_double_backward():
    def scenario(lib):
        _, Square, Outer = _functions(lib)
        x = lib.tensor([1.0, -2.0], dtype=lib.float64, requires_grad=True)
        y = Square.apply(x)
        (g,) = lib.autograd.grad(y.sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), x)
        z = Outer.apply(x)
        z.sum().backward()
        return r(g), r(gg), r(x.grad), z.grad_fn.name()
    got, want = both(scenario)
    assert got == want


def test_needs_input_grad_non_differentiable_and_materialize_grads():
    def scenario(lib):
        seen = []

        class ArgMaxVal(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, w):
                seen.append(ctx.needs_input_grad)
                idx = x.argmax()
                m = x.max() * w
                mask = x > 0
                ctx.mark_non_differentiable(mask)
                ctx.set_materialize_grads(False)
                ctx.save_for_backward(w)
                return m, mask, idx

            @staticmethod
            def backward(ctx, gm, gmask, gidx):
                seen.append((gmask is None, gidx is None))
                return None, gm * 1.0
        x = lib.tensor([1.0, 3.0, -2.0])
        w = lib.tensor(2.0, requires_grad=True)
        m, mask, idx = ArgMaxVal.apply(x, w)
        m.backward()
        return seen, mask.requires_grad, r(idx), r(w.grad)
    got, want = both(scenario)
    assert got == want


def test_mark_dirty_updates_in_place_and_a_stale_backward_raises():
    def scenario(lib):
        class MulTwo_(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.mul_(2)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, g):
                return g * 2
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = a.clone()
        stale = b * b  # saves b at version 0
        c = MulTwo_.apply(b)
        out = (c is b, b._version, b.grad_fn.name(), r(b))
        c.sum().backward()
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            stale.sum().backward()
        return out, r(a.grad)
    got, want = both(scenario)
    assert got == want


@LIBS
def test_mark_dirty_on_a_leaf_that_requires_grad_raises(lib):
    class Bad(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad has been used in "
                                           "an in-place operation"):
        Bad.apply(lib.ones(2, requires_grad=True))


def test_setup_context_form_and_vjp_alias():
    def scenario(lib):
        class Cube(lib.autograd.Function):
            @staticmethod
            def forward(x, k):
                return x ** 3 * k

            @staticmethod
            def setup_context(ctx, inputs, output):
                x, k = inputs
                ctx.save_for_backward(x)
                ctx.k = k

            @staticmethod
            def vjp(ctx, g):
                (x,) = ctx.saved_tensors
                return 3 * x ** 2 * ctx.k * g, None
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        Cube.apply(x, 2.0).sum().backward()
        return r(x.grad)
    got, want = both(scenario)
    assert got == want


def test_once_differentiable_runs_without_grad_and_refuses_a_second_differentiation():
    def scenario(lib):
        from importlib import import_module
        once = import_module(lib.__name__ + ".autograd.function").once_differentiable

        class Sq(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            @once
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return 2 * x * g
        x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        go = lib.ones(2, dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad(Sq.apply(x), x, go, create_graph=True)
        with pytest.raises(RuntimeError, match="trying to differentiate twice a function that "
                                               "was marked with @once_differentiable"):
            g.sum().backward()
        (g2,) = lib.autograd.grad(Sq.apply(x).sum(), x, create_graph=True)
        return r(g), g.requires_grad, g2.requires_grad
    got, want = both(scenario)
    assert got == want


@LIBS
@pytest.mark.parametrize("case", ["count", "non_tensor", "shape", "both"])
def test_bad_backward_results_raise_pytorch_errors(lib, case):
    class G(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * 2

    if case == "count":
        G.backward = staticmethod(lambda ctx, g: (g, None, g))
        msg = "returned an incorrect number of gradients \\(expected 2, got 3\\)"
    elif case == "non_tensor":
        G.backward = staticmethod(lambda ctx, g: (g, g))
        msg = "returned a gradient different than None at position 2, but the corresponding " \
              "forward input was not a Variable"
    elif case == "shape":
        G.backward = staticmethod(lambda ctx, g: (g[:1], None))
        msg = "returned an invalid gradient at index 0 - got \\[1\\] but expected shape " \
              "compatible with \\[2\\]"
    else:
        G.backward = staticmethod(lambda ctx, g: (g, None))
        G.vjp = staticmethod(lambda ctx, g: (g, None))
        msg = "Implementing both 'backward' and 'vjp' for a custom Function is not allowed"
    x = lib.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=msg):
        G.apply(x, 3).sum().backward()


def test_function_module_exports():
    def scenario(lib):
        from importlib import import_module
        m = import_module(lib.__name__ + ".autograd.function")
        return [hasattr(m, n) for n in ("Function", "FunctionCtx", "once_differentiable",
                                        "InplaceFunction", "NestedIOFunction")]
    got, want = both(scenario)
    assert got == want


def test_linear_function_gradcheck_and_gradgradcheck():
    def scenario(lib):
        class LinearFunction(lib.autograd.Function):
            @staticmethod
            def forward(ctx, input, weight, bias=None):
                ctx.save_for_backward(input, weight, bias)
                output = input.mm(weight.t())
                if bias is not None:
                    output += bias.unsqueeze(0).expand_as(output)
                return output

            @staticmethod
            def backward(ctx, grad_output):
                input, weight, bias = ctx.saved_tensors
                grad_input = grad_weight = grad_bias = None
                if ctx.needs_input_grad[0]:
                    grad_input = grad_output.mm(weight)
                if ctx.needs_input_grad[1]:
                    grad_weight = grad_output.t().mm(input)
                if bias is not None and ctx.needs_input_grad[2]:
                    grad_bias = grad_output.sum(0)
                return grad_input, grad_weight, grad_bias
        lib.manual_seed(0)
        inp = (lib.randn(20, 20, dtype=lib.double, requires_grad=True),
               lib.randn(30, 20, dtype=lib.double, requires_grad=True))
        small = (lib.randn(3, 4, dtype=lib.double, requires_grad=True),
                 lib.randn(2, 4, dtype=lib.double, requires_grad=True),
                 lib.randn(2, dtype=lib.double, requires_grad=True))
        return (lib.autograd.gradcheck(LinearFunction.apply, inp, eps=1e-6, atol=1e-4),
                lib.autograd.gradcheck(LinearFunction.apply, inp, eps=1e-6, atol=1e-4,
                                       fast_mode=True),
                lib.autograd.gradgradcheck(LinearFunction.apply, small))
    got, want = both(scenario)
    assert got == want == (True, True, True)
