"""Devices, on the example backend (examples/device_npdev, the "npdev" device: NumPy memory
under an array type of its own), loaded in this process through `loom.plugins.load_plugin` —
what the entry-point loader does with an installed plugin. tests/test_devices_installed.py
installs it with pip and runs the kit's device parity and a training step in fresh
interpreters.

Covered: the registry refusing a taken device or array type, factories and ``*_like`` on the
requested and the default device, device indices, transfers (and gradients through them),
PyTorch's mixed-device error, a backend's own kernel for an operator, per-device generators,
memory statistics, streams and events through the device module, DLPack, and the backend
contract check.
"""
from __future__ import annotations

import sys

import numpy as np
import pytest

import loom
from loom import backends, plugins
from loom.backends import DeviceClashError
from loom.plugin import DeviceBackend

from plugin_env import NPDEV

torch = pytest.importorskip("torch")

MIXED = "Expected all tensors to be on the same device, but found at least two devices, {} and {}!"


@pytest.fixture(scope="module")
def npdev():
    sys.path.insert(0, str(NPDEV))
    try:
        import loom_npdev
        assert plugins.load_plugin("npdev", loom_npdev, version=loom_npdev.__version__)
        yield loom_npdev
    finally:
        # leave the registry as other test modules expect it: no second device
        backends.unregister_backend("npdev")
        if "loom_npdev" in sys.modules and plugins.manager.is_registered(sys.modules["loom_npdev"]):
            plugins.manager.unregister(sys.modules["loom_npdev"])
        plugins.plugin_table.pop("npdev", None)
        sys.path.remove(str(NPDEV))


def _array_class(name):
    """A new ndarray subclass: an array type no backend uses yet."""
    return type(name, (np.ndarray,), {})


def _on(t, dev="npdev:0"):
    return str(t.device) == dev


# --------------------------------------------------------------------------- the registry

def test_a_taken_device_type_is_refused_naming_both_plugins(npdev):
    class Again(npdev.NpdevBackend):
        array_type = _array_class("OtherArray")

    with pytest.raises(DeviceClashError, match="device type 'npdev' is provided by both plugin "
                                               "'npdev' and plugin 'copycat'"):
        backends.register_backend(Again(), "copycat")
    assert backends.providers["npdev"] == "npdev"


def test_a_taken_array_type_is_refused(npdev):
    class SameArrays(npdev.NpdevBackend):
        type = "npdev2"

    with pytest.raises(DeviceClashError, match=r"declares the array type loom_npdev\.arrays\."
                                               r"NpArray, which device type 'npdev' of plugin "
                                               r"'npdev' already uses"):
        backends.register_backend(SameArrays(), "copycat")

    class NumpyArrays(DeviceBackend):  # what a first try at a NumPy device does
        type, xp, array_type = "npdev3", np, np.ndarray

    with pytest.raises(DeviceClashError, match="which device type 'cpu' of plugin 'cpu'"):
        backends.register_backend(NumpyArrays(), "copycat")
    assert "npdev2" not in backends.backends and "npdev3" not in backends.backends
    assert loom.ones(2).device.type == "cpu"  # the CPU kept its arrays


def test_the_cpu_cannot_be_taken(npdev):
    class FakeCPU(npdev.NpdevBackend):
        type = "cpu"
        array_type = _array_class("CPUArray")

    with pytest.raises(DeviceClashError, match="the CPU backend is loom's own"):
        backends.register_backend(FakeCPU(), "copycat")


# --------------------------------------------------------------------------- placement

FACTORIES = [
    ("zeros", lambda d: loom.zeros(2, 3, device=d)),
    ("ones", lambda d: loom.ones(2, device=d)),
    ("empty", lambda d: loom.empty(2, device=d)),
    ("full", lambda d: loom.full((2,), 3.0, device=d)),
    ("arange", lambda d: loom.arange(5, device=d)),
    ("linspace", lambda d: loom.linspace(0, 1, 5, device=d)),
    ("logspace", lambda d: loom.logspace(0, 1, 5, device=d)),
    ("eye", lambda d: loom.eye(3, device=d)),
    ("rand", lambda d: loom.rand(2, 2, device=d)),
    ("randn", lambda d: loom.randn(3, device=d)),
    ("randint", lambda d: loom.randint(0, 5, (3,), device=d)),
    ("randperm", lambda d: loom.randperm(4, device=d)),
    ("tensor", lambda d: loom.tensor([1.0, 2.0], device=d)),
    ("as_tensor", lambda d: loom.as_tensor([1, 2], device=d)),
    ("asarray", lambda d: loom.asarray(np.ones(2), device=d)),
    ("new_zeros", lambda d: loom.ones(1).new_zeros(2, device=d)),
    ("Tensor", lambda d: loom.Tensor(2, 3, device=d)),
]
LIKE = ["zeros_like", "ones_like", "empty_like", "rand_like", "randn_like", "full_like",
        "randint_like"]


@pytest.mark.parametrize("name, make", FACTORIES, ids=[f[0] for f in FACTORIES])
def test_factories_land_on_the_requested_device(npdev, name, make):
    t = make("npdev")
    assert _on(t) and type(t._data) is npdev.NpArray
    assert _on(make("npdev:0"))
    assert make("cpu").device.type == "cpu"


@pytest.mark.parametrize("name, make", FACTORIES, ids=[f[0] for f in FACTORIES])
def test_factories_follow_the_default_device(npdev, name, make):
    if name in ("new_zeros", "Tensor"):
        pytest.skip("new_* take their tensor's device and the legacy Tensor() the CPU, not "
                    "the default device (as in PyTorch)")
    with loom.config.using(default_device="npdev"):
        assert _on(make(None))
    assert make(None).device.type == "cpu"


@pytest.mark.parametrize("name", LIKE)
def test_like_factories_take_the_input_device(npdev, name):
    x = loom.ones(2, 3, device="npdev")
    args = {"full_like": (7.0,), "randint_like": (5,)}.get(name, ())
    r = getattr(loom, name)(x, *args)
    assert _on(r) and r.shape == (2, 3)
    assert getattr(loom, name)(x, *args, device="cpu").device.type == "cpu"
    assert _on(getattr(loom, name)(loom.ones(2), *args, device="npdev"))


def test_set_default_device_moves_new_tensors(npdev):
    loom.set_default_device("npdev")
    try:
        assert str(loom.get_default_device()) == "npdev"
        w = loom.randn(3, 1, requires_grad=True)
        x = loom.tensor([[1.0, 2.0, 3.0]])
        loss = (x.mm(w) ** 2).sum()
        loss.backward()
        assert _on(w) and _on(x) and _on(loss) and _on(w.grad)
    finally:
        loom.set_default_device(None)
    assert loom.zeros(1).device.type == "cpu"


def test_an_index_beyond_device_count_raises(npdev):
    msg = ("invalid device ordinal: device 'npdev:1' was requested, but device type 'npdev' "
           "has 1 device(s)")
    x = loom.ones(2)
    for make in (lambda: x.to("npdev:1"), lambda: loom.zeros(2, device="npdev:1"),
                 lambda: x.to("npdev").to("npdev:1"), lambda: loom.tensor([1.0], device=
                                                                          loom.device("npdev", 1)),
                 lambda: loom.get_device_module("npdev").set_device(1)):
        with pytest.raises(RuntimeError) as e:
            make()
        assert str(e.value) == msg
    assert loom.get_device_module("npdev").device_count() == 1


def test_an_unknown_device_type_names_the_loaded_ones(npdev):
    with pytest.raises(RuntimeError, match=r"device 'nosuch' is not available: no installed "
                                           r"plugin provides device type 'nosuch' \(loaded "
                                           r"device types: cpu, cuda, npdev\)"):
        loom.zeros(1, device="nosuch")


# --------------------------------------------------------------------------- transfers

def test_to_and_cpu_copy_and_round_trip(npdev):
    x = loom.arange(6.0).view(2, 3)
    y = x.to("npdev")
    assert _on(y) and y.tolist() == x.tolist() and y.dtype is x.dtype
    assert y.to("npdev") is y and y.to("npdev:0") is y  # already there: no copy
    back = y.cpu()
    assert back.device == loom.device("cpu") and back.tolist() == x.tolist()
    back[0, 0] = 100.0  # .cpu() owns its memory
    assert y[0, 0].item() == 0.0 and x[0, 0].item() == 0.0
    z = x.to("npdev", loom.float64, False, True)  # to(device, dtype, non_blocking, copy)
    assert _on(z) and z.dtype is loom.float64
    assert x.to(device="npdev", dtype=loom.int32, non_blocking=True).dtype is loom.int32
    assert _on(loom.ones(1).to(y)) and loom.ones(1).to(y).dtype is y.dtype
    c = y.to("npdev", copy=True)
    assert c is not y and c.tolist() == y.tolist()
    assert y.get_device() == 0 and x.get_device() == -1
    assert not y.is_cuda and not y.is_cpu and x.is_cpu


def test_gradients_flow_back_across_devices(npdev):
    x = loom.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = x.to("npdev")
    assert y.grad_fn.name() == "ToCopyBackward0"
    (y * y).sum().backward()
    assert x.grad.device.type == "cpu" and x.grad.tolist() == [2.0, -4.0, 6.0]
    w = loom.ones(3, device="npdev", requires_grad=True)
    (w.cpu() * 3).sum().backward()
    assert _on(w.grad) and w.grad.tolist() == [3.0, 3.0, 3.0]


def test_mixed_devices_raise_pytorchs_error_naming_both(npdev):
    a, b = loom.ones(3), loom.ones(3, device="npdev")
    for f, first, second in ((lambda: a + b, "cpu", "npdev:0"), (lambda: b * a, "npdev:0", "cpu"),
                             (lambda: loom.cat([b, a]), "npdev:0", "cpu"),
                             (lambda: loom.where(a > 0, b, b), "cpu", "npdev:0"),
                             (lambda: a.view(3, 1).mm(b.view(1, 3)), "cpu", "npdev:0")):
        with pytest.raises(RuntimeError) as e:
            f()
        assert str(e.value) == MIXED.format(first, second)
    # a 0-dim CPU tensor may join a tensor of any device, as in PyTorch
    r = b * loom.tensor(2.0)
    assert _on(r) and r.tolist() == [2.0, 2.0, 2.0]


def test_in_place_copy_moves_the_source(npdev):
    dst = loom.zeros(3, device="npdev")
    dst.copy_(loom.tensor([1.0, 2.0, 3.0]))
    assert _on(dst) and dst.tolist() == [1.0, 2.0, 3.0]


def test_numpy_asks_for_cpu_first(npdev):
    t = loom.ones(2, device="npdev")
    with pytest.raises(TypeError, match=r"can't convert npdev:0 device type tensor to numpy\. "
                                        r"Use Tensor\.cpu\(\) to copy the tensor to host memory "
                                        r"first\."):
        t.numpy()
    assert t.cpu().numpy().tolist() == [1.0, 1.0]


def test_dlpack_shares_memory_with_pytorch(npdev):
    t = loom.arange(4.0, device="npdev")
    tt = torch.from_dlpack(t)  # npdev memory is host memory: a CPU torch tensor over it
    tt[0] = 10.0
    assert t[0].item() == 10.0
    back = loom.from_dlpack(torch.arange(3.0))
    assert back.device.type == "cpu" and back.tolist() == [0.0, 1.0, 2.0]


# --------------------------------------------------------------------------- kernels

def test_a_backend_kernel_replaces_the_shared_one_on_its_device(npdev):
    x = loom.linspace(-30, 30, 7, dtype=loom.float64)
    before = npdev.NpdevBackend.override_calls
    got = loom.sigmoid(x.to("npdev"))
    assert npdev.NpdevBackend.override_calls == before + 1
    loom.sigmoid(x)  # the CPU keeps the shared kernel
    assert npdev.NpdevBackend.override_calls == before + 1
    want = torch.sigmoid(torch.linspace(-30, 30, 7, dtype=torch.float64))
    np.testing.assert_allclose(got.cpu().numpy(), want.numpy(), rtol=1e-12, atol=1e-300)


def test_an_operators_own_device_kernel_comes_before_the_backends(npdev):
    from loom.plugin import register, unary
    entry = register(unary("sigmoid_dev_probe", lambda xp, x: 1 / (1 + xp.exp(-x)),
                           dx=lambda y: y * (1 - y), device_kernels={"npdev": lambda xp, x: x * 0},
                           functions=("sigmoid_dev_probe",)), plugin="tests")
    try:
        assert loom.sigmoid_dev_probe(loom.ones(2, device="npdev")).tolist() == [0.0, 0.0]
        assert loom.sigmoid_dev_probe(loom.zeros(1)).tolist() == [0.5]
    finally:
        loom.plugin.registry.unregister(entry)


# --------------------------------------------------------------------------- random numbers

def test_each_device_has_its_own_generator(npdev):
    g = loom.Generator("npdev")
    assert g.device == loom.device("npdev", 0)
    a = loom.rand(4, generator=g.manual_seed(5), device="npdev")
    b = loom.rand(4, generator=g.manual_seed(5), device="npdev")
    assert _on(a) and a.tolist() == b.tolist() and g.initial_seed() == 5
    state = g.get_state()
    c = loom.randn(3, generator=g, device="npdev")
    g.set_state(state)
    assert loom.randn(3, generator=g, device="npdev").tolist() == c.tolist()
    with pytest.raises(RuntimeError, match="Expected a 'cpu' device type for generator but "
                                           "found 'npdev'"):
        loom.rand(2, generator=g)


def test_manual_seed_reaches_every_device(npdev):
    loom.manual_seed(11)
    a = loom.rand(3, device="npdev")
    cpu_a = loom.rand(3)
    loom.get_device_module("npdev").manual_seed_all(11)
    b = loom.rand(3, device="npdev")
    assert a.tolist() == b.tolist()
    loom.manual_seed(11)
    assert loom.rand(3, device="npdev").tolist() == a.tolist()
    assert loom.rand(3).tolist() == cpu_a.tolist()


# --------------------------------------------------------------------------- the device module

def test_memory_statistics_count_live_tensors(npdev):
    mod = loom.get_device_module("npdev")
    before = mod.memory_allocated()
    t = loom.zeros(1 << 17, dtype=loom.float64, device="npdev")  # 1 MiB
    assert mod.memory_allocated() == before + t.nbytes
    assert mod.max_memory_allocated() >= before + t.nbytes
    view = t[10:20]  # a view costs nothing more
    assert mod.memory_allocated("npdev:0") == before + t.nbytes
    del t, view
    assert mod.memory_allocated(0) == before
    mod.reset_peak_memory_stats()
    assert mod.max_memory_allocated() == mod.memory_allocated()
    assert mod.memory_reserved() == mod.memory_allocated()
    mod.empty_cache()


def test_device_module_answers_for_its_type(npdev):
    mod = loom.get_device_module("npdev")
    assert mod is loom.get_device_module(loom.device("npdev", 0))
    assert mod.is_available() and mod.device_count() == 1 and mod.current_device() == 0
    mod.set_device(0)
    with mod.device("npdev:0"):
        assert mod.current_device() == 0
    with pytest.raises(ValueError, match="Expected a npdev device, but got: cpu"):
        mod.set_device("cpu")
    mod.synchronize()
    assert mod.get_device_name() == "npdev:0"
    with loom.config.using(default_device="npdev"):
        assert loom.get_device_module() is mod


def test_streams_and_events_of_a_synchronous_device(npdev):
    mod = loom.get_device_module("npdev")
    s = mod.Stream()
    start, end = mod.Event(enable_timing=True), mod.Event(enable_timing=True)
    with mod.stream(s):
        start.record(s)
        y = loom.ones(100, device="npdev").sum()
        end.record(s)
    end.synchronize()
    assert s.query() and end.query() and y.item() == 100.0
    assert start.elapsed_time(end) >= 0.0
    s.wait_stream(mod.current_stream())
    with pytest.raises(RuntimeError, match="Both events must be created with argument "
                                           "'enable_timing=True'."):
        mod.Event().elapsed_time(end)


def test_pin_memory_needs_an_accelerator_with_pinned_memory(npdev):
    t = loom.ones(3)
    p = t.pin_memory()  # npdev needs no pinning: a copy in ordinary memory
    assert p.device.type == "cpu" and p.tolist() == [1.0, 1.0, 1.0] and not p.is_pinned()
    with pytest.raises(RuntimeError, match="only dense CPU tensors can be pinned"):
        loom.ones(1, device="npdev").pin_memory()


def test_the_example_keeps_the_backend_contract(npdev):
    assert loom.testing.check_backend("npdev") == []
    with pytest.raises(ValueError, match="the CPU backend is the host itself"):
        loom.testing.check_backend("cpu")


def test_the_contract_check_names_a_broken_backend(npdev):
    class Leaky(npdev.NpdevBackend):
        """Forgets to copy, and its namespace allocates on the host."""
        type = "leaky"
        xp = np
        array_type = _array_class("LeakyArray")

        def asarray(self, host_array, index=None):
            return np.asarray(host_array).view(self.array_type)

        def to_host(self, array):
            return array.view(np.ndarray)

    backends.register_backend(Leaky(), "tests")
    try:
        problems = loom.testing.check_backend("leaky")
    finally:
        backends.unregister_backend("leaky")
    assert "to_host() returned memory shared with the device array (it must copy)" in problems
    assert "asarray() kept a view of the host array (it must copy)" in problems
    assert "xp zeros returned ndarray, not LeakyArray" in problems


def test_legacy_constructors_stay_on_the_cpu(npdev):
    with loom.config.using(default_device="npdev"):
        assert loom.Tensor(2, 3).device.type == "cpu"
        assert loom.Tensor([1.0, 2.0]).device.type == "cpu"
        t = loom.FloatTensor([1.0])
        assert t.device.type == "cpu" and isinstance(t, loom.FloatTensor)
        assert not isinstance(loom.ones(1), loom.FloatTensor)  # on npdev
        assert loom.Generator().device == loom.device("cpu")


def test_the_backend_guide_documents_every_member_of_the_contract():
    text = (NPDEV.parents[1] / "docs" / "backends.md").read_text(encoding="utf-8")
    members = [n for n in vars(DeviceBackend) if not n.startswith("_")]
    missing = [n for n in members if f"`{n}" not in text and f", `{n}" not in text
               and f"{n}(" not in text]
    assert not missing, f"DeviceBackend members not in docs/backends.md: {missing}"
    assert len(members) > 30


def test_a_backend_kernel_table_must_name_operators(npdev):
    class Bad(npdev.NpdevBackend):
        type = "badkernels"
        array_type = _array_class("BadArray")
        kernels = {"sigmoid": "not a kernel"}

    with pytest.raises(TypeError, match="plugin 'tests': device backend 'badkernels': `kernels` "
                                        "must map operator names to kernels"):
        backends.register_backend(Bad(), "tests")
    assert "badkernels" not in backends.backends
