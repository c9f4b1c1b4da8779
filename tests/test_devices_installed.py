"""The example backend (examples/device_npdev) installed by pip into a temporary target, as a
user installs a device plugin, and used by fresh interpreters that find it through its entry
point alone: the conformance kit's device parity for every bundled operator, a training step
moved onto it by `LOOM_DEFAULT_DEVICE` alone, the default device and the device's provider from
run time, environment and config file (that order), shown by `loom info`.
"""
from __future__ import annotations

import re

import pytest

from plugin_env import info_json, make_dist, run, run_code


def test_the_example_is_a_distribution_with_an_entry_point(npdev_site):
    (info,) = npdev_site.glob("loom_example_npdev-*.dist-info")
    assert "Name: loom-example-npdev" in (info / "METADATA").read_text()
    eps = (info / "entry_points.txt").read_text()
    assert "[loom.plugins]" in eps and "npdev = loom_npdev" in eps
    assert (npdev_site / "loom_npdev" / "loom-plugin.json").exists()


def test_every_operator_passes_device_parity_on_npdev(workdir, npdev_site):
    # one run over every bundled operator: each sample on npdev against the same on cpu,
    # values and (float64) gradients, and the backend's own contract
    # strict: npdev's ufuncs refuse host arrays as CuPy does, so a kernel that mixes a host
    # array into device work fails here as it would on a GPU
    p = run(["-m", "loom", "check", "ops_basic", "ops_linalg", "ops_nn", "npdev", "--checks",
             "device"], workdir, [npdev_site], timeout=600, NPDEV_STRICT="1")
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-2000:]
    assert "plugin ops_basic:" in p.stdout and "(device parity against cpu on: npdev)" in p.stdout
    assert "FAIL" not in p.stdout
    assert "device npdev: backend contract PASS" in p.stdout
    m = re.search(r"(\d+) operators checked: (\d+) passed, 0 failed", p.stdout)
    assert m and m.group(1) == m.group(2) and int(m.group(1)) > 200, p.stdout[-500:]
    assert re.search(r"^  mm +PASS +device \d+/\d+$", p.stdout, re.M)


TRAIN = """
    import numpy as np
    # the script names no device: only the setting moves it
    x = loom.tensor(np.linspace(-1, 1, 32, dtype=np.float32).reshape(16, 2))
    y = x @ loom.tensor([[2.0], [-3.0]]) + 0.5
    w = loom.zeros(2, 1, requires_grad=True)
    b = loom.zeros(1, requires_grad=True)
    losses = []
    for _ in range(20):
        loss = ((x.mm(w) + b - y) ** 2).mean()
        loss.backward()
        with loom.no_grad():
            w -= 0.5 * w.grad
            b -= 0.5 * b.grad
            w.grad.zero_()
            b.grad.zero_()
        losses.append(loss.item())
    OUT["devices"] = sorted({str(t.device) for t in (x, y, w, b, loss, w.grad, b.grad)})
    OUT["losses"] = losses
    OUT["default"] = [str(loom.get_default_device()),
                      loom.config.source("default_device")]
"""


def test_loom_default_device_alone_moves_a_training_step(workdir, npdev_site):
    on_npdev = run_code(TRAIN, workdir, [npdev_site], LOOM_DEFAULT_DEVICE="npdev",
                        NPDEV_STRICT="1")
    on_cpu = run_code(TRAIN, workdir, [npdev_site])
    assert on_npdev["table"]["npdev"]["status"] == "loaded"
    assert on_npdev["devices"] == ["npdev:0"]
    assert on_npdev["default"] == ["npdev", "environment (LOOM_DEFAULT_DEVICE)"]
    assert on_cpu["devices"] == ["cpu"]
    assert on_npdev["losses"] == pytest.approx(on_cpu["losses"], rel=1e-6)
    assert on_npdev["losses"][-1] < 0.05 * on_npdev["losses"][0]


def test_default_device_precedence_run_time_environment_file(tmp_path, npdev_site):
    (tmp_path / "loom.toml").write_text('default_device = "npdev"\n', encoding="utf-8")
    code = """
        OUT["start"] = [str(loom.zeros(1).device), loom.config.source("default_device")]
        with loom.config.using(default_device="cpu"):
            OUT["using"] = [str(loom.zeros(1).device), loom.config.source("default_device")]
        loom.set_default_device("cpu")
        OUT["set"] = [str(loom.zeros(1).device), loom.config.source("default_device")]
    """
    from_file = run_code(code, tmp_path, [npdev_site])
    assert from_file["start"][0] == "npdev:0"
    assert from_file["start"][1].startswith("config file (") and "loom.toml" in \
        from_file["start"][1]
    assert from_file["using"] == ["cpu", "run time (config.using)"]
    assert from_file["set"] == ["cpu", "run time"]
    env = run_code(code, tmp_path, [npdev_site], LOOM_DEFAULT_DEVICE="cpu")
    assert env["start"] == ["cpu", "environment (LOOM_DEFAULT_DEVICE)"]


def test_a_default_device_no_plugin_provides_is_reported(workdir):
    # without the example installed, npdev is no device type: the setting falls back
    out = run_code("""
        OUT["device"] = str(loom.zeros(1).device)
        OUT["problems"] = [str(p) for p in loom.config.problems()]
    """, workdir, LOOM_DEFAULT_DEVICE="npdev")
    assert out["device"] == "cpu"
    assert any("LOOM_DEFAULT_DEVICE" in p and "npdev" in p for p in out["problems"]), out


def test_loom_info_shows_devices_default_and_provider(workdir, npdev_site):
    info = info_json(workdir, [npdev_site], LOOM_DEFAULT_DEVICE="npdev")
    dev = {d["type"]: d for d in info["devices"]}
    assert dev["npdev"]["available"] and dev["npdev"]["count"] == 1
    assert dev["npdev"]["provider"] == "npdev"
    assert info["default_device"] == {"device": "npdev",
                                      "source": "environment (LOOM_DEFAULT_DEVICE)"}
    p = run(["-m", "loom", "info"], workdir, [npdev_site], LOOM_DEFAULT_DEVICE="npdev")
    assert re.search(r"^  npdev +available \(1\)  \[plugin npdev: its only provider\]$",
                     p.stdout, re.M), p.stdout
    assert "  default device: npdev (from environment (LOOM_DEFAULT_DEVICE))" in p.stdout


# A second plugin serving "npdev", with arrays of its own: the registry refuses it unless
# configuration names it as the provider.
RIVAL = """
import numpy as np
import loom
from loom.plugin import DeviceBackend, hookimpl


class RivalArray(np.ndarray):
    pass


class RivalBackend(DeviceBackend):
    type = "npdev"
    xp = np
    array_type = RivalArray

    def is_available(self):
        return True

    def device_of(self, array):
        return loom.device("npdev", 0)

    def asarray(self, host_array, index=None):
        return np.array(host_array).view(RivalArray)

    def to_host(self, array):
        return np.array(array, subok=False)


@hookimpl
def loom_register_devices():
    return [RivalBackend()]
"""


@pytest.fixture(scope="module")
def rival_site(tmp_path_factory):
    site = tmp_path_factory.mktemp("rival_site")
    make_dist(site, "loom-rival-npdev", "rival", "loom_rival_npdev", RIVAL)
    return site


def test_which_plugin_serves_a_device_type_comes_from_configuration(tmp_path, npdev_site,
                                                                    rival_site):
    code = """
        from loom import backends
        OUT["provider"] = backends.providers.get("npdev")
        OUT["array"] = type(loom.ones(1).to("npdev")._data).__name__
        OUT["source"] = loom.config.source("device_providers")
    """
    both = run_code(code, tmp_path, [npdev_site, rival_site])
    refused = [r for e in both["table"].values() for r in e["refused"]]
    assert len(refused) == 1 and "device type 'npdev' is provided by both plugin" in refused[0]
    assert "LOOM_DEVICE_PROVIDERS=npdev=<plugin>" in refused[0]

    chosen = run_code(code, tmp_path, [npdev_site, rival_site], LOOM_DEVICE_PROVIDERS="npdev=rival")
    assert chosen["provider"] == "rival" and chosen["array"] == "RivalArray"
    assert chosen["source"] == "environment (LOOM_DEVICE_PROVIDERS)"
    assert all(not e["refused"] for e in chosen["table"].values())

    (tmp_path / "loom.toml").write_text('device_providers = { npdev = "npdev" }\n',
                                        encoding="utf-8")
    from_file = run_code(code, tmp_path, [npdev_site, rival_site])
    assert from_file["provider"] == "npdev" and from_file["array"] == "NpArray"
    assert from_file["source"].startswith("config file (")
    env_wins = run_code(code, tmp_path, [npdev_site, rival_site],
                        LOOM_DEVICE_PROVIDERS="npdev=rival")
    assert env_wins["provider"] == "rival"


def test_strict_npdev_refuses_host_arrays_as_cupy_does(workdir, npdev_site):
    out = run_code("""
        import numpy as np
        x = loom.ones(3, device="npdev")
        OUT["mixed"] = error_of(lambda: x._data + np.ones(3))
        OUT["scalar"] = (x * 2 + np.float32(1)).tolist()
    """, workdir, [npdev_site], NPDEV_STRICT="1")
    assert out["mixed"] == ["TypeError", "npdev (strict): add.__call__ was given a host array "
                                         "of shape (3,); move it to the device first"]
    assert out["scalar"] == [3.0, 3.0, 3.0]
