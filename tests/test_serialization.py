"""loom.save / loom.load: round trips of every dtype, views that share storage again, nested
containers, files crossing between loom and PyTorch both ways, map_location, and loading
that refuses to run code a crafted file carries."""
from __future__ import annotations

import collections
import io
import os
import pickle
import zipfile

import numpy as np
import pytest
import torch

import loom

DTYPES = ["float32", "float64", "float16", "bfloat16", "complex64", "complex128", "int64",
          "int32", "int16", "int8", "uint8", "bool"]


def _sample(name):
    dt = getattr(loom, name)
    if name == "bool":
        return loom.tensor([[True, False, True], [False, False, True]])
    if name.startswith("complex"):
        return loom.tensor([[1 + 2j, -3.5j, 0], [2, 1e-3 + 1j, -1]], dtype=dt)
    base = loom.tensor([[1.5, -2.25, 3.0], [0.0, 7.0, -1.0]])
    if name in ("uint8",):
        base = base.abs()
    return base.to(dt)


def _same(a, b):
    assert a.dtype == b.dtype and tuple(a.shape) == tuple(b.shape)
    np.testing.assert_array_equal(np.asarray(a.detach().float().numpy() if a.dtype in
                                             (loom.bfloat16,) else a.detach().numpy()),
                                  np.asarray(b.detach().float().numpy() if b.dtype in
                                             (loom.bfloat16,) else b.detach().numpy()))


@pytest.mark.parametrize("name", DTYPES)
def test_every_dtype_round_trips(name, tmp_path):
    t = _sample(name)
    loom.save(t, tmp_path / "t.pt")
    _same(loom.load(tmp_path / "t.pt"), t)


def test_a_state_dict_of_every_dtype_round_trips_through_a_file_object():
    sd = collections.OrderedDict((n, _sample(n)) for n in DTYPES)
    buf = io.BytesIO()
    loom.save(sd, buf)
    buf.seek(0)
    back = loom.load(buf)
    assert type(back) is collections.OrderedDict and list(back) == DTYPES
    for n in DTYPES:
        _same(back[n], sd[n])


def test_views_share_storage_after_loading(tmp_path):
    base = loom.arange(12.0)
    obj = {"base": base, "rows": base.view(3, 4), "col": base.view(3, 4)[:, 1],
           "tail": base[5:]}
    loom.save(obj, tmp_path / "v.pt")
    back = loom.load(tmp_path / "v.pt")
    assert back["col"].stride() == (4,) and back["col"].storage_offset() == 1
    ptrs = {v.untyped_storage().data_ptr() for v in back.values()}
    assert len(ptrs) == 1
    back["base"].mul_(10)  # one write shows through every view, as after torch.load
    assert back["col"].tolist() == [10.0, 50.0, 90.0] and back["tail"][0].item() == 50.0
    with zipfile.ZipFile(tmp_path / "v.pt") as zf:  # one storage record, saved once
        assert [n for n in zf.namelist() if "/data/" in n] == ["archive/data/0"]


def test_nested_containers_and_plain_values_round_trip(tmp_path):
    obj = {"list": [loom.ones(2), 1, 2.5, "s", None, True],
           "tuple": (loom.zeros(1, dtype=loom.int64), b"bytes", 3 + 4j),
           "od": collections.OrderedDict(a={"deep": [loom.tensor(5)]}),
           "dtype": loom.bfloat16, "device": loom.device("cpu"), "size": loom.Size([2, 3]),
           "set": {1, 2}, "grad": loom.ones(3, requires_grad=True)}
    loom.save(obj, tmp_path / "n.pt")
    back = loom.load(tmp_path / "n.pt")
    assert back["list"][1:] == [1, 2.5, "s", None, True]
    assert back["tuple"][1:] == (b"bytes", 3 + 4j)
    assert back["od"]["a"]["deep"][0].item() == 5
    assert back["dtype"] is loom.bfloat16 and back["device"] == loom.device("cpu")
    assert back["size"] == loom.Size([2, 3]) and isinstance(back["size"], loom.Size)
    assert back["set"] == {1, 2} and back["grad"].requires_grad and back["grad"].is_leaf


def test_empty_tensors_of_several_dtypes(tmp_path):
    obj = [loom.empty(0), loom.empty(0, dtype=loom.int64), loom.zeros(0, 3)]
    loom.save(obj, tmp_path / "e.pt")
    back = loom.load(tmp_path / "e.pt")
    assert [(tuple(t.shape), t.dtype) for t in back] == [((0,), loom.float32),
                                                         ((0,), loom.int64),
                                                         ((0, 3), loom.float32)]


def test_an_optimizer_state_dict_crosses_to_torch(tmp_path):
    import loom.optim
    w = loom.ones(3, requires_grad=True)
    opt = loom.optim.Adam([w], lr=0.1)
    (w * w).sum().backward()
    opt.step()
    loom.save(opt.state_dict(), tmp_path / "opt.pt")
    tw = torch.ones(3, requires_grad=True)
    topt = torch.optim.Adam([tw], lr=0.1)
    topt.load_state_dict(torch.load(tmp_path / "opt.pt"))
    assert topt.state[tw]["step"].item() == 1.0
    np.testing.assert_allclose(topt.state[tw]["exp_avg"].numpy(), [0.2, 0.2, 0.2], rtol=1e-6)


def test_pytorch_reads_what_loom_saved(tmp_path):
    base = loom.arange(6.0)
    loom.save({"w": base.view(2, 3), "row": base.view(2, 3)[1],
               "h": loom.tensor([1.5, -2.0], dtype=loom.bfloat16), "dt": loom.float16},
              tmp_path / "l.pt")
    back = torch.load(tmp_path / "l.pt", weights_only=True)
    assert back["w"].tolist() == [[0, 1, 2], [3, 4, 5]] and back["row"].tolist() == [3, 4, 5]
    assert back["h"].dtype == torch.bfloat16 and back["h"].tolist() == [1.5, -2.0]
    assert back["dt"] is torch.float16
    back["w"].add_(1)
    assert back["row"].tolist() == [4, 5, 6]  # still one storage in PyTorch


def test_loom_reads_what_torch_saved_with_weights_only(tmp_path):
    lin = torch.nn.Linear(3, 2)
    t = torch.arange(8, dtype=torch.int32)
    torch.save({"model": lin.state_dict(), "even": t[::2], "t": t,
                "p": torch.nn.Parameter(torch.ones(2)), "c": torch.tensor([1j]),
                "b": torch.tensor([0.5], dtype=torch.bfloat16), "step": 7}, tmp_path / "t.pt")
    back = loom.load(tmp_path / "t.pt")
    np.testing.assert_array_equal(back["model"]["weight"].numpy(),
                                  lin.weight.detach().numpy())
    assert back["even"].tolist() == [0, 2, 4, 6] and back["even"].dtype == loom.int32
    back["t"][2] = 100
    assert back["even"].tolist() == [0, 100, 4, 6]
    assert back["p"].requires_grad and back["c"].tolist() == [1j]
    assert back["b"].dtype == loom.bfloat16 and back["step"] == 7


class _Exploit:
    """Pickles as a call of os.system that would create a marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_a_crafted_file_does_not_run_code_on_load(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save({"w": torch.ones(2), "x": _Exploit(marker)}, path)
    with pytest.raises(pickle.UnpicklingError, match="Unsupported global: GLOBAL .*system"):
        loom.load(path)
    assert not marker.exists()
    with pytest.raises(pickle.UnpicklingError):  # the same through a file object
        loom.load(io.BytesIO(path.read_bytes()), weights_only=True)
    assert not marker.exists()


def test_a_crafted_file_with_a_builtin_eval_is_refused(tmp_path):
    marker = tmp_path / "pwned2"

    class Evil:
        def __reduce__(self):
            return eval, (f"open({str(marker)!r}, 'w').close()",)

    loom.save({"x": Evil()}, tmp_path / "e.pt")
    with pytest.raises(pickle.UnpicklingError, match="builtins.eval"):
        loom.load(tmp_path / "e.pt")
    assert not marker.exists()


def test_weights_only_false_loads_any_object_with_a_warning(tmp_path):
    loom.save({"w": loom.ones(2), "c": collections.Counter("aab"), "f": _plain_function},
              tmp_path / "any.pt")
    with pytest.warns(UserWarning, match="weights_only=False"):
        back = loom.load(tmp_path / "any.pt", weights_only=False)
    assert back["f"] is _plain_function and back["c"]["a"] == 2
    with pytest.raises(pickle.UnpicklingError):
        loom.load(tmp_path / "any.pt")


def _plain_function():
    return 1


def test_map_location_forms(tmp_path):
    loom.save({"a": loom.ones(2)}, tmp_path / "m.pt")
    for ml in ("cpu", loom.device("cpu"), {"cpu": "cpu"}, lambda storage, loc: storage):
        assert loom.load(tmp_path / "m.pt", map_location=ml)["a"].device.type == "cpu"


def test_map_location_to_a_missing_device_raises_as_torch(tmp_path):
    if loom.cuda.is_available():
        pytest.skip("a CUDA device is present: loading onto it succeeds")
    loom.save(loom.ones(2), tmp_path / "m.pt")
    with pytest.raises(RuntimeError, match="on a CUDA device but torch.cuda.is_available"):
        loom.load(tmp_path / "m.pt", map_location="cuda")


def test_a_non_zip_file_and_views_of_one_storage_as_two_dtypes_raise(tmp_path):
    (tmp_path / "x.pt").write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(RuntimeError, match="not a zip archive"):
        loom.load(tmp_path / "x.pt")
    t = loom.zeros(4, dtype=loom.int32)
    with pytest.raises(RuntimeError, match="view the same data as different types"):
        loom.save([t, t.view(loom.float32)], tmp_path / "y.pt")


def test_safetensors_round_trip(tmp_path):
    sd = {n: _sample(n) for n in DTYPES if n != "complex128"}
    sd["view"] = loom.arange(10.0)[::3]
    loom.save(sd, tmp_path / "w.safetensors")
    back = loom.load(tmp_path / "w.safetensors")
    for n in sd:
        _same(back[n], sd[n].contiguous())
    with pytest.raises(ValueError, match="flat dict of str -> Tensor"):
        loom.save({"a": [loom.ones(1)]}, tmp_path / "bad.safetensors")


def test_safetensors_files_cross_with_the_reference_package(tmp_path):
    st = pytest.importorskip("safetensors.torch", reason="the safetensors package (the "
                             "reference implementation) is an optional dev dependency")
    sd = {"float32": _sample("float32"), "view": loom.arange(10.0)[::3],
          "bf16": _sample("bfloat16")}
    loom.save(sd, tmp_path / "w.safetensors")
    ref = st.load_file(str(tmp_path / "w.safetensors"))
    assert ref["float32"].tolist() == sd["float32"].tolist()
    assert ref["view"].tolist() == [0.0, 3.0, 6.0, 9.0]
    assert ref["bf16"].dtype == torch.bfloat16
    st.save_file({"x": torch.arange(3, dtype=torch.int16)}, str(tmp_path / "r.safetensors"))
    assert loom.load(tmp_path / "r.safetensors")["x"].tolist() == [0, 1, 2]


def test_safe_globals_allow_a_checkpoint_with_other_objects(tmp_path):
    """A checkpoint holding an ``argparse.Namespace`` (a modern training script's ``args``):
    a weights-only load refuses it with PyTorch's advice, then loads it once the class is
    allowed, globally or within ``safe_globals``."""
    import argparse
    import loom.serialization as ls
    import torch.serialization as ts
    for lib, ser in ((torch, ts), (loom, ls)):
        path = tmp_path / f"{lib.__name__}.pt"
        lib.save({"args": argparse.Namespace(lr=0.1), "w": lib.ones(2)}, path)
        with pytest.raises(pickle.UnpicklingError,
                           match=r"WeightsUnpickler error: Unsupported global: GLOBAL "
                                 r"argparse\.Namespace was not an allowed global by default\. "
                                 r"Please use `\w+\.serialization\.add_safe_globals\("
                                 r"\[argparse\.Namespace\]\)`"):
            lib.load(path)
        with ser.safe_globals([argparse.Namespace]):
            assert lib.load(path)["args"].lr == 0.1
        assert argparse.Namespace not in ser.get_safe_globals()
        with pytest.raises(pickle.UnpicklingError):
            lib.load(path)
        before = ser.get_safe_globals()
        ser.add_safe_globals([argparse.Namespace])
        try:
            d = lib.load(path)
            assert d["args"] == argparse.Namespace(lr=0.1) and d["w"].tolist() == [1.0, 1.0]
        finally:
            if lib is loom:
                ls.clear_safe_globals()
                assert ls.get_safe_globals() == []
            else:  # PyTorch's own entries back as they were
                ts.clear_safe_globals()
                ts.add_safe_globals(before)
