"""`loom.func` and `loom.vmap` against ``torch.func``: values, structures, nesting and the
errors for argnums, in_dims, out_dims and outputs."""
import numpy as np
import pytest
import torch

import loom


def _np(x):
    if isinstance(x, (tuple, list)):
        return type(x)(_np(v) for v in x)
    if isinstance(x, dict):
        return {k: _np(v) for k, v in x.items()}
    if isinstance(x, (loom.Tensor, torch.Tensor)):
        return x.detach().numpy().round(5).tolist()
    return x


def _outcome(fn):
    try:
        return ("ok", _np(fn()))
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e)


def _same(case, prefix_only=False):
    got, want = _outcome(lambda: case(loom)), _outcome(lambda: case(torch))
    if prefix_only and want[0] != "ok":
        assert got[0] == want[0] and want[1].startswith(got[1].split(" has structure")[0]), \
            (got, want)
    else:
        assert got == want


GRAD_CASES = {
    "square": lambda L: L.func.grad(lambda x: (x ** 2).sum())(L.tensor([1., 2.])),
    "sin_nested": lambda L: L.func.grad(L.func.grad(lambda x: x.sin()))(L.tensor(0.7)),
    "third": lambda L: L.func.grad(L.func.grad(L.func.grad(lambda x: x ** 4)))(L.tensor(2.)),
    "argnums_tuple": lambda L: L.func.grad(lambda x, y: (x * y).sum(), argnums=(0, 1))(
        L.tensor([1.]), L.tensor([2.])),
    "argnums_1": lambda L: L.func.grad(lambda x, y: (x * y ** 2).sum(), argnums=1)(
        L.tensor([1.]), L.tensor([2.])),
    "dict_input": lambda L: L.func.grad(lambda d: (d["a"] * 2 + d["b"]).sum())(
        {"a": L.tensor([1.]), "b": L.tensor([3., 4.])}),
    "has_aux": lambda L: L.func.grad(lambda x: ((x ** 2).sum(), x * 3), has_aux=True)(
        L.tensor([1., 2.])),
    "unused": lambda L: L.func.grad(lambda x, y: (x * 2).sum(), argnums=1)(
        L.tensor([1.]), L.tensor([5.])),
    "grad_and_value": lambda L: L.func.grad_and_value(lambda x: (x ** 3).sum())(
        L.tensor([1., 2.])),
    "not_scalar": lambda L: L.func.grad(lambda x: x ** 2)(L.tensor([1., 2.])),
    "int_input": lambda L: L.func.grad(lambda x: x.sum())(L.tensor([1, 2])),
    "bad_argnum": lambda L: L.func.grad(lambda x: x.sum(), argnums=1)(L.tensor([1.])),
    "aux_not_tensor": lambda L: L.func.grad(lambda x: (x.sum(), 3), has_aux=True)(
        L.tensor([1.])),
    "aux_not_tuple": lambda L: L.func.grad(lambda x: x.sum(), has_aux=True)(L.tensor([1.])),
    "float_out": lambda L: L.func.grad(lambda x: 3.0)(L.tensor([1.])),
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_grad_matches_torch(name):
    _same(GRAD_CASES[name])


def test_grad_composes_with_a_parameter_outside():
    w = loom.tensor([2.0], requires_grad=True)
    g = loom.func.grad(lambda x: (w * x ** 2).sum())(loom.tensor([3.0]))
    g.sum().backward()  # d/dw (2 w x) = 2 x
    assert w.grad.tolist() == [6.0]


VMAP_CASES = {
    "dot": lambda L: L.vmap(L.dot)(L.ones(3, 2), L.arange(6.).reshape(3, 2)),
    "in_dims_none": lambda L: L.vmap(L.dot, in_dims=(0, None))(L.ones(3, 2), L.tensor([1., 2.])),
    "in_dim_1": lambda L: L.vmap(lambda x: x.sum(), in_dims=1)(L.arange(6.).reshape(3, 2)),
    "in_dim_neg": lambda L: L.vmap(lambda x: x * 2, in_dims=-1)(L.arange(6.).reshape(3, 2)),
    "out_dim_1": lambda L: L.vmap(lambda x: x * 2, out_dims=1)(L.arange(6.).reshape(3, 2)),
    "tuple_out": lambda L: L.vmap(lambda x: (x, x * 2))(L.arange(4.).reshape(2, 2)),
    "tuple_out_dims": lambda L: L.vmap(lambda x: (x, x.sum()), out_dims=(1, 0))(
        L.arange(4.).reshape(2, 2)),
    "none_out": lambda L: L.vmap(lambda x, y: (x * 2, y), in_dims=(0, None),
                                 out_dims=(0, None))(L.ones(2, 3), L.ones(4)),
    "python_scalar_arg": lambda L: L.vmap(lambda x, y: x + y, in_dims=(0, None))(
        L.ones(2, 2), 1.0),
    "dict_arg": lambda L: L.vmap(lambda d: d["a"] * 2)({"a": L.arange(6.).reshape(2, 3)}),
    "nested": lambda L: L.vmap(L.vmap(L.dot))(L.ones(2, 3, 4), L.ones(2, 3, 4)),
    "empty_batch": lambda L: L.vmap(lambda x: x * 2)(L.ones(0, 2)).shape,
    "matmul": lambda L: L.vmap(L.mv, in_dims=(None, 0))(L.arange(6.).reshape(2, 3),
                                                        L.arange(12.).reshape(4, 3)),
    "grad_of_each": lambda L: L.vmap(L.func.grad(lambda x: (x ** 3).sum()))(
        L.arange(6.).reshape(3, 2)),
    "size_mismatch": lambda L: L.vmap(L.dot)(L.ones(3, 2), L.ones(4, 2)),
    "in_dim_range": lambda L: L.vmap(lambda x: x, in_dims=2)(L.ones(3, 2)),
    "non_tensor_mapped": lambda L: L.vmap(lambda x: x)(3.0),
    "float_returned": lambda L: L.vmap(lambda x: 3.0)(L.ones(2)),
    "out_dim_range": lambda L: L.vmap(lambda x: x, out_dims=3)(L.ones(2, 2)),
    "bad_in_dims_type": lambda L: L.vmap(lambda x: x, in_dims=0.5)(L.ones(2)),
    "scalar_input": lambda L: L.vmap(lambda x: x)(L.tensor(1.)),
    "chunk_size": lambda L: L.vmap(lambda x: x, chunk_size=0)(L.ones(2)),
    "random_error": lambda L: L.vmap(lambda x: L.randn(2))(L.ones(2)),
}

_STRUCTURE = {"in_dims_len", "out_dims_structure"}


@pytest.mark.parametrize("name", sorted(VMAP_CASES))
def test_vmap_matches_torch(name):
    _same(VMAP_CASES[name])


def test_vmap_structure_errors_have_torchs_words():
    _same(lambda L: L.vmap(L.dot, in_dims=(0,))(L.ones(3, 2), L.ones(3, 2)), prefix_only=True)
    _same(lambda L: L.vmap(lambda x: x, out_dims=(0, 1))(L.ones(2, 2)), prefix_only=True)


def test_vmap_randomness_modes():
    loom.manual_seed(0)
    same = loom.vmap(lambda x: loom.rand(2) + x * 0, randomness="same")(loom.ones(3))
    assert loom.equal(same[0], same[1]) and loom.equal(same[1], same[2])
    diff = loom.vmap(lambda x: loom.rand(2) + x * 0, randomness="different")(loom.ones(3))
    assert not loom.equal(diff[0], diff[1])
    with pytest.raises(RuntimeError, match="Only allowed values for randomness"):
        loom.vmap(lambda x: x, randomness="bogus")


def test_vmap_is_differentiable():
    x = loom.arange(6.).reshape(3, 2).requires_grad_()
    loom.vmap(lambda r: (r ** 2).sum())(x).sum().backward()
    assert loom.equal(x.grad, 2 * x.detach())


def test_jacobians_vjp_jvp_match_torch():
    def f(L):
        return lambda x: x.sin() * x

    cases = [
        lambda L: L.func.jacrev(f(L))(L.tensor([1., 2.])),
        lambda L: L.func.jacfwd(f(L))(L.tensor([1., 2.])),
        lambda L: L.func.jacrev(lambda x, y: x * y, argnums=1)(L.tensor([1., 2.]),
                                                              L.tensor([3., 4.])),
        lambda L: L.func.hessian(lambda x: (x ** 3).sum())(L.tensor([1., 2.])),
        lambda L: L.func.vjp(f(L), L.tensor([1., 2.]))[1](L.ones(2)),
        lambda L: L.func.vjp(f(L), L.tensor([1., 2.]))[0],
        lambda L: L.func.jvp(f(L), (L.tensor([1., 2.]),), (L.ones(2),)),
    ]
    for c in cases:
        _same(c)


def test_functional_call_matches_torch():
    def run(L, params, **kw):
        L.manual_seed(0)
        m = L.nn.Linear(2, 1)
        before = [p.detach().clone() for p in m.parameters()]
        out = L.func.functional_call(m, params(L), (L.tensor([1., 2.]),), **kw)
        assert all(L.equal(a, b) for a, b in zip(before, m.parameters()))
        return out

    _same(lambda L: run(L, lambda L: {"weight": L.ones(1, 2), "bias": L.zeros(1)}))
    _same(lambda L: run(L, lambda L: {"weight": L.ones(1, 2)}))
    _same(lambda L: run(L, lambda L: ({"weight": L.ones(1, 2)}, {"bias": L.ones(1)})))
    _same(lambda L: run(L, lambda L: {"weight": L.ones(1, 2)}, strict=True))
    # gradients reach the tensors passed in
    w = loom.ones(1, 2, requires_grad=True)
    loom.func.functional_call(loom.nn.Linear(2, 1), {"weight": w}, loom.tensor([1., 2.])) \
        .sum().backward()
    assert w.grad.tolist() == [[1.0, 2.0]]


def test_jacobian_with_aux_matches_torch():
    _same(lambda L: L.func.jacrev(lambda x: (x.sin(), x.sum()), has_aux=True)(L.tensor([1., 2.])))
    _same(lambda L: L.func.jacfwd(lambda x: (x * 2, x), 0, True)(L.tensor([1., 2.])))
