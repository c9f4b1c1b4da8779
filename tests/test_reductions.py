"""Reductions, scans and sorting beyond what the conformance kit's random samples reach: the three
forms of max/min, result types, ties, zeros and NaN in gradients, empty inputs, dtypes.
PyTorch is the oracle."""
import numpy as np
import pytest
import torch

import loom
from oracle import same_outcome

T = np.array([[1.0, 3, 3, 0, 3], [2, 2, 1, 1, 5]])  # ties
Z = np.array([[0.0, 2, 0, 3], [1, 0, 2, 2], [0.5, 1, 2, 3]])  # zeros: none, one, two per row
N = np.array([[1.0, np.nan, 3], [2, 0, 1]])


def _both(fn, x, *args, **kw):
    """fn on loom and on torch, with `x` (a float64 array) as a leaf that requires grad."""
    out = []
    for lib in (loom, torch):
        t = lib.tensor(x, dtype=lib.float64, requires_grad=True)
        out.append((t, fn(lib, t, *args, **kw)))
    return out


def _grads(fn, x):
    res = []
    for t, r in _both(fn, x):
        outs = [o for o in (r if isinstance(r, tuple) else (r,)) if o.dtype.is_floating_point]
        sum((o * (o.detach() * 0 + 1 + o.detach().abs())).sum() for o in outs).backward()
        res.append(np.asarray(t.grad.tolist()))
    return res


def test_max_dispatches_value_named_tuple_and_elementwise_forms_as_torch():
    x, y = loom.tensor(T), loom.tensor(T[::-1].copy())
    assert loom.max(x).item() == 5.0 and type(loom.max(x).grad_fn).__name__ != "MaxBackward0"
    r = loom.max(x, 1, keepdim=True)
    assert type(r) is loom.return_types.max and r._fields == ("values", "indices")
    assert repr(r).startswith("torch.return_types.max(\nvalues=")
    assert r.indices.tolist() == torch.max(torch.tensor(T), 1, keepdim=True).indices.tolist()
    assert loom.max(x, y).tolist() == torch.max(torch.tensor(T), torch.tensor(T[::-1].copy())
                                                ).tolist()
    assert x.min(y).tolist() == np.minimum(T, T[::-1]).tolist()
    g = loom.tensor(T, requires_grad=True)
    assert loom.max(g, g * 2).grad_fn.name() == "MaximumBackward0"
    assert loom.max(g).grad_fn.name() == "MaxBackward1" and \
        loom.max(g, 0).values.grad_fn.name() == "MaxBackward0"


@pytest.mark.parametrize("fn", [
    lambda L, t: L.max(t), lambda L, t: L.max(t, 1), lambda L, t: L.amax(t, 1),
    lambda L, t: L.aminmax(t, dim=1), lambda L, t: L.median(t), lambda L, t: L.median(t, 1),
    lambda L, t: L.sort(t, dim=1, stable=True), lambda L, t: L.cummax(t, 1),
    lambda L, t: L.cummin(t, 1), lambda L, t: L.norm(t, float("inf"), 1)])
def test_gradients_with_ties_follow_torch(fn):
    a, b = _grads(fn, T)
    np.testing.assert_allclose(a, b)


@pytest.mark.parametrize("fn", [
    lambda L, t: L.prod(t, 1), lambda L, t: L.prod(t), lambda L, t: L.cumprod(t, 1),
    lambda L, t: L.cumprod(t, 0)])
def test_products_with_zeros_have_torch_gradients_and_second_derivatives(fn):
    np.testing.assert_allclose(*_grads(fn, Z))
    gg = []
    for t, r in _both(fn, Z):
        lib = loom if isinstance(t, loom.Tensor) else torch
        g, = lib.autograd.grad(r.sum(), t, create_graph=True)
        (g * g).sum().backward()
        gg.append(np.asarray(t.grad.tolist()))
    np.testing.assert_allclose(*gg, atol=1e-12)


@pytest.mark.parametrize("fn", [
    lambda L, t: L.max(t), lambda L, t: L.nansum(t, 1), lambda L, t: L.nanmean(t),
    lambda L, t: L.nanmedian(t, 1), lambda L, t: L.amax(t, 0)])
def test_nan_gradients_follow_torch(fn):
    np.testing.assert_allclose(*_grads(fn, N), equal_nan=True)


@pytest.mark.parametrize("call", [
    "max()", "min()", "amax()", "amin(1)", "argmax()", "max(0)", "aminmax()", "kthvalue(1)",
    "mode(0)", "median(0)", "quantile(0.5)", "topk(1)", "norm(float('inf'))"])
def test_empty_inputs_raise_torch_errors(call):
    got, want = [], []
    for lib, out in ((loom, got), (torch, want)):
        try:
            eval(f"x.{call}", {"x": lib.zeros(0, 3) if "(1)" in call else lib.zeros(0)})
        except Exception as e:  # the test compares what each library raises
            out.append((type(e).__name__, str(e)))
    assert got == want


def test_reductions_of_empty_tensors_with_an_identity_return_it():
    for call in ("sum()", "prod()", "logsumexp(0)", "all()", "any()", "count_nonzero()",
                 "cumsum(0)", "amax(1)"):
        a, b = (eval(f"x.{call}", {"x": lib.zeros(0, 3)}) for lib in (loom, torch))
        assert a.tolist() == b.tolist() and str(a.dtype) == str(b.dtype), call


def test_result_dtypes_follow_torch():
    i, u, bo = np.arange(6).reshape(2, 3), np.arange(6, dtype=np.uint8), np.array([True, False])
    for expr in ("x.sum()", "x.prod(0)", "x.cumsum(1)", "x.argmax()", "x.max()", "x.median()",
                 "u.all()", "u.any()", "b.all()", "b.sum()", "x.count_nonzero()",
                 "x.softmax(1, dtype=L.float64)", "x.logsumexp(1)", "x.sum(dtype=L.int32)"):
        env = {lib: dict(x=lib.tensor(i), u=lib.tensor(u), b=lib.tensor(bo), L=lib)
               for lib in (loom, torch)}
        a, b = (eval(expr, env[lib]) for lib in (loom, torch))
        assert str(a.dtype) == str(b.dtype), expr
        np.testing.assert_allclose(a.tolist(), b.tolist(), rtol=1e-6, err_msg=expr)
    for expr in ("x.mean()", "x.std()", "x.quantile(0.5)", "x.softmax(0)", "b.argmax()",
                 "x.float().bincount()"):
        with pytest.raises(Exception) as got:
            eval(expr, dict(x=loom.tensor(i), b=loom.tensor(bo)))
        with pytest.raises(Exception) as want:
            eval(expr, dict(x=torch.tensor(i), b=torch.tensor(bo)))
        base = next(c for c in type(want.value).__mro__ if c.__module__ == "builtins")
        assert isinstance(got.value, base) and base is not Exception, expr


def test_std_mean_is_a_plain_tuple_and_std_takes_unbiased_positionally():
    x = np.random.default_rng(0).standard_normal((3, 4))
    r = loom.std_mean(loom.tensor(x), 1)
    assert type(r) is tuple and len(r) == 2
    for args in ((), (False,), (0, True, True), (1,)):
        np.testing.assert_allclose(loom.tensor(x).std(*args).tolist(),
                                   torch.tensor(x).std(*args).tolist())
    np.testing.assert_allclose(loom.var(loom.tensor(x), 1, correction=2).tolist(),
                               torch.var(torch.tensor(x), 1, correction=2).tolist())


def test_unique_returns_what_was_asked_for():
    v = np.array([3, 1, 2, 1, 3, 3])
    for kw in ({}, {"return_inverse": True}, {"return_counts": True},
               {"return_inverse": True, "return_counts": True}):
        a, b = loom.unique(loom.tensor(v), **kw), torch.unique(torch.tensor(v), **kw)
        a, b = (r if isinstance(r, tuple) else (r,) for r in (a, b))
        assert [t.tolist() for t in a] == [t.tolist() for t in b]
        a = loom.unique_consecutive(loom.tensor(v), **kw)
        b = torch.unique_consecutive(torch.tensor(v), **kw)
        a, b = (r if isinstance(r, tuple) else (r,) for r in (a, b))
        assert [t.tolist() for t in a] == [t.tolist() for t in b]


def test_sort_descending_stable_keeps_ties_in_order_and_topk_routes_gradients():
    r = loom.sort(loom.tensor(T), dim=1, descending=True, stable=True)
    want = torch.sort(torch.tensor(T), dim=1, descending=True, stable=True)
    assert r.indices.tolist() == want.indices.tolist() and type(r).__name__ == "sort"
    x = np.random.default_rng(1).standard_normal((3, 5))
    np.testing.assert_allclose(*_grads(lambda L, t: L.topk(t, 2, 1).values, x))
    np.testing.assert_allclose(*_grads(lambda L, t: L.kthvalue(t, 2, 0, True).values, x))
    np.testing.assert_allclose(*_grads(lambda L, t: L.quantile(
        t, L.tensor([0.25, 0.9], dtype=L.float64), 1), x))


_C = [1 + 1j, 2 - 1j, -1 + 3j]


@pytest.mark.parametrize("call", [
    lambda T: T.cumsum(T.ones(()), [1, "a"]),  # a list dim: TypeError before the range
    lambda T: T.cumsum(T.ones(3), (0,)), lambda T: T.cumprod(T.ones(3), None),
    lambda T: T.cummax(T.ones(0), 1), lambda T: T.cummin(T.ones(0, 3), 5),  # empty: any dim
    lambda T: T.cummin(T.ones(0, dtype=T.complex64), 0),
    lambda T: T.cummax(T.tensor(1 + 2j), 0), lambda T: T.cummax(T.tensor(_C), 0),
    lambda T: T.cummin(T.tensor(_C), 4), lambda T: T.cummax(T.ones(2), [0]),
    lambda T: T.logcumsumexp(T.tensor(_C), 0),
    lambda T: T.logcumsumexp(T.tensor([[1 + 1j, float("inf")], [float("nan"), 2j]]), 1),
    lambda T: T.logcumsumexp(T.tensor([complex("-inf"), complex("-inf"), 1j]), 0),
    lambda T: T.logcumsumexp(T.ones(3, dtype=T.int64), 0),
])
def test_scans_take_torch_arguments_empty_and_complex_inputs(call):
    same_outcome(call)


@pytest.mark.parametrize("fn, x", [
    (lambda T, t: T.cumprod(t, 0), np.array(0.0)),  # one element: the identity
    (lambda T, t: T.cumprod(t, 1), np.array([[0.0, 2, np.inf, 1], [1.5, -2, 0.5, 3]])),
    (lambda T, t: T.cumprod(t, 1), np.array([[2.0, 0, 3, 0, 4], [0, 1, 2, 3, 4]])),
    (lambda T, t: T.logcumsumexp(t, 0), np.array(np.inf)),
    (lambda T, t: T.logcumsumexp(t, 1), np.array([[1.5, -2, 0.5], [0.2, np.inf, np.inf]])),
    (lambda T, t: T.logcumsumexp(t, 1), np.array([[-np.inf, -np.inf, 0.5], [0.2, 2, -1]])),
])
def test_scan_gradients_at_zeros_and_infinities_follow_torch(fn, x):
    lo, to = _grads(fn, x)
    np.testing.assert_allclose(lo, to, rtol=1e-6, equal_nan=True)


def test_complex_logcumsumexp_gradient_and_second_derivative_follow_torch():
    z = [[1 + 1j, 2 - 1j, -1 + 3j], [0.5j, -2, 1 - 1j]]
    res = []
    for T in (loom, torch):
        t = T.tensor(z, requires_grad=True)
        g, = T.autograd.grad(T.logcumsumexp(t, 1).abs().sum(), t)
        x = T.tensor([[0.5, -1.0, 2.0], [1.0, 0.3, -0.2]], dtype=T.float64, requires_grad=True)
        w = T.tensor([[1.0, -2.0, 0.5], [0.3, 0.7, -1.0]], dtype=T.float64)
        d, = T.autograd.grad((T.logcumsumexp(x, 1) * w).sum(), x, create_graph=True)
        dd, = T.autograd.grad((d * d).sum(), x)
        res.append((np.asarray(g.detach().tolist()), np.asarray(dd.tolist())))
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-5)


_K = [[1, 3, 3, 0, 3], [2, 2, 1, 1, 5], [0, 4, 4, 0, 1]]  # ties: PyTorch's quick select decides


@pytest.mark.parametrize("call", [
    lambda T: T.kthvalue(T.tensor(_K), 2), lambda T: T.kthvalue(T.tensor(_K), 3),
    lambda T: T.kthvalue(T.tensor(_K, dtype=T.int8), 2, 0),
    lambda T: T.kthvalue(T.tensor([[1, float("nan"), 3, float("nan"), 3]]), 4),
    lambda T: T.kthvalue(T.ones(3, dtype=T.float16), 2),
    lambda T: T.kthvalue(T.ones(3), 1.5), lambda T: T.kthvalue(T.ones(3), True),
    lambda T: T.kthvalue(T.ones(3, 5, dtype=T.bool), 2),
    lambda T: T.kthvalue(T.ones(3, dtype=T.complex64), 1),
    lambda T: T.kthvalue(T.ones((), dtype=T.complex64), 1),
    lambda T: T.kthvalue(T.ones(3, dtype=T.complex64), 5),
    lambda T: T.kthvalue(T.ones(0, 3), 5, 1), lambda T: T.kthvalue(T.ones(0, 3), 1, 1),
    lambda T: T.argsort(T.ones(3, 4), (0, 0)), lambda T: T.sort(T.ones(3, 4), dim=None),
    lambda T: T.unique(T.ones(3, 5), dim=(0, 0)),
    lambda T: T.unique_consecutive(T.ones(3, 5), dim=(0, 0)),
    lambda T: T.unique_consecutive(T.ones(3, dtype=T.complex64)),
    lambda T: T.unique_consecutive(T.ones(3, 2, dtype=T.complex64), dim=1),
    lambda T: T.median(T.ones(3, 4), None, True), lambda T: T.nanmedian(T.ones(3, 4), dim=None),
    lambda T: T.median(T.ones(0, dtype=T.bool)), lambda T: T.median(T.ones(0, dtype=T.bool), 0),
    lambda T: T.nanmedian(T.ones(0, dtype=T.complex64)),
    lambda T: T.median(T.ones(2, dtype=T.complex64), 0),
])
def test_order_statistics_follow_torch(call):
    same_outcome(call)


@pytest.mark.parametrize("call", [
    lambda T: T.bincount(T.tensor([1, 2]), weights=np.array([0.5, 1.0])),
    lambda T: T.bincount(T.tensor([1, 2]), weights=[0.5, 1.0]),
    lambda T: T.bincount(T.tensor([1, 2]), weights=T.tensor([0.5, 1.0], dtype=T.float16)),
    lambda T: T.bincount(T.tensor([1, 2]), weights=T.tensor([0.5, 1.0], dtype=T.complex64)),
    lambda T: T.bincount(T.tensor([1, 2]), weights=T.tensor([0.5])),
    lambda T: T.bincount(T.tensor([1, 2]), minlength=-1),
    lambda T: T.bincount(T.tensor([1, 2]), T.tensor([0.5, 1.0]), 4),
    lambda T: T.histc(T.tensor(float("nan")), 5),
    lambda T: T.histc(T.tensor([1.0, 2]), 5, 0, float("inf")),
    lambda T: T.histogram(T.tensor([1.0, float("inf")]), 5),
    lambda T: T.histogram(T.tensor([1.0, 2]), 5, range=(2.0, 1.0)),
    lambda T: T.histogram(T.tensor([1.0, 2], dtype=T.float16), 5),
    lambda T: T.histogram(T.tensor([1.0, 2], dtype=T.float16), 5, range=(0.0, 3.0)),
    lambda T: T.histogram(T.tensor([1, 2]), 5, range=(0.0, 3.0)),
    lambda T: T.histogram(T.tensor([1.0, 2]), "yes"),
    lambda T: T.histogram(T.tensor([1.0, 2]), [0.0, 1, 3]),
    lambda T: T.histogram(T.tensor([1.0, 2]), 0),
    lambda T: T.histogram(T.tensor([1.0, 2, 3, 3]), T.tensor([1.0, 2, 3], requires_grad=True)),
    lambda T: T.histogram(T.tensor([1.0, 2]), T.tensor([3.0, 1, 0])),
    lambda T: T.histogram(T.tensor([1.0, 2]), T.tensor([0.0, 1, 3], dtype=T.float64)),
    lambda T: T.histogram(T.tensor([1.0, 2, 3, 3]), T.tensor([1.0, 2, 3]), density=True,
                          weight=T.tensor([1.0, 2, 3, 4])),
    lambda T: T.histogram(T.tensor([[1.0, 2], [3, 3]]), 3, range=(1.0, 1.0)),
    lambda T: T.histogram(T.tensor([0.1, 0.2, 0.3, 0.7, 1.0, float("nan")]), 3),
])
def test_counting_and_histograms_follow_torch(call):
    same_outcome(call)


@pytest.mark.parametrize("call", [
    lambda T: T.searchsorted(T.tensor([True, False]), T.tensor([True])),
    lambda T: T.bucketize(T.tensor([True]), T.tensor([True, False])),
    lambda T: T.bucketize(T.tensor([2.5, 1]), T.tensor([1.0 + 1j, 3])),
    lambda T: T.searchsorted(T.tensor(1.0), T.tensor([1.0])),
    lambda T: T.searchsorted(T.ones(2, 0), T.ones(2, 4), right=True),
    lambda T: T.searchsorted(T.ones(2, 3), T.ones(2, 0)),
    lambda T: T.searchsorted(T.tensor([1.0, 2]), T.tensor([2.0]), side="left", right=True),
    lambda T: T.searchsorted(T.tensor([1.0, 2]), T.tensor([2.0]), side="middle"),
    lambda T: T.searchsorted(T.tensor([1, 2, 3]), 2.5),  # compared as float64, as PyTorch
    lambda T: T.searchsorted(T.tensor([3.0, float("nan"), 2, 7, 1]),
                             T.tensor([2.0, 1, 5, 0, float("nan")]), right=True),  # unsorted
    lambda T: T.searchsorted(T.tensor([[3.0, 1, 2, 7, 1], [0, 5, 2, 2, 8]]),
                             T.tensor([[2.0, 1, 5], [0, 2, 9]]), out_int32=True),
    lambda T: T.searchsorted(T.tensor([3.0, 1, 2]), T.tensor([2.0, 1, 5, 0]),
                             sorter=T.tensor([1, 2, 0]), side="right"),
    lambda T: T.bucketize(T.tensor([5, -3, 0], dtype=T.int16), T.tensor([4, -1, 2],
                                                                         dtype=T.int16)),
    lambda T: T.bucketize(T.tensor([0.1, 2.0], dtype=T.float16), T.tensor([0.1, 1.0, 2.0]),
                          right=True),
    lambda T: T.bucketize(1.5, T.tensor([1.0, 2.0])),
])
def test_searchsorted_and_bucketize_search_as_torch(call):
    same_outcome(call)


def test_half_precision_scans_accumulate_in_float_as_torch():
    x = np.array([[-1.477, 5.395, -3.68, -1.085], [-2.148, -4.156, -1.55, 2.55]], np.float16)
    res = []
    for T in (loom, torch):
        t = T.tensor(x, requires_grad=True)
        y = T.cumprod(t, -1)
        y.sum().backward()
        res.append((y.detach().tolist(), t.grad.tolist(), T.cumsum(t, 1).tolist()))
    assert res[0] == res[1]


def test_topk_and_kthvalue_pick_tied_values_in_torch_order():
    rng = np.random.default_rng(3)
    for trial in range(120):
        shape = [int(s) for s in rng.integers(1, 6, int(rng.integers(1, 4)))]
        a = rng.integers(-3, 4, shape).astype([np.float32, np.int64, np.int8][trial % 3])
        if a.dtype.kind == "f" and trial % 2:
            a.reshape(-1)[0] = np.nan  # NaN counts as the largest
        d = int(rng.integers(-len(shape), len(shape)))
        k, largest, ordered = int(rng.integers(0, shape[d] + 1)), bool(trial % 2), trial % 5 > 0
        lo, to = (T.topk(T.from_numpy(a.copy()), k, d, largest, ordered) for T in (loom, torch))
        assert lo.indices.tolist() == to.indices.tolist(), (a, d, k, largest, ordered)
        kk = int(rng.integers(1, shape[d] + 1))
        lo, to = (T.kthvalue(T.from_numpy(a.copy()), kk, d) for T in (loom, torch))
        assert lo.indices.tolist() == to.indices.tolist(), (a, d, kk)


def test_topk_over_long_rows_takes_torch_partial_sort_path():
    a = np.random.default_rng(0).integers(0, 5, (2, 300)).astype(np.float32)  # k * 64 <= n
    lo, to = (T.topk(T.from_numpy(a.copy()), 3) for T in (loom, torch))
    assert lo.indices.tolist() == to.indices.tolist()


def test_unique_over_a_dim_orders_slices_with_nan_as_torch():
    a = np.array([[np.nan, 1.2, 0.2, -1.7, 1.8], [0.9, 5.8, -2.8, 1.2, -1.4],
                  [4.9, 4.0, 2.4, 3.9, 6.4]])
    for d in (0, 1):
        lo, to = (T.unique(T.tensor(a), dim=d, return_inverse=True, return_counts=True)
                  for T in (loom, torch))
        for x, y in zip(lo, to):
            np.testing.assert_array_equal(np.asarray(x.tolist()), np.asarray(y.tolist()))


NAN = float("nan")
FOUND = {
    "prod of one element passes the gradient at inf": lambda lib: _grad_of(
        lib, lambda t: t.prod(), float("inf")),
    "prod of one element passes the gradient at NaN": lambda lib: _grad_of(
        lib, lambda t: t.prod(0), NAN),
    "softmax of an empty integer tensor": lambda lib: lib.softmax(lib.ones(0, 3, dtype=lib.int32),
                                                                  1),
    "log_softmax refuses complex": lambda lib: lib.log_softmax(lib.ones(2, dtype=lib.complex64),
                                                               0),
    "softmax refuses dim=None": lambda lib: lib.softmax(lib.ones(3), None),
    "max(x, None) is no overload": lambda lib: lib.max(lib.ones(2, 3), None),
    "min(x, dim=None) is no overload": lambda lib: lib.min(lib.ones(2, 3), dim=None),
    "var checks every dim's type first": lambda lib: lib.ones(5).var([1, "a"]),
    "quantile of float16 is refused": lambda lib: lib.quantile(lib.ones(3, dtype=lib.float16),
                                                               0.5),
    "quantile's q of another dtype is refused": lambda lib: lib.quantile(
        lib.ones(3, dtype=lib.float64), lib.tensor([0.5])),
    "nanquantile skips NaNs": lambda lib: lib.nanquantile(
        lib.tensor([[1.0, NAN, 3.0, 2.0], [NAN, NAN, 0.5, 4.0], [NAN, NAN, NAN, NAN]]), 0.3,
        dim=1, keepdim=True),
    "quantile beside an infinity is the value it lands on": lambda lib: lib.quantile(
        lib.tensor([[1.0, 2.0, float("inf")], [1.0, float("inf"), 0.5]]), 0.5, dim=1),
    "quantile midpoint and nearest with infinities": lambda lib: lib.stack([lib.quantile(
        lib.tensor([-float("inf"), 1.0]), 0.2, interpolation=m) for m in ("midpoint",
                                                                         "nearest")]),
    "nanquantile of a 0-dim tensor checks dim": lambda lib: lib.nanquantile(lib.tensor(1.0), 0.4,
                                                                           1),
    "amax of a 0-dim NaN: gradient NaN": lambda lib: _grad_of(lib, lambda t: t.amax(), NAN),
    "max of a 0-dim NaN: gradient 1": lambda lib: _grad_of(lib, lambda t: t.max(), NAN),
    "amax of a 0-dim tensor over dim -1": lambda lib: _grad_of(lib, lambda t: t.amax(-1), 2.0),
    "logsumexp needs a dim": lambda lib: lib.logsumexp(lib.ones(3), None),
    "norm nuc of a 0-dim tensor": lambda lib: lib.norm(lib.tensor(1.5), "nuc", (0, 2)),
    "triu refuses a float diagonal": lambda lib: lib.triu(lib.ones(3, 3), 1.5),
    "rot90 refuses a float k": lambda lib: lib.rot90(lib.ones(2, 3), 1.5),
    "diag_embed dims out of range": lambda lib: lib.diag_embed(lib.zeros(0), -1, 0, 2),
    "diag_embed identical dims": lambda lib: lib.diag_embed(lib.zeros(3), 0, 0, -2),
    "atleast_2d refuses a non-tensor": lambda lib: lib.atleast_2d(lib.ones(()), "yes"),
}


def _grad_of(lib, fn, value):
    x = lib.tensor(value, dtype=lib.float64, requires_grad=True)
    fn(x).backward()
    return x.grad


@pytest.mark.parametrize("case", sorted(FOUND))
def test_cases_the_fuzz_found_as_pytorch(case):
    def outcome(lib):
        try:
            r = FOUND[case](lib)
        except Exception as e:  # the exception's builtin type is what is compared
            return next(c for c in type(e).__mro__ if c.__module__ == "builtins")
        return np.asarray(r.detach().numpy()), str(r.dtype).removeprefix("torch.")
    want, got = outcome(torch), outcome(loom)
    if isinstance(want, type):
        assert got is want or (isinstance(got, type) and issubclass(got, want)), (got, want)
    else:
        assert not isinstance(got, type), got
        assert got[1] == want[1] and got[0].shape == want[0].shape
        np.testing.assert_allclose(got[0], want[0], equal_nan=True)


@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
@pytest.mark.parametrize("q", [0.4, 0.5, [0.1, 0.75]])
def test_quantile_and_nanquantile_gradients_as_pytorch(interpolation, q):
    x = [[1.0, NAN, 3.0, 2.0, 7.0], [NAN, 4.0, 0.5, NAN, 1.0], [NAN, NAN, NAN, NAN, 1.0]]
    for name, dim, data in (("nanquantile", 1, x), ("quantile", 0, [[1, 2, 3], [4, 0, 1],
                                                                      [2, 2, 5.0]])):
        grads = []
        for lib in (loom, torch):
            t = lib.tensor(data, dtype=lib.float64, requires_grad=True)
            qq = lib.tensor(q, dtype=lib.float64) if isinstance(q, list) else q
            getattr(lib, name)(t, qq, dim, interpolation=interpolation).sum().backward()
            grads.append(t.grad.numpy())
        np.testing.assert_allclose(grads[0], grads[1], err_msg=name)


def test_mode_with_nan_and_long_tied_rows_follows_torch():
    rng = np.random.default_rng(7)
    for trial in range(60):
        a = rng.integers(-2, 3, (2, int(rng.integers(1, 40)))).astype(np.float64)
        if trial % 2:
            a.reshape(-1)[rng.integers(0, a.size, 2)] = np.nan
        lo, to = (T.mode(T.from_numpy(a.copy()), 1) for T in (loom, torch))
        assert lo.indices.tolist() == to.indices.tolist(), a
        np.testing.assert_array_equal(np.asarray(lo.values.tolist()), to.values.numpy())


@pytest.mark.parametrize("shape", [(128, 10), (16, 32), (15, 10), (64, 33), (40, 1)])
def test_softmax_and_cross_entropy_over_few_classes_match_torch(shape):
    """Over a short last dim (a classifier's classes) the reductions run on the transposed
    copy: the same values and gradients as PyTorch, NaN rows included."""
    import torch
    rng = np.random.default_rng(5)
    x = rng.standard_normal(shape).astype(np.float32)
    x[min(3, shape[0] - 1), 0] = np.nan
    g = rng.standard_normal(shape).astype(np.float32)
    for f in ("log_softmax", "softmax"):
        a, b = loom.from_numpy(x.copy()).requires_grad_(), torch.from_numpy(x.copy()).requires_grad_()
        ya, yb = getattr(a, f)(1), getattr(b, f)(1)
        ya.backward(loom.from_numpy(g))
        yb.backward(torch.from_numpy(g))
        np.testing.assert_allclose(ya.detach().numpy(), yb.detach().numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-4, atol=1e-5)
    x[min(3, shape[0] - 1), 0] = 0.5
    t = rng.integers(0, shape[1], shape[0])
    a, b = loom.from_numpy(x.copy()).requires_grad_(), torch.from_numpy(x.copy()).requires_grad_()
    la = loom.nn.functional.cross_entropy(a, loom.from_numpy(t), label_smoothing=0.1)
    lb = torch.nn.functional.cross_entropy(b, torch.from_numpy(t), label_smoothing=0.1)
    la.backward()
    lb.backward()
    np.testing.assert_allclose(la.item(), lb.item(), rtol=1e-5)
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-4, atol=1e-6)
