"""The Module API against torch.nn.Module: registration, naming, state dicts (strict and not),
train/eval, to(dtype), apply, zero_grad, hooks, requires_grad_, reprs, containers, Parameter,
init and the gradient utilities."""
from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np
import pytest
import torch

import loom
from loom import nn

from nn_oracle import close, copy_weights, to_loom


def _net(lib):
    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = lib.nn.Conv2d(1, 2, 3)
            self.bn = lib.nn.BatchNorm2d(2)
            self.head = lib.nn.Sequential(lib.nn.Flatten(), lib.nn.Linear(8, 3), lib.nn.ReLU())
            self.register_buffer("steps", lib.zeros(1))
            self.register_buffer("scratch", lib.zeros(2), persistent=False)

        def forward(self, x):
            return self.head(self.bn(self.conv(x)))
    return Net()


def test_names_and_repr_match_torch():
    t, m = _net(torch), _net(loom)
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in m.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert [n for n, _ in m.named_modules()] == [n for n, _ in t.named_modules()]
    assert [n for n, _ in m.named_children()] == [n for n, _ in t.named_children()]
    assert list(m.state_dict()) == list(t.state_dict())
    assert repr(m) == repr(t)


def test_whole_network_matches_torch_after_a_step():
    t, m = _net(torch).double(), _net(loom).double()
    copy_weights(t, m)
    x = torch.randn(4, 1, 4, 4, dtype=torch.float64)
    tl = t(x).pow(2).mean()
    ml = m(to_loom(x)).pow(2).mean()
    close(ml, tl)
    tl.backward()
    ml.backward()
    for (n, tp), (_, mp) in zip(t.named_parameters(), m.named_parameters()):
        close(mp.grad, tp.grad, what=n)
    for k, v in t.state_dict().items():
        close(m.state_dict()[k], v, what=k)


def test_default_init_draws_the_same_numbers_as_torch():
    torch.manual_seed(7)
    t = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Conv2d(2, 3, 3), torch.nn.Embedding(6, 2))
    loom.manual_seed(7)
    m = nn.Sequential(nn.Linear(5, 4), nn.Conv2d(2, 3, 3), nn.Embedding(6, 2))
    for k, v in t.state_dict().items():
        close(m.state_dict()[k], v, what=k)


def test_load_state_dict_strict_and_not():
    m = nn.Linear(2, 2)
    sd = OrderedDict(weight=loom.ones(2, 2), bias=loom.zeros(2), extra=loom.ones(1))
    with pytest.raises(RuntimeError) as e:
        m.load_state_dict(sd)
    t = torch.nn.Linear(2, 2)
    with pytest.raises(RuntimeError) as te:
        t.load_state_dict(OrderedDict(weight=torch.ones(2, 2), bias=torch.zeros(2),
                                      extra=torch.ones(1)))
    assert str(e.value) == str(te.value)
    res = m.load_state_dict(sd, strict=False)
    assert res.missing_keys == [] and res.unexpected_keys == ["extra"]
    assert float(m.weight.sum()) == 4
    res = m.load_state_dict({"weight": loom.zeros(2, 2)}, strict=False)
    assert res.missing_keys == ["bias"]
    with pytest.raises(RuntimeError, match="size mismatch for weight"):
        m.load_state_dict({"weight": loom.zeros(3, 2), "bias": loom.zeros(2)})
    assert repr(m.load_state_dict(m.state_dict())) == "<All keys matched successfully>"


def test_state_dict_is_detached_and_shares_storage():
    m = nn.Linear(2, 2)
    w = m.state_dict()["weight"]
    assert not w.requires_grad and w.data_ptr() == m.weight.data_ptr()
    assert m.state_dict(keep_vars=True)["weight"] is m.weight


def test_train_eval_apply_and_requires_grad():
    m = _net(loom)
    m.eval()
    assert not any(x.training for x in m.modules())
    m.train()
    assert all(x.training for x in m.modules())
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    t_seen = []
    _net(torch).apply(lambda mod: t_seen.append(type(mod).__name__))
    assert seen == t_seen
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())


def test_to_dtype_keeps_parameters_and_skips_integer_buffers():
    m = nn.BatchNorm1d(3)
    m.to(loom.float64)
    assert m.weight.dtype == loom.float64 and isinstance(m.weight, nn.Parameter)
    assert m.running_mean.dtype == loom.float64
    assert m.num_batches_tracked.dtype == loom.int64
    assert m.double().weight.requires_grad
    with pytest.raises(TypeError, match="floating point or complex dtypes"):
        m.to(loom.int32)


def test_zero_grad_to_none_and_to_zero():
    m = nn.Linear(3, 2)
    m(loom.ones(1, 3)).sum().backward()
    m.zero_grad(set_to_none=False)
    assert float(m.weight.grad.abs().sum()) == 0
    m.zero_grad()
    assert m.weight.grad is None


def test_forward_hooks_run_and_can_replace():
    m = nn.Linear(2, 2)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    h2 = m.register_forward_hook(lambda mod, args, out: calls.append(out.shape) or out + 1)
    y = m(loom.ones(1, 2))
    assert calls == [loom.Size([1, 2])]
    close(y, torch.from_numpy((m.bias + 1).detach().numpy()).reshape(1, 2))
    h1.remove()
    h2.remove()
    assert bool((m(loom.ones(1, 2)) == loom.ones(1, 2) @ m.weight.t() + m.bias).all())
    kw = m.register_forward_pre_hook(lambda mod, args, kwargs: (args, kwargs), with_kwargs=True)
    m(loom.ones(2))
    kw.remove()


def test_parameter_is_recognised_and_registered():
    p = nn.Parameter(loom.randn(2))
    assert isinstance(p, nn.Parameter) and isinstance(p, loom.Tensor)
    assert p.requires_grad and p.is_leaf
    assert not isinstance(loom.randn(2), nn.Parameter)
    assert not isinstance(p * 2, nn.Parameter)
    assert not nn.Parameter(loom.randn(2), requires_grad=False).requires_grad
    m = nn.Module()
    m.w = p
    m.t = loom.ones(1)
    assert list(dict(m.named_parameters())) == ["w"]
    with pytest.raises(TypeError, match="cannot assign"):
        m.w = loom.ones(2)
    with pytest.raises(AttributeError, match="object has no attribute 'missing'"):
        m.missing


def _both(fn):
    """fn(lib) run with torch and with loom."""
    return fn(torch), fn(loom)


def test_parameter_repr_matches_torch():
    for make in (lambda lib: lib.nn.Parameter(lib.ones(2)),
                 lambda lib: lib.nn.Parameter(lib.ones(2, dtype=lib.int64), requires_grad=False),
                 lambda lib: lib.nn.Parameter(lib.arange(6.0).reshape(2, 3).double()),
                 lambda lib: lib.nn.Parameter()):
        t, lp = _both(make)
        assert repr(lp) == repr(t) and str(lp) == str(t)
        assert repr(lp).startswith("Parameter containing:\n")
    p = nn.Parameter(loom.ones(2))
    assert type(p) is loom.Tensor                     # the per-call path's exact-type test
    # what is derived from a parameter is a plain tensor, as in PyTorch
    for derived in (p.data, p.detach(), p * 2, p[0]):
        assert not isinstance(derived, nn.Parameter)
        assert not repr(derived).startswith("Parameter")
    p.data = loom.zeros(2)                            # replacing the data keeps the parameter
    assert isinstance(p, nn.Parameter) and repr(p) == repr(torch.nn.Parameter(torch.zeros(2)))


def test_parameter_survives_deepcopy_pickle_and_load_state_dict():
    import copy
    import pickle
    p = nn.Parameter(loom.ones(2), requires_grad=False)
    for q in (copy.deepcopy(p), pickle.loads(pickle.dumps(p))):
        assert isinstance(q, nn.Parameter) and not q.requires_grad and q is not p
    m = nn.Linear(3, 2)
    m2 = copy.deepcopy(m)
    assert all(isinstance(w, nn.Parameter) for w in m2.parameters())
    assert m2.weight is not m.weight and bool((m2.weight == m.weight).all())
    m2.weight = nn.Parameter(loom.zeros(2, 3))        # a deep copy's parameters re-register
    # the state dict holds plain detached tensors; loading copies into the same parameters
    sd = m.state_dict()
    assert not any(isinstance(v, nn.Parameter) for v in sd.values())
    w = m2.weight
    m2.load_state_dict(sd)
    assert m2.weight is w and isinstance(w, nn.Parameter) and bool((w == m.weight).all())
    m2.load_state_dict(sd, assign=True)               # assign: new parameters over the tensors
    assert m2.weight is not w and isinstance(m2.weight, nn.Parameter)
    assert m2.weight.requires_grad


def test_module_setattr_of_parameters_matches_torch():
    def run(lib):
        m = lib.nn.Linear(2, 2)
        out = []
        for f in (lambda: setattr(m, "weight", lib.ones(2, 2)),
                  lambda: m.register_parameter("w2", lib.ones(2))):
            with pytest.raises(TypeError) as e:
                f()
            out.append(str(e.value))
        m.weight = None                               # None unsets a parameter
        out.append(m.weight)
        m.register_buffer("b", lib.ones(1))
        m.b = lib.nn.Parameter(lib.ones(1))           # a parameter replaces a buffer
        m.foo = lib.nn.Parameter(lib.ones(1))
        out.append((list(dict(m.named_parameters())), list(dict(m.named_buffers()))))
        return out
    t, lp = _both(run)
    assert t == lp


def test_module_errors_match_torch():
    with pytest.raises(NotImplementedError, match='missing the required "forward" function'):
        nn.Module()(1)
    with pytest.raises(AttributeError, match="before Module.__init__"):
        class Bad(nn.Module):
            def __init__(self):
                self.w = nn.Parameter(loom.ones(1))
        Bad()


def test_containers():
    seq = nn.Sequential(OrderedDict(a=nn.Linear(2, 3), b=nn.ReLU()))
    assert [n for n, _ in seq.named_children()] == ["a", "b"]
    assert isinstance(seq[0], nn.Linear) and isinstance(seq[-1], nn.ReLU)
    assert len(seq[0:1]) == 1
    ml = nn.ModuleList([nn.Linear(1, 1) for _ in range(3)])
    ml.append(nn.Tanh())
    assert len(ml) == 4 and len(list(ml.parameters())) == 6
    md = nn.ModuleDict({"x": nn.Linear(1, 2)})
    md["y"] = nn.ReLU()
    assert list(md.keys()) == ["x", "y"] and "x" in md
    pl = nn.ParameterList([nn.Parameter(loom.ones(2)), loom.zeros(3)])
    assert len(pl) == 2 and all(isinstance(p, nn.Parameter) for p in pl)
    assert [n for n, _ in pl.named_parameters()] == ["0", "1"]
    pd = nn.ParameterDict({"a": nn.Parameter(loom.ones(1))})
    assert list(pd.keys()) == ["a"] and isinstance(pd["a"], nn.Parameter)
    t_seq = torch.nn.Sequential(OrderedDict(a=torch.nn.Linear(2, 3), b=torch.nn.ReLU()))
    assert repr(seq) == repr(t_seq)
    assert repr(ml) != ""


@pytest.mark.parametrize("nl,param", [("linear", None), ("relu", None), ("tanh", None),
                                      ("leaky_relu", 0.2), ("selu", None), ("sigmoid", None)])
def test_calculate_gain(nl, param):
    assert nn.init.calculate_gain(nl, param) == pytest.approx(
        torch.nn.init.calculate_gain(nl, param))


@pytest.mark.parametrize("fn,kw", [("xavier_uniform_", {}), ("xavier_normal_", {"gain": 2.0}),
                                   ("kaiming_uniform_", {"mode": "fan_out"}),
                                   ("kaiming_normal_", {"nonlinearity": "relu"}),
                                   ("uniform_", {"a": -2, "b": 3}),
                                   ("normal_", {"mean": 1, "std": 2}),
                                   ("trunc_normal_", {}), ("orthogonal_", {})])
def test_init_draws_what_torch_draws(fn, kw):
    t = torch.empty(6, 4, 3)
    torch.manual_seed(3)
    getattr(torch.nn.init, fn)(t, **kw)
    m = loom.empty(6, 4, 3)
    loom.manual_seed(3)
    getattr(nn.init, fn)(m, **kw)
    close(m, t, rtol=1e-4, atol=1e-5)


def test_init_constants_and_errors():
    t = loom.empty(3, 3)
    assert bool((nn.init.ones_(t) == 1).all()) and bool((nn.init.zeros_(t) == 0).all())
    assert bool((nn.init.constant_(t, 2.5) == 2.5).all())
    assert bool((nn.init.eye_(t) == loom.eye(3)).all())
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        nn.init.xavier_uniform_(loom.empty(3))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        nn.init.kaiming_uniform_(loom.empty(3, 3), mode="fan_avg")


def test_gradient_utilities_match_torch():
    torch.manual_seed(0)
    tp = [torch.randn(3, 2, requires_grad=True), torch.randn(4, requires_grad=True)]
    lp = [to_loom(p).requires_grad_(True) for p in tp]
    for t, m in zip(tp, lp):
        t.grad = torch.randn(t.shape)
        m.grad = to_loom(t.grad)
    close(nn.utils.clip_grad_norm_(lp, 1.0), torch.nn.utils.clip_grad_norm_(tp, 1.0))
    for t, m in zip(tp, lp):
        close(m.grad, t.grad)
    close(nn.utils.clip_grad_norm_(lp, 0.5, norm_type=math.inf),
          torch.nn.utils.clip_grad_norm_(tp, 0.5, norm_type=math.inf))
    torch.nn.utils.clip_grad_value_(tp, 0.1)
    nn.utils.clip_grad_value_(lp, 0.1)
    for t, m in zip(tp, lp):
        close(m.grad, t.grad)
    v = nn.utils.parameters_to_vector(lp)
    close(v, torch.nn.utils.parameters_to_vector(tp))
    nn.utils.vector_to_parameters(v * 2, lp)
    close(lp[1], tp[1].detach() * 2)


@pytest.mark.parametrize("name,args", [("xavier_uniform", ()), ("xavier_normal", (2.0,)),
                                       ("kaiming_uniform", ()), ("kaiming_normal", ()),
                                       ("uniform", (-0.1, 0.1)), ("normal", (0, 0.02)),
                                       ("constant", (0.5,)), ("orthogonal", ())])
def test_deprecated_init_names_warn_and_draw_as_torch(name, args):
    """Older scripts' ``nn.init.xavier_uniform(m.weight)``: a FutureWarning, then the same
    values as the underscore form."""
    tw, lw = torch.empty(4, 3), loom.empty(4, 3)
    torch.manual_seed(0)
    loom.manual_seed(0)
    with pytest.warns(FutureWarning, match=f"`nn.init.{name}` is now deprecated in favor of "
                                           f"`nn.init.{name}_`"):
        getattr(torch.nn.init, name)(tw, *args)
    with pytest.warns(FutureWarning, match=f"`nn.init.{name}` is now deprecated in favor of "
                                           f"`nn.init.{name}_`"):
        getattr(loom.nn.init, name)(lw, *args)
    assert torch.allclose(torch.from_numpy(lw.numpy()), tw, atol=1e-6)


def test_full_backward_hooks_see_and_replace_gradients_as_torch():
    """``register_full_backward_hook`` (Grad-CAM's gradient capture) and
    ``register_full_backward_pre_hook``: the same grad_input/grad_output, replaced gradients,
    PyTorch's warning when no input takes a gradient, and handles that remove them."""
    def run(lib):
        nn = lib.nn
        net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).double()
        return net

    tnet, lnet = run(torch), run(loom)
    lnet.load_state_dict({k: loom.tensor(v.detach().numpy()) for k, v in
                          tnet.state_dict().items()})
    logs = {}
    for lib, net in ((torch, tnet), (loom, lnet)):
        log = logs[lib.__name__] = []

        def hook(m, gi, go, log=log):
            log.append((type(m).__name__, [None if g is None else g.tolist() for g in gi],
                        [g.tolist() for g in go]))
        handles = [m.register_full_backward_hook(hook) for m in net]
        x = lib.tensor([[0.1, 0.2, -0.3], [0.4, -0.5, 0.6]], dtype=lib.float64)
        with pytest.warns(UserWarning, match="Full backward hook is firing when gradients are "
                                             "computed with respect to module outputs"):
            net(x).sum().backward()
        xr = x.clone().requires_grad_()
        net(xr).pow(2).sum().backward()
        h2 = net[2].register_full_backward_hook(
            lambda m, gi, go: tuple(None if g is None else g * 2 for g in gi))
        xr.grad = None
        net(xr).sum().backward()
        log.append(xr.grad.tolist())
        h2.remove()
        for h in handles:
            h.remove()
        pre = net[0].register_full_backward_pre_hook(lambda m, go: (go[0] * 0,))
        net.zero_grad()
        net(xr).sum().backward()
        log.append(net[0].weight.grad.abs().sum().item())
        pre.remove()
    t, lo = logs["torch"], logs["loom"]
    assert len(t) == len(lo)
    for a, b in zip(t, lo):
        np.testing.assert_allclose(np.array(_flat(b), dtype=float), np.array(_flat(a),
                                                                             dtype=float),
                                   rtol=1e-10, atol=1e-12)


def _flat(x):
    if isinstance(x, (list, tuple)):
        return [y for e in x for y in _flat(e)]
    if x is None:
        return [np.nan]
    if isinstance(x, str):
        return [float(len(x))]
    return [x]


def test_type_as_apply_map_and_share_memory_as_torch():
    for lib in (torch, loom):
        a, b = lib.tensor([[1, 2], [3, 4]]), lib.ones(2, dtype=lib.float64)
        assert str(a.type_as(b).dtype) == "torch.float64" and a.type_as(a) is a
        assert a.clone().apply_(lambda v: v * 10).tolist() == [[10, 20], [30, 40]]
        assert a.clone().map_(lib.tensor([1, 0]), lambda x, y: x + y).tolist() == [[2, 2],
                                                                                  [4, 4]]
        assert a.share_memory_() is a
        m = lib.nn.Linear(2, 2)
        assert m.share_memory() is m
        assert str(m.bfloat16().weight.dtype) == "torch.bfloat16"


def test_parameter_container_reprs_match_torch():
    out = []
    for lib in (torch, loom):
        nn = lib.nn
        out.append([repr(nn.ParameterList([nn.Parameter(lib.ones(2)),
                                           nn.Parameter(lib.zeros(3, 2, dtype=lib.float64))])),
                    repr(nn.ParameterDict({"a": nn.Parameter(lib.ones(2))})),
                    repr(nn.ParameterDict({"a": nn.Parameter(lib.ones(2)),
                                           "b": nn.Parameter(lib.ones(1))})),
                    repr(nn.ParameterList()), repr(nn.ParameterDict())])
    assert out[1] == out[0]
