"""The signal op pack (examples/op_pack_signal), installed by pip into a temporary target as a
user installs it: found through its entry point alone in a fresh interpreter, right against
PyTorch, passing `python -m loom check`, listed by `loom info`, gone when removed; a planted
broken copy fails the check with a report that says what is wrong; a pack written for another
plugin API is refused at load, naming both versions."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from plugin_env import SIGNAL, info_json, run, run_code

OPS = ["signal::circular_conv", "signal::conv1d", "signal::moving_average"]


def test_pack_is_a_distribution_with_an_entry_point_and_its_data(signal_site):
    (info,) = signal_site.glob("loom_signal_ops-*.dist-info")
    assert "Name: loom-signal-ops" in (info / "METADATA").read_text()
    assert "signal_ops = loom_signal" in (info / "entry_points.txt").read_text()
    data = json.loads((signal_site / "loom_signal" / "loom-plugin.json").read_text())
    assert data == {"api": "1.0", "operators": OPS, "devices": []}


def test_shipped_data_matches_what_the_pack_registers(workdir, signal_site):
    p = run(["-m", "loom", "catalog", "signal_ops"], workdir, [signal_site])
    assert p.returncode == 0, p.stderr
    shipped = json.loads((SIGNAL / "loom_signal" / "loom-plugin.json").read_text())
    assert json.loads(p.stdout) == shipped, "regenerate loom_signal/loom-plugin.json"


def test_pack_is_used_through_discovery_alone(workdir, signal_site):
    out = run_code("""
        import numpy as np
        rng = np.random.default_rng(0)
        x = rng.standard_normal((2, 4, 11)); w = rng.standard_normal((6, 2, 3))
        b = rng.standard_normal(6)
        X, W, B = (loom.tensor(v, requires_grad=True) for v in (x, w, b))
        y = loom.ops.signal.conv1d(X, W, B, stride=2, padding=1, dilation=2, groups=2)
        (y * y).sum().backward()
        OUT["conv"] = [y.tolist(), X.grad.tolist(), W.grad.tolist(), B.grad.tolist()]
        OUT["node"] = type(y.grad_fn).__name__
        s = loom.tensor(rng.standard_normal((3, 9)), requires_grad=True)
        m = loom.ops.signal.moving_average(s, 4)
        g, = loom.autograd.grad((m ** 2).sum(), s, create_graph=True)
        g.sum().backward()
        OUT["avg"] = [m.tolist(), g.tolist(), s.grad.tolist(), s.tolist()]
        a, c = loom.randn(5, dtype=loom.float64), loom.randn(5, dtype=loom.float64)
        OUT["circ"] = [loom.ops.signal.circular_conv(a, c).tolist(), a.tolist(), c.tolist()]
        OUT["error"] = error_of(lambda: loom.ops.signal.conv1d(loom.ones(2, 4, 10),
                                                                 loom.ones(6, 3, 3)))
    """, workdir, [signal_site])
    assert out["table"]["signal_ops"]["status"] == "loaded"
    assert sorted(out["table"]["signal_ops"]["ops"]) == OPS
    assert out["node"] == "GeneratedBackwardFor_signal_conv1d_defaultBackward"
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 11)); w = rng.standard_normal((6, 2, 3))
    b = rng.standard_normal(6)
    X, W, B = (torch.tensor(v, requires_grad=True) for v in (x, w, b))
    y = torch.conv1d(X, W, B, stride=2, padding=1, dilation=2, groups=2)
    (y * y).sum().backward()
    for got, want in zip(out["conv"], [y, X.grad, W.grad, B.grad]):
        np.testing.assert_allclose(got, want.detach().numpy(), rtol=1e-10, atol=1e-12)
    m, g, gg, s = (np.array(v) for v in out["avg"])
    want = np.lib.stride_tricks.sliding_window_view(s, 4, axis=-1).mean(-1)
    np.testing.assert_allclose(m, want, rtol=1e-12)
    # d/ds sum(m^2) = 2 m spread back over each window / 4; its gradient is constant in s
    T = torch.tensor(s, requires_grad=True)
    M = T.unfold(-1, 4, 1).mean(-1)
    (G,) = torch.autograd.grad((M ** 2).sum(), T, create_graph=True)
    G.sum().backward()
    np.testing.assert_allclose(g, G.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(gg, T.grad.numpy(), rtol=1e-12)
    r, a, c = (np.array(v) for v in out["circ"])
    np.testing.assert_allclose(r, np.fft.irfft(np.fft.rfft(a) * np.fft.rfft(c), 5), atol=1e-12)
    assert out["error"] == ["RuntimeError", "Given groups=1, weight of size [6, 3, 3], expected "
                            "input[2, 4, 10] to have 3 channels, but got 4 channels instead"]


def test_pack_passes_loom_check(workdir, signal_site):
    p = run(["-m", "loom", "check", "signal_ops"], workdir, [signal_site], timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "plugin signal_ops: 3 operators, all passed" in p.stdout
    for name in OPS:
        assert any(line.split()[:2] == [name, "PASS"] for line in p.stdout.splitlines()), name
    assert "3 operators checked: 3 passed, 0 failed" in p.stdout


def test_pack_in_loom_info_with_its_custom_ops(workdir, signal_site):
    info = info_json(workdir, [signal_site])
    plugin = next(p for p in info["plugins"] if p["name"] == "signal_ops")
    assert plugin["status"] == "loaded" and plugin["version"] == "0.1.0"
    assert plugin["module"] == "loom_signal" and plugin["operators"] == OPS
    custom = {o["name"]: o for o in info["custom_ops"]}
    assert {n: custom[n]["provider"] for n in OPS} == {n: "signal_ops" for n in OPS}
    assert all(custom[n]["has_backward"] and custom[n]["devices"] == ["cpu"] for n in OPS)
    p = run(["-m", "loom", "info"], workdir, [signal_site])
    section = p.stdout.split("Custom operators:")[1].split("Failures:")[0]
    assert "signal::conv1d" in section and "from signal_ops" in section


def test_pack_suite_runs_the_kit_through_the_pytest_plugin(workdir, signal_site, tmp_path):
    report = tmp_path / "report.xml"
    p = run(["-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}",
             str(SIGNAL / "tests")], workdir, [signal_site], timeout=300)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-2000:]
    import xml.etree.ElementTree as ET

    names = [c.get("name") for c in ET.parse(report).iter("testcase")]
    for op in OPS:
        for check in ("forward", "gradient", "gradgrad", "errors"):
            assert any(n.startswith(f"test_signal_ops[{op}-{check}-") for n in names), (op, check)


def _copy(site, tmp_path, name):
    dst = tmp_path / name
    shutil.copytree(site, dst, ignore=shutil.ignore_patterns("__pycache__"))
    return dst


def test_removed_pack_is_no_longer_seen(workdir, signal_site, tmp_path):
    site = _copy(signal_site, tmp_path, "site")
    assert "signal_ops" in [p["name"] for p in info_json(workdir, [site])["plugins"]]
    # what `pip uninstall` does: the package and its metadata are gone
    shutil.rmtree(site / "loom_signal")
    for info in site.glob("loom_signal_ops-*.dist-info"):
        shutil.rmtree(info)
    info = info_json(workdir, [site])
    assert "signal_ops" not in [p["name"] for p in info["plugins"]]
    assert not [o for o in info["custom_ops"] if o["name"].startswith("signal::")]
    out = run_code("OUT['e'] = error_of(lambda: loom.ops.signal.conv1d)", workdir, [site])
    assert out["e"] == ["AttributeError",
                        "'_OpNamespace' 'signal' object has no attribute 'conv1d'"]


def test_broken_copy_fails_the_check_saying_what_is_wrong(workdir, signal_site, tmp_path):
    site = _copy(signal_site, tmp_path, "broken")
    pkg = site / "loom_signal"
    conv = (pkg / "conv.py").read_text()
    planted = conv.replace("gb = g.sum((0, 2))", "gb = g.sum((0, 2)) * 2")  # wrong backward
    assert planted != conv
    (pkg / "conv.py").write_text(planted)
    smooth = (pkg / "smooth.py").read_text()
    planted = smooth.replace("samples=_samples, ", "")  # samples missing
    assert planted != smooth
    (pkg / "smooth.py").write_text(planted)
    p = run(["-m", "loom", "check", "signal_ops"], workdir, [site], timeout=300)
    assert p.returncode == 1, p.stdout + p.stderr
    lines = p.stdout.splitlines()
    assert "plugin signal_ops: 3 operators, 2 failed" in p.stdout
    assert any(line.split()[:2] == ["signal::circular_conv", "PASS"] for line in lines)
    assert any(line.split()[:2] == ["signal::conv1d", "FAIL"] for line in lines)
    # the bias (input 2) gradient is off by the planted factor 2, and nothing else is
    failed = [line for line in lines if "FAILED gradient" in line]
    assert failed and all("with respect to input 2" in line and "Jacobian entries differ" in line
                          for line in failed), p.stdout
    assert any(line.split()[:2] == ["signal::moving_average", "FAIL"] for line in lines)
    assert "no sample inputs" in p.stdout
    assert "3 operators checked: 1 passed, 2 failed" in p.stdout


@pytest.mark.parametrize("where", ["json", "module"])
def test_pack_for_another_plugin_api_is_refused_naming_both_versions(workdir, signal_site,
                                                                     tmp_path, where):
    site = _copy(signal_site, tmp_path, "other_api")
    pkg = site / "loom_signal"
    if where == "json":
        data = json.loads((pkg / "loom-plugin.json").read_text())
        data["api"] = "2.0"
        (pkg / "loom-plugin.json").write_text(json.dumps(data))
        origin = "its loom-plugin.json"
    else:
        init = (pkg / "__init__.py").read_text()
        (pkg / "__init__.py").write_text(init.replace('LOOM_PLUGIN_API = "1.0"',
                                                      'LOOM_PLUGIN_API = "2.0"'))
        origin = "loom_signal.LOOM_PLUGIN_API"
    out = run_code("OUT['e'] = error_of(lambda: loom.ops.signal.conv1d)", workdir, [site])
    entry = out["table"]["signal_ops"]
    assert entry["status"] == "failed" and entry["ops"] == []
    assert entry["error"] == (f"PluginApiError: plugin 'signal_ops' targets loom plugin API 2.0 "
                              f"({origin}), but this loom provides plugin API 1.0; upgrade loom")
    warning = [w for w in out["warnings"] if "signal_ops" in w[1]]
    assert warning and "Traceback" not in warning[0][1]
    assert out["e"][0] == "AttributeError"


def test_op_packs_page_examples_run_with_the_pack_installed(workdir, signal_site):
    """Every ```python block of docs/op_packs.md, in order, in one fresh interpreter."""
    import re

    page = SIGNAL.parents[1] / "docs" / "op_packs.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 3
    src = "\n".join(f"# --- block {i}\n{b}" for i, b in enumerate(blocks))
    # the hook block imports the pack's modules relative to its package: run it as the pack
    src = src.replace("from .conv", "from loom_signal.conv").replace(
        "from .fftconv", "from loom_signal.fftconv").replace("from .smooth",
                                                             "from loom_signal.smooth")
    p = run(["-c", src], workdir, [signal_site], timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    assert "plugin signal_ops: 3 operators, all passed" in p.stdout
