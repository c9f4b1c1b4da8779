"""Conversion, interop and the dtype API, against PyTorch: finfo/iinfo, is_* predicates,
`Variable` as a type, NumPy functions on tensors, DLPack both ways, as_tensor/asarray memory
sharing, copy_, the new_* factories, complex conversions, numpy() under no_grad."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import loom
from loom.autograd import Variable


@pytest.mark.parametrize("name", ["float16", "bfloat16", "float32", "float64", "complex64",
                                  "complex128"])
def test_finfo_matches_torch(name):
    a, b = loom.finfo(getattr(loom, name)), torch.finfo(getattr(torch, name))
    assert repr(a) == repr(b)
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"):
        assert getattr(a, attr) == getattr(b, attr), attr


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo_matches_torch(name):
    a, b = loom.iinfo(getattr(loom, name)), torch.iinfo(getattr(torch, name))
    assert repr(a) == repr(b) and (a.bits, a.min, a.max) == (b.bits, b.min, b.max)


@pytest.mark.parametrize("fn, name", [("finfo", "int32"), ("finfo", "bool"),
                                      ("iinfo", "float32"), ("iinfo", "bool")])
def test_info_of_the_wrong_kind_raises_type_error(fn, name):
    with pytest.raises(TypeError) as e:
        getattr(loom, fn)(getattr(loom, name))
    with pytest.raises(TypeError) as t:
        getattr(torch, fn)(getattr(torch, name))
    assert str(e.value) == str(t.value)


@pytest.mark.parametrize("name", ["bool", "uint8", "int8", "int64", "float16", "float32",
                                  "complex64"])
def test_dtype_predicates_match_torch(name):
    a, b = loom.zeros(2, dtype=getattr(loom, name)), torch.zeros(2, dtype=getattr(torch, name))
    for fn in ("is_floating_point", "is_complex", "is_signed"):
        assert getattr(loom, fn)(a) == getattr(torch, fn)(b), fn
        assert getattr(a, fn)() == getattr(b, fn)(), fn


def test_every_tensor_is_a_variable():
    t = Variable(loom.ones(2), requires_grad=True)
    assert type(t) is loom.Tensor and t.requires_grad
    assert isinstance(loom.ones(1), Variable) and not isinstance(np.ones(1), Variable)


def test_numpy_functions_take_and_give_tensors():
    t, u = loom.tensor([0.5, 1.0]), torch.tensor([0.5, 1.0])
    for f in (np.sin, np.exp, lambda x: np.add(x, 1)):
        got, want = f(t), f(u)
        assert type(got) is loom.Tensor and str(got.dtype) == str(want.dtype)
        assert np.allclose(got.numpy(), want.numpy())
    assert type(np.exp(t[0])) is loom.Tensor and np.exp(t[0]).ndim == 0


def test_numpy_of_a_tensor_that_requires_grad():
    x = loom.ones(2, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="Can't call numpy"):
        y.numpy()
    with pytest.raises(RuntimeError, match="Can't call numpy"):
        np.asarray(y)  # PyTorch refuses here too
    with loom.no_grad():
        assert y.numpy().tolist() == [2.0, 2.0]  # allowed under no_grad, as in PyTorch
    assert y.detach().numpy().tolist() == [2.0, 2.0]


def test_dlpack_both_ways_without_copies():
    a = np.arange(6.0).reshape(2, 3)
    t = loom.from_dlpack(a)
    t[0, 0] = 7.0
    assert a[0, 0] == 7.0 and t.dtype is loom.float64
    back = np.from_dlpack(t)
    back[1, 2] = -1.0
    assert t[1, 2].item() == -1.0
    assert loom.ones(2).__dlpack_device__() == (1, 0)
    tt = torch.arange(4.0)
    lt = loom.from_dlpack(tt)
    lt[0] = 9.0
    assert tt[0].item() == 9.0
    lt2 = loom.arange(3.0)
    assert torch.from_dlpack(lt2).data_ptr() == lt2.data_ptr()


def test_as_tensor_and_asarray_share_memory_when_they_can():
    a = np.arange(3.0)
    t = loom.as_tensor(a)
    t[0] = 5.0
    assert a[0] == 5.0
    assert loom.as_tensor(a, dtype=loom.float32).dtype is loom.float32  # a copy
    assert a.dtype == np.float64
    x = loom.ones(2)
    assert loom.as_tensor(x) is x and loom.asarray(x).data_ptr() == x.data_ptr()
    assert loom.asarray(x, copy=True).data_ptr() != x.data_ptr()
    assert str(loom.as_tensor([1, 2]).dtype) == str(torch.as_tensor([1, 2]).dtype)
    assert str(loom.asarray([1.0, 2.0]).dtype) == str(torch.asarray([1.0, 2.0]).dtype)
    assert loom.asarray([1.0], requires_grad=True).requires_grad


def test_copy_broadcasts_casts_and_carries_gradients():
    a, b = loom.ones(2, 3), torch.ones(2, 3)
    a.copy_(loom.tensor([1, 2, 3]))
    b.copy_(torch.tensor([1, 2, 3]))
    assert a.tolist() == b.tolist() and a.dtype is loom.float32
    with pytest.raises(RuntimeError) as e:
        a.copy_(loom.ones(4))
    with pytest.raises(RuntimeError) as t:
        b.copy_(torch.ones(4))
    assert str(e.value) == str(t.value)
    s = loom.tensor([1.0, 2.0, 3.0], requires_grad=True)
    z = loom.zeros(2, 3)
    z.copy_(s)
    (z * loom.tensor([[1.0], [2.0]])).sum().backward()
    assert s.grad.tolist() == [3.0, 3.0, 3.0]


def test_new_factories_and_complex_conversions():
    t, u = loom.ones(2, 3, dtype=loom.float64), torch.ones(2, 3, dtype=torch.float64)
    for name, args in (("new_zeros", (2,)), ("new_ones", ((2, 2),)), ("new_empty", (3,)),
                       ("new_full", ((2,), 7))):
        got, want = getattr(t, name)(*args), getattr(u, name)(*args)
        assert tuple(got.shape) == tuple(want.shape) and str(got.dtype) == str(want.dtype)
    assert t.new_full((2,), 7).tolist() == [7.0, 7.0]
    assert t.new_zeros(2, dtype=loom.int32).dtype is loom.int32
    assert str(t.cfloat().dtype) == str(u.cfloat().dtype)
    assert str(t.cdouble().dtype) == str(u.cdouble().dtype)
    assert f"{loom.tensor(3.14159):.2f}" == f"{torch.tensor(3.14159):.2f}"
