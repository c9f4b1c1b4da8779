"""The module-level names training scripts touch before any tensor: random seeding
(`loom.random`), determinism and thread switches, `loom.backends.*` flags, `loom.accelerator`,
`loom.version`, `loom.hub`; each against PyTorch's CPU build."""
import subprocess
import sys

import numpy as np
import pytest
import torch

import loom


def _outcome(fn):
    try:
        return ("ok", fn())
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e)


# ----------------------------------------------------------------------------- loom.random

def test_random_module_seeds_as_torch():
    for lib in (torch, loom):
        assert lib.random.manual_seed(3) is lib.random.default_generator
        assert lib.random.default_generator is lib.default_generator
    assert loom.random.initial_seed() == torch.random.initial_seed() == 3
    np.testing.assert_array_equal(loom.rand(4).numpy(), torch.rand(4).numpy())
    assert loom.random.get_rng_state().numpy().tobytes() == \
        torch.random.get_rng_state().numpy().tobytes()
    state = loom.random.get_rng_state()
    a = loom.rand(3)
    loom.random.set_rng_state(state)
    assert loom.equal(loom.rand(3), a)
    s = loom.random.seed()
    assert loom.random.initial_seed() == s


def test_fork_rng_restores_the_cpu_state_as_torch():
    res = {}
    for lib in (torch, loom):
        lib.manual_seed(11)
        with lib.random.fork_rng():
            inside = lib.rand(3).tolist()
        after = lib.rand(3).tolist()
        with lib.random.fork_rng(enabled=False):
            lib.rand(1)
        res[lib.__name__] = (inside, after, lib.rand(2).tolist())
    assert res["loom"] == res["torch"]


# ------------------------------------------------------------- determinism and threads

@pytest.fixture
def _restore_flags():
    saved = (loom.are_deterministic_algorithms_enabled(),
             loom.is_deterministic_algorithms_warn_only_enabled(), loom.get_num_threads(),
             loom.get_num_interop_threads(), loom.get_float32_matmul_precision())
    yield
    loom.use_deterministic_algorithms(saved[0], warn_only=saved[1])
    loom.set_num_threads(saved[2])
    loom.set_num_interop_threads(saved[3])
    loom.set_float32_matmul_precision(saved[4])


def test_determinism_switches_as_torch(_restore_flags):
    def run(lib):
        out = [lib.are_deterministic_algorithms_enabled(), lib.get_deterministic_debug_mode()]
        try:
            lib.use_deterministic_algorithms(True)
            out += [lib.are_deterministic_algorithms_enabled(),
                    lib.is_deterministic_algorithms_warn_only_enabled(),
                    lib.get_deterministic_debug_mode()]
            lib.use_deterministic_algorithms(True, warn_only=True)
            out += [lib.is_deterministic_algorithms_warn_only_enabled(),
                    lib.get_deterministic_debug_mode()]
            for mode in ("default", "error", 1, 0):
                lib.set_deterministic_debug_mode(mode)
                out.append((lib.are_deterministic_algorithms_enabled(),
                            lib.get_deterministic_debug_mode()))
            out += [_outcome(lambda: lib.set_deterministic_debug_mode("bad")),
                    _outcome(lambda: lib.set_deterministic_debug_mode(5)),
                    _outcome(lambda: lib.use_deterministic_algorithms(1))[0]]
        finally:
            lib.use_deterministic_algorithms(False)
        return out
    assert run(loom) == run(torch)


def test_thread_counts_as_torch(_restore_flags):
    import os
    assert loom.get_num_threads() == len(os.sched_getaffinity(0)) or loom.get_num_threads() > 0
    for lib in (torch, loom):
        lib.set_num_threads(1)
    assert loom.get_num_threads() == torch.get_num_threads() == 1
    for bad in (0, -1, 2.0):
        assert _outcome(lambda: loom.set_num_threads(bad)) == \
            _outcome(lambda: torch.set_num_threads(bad))
    assert _outcome(lambda: loom.set_num_interop_threads(0)) == \
        _outcome(lambda: torch.set_num_interop_threads(0))
    assert loom.get_num_interop_threads() > 0


def test_float32_matmul_precision_as_torch(_restore_flags):
    for lib in (torch, loom):
        lib.set_float32_matmul_precision("high")
        assert lib.get_float32_matmul_precision() == "high"
        with pytest.warns(UserWarning, match="x is not one of 'highest', 'high', or 'medium'"):
            lib.set_float32_matmul_precision("x")
        assert lib.get_float32_matmul_precision() == "high"
        lib.set_float32_matmul_precision("highest")


# ------------------------------------------------------------------- backends, accelerator

def test_backend_flags_read_as_torchs_cpu_build():
    b, t = loom.backends, torch.backends
    for path in ("mps.is_available", "mps.is_built", "cudnn.is_available", "cuda.is_built",
                 "cuda.math_sdp_enabled", "cuda.flash_sdp_enabled"):
        mod, fn = path.split(".")
        assert getattr(getattr(b, mod), fn)() == getattr(getattr(t, mod), fn)(), path
    for path in ("cudnn.deterministic", "cudnn.benchmark", "cudnn.enabled", "cudnn.allow_tf32"):
        mod, attr = path.split(".")
        assert getattr(getattr(b, mod), attr) == getattr(getattr(t, mod), attr), path
    assert b.cuda.matmul.allow_tf32 == t.cuda.matmul.allow_tf32
    assert b.cudnn.version() is t.cudnn.version() is None


def test_backend_flags_are_settable_and_importable():
    cudnn = loom.backends.cudnn
    cudnn.benchmark, cudnn.deterministic = True, True
    try:
        import loom.backends.cudnn as again
        assert again is cudnn and again.benchmark and again.deterministic
    finally:
        cudnn.benchmark, cudnn.deterministic = False, False
    loom.backends.cuda.matmul.allow_tf32 = True
    loom.backends.cuda.matmul.allow_tf32 = False
    assert loom.backends.backends["cpu"] is not None  # the device registry is still there


def test_accelerator_as_torchs_cpu_build():
    for name in ("is_available", "current_accelerator", "device_count"):
        assert getattr(loom.accelerator, name)() == getattr(torch.accelerator, name)(), name
    for call in (lambda L: L.accelerator.current_device_index(),
                 lambda L: L.accelerator.set_device_index(0),
                 lambda L: L.accelerator.synchronize()):
        assert _outcome(lambda: call(loom)) == _outcome(lambda: call(torch))


def test_accelerator_sees_a_device_plugin(tmp_path):
    # in a fresh interpreter with the test device backend registered
    code = ("import loom\nfrom loom import plugins\nimport loom_npdev\n"
            "plugins.load_plugin('npdev', loom_npdev)\n"
            "print(loom.accelerator.is_available(), loom.accelerator.current_accelerator(),"
            " loom.accelerator.device_count() > 0)\n")
    from plugin_env import NPDEV
    import os
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(NPDEV), os.environ.get("PYTHONPATH", ""),
                                                       *sys.path]))
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                       cwd=tmp_path, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["True", "npdev", "True"]


# ------------------------------------------------------------------------ version, hub

def test_version_as_torchs_cpu_build():
    assert loom.version.cuda is torch.version.cuda is None
    assert loom.version.hip is torch.version.hip is None
    assert loom.version.__version__ == loom.__version__
    assert loom.version.debug is False


def test_hub_is_there_and_says_it_downloads_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))
    assert loom.hub.get_dir() == torch.hub.get_dir() == str(tmp_path / "th" / "hub")
    for call in (lambda: loom.hub.load("pytorch/vision", "resnet18"),
                 lambda: loom.hub.list("pytorch/vision"),
                 lambda: loom.hub.load_state_dict_from_url("https://x.org/w/model.pth")):
        with pytest.raises(RuntimeError, match="loom does not download"):
            call()
    # a file already in the cache is read
    ck = tmp_path / "th" / "hub" / "checkpoints"
    ck.mkdir(parents=True)
    loom.save({"w": loom.ones(2)}, ck / "model.pth")
    sd = loom.hub.load_state_dict_from_url("https://x.org/w/model.pth")
    assert loom.equal(sd["w"], loom.ones(2))
    loom.hub.set_dir(tmp_path / "elsewhere")
    try:
        assert loom.hub.get_dir() == str(tmp_path / "elsewhere")
    finally:
        loom.hub._dir = None


def test_top_level_names_exist():
    for name in ("set_printoptions", "use_deterministic_algorithms", "set_num_threads",
                 "compile", "vmap", "autocast", "random", "special", "fft", "func",
                 "distributions", "hub", "jit", "amp", "accelerator", "version", "compiler"):
        assert hasattr(loom, name), name
