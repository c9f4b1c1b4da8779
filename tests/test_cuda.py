"""The "cuda" device (device_cuda plugin, CuPy).

Without CuPy or a GPU (CI): the plugin loads, says why the device is unavailable, `loom.cuda`
answers as PyTorch's does on a machine without CUDA, and every use of the device raises naming
the extra to install. With them: transfers, mixed-device errors, a training step, generators,
memory statistics, streams, events, pinned memory, DLPack with CuPy and PyTorch, the seeds'
``.cuda()`` samples and the conformance kit's device parity of every operator (the classes
below skip, saying why, without a GPU).
"""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import loom

from plugin_env import REPO, run

_backend = loom.backends.backends.get("cuda")
_why = ("no CUDA device: " + (_backend.unavailable_reason() if _backend is not None
                              else "the device_cuda plugin is not loaded"))
needs_gpu = pytest.mark.skipif(not loom.cuda.is_available(), reason=_why)
without_gpu = pytest.mark.skipif(loom.cuda.is_available(),
                                 reason="a CUDA device is available here")

MIXED = "Expected all tensors to be on the same device, but found at least two devices, {} and {}!"


# --------------------------------------------------------------------------- without a GPU

@without_gpu
def test_the_plugin_loads_and_explains_itself():
    assert _backend is not None and loom.backends.providers["cuda"] == "device_cuda"
    assert not loom.cuda.is_available() and loom.cuda.device_count() == 0
    assert _backend.unavailable_reason()


@without_gpu
@pytest.mark.parametrize("use", [
    lambda: loom.ones(2).cuda(), lambda: loom.ones(2).to("cuda:0"),
    lambda: loom.zeros(2, device="cuda"), lambda: loom.tensor([1.0], device="cuda"),
    lambda: loom.cuda.FloatTensor(2), lambda: loom.cuda.current_device(),
    lambda: loom.cuda.synchronize(), lambda: loom.cuda.set_device(0),
    lambda: loom.cuda.Stream(), lambda: loom.Generator("cuda")],
    ids=["cuda()", "to", "zeros", "tensor", "FloatTensor", "current_device", "synchronize",
         "set_device", "Stream", "Generator"])
def test_using_cuda_without_it_names_the_extra(use):
    with pytest.raises(RuntimeError, match=r"^CUDA is not available: .*Install it with pip "
                                           r"install 'loom-tensor\[cuda\]'\.$"):
        use()


@without_gpu
def test_lazy_queries_answer_without_a_device():
    # as torch.cuda on a machine without CUDA: nothing in use, seeding and emptying do nothing
    assert loom.cuda.memory_allocated() == 0 and loom.cuda.max_memory_allocated() == 0
    assert loom.cuda.memory_reserved() == 0
    loom.cuda.manual_seed_all(0)
    loom.cuda.manual_seed(0)
    loom.cuda.empty_cache()
    loom.cuda.reset_peak_memory_stats()
    with pytest.raises(RuntimeError, match="Cannot access accelerator device when none is "
                                           "available."):
        loom.ones(1).pin_memory()
    with pytest.raises(RuntimeError, match="pin_memory=True requires a CUDA or other "
                                           "accelerator backend"):
        loom.tensor([1.0], pin_memory=True)


def test_legacy_cuda_type_names_of_seed_004():
    torch = pytest.importorskip("torch")
    for name in ("FloatTensor", "DoubleTensor", "HalfTensor", "ByteTensor", "CharTensor",
                 "ShortTensor", "IntTensor", "LongTensor"):
        cls = getattr(loom.cuda, name)
        assert repr(cls) == f"<class 'torch.cuda.{name}'>"
        assert cls.dtype is getattr(loom, str(getattr(torch.cuda, name).dtype).split(".")[1])
        assert not isinstance(loom.ones(1, dtype=cls.dtype), cls)  # a CPU tensor is not one
    assert loom.ones(1).type() == "torch.FloatTensor"
    assert loom.cuda is loom.get_device_module("cuda")


def test_cuda_argument_must_be_a_cuda_device():
    with pytest.raises(RuntimeError, match="Invalid device, must be cuda device, got cpu"):
        loom.ones(1).cuda("cpu")


# --------------------------------------------------------------------------- on a GPU

@needs_gpu
class TestOnAGPU:
    def test_round_trip_and_indices(self):
        x = loom.arange(6.0).view(2, 3)
        y = x.cuda()
        assert y.is_cuda and y.device == loom.device("cuda", 0) and y.get_device() == 0
        assert type(y._data).__module__.startswith("cupy")
        assert y.cpu().tolist() == x.tolist() and y.to("cpu", loom.float64).dtype is \
            loom.float64
        assert x.to("cuda:0", non_blocking=True).is_cuda
        n = loom.cuda.device_count()
        with pytest.raises(RuntimeError, match=f"invalid device ordinal: device 'cuda:{n}'"):
            x.to(f"cuda:{n}")

    def test_mixed_devices_raise_naming_both(self):
        a, b = loom.ones(2, 3), loom.ones(2, 3, device="cuda")
        with pytest.raises(RuntimeError) as e:
            a + b
        assert str(e.value) == MIXED.format("cpu", "cuda:0")
        assert (b * loom.tensor(2.0)).is_cuda  # a 0-dim CPU tensor may join

    def test_factories_and_likes_land_on_cuda(self):
        for t in (loom.zeros(2, device="cuda"), loom.rand(2, device="cuda"),
                  loom.arange(3, device="cuda"), loom.eye(2, device="cuda"),
                  loom.randn_like(loom.ones(2, device="cuda")),
                  loom.zeros_like(loom.ones(2), device="cuda")):
            assert t.is_cuda
        with loom.config.using(default_device="cuda"):
            assert loom.ones(1).is_cuda and loom.tensor([1.0]).is_cuda

    def test_training_step_on_cuda(self):
        loom.manual_seed(0)
        w = loom.rand(1, 1, device="cuda", requires_grad=True)
        x = loom.rand(8, 1, device="cuda") * 20
        y = x * 2 + 3
        loss = ((x.mm(w) - y) ** 2).sum()
        loss.backward()
        assert w.grad.is_cuda
        want = (2 * (x.mm(w) - y) * x).sum().item()
        assert abs(w.grad.item() - want) <= 1e-4 * max(1.0, abs(want))

    def test_generators_repeat_after_a_seed(self):
        g = loom.Generator("cuda")
        a = loom.randn(5, device="cuda", generator=g.manual_seed(3))
        b = loom.randn(5, device="cuda", generator=g.manual_seed(3))
        assert a.tolist() == b.tolist() and g.device == loom.device("cuda", 0)
        loom.cuda.manual_seed_all(4)
        c = loom.rand(3, device="cuda")
        loom.manual_seed(4)
        assert loom.rand(3, device="cuda").tolist() == c.tolist()

    def test_memory_statistics(self):
        loom.cuda.synchronize()
        before = loom.cuda.memory_allocated()
        t = loom.empty(1 << 20, device="cuda")
        assert loom.cuda.memory_allocated() >= before + t.nbytes
        assert loom.cuda.max_memory_allocated() >= loom.cuda.memory_allocated()
        assert loom.cuda.memory_reserved() >= loom.cuda.memory_allocated()
        del t
        loom.cuda.empty_cache()
        assert loom.cuda.memory_allocated() == before
        loom.cuda.reset_peak_memory_stats()
        assert loom.cuda.max_memory_allocated() == loom.cuda.memory_allocated()

    def test_streams_and_events(self):
        s = loom.cuda.Stream()
        start, end = loom.cuda.Event(enable_timing=True), loom.cuda.Event(enable_timing=True)
        with loom.cuda.stream(s):
            start.record(s)
            y = (loom.ones(1000, device="cuda") * 2).sum()
            end.record(s)
        end.synchronize()
        assert end.query() and s.query() and y.item() == 2000.0
        assert start.elapsed_time(end) >= 0.0
        loom.cuda.current_stream().wait_stream(s)
        loom.cuda.synchronize()

    def test_pinned_memory(self):
        p = loom.ones(4).pin_memory()
        assert p.is_pinned() and not loom.ones(4).is_pinned()
        assert p.cuda(non_blocking=True).cpu().tolist() == [1.0] * 4
        assert loom.tensor([1.0], pin_memory=True).is_pinned()

    def test_dlpack_with_cupy_and_pytorch_without_copies(self):
        import cupy
        t = loom.arange(4.0, device="cuda")
        c = cupy.from_dlpack(t)
        c[0] = 9.0
        assert t[0].item() == 9.0
        back = loom.from_dlpack(cupy.arange(3.0))
        assert back.is_cuda and back.tolist() == [0.0, 1.0, 2.0]
        torch = pytest.importorskip("torch")
        if torch.cuda.is_available():
            tt = torch.from_dlpack(t)
            tt[1] = 7.0
            assert tt.is_cuda and t[1].item() == 7.0
            assert loom.from_dlpack(torch.ones(2, device="cuda")).is_cuda

    def test_the_fused_sigmoid_matches_the_cpu(self):
        x = loom.linspace(-30, 30, 101, dtype=loom.float64)
        np.testing.assert_allclose(loom.sigmoid(x.cuda()).cpu().numpy(),
                                   loom.sigmoid(x).numpy(), rtol=1e-12, atol=0)

    def test_the_backend_keeps_the_contract(self):
        assert loom.testing.check_backend("cuda") == []

    def test_seed_samples_with_cuda(self):
        out = {}
        for name in ("seed001_tensor_storage_graph.py", "seed004_dtypes.py"):
            p = subprocess.run([sys.executable, str(REPO / "examples" / "seeds" / name)],
                               capture_output=True, text=True, timeout=300)
            assert p.returncode == 0, p.stderr
            out[name] = p.stdout.splitlines()
        assert "cuda:0 cpu True" in out["seed001_tensor_storage_graph.py"]  # .cuda()/.cpu()
        gpu_types = [ln for ln in out["seed004_dtypes.py"] if ln.startswith("    ")]
        assert len(gpu_types) == 8 and all(ln.strip() == "True" for ln in gpu_types)

    def test_every_operator_passes_device_parity_on_cuda(self, tmp_path):
        p = run(["-m", "loom", "check", "ops_basic", "ops_linalg", "device_cuda", "--checks",
                 "device"], tmp_path, timeout=600)
        assert "device parity against cpu on: cuda" in p.stdout
        assert p.returncode == 0, "\n".join(ln for ln in p.stdout.splitlines()
                                            if "FAIL" in ln)[:6000]
