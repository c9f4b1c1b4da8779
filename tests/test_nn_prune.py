"""nn.utils.prune against torch.nn.utils.prune: masks, names of parameters and buffers, the
forward pre-hook, iterative pruning (masks combined), global pruning, remove, errors."""
import pytest
import torch
import torch.nn.utils.prune as tprune

import loom
from nn_oracle import close, copy_weights, to_loom

lprune = loom.nn.utils.prune


def _pair(build):
    torch.manual_seed(0)
    loom.manual_seed(0)
    tm, lm = build(torch), build(loom)
    copy_weights(tm, lm)
    return tm, lm


def _state(m):
    return (sorted(n for n, _ in m.named_parameters()), sorted(n for n, _ in m.named_buffers()),
            [type(h).__name__ for h in m._forward_pre_hooks.values()])


def _same(tm, lm):
    assert _state(tm) == _state(lm)
    for (n, t), (_, v) in zip(sorted(tm.state_dict().items()), sorted(lm.state_dict().items())):
        close(v, t, 1e-6, 1e-7, n)


STEPS = {
    "l1": lambda P, m: P.l1_unstructured(m, "weight", amount=0.4),
    "l1 count": lambda P, m: P.l1_unstructured(m, "weight", amount=3),
    "l1 bias": lambda P, m: P.l1_unstructured(m, "bias", amount=1),
    "ln rows": lambda P, m: P.ln_structured(m, "weight", amount=0.5, n=2, dim=0),
    "ln cols inf": lambda P, m: P.ln_structured(m, "weight", amount=1, n=float("inf"), dim=1),
    "random": lambda P, m: P.random_unstructured(m, "weight", amount=0.3),
    "identity": lambda P, m: P.identity(m, "weight"),
    "from mask": lambda P, m: P.custom_from_mask(m, "weight", mask=_mask(P)),
}


def _mask(P):
    lib = torch if P is tprune else loom
    return (lib.arange(20) % 3 != 0).reshape(5, 4).to(lib.float32)


@pytest.mark.parametrize("steps", [["l1"], ["l1 count"], ["l1 bias"], ["ln rows"],
                                   ["ln cols inf"], ["random"], ["identity"], ["from mask"],
                                   ["l1", "ln rows"], ["ln rows", "l1"], ["random", "l1", "l1"],
                                   ["l1", "l1 bias", "ln cols inf"]],
                         ids=lambda s: "+".join(s))
def test_pruning_steps_as_torch(steps):
    tm, lm = _pair(lambda T: T.nn.Linear(4, 5))
    for s in steps:
        torch.manual_seed(1)
        loom.manual_seed(1)
        STEPS[s](tprune, tm)
        STEPS[s](lprune, lm)
        _same(tm, lm)
    x = torch.randn(3, 4)
    close(lm(to_loom(x)), tm(x), 1e-6, 1e-7)
    if not hasattr(tm, "weight_orig"):
        return
    # the pre-hook reapplies the mask after the original weight changes
    with torch.no_grad():
        tm.weight_orig.add_(1.0)
    with loom.no_grad():
        lm.weight_orig.add_(1.0)
    close(lm(to_loom(x)), tm(x), 1e-6, 1e-7)
    tm.weight_orig.grad = None
    tm(x).sum().backward()
    lm(to_loom(x)).sum().backward()
    close(lm.weight_orig.grad, tm.weight_orig.grad, 1e-6, 1e-7)
    assert lprune.is_pruned(lm) and tprune.is_pruned(tm)
    tprune.remove(tm, "weight")
    lprune.remove(lm, "weight")
    _same(tm, lm)
    assert isinstance(lm.weight, loom.nn.Parameter)


def test_global_unstructured_as_torch():
    build = lambda T: T.nn.Sequential(T.nn.Linear(4, 3), T.nn.ReLU(), T.nn.Linear(3, 2))
    tm, lm = _pair(build)
    tprune.l1_unstructured(tm[0], "weight", amount=2)
    lprune.l1_unstructured(lm[0], "weight", amount=2)
    for P, m in ((tprune, tm), (lprune, lm)):
        P.global_unstructured([(m[0], "weight"), (m[2], "weight")],
                              pruning_method=P.L1Unstructured, amount=0.5)
    _same(tm[0], lm[0])
    _same(tm[2], lm[2])
    assert int((lm[0].weight == 0).sum() + (lm[2].weight == 0).sum()) == \
        int((tm[0].weight == 0).sum() + (tm[2].weight == 0).sum())


@pytest.mark.parametrize("call", [
    lambda P, T: P.l1_unstructured(T.nn.Linear(2, 2), "weight", amount=1.5),
    lambda P, T: P.l1_unstructured(T.nn.Linear(2, 2), "weight", amount=5),
    lambda P, T: P.l1_unstructured(T.nn.Linear(2, 2), "weight", amount=-1),
    lambda P, T: P.l1_unstructured(T.nn.Linear(2, 2), "weight", amount="a"),
    lambda P, T: P.l1_unstructured(T.nn.Linear(2, 2), "foo", amount=1),
    lambda P, T: P.ln_structured(T.nn.Linear(2, 2), "bias", amount=1, n=2, dim=0),
    lambda P, T: P.remove(T.nn.Linear(2, 2), "weight"),
    lambda P, T: P.global_unstructured([(T.nn.Linear(2, 2), "weight")],
                                       pruning_method=P.LnStructured, amount=1, n=2, dim=0),
])
def test_errors_as_torch(call):
    def kind(P, T):
        try:
            call(P, T)
        except Exception as e:  # noqa: BLE001 - the exception type is compared
            return type(e).__name__
    assert kind(lprune, loom) == kind(tprune, torch) is not None
