"""The family builders of `loom.plugin` derive what an op author leaves out: sample inputs from a
table of calls, names from aliases."""
import numpy as np

from loom.plugin import op, sample_calls


def _kernel(xp, a, dim=0):
    return a


def test_sample_calls_makes_arrays_of_the_shapes_and_passes_the_rest():
    samples = sample_calls(((2, 3), 1), ((4,), (2, 2), {"dim": -1}), rtol=1e-3, grad=False)
    s0, s1 = samples(np.random.default_rng(0), np.float32)
    assert s0.args[0].shape == (2, 3) and s0.args[0].dtype == np.float32 and s0.args[1:] == (1,)
    assert s0.kwargs == {} and s0.rtol == 1e-3 and s0.grad is False
    assert s1.args[0].shape == (4,) and s1.args[1] == (2, 2) and s1.kwargs == {"dim": -1}


def test_sample_calls_inputs_by_count_or_position_and_domain():
    (s,) = sample_calls(((3,), 0, (2, 2)), inputs=(0, 2), domain=(0.5, 1.0))(
        np.random.default_rng(0), np.float64)
    assert [a.shape for a in (s.args[0], s.args[2])] == [(3,), (2, 2)] and s.args[1] == 0
    assert all(0.5 <= a.min() and a.max() <= 1.0 for a in (s.args[0], s.args[2]))
    (s,) = sample_calls(((3,), (3,)), inputs=2)(np.random.default_rng(0), np.float64)
    assert all(isinstance(a, np.ndarray) for a in s.args)


def test_op_aliases_name_the_function_and_the_method():
    spec = op("frob", _kernel, aliases=("frobnicate",))
    assert spec.functions == ("frob", "frobnicate") and spec.methods == ("frob", "frobnicate")
    spec = op("frob", _kernel, aliases=("frobnicate",), methods=())
    assert spec.functions == ("frob", "frobnicate") and spec.methods == ()


def test_sample_calls_takes_given_values_in_the_sample_dtype():
    (s,) = sample_calls((np.array([0.5, np.nan]), np.array([1, 2]), 0), inputs=2)(
        np.random.default_rng(0), np.float32)
    assert s.args[0].dtype == np.float32 and np.isnan(s.args[0][1]) and s.args[1].dtype.kind == "i"


def test_prepare_takes_the_keywords_naming_its_parameters_and_apply_op_the_kernel_order():
    import loom
    from loom.plugin import apply_op, register

    def kernel(xp, a, b, dim, scale=1.0):  # tensor inputs first, as dispatch needs them
        return (a + b).sum(axis=dim) * scale

    register(op("tensors_last_demo", kernel, inputs=2, methods=("tensors_last_demo",),
                prepare=lambda input, dim=None, other=None: (input, other, dim),
                backward=lambda ctx, g: (None, None), torch_name=None, reference=kernel),
             plugin="test")
    a, b = loom.ones(2, 3), loom.full((2, 3), 2.0)
    want = [9.0, 9.0]
    assert loom.tensors_last_demo(a, 1, b).tolist() == want                  # positional
    assert a.tensors_last_demo(other=b, dim=1).tolist() == want              # keywords to prepare
    assert a.tensors_last_demo(1, b, scale=2.0).tolist() == [18.0, 18.0]     # the rest to parse
    # apply_op takes the kernel's order (no prepare) on tensors as on raw arrays
    assert apply_op("tensors_last_demo", a, b, 1).tolist() == want
    assert apply_op("tensors_last_demo", a.numpy(), b.numpy(), 1).tolist() == want
