"""The example op pack (examples/op_pack): installed as its own distribution, it loads through
its entry point, works with autograd, shows in `loom info`, and the registry-driven operator
tests cover it."""
from __future__ import annotations

import numpy as np
import pytest

from plugin_env import REPO, info_json, run, run_code


# --------------------------------------------------------------------------- the example op pack


def test_op_pack_is_a_distribution_with_an_entry_point(op_pack_site):
    (info,) = op_pack_site.glob("loom_example_ops-*.dist-info")
    assert "Name: loom-example-ops" in (info / "METADATA").read_text()
    eps = (info / "entry_points.txt").read_text()
    assert "[loom.plugins]" in eps and "example_ops = loom_example_ops" in eps


def test_op_pack_loads_and_works_with_autograd(workdir, op_pack_site):
    out = run_code("""
        import numpy as np
        a = loom.tensor([[3., -1.], [0.5, 2.]], dtype=loom.float64, requires_grad=True)
        b = loom.tensor([4., 2.], dtype=loom.float64, requires_grad=True)
        h = loom.hypot(a, b)
        h.sum().backward()
        OUT["hypot"] = h.tolist()
        OUT["method"] = a.detach().hypot(b.detach()).tolist()
        OUT["grads"] = [a.grad.tolist(), b.grad.tolist()]
        r = loom.hypot(loom.tensor([3., 5.]), loom.tensor([4, 12]))
        OUT["mixed"] = [r.tolist(), str(r.dtype)]
        OUT["errors"] = [error_of(lambda: loom.hypot(loom.tensor([3, 5]), loom.tensor([4, 4]))),
                         error_of(lambda: loom.hypot(loom.tensor([3., 5.]), 4.0))]
        x = loom.tensor([-30., -1., 0., 1., 25.], dtype=loom.float64, requires_grad=True)
        y = loom.softplus(x)
        g, = loom.autograd.grad(y.sum(), x, create_graph=True)
        g.sum().backward()
        OUT["softplus"] = [y.tolist(), g.tolist(), x.grad.tolist()]
    """, workdir, [op_pack_site])
    entry = out["table"]["example_ops"]
    assert entry["status"] == "loaded" and entry["version"] == "0.1.0"
    assert sorted(entry["ops"]) == ["hypot", "softplus"]
    assert not [w for w in out["warnings"] if w[0] == "RuntimeWarning"]

    torch = pytest.importorskip("torch")
    ta = torch.tensor([[3., -1.], [0.5, 2.]], dtype=torch.float64, requires_grad=True)
    tb = torch.tensor([4., 2.], dtype=torch.float64, requires_grad=True)
    th = torch.hypot(ta, tb)
    th.sum().backward()
    np.testing.assert_allclose(out["hypot"], th.tolist(), rtol=1e-12)
    np.testing.assert_allclose(out["method"], th.tolist(), rtol=1e-12)
    np.testing.assert_allclose(out["grads"][0], ta.grad.tolist(), rtol=1e-12)
    np.testing.assert_allclose(out["grads"][1], tb.grad.tolist(), rtol=1e-12)
    # torch.hypot's contract: standard promotion, floating point only, no Python scalars
    assert out["mixed"] == [[5.0, 13.0], "torch.float32"]
    assert out["errors"][0] == ["NotImplementedError", "\"hypot\" not implemented for 'Long'"]
    assert out["errors"][1] == ["TypeError", "hypot(): argument 'other' (position 2) must be "
                                "Tensor, not float"]

    tx = torch.tensor([-30., -1., 0., 1., 25.], dtype=torch.float64, requires_grad=True)
    ty = torch.nn.functional.softplus(tx)
    (tg,) = torch.autograd.grad(ty.sum(), tx, create_graph=True)
    tg.sum().backward()
    y, g, gg = out["softplus"]
    np.testing.assert_allclose(y, ty.tolist(), rtol=1e-12)
    np.testing.assert_allclose(g, tg.tolist(), rtol=1e-12)
    np.testing.assert_allclose(gg, tx.grad.tolist(), rtol=1e-9)


def test_op_pack_in_loom_info(workdir, op_pack_site):
    info = info_json(workdir, [op_pack_site])
    plugin = next(p for p in info["plugins"] if p["name"] == "example_ops")
    assert plugin["status"] == "loaded" and plugin["module"] == "loom_example_ops"
    assert plugin["version"] == "0.1.0"
    ops = {o["name"]: o for o in info["operators"] if o["provider"] == "example_ops"}
    assert set(ops) == {"hypot", "softplus"}
    for o in ops.values():
        assert o["has_backward"] and o["samples"] > 0 and o["devices"] == ["cpu"]
    assert ops["hypot"]["kind"] == "binary" and ops["softplus"]["kind"] == "unary"


_SAMPLE_CHECK = """
import numpy as np
import torch
from loom.registry import registry

def oracle(op):
    if op.torch_name is None:
        return lambda *args, **kw: op.reference(*args, **kw)
    fn = getattr(torch, op.torch_name)
    return lambda *args, **kw: fn(*[torch.from_numpy(a) if isinstance(a, np.ndarray) else a
                                    for a in args], **kw).numpy()

rng = np.random.default_rng(0)
results = []
for op in registry:
    if op.plugin != "example_ops":
        continue
    ref = oracle(op)
    for s in op.samples(rng, np.float64):
        what = f"{op.name} {s.note or 'sample'}"
        args = [loom.tensor(a) if isinstance(a, np.ndarray) else a for a in s.args]
        got = op.call(*args, **s.kwargs).numpy()
        want = np.asarray(ref(*s.args, **s.kwargs))
        forward = bool(got.shape == want.shape and got.dtype == want.dtype and
                       np.allclose(got, want, rtol=s.rtol, atol=s.atol))
        if op.reference is not None:
            forward = forward and bool(np.allclose(op.reference(*s.args, **s.kwargs), want))
        grad = None
        if s.grad and op.has_backward:
            # one differentiable input at a time, the others held constant
            grad = True
            for i, a in enumerate(s.args):
                if not isinstance(a, np.ndarray) or a.size == 0:
                    continue
                def fn(x, i=i):
                    return op.call(*[x if j == i else v for j, v in enumerate(args)])
                x = loom.tensor(a.copy(), requires_grad=True)
                grad = grad and bool(loom.autograd.gradcheck(fn, (x,), fast_mode=True))
        results.append([what, forward, grad])
OUT["results"] = results
"""


def test_op_pack_samples_pass_forward_and_gradcheck(workdir, op_pack_site):
    pytest.importorskip("torch")
    out = run_code(_SAMPLE_CHECK, workdir, [op_pack_site])
    results = out["results"]
    assert {r[0].split()[0] for r in results} == {"hypot", "softplus"}
    bad = [r for r in results if r[1] is not True or r[2] is False]
    assert not bad, bad
    assert sum(r[2] is True for r in results) >= 6


def test_registry_driven_op_tests_cover_the_op_pack(workdir, op_pack_site, tmp_path):
    """tests/test_ops.py runs every registered operator through the conformance kit, so with
    the pack installed it checks hypot and softplus like any bundled operator."""
    test_ops = REPO / "tests" / "test_ops.py"
    report = tmp_path / "report.xml"
    p = run(["-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}",
             str(test_ops), "-k", "hypot or softplus"], REPO, [op_pack_site], timeout=300)
    assert p.returncode == 0, p.stdout[-4000:] + p.stderr[-2000:]
    import xml.etree.ElementTree as ET

    names = [c.get("name") for c in ET.parse(report).iter("testcase")]
    for op in ("hypot", "softplus"):
        for check in ("forward", "gradient", "gradgrad"):
            assert any(n.startswith(f"test_operators[{op}-{check}-") for n in names), \
                (op, check, names)
    assert "test_operators[hypot-errors-error0]" in names
