"""F.pad in every mode, the padding layers, and convolutions with a padding_mode other than
'zeros', against PyTorch: values, input and parameter gradients (to second order for F.pad),
state dicts, reprs, and the errors with PyTorch's types and messages."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as TF

import loom
import loom.nn.functional as F
from loom import nn

from nn_oracle import close, compare_module, to_loom

torch.manual_seed(0)

MODES = ["reflect", "replicate", "circular"]

# (input shape, pad)
PADS = [((2, 3, 5), (1, 2)), ((2, 3, 5), (3, 0)), ((2, 3, 5), (-1, 2)), ((2, 3, 5), (2, -3)),
        ((3, 5), (0, 4)), ((2, 3, 4, 5), (1, 1, 2, 0)), ((3, 4, 5), (-1, 1, -1, 2)),
        ((2, 3, 4, 5), (0, 0, 3, -1)), ((1, 2, 3, 4, 5), (1, 1, 0, 2, 2, 1)),
        ((2, 3, 4, 5), (2, 1, -1, 1, 0, 2))]


def _pad_error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 -- the type is what is compared
        return type(e), str(e)
    return None


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape,pad", PADS, ids=[f"{s}-{p}" for s, p in PADS])
def test_pad_mode_matches_torch(mode, shape, pad):
    x = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
    lx = to_loom(x).requires_grad_(True)
    if mode == "circular" and pad == (2, -3):
        # PyTorch reads uninitialised memory here (the crop leaves fewer elements than the
        # padding wraps); loom crops, then wraps what is left, as in every other case
        t = TF.pad(TF.pad(x, (0, -3)), (2, 0), mode)
    else:
        t = TF.pad(x, pad, mode)
    lo = F.pad(lx, pad, mode)
    close(lo, t, what="pad")
    g = torch.randn(t.shape, dtype=torch.float64)
    t.backward(g)
    lo.backward(to_loom(g))
    close(lx.grad, x.grad, what="grad")


@pytest.mark.parametrize("mode", MODES)
def test_pad_mode_second_order(mode):
    x = loom.randn(2, 3, 4, dtype=loom.float64, requires_grad=True)
    fn = lambda a: F.pad(a, (2, 1, 1, 2), mode) ** 2   # noqa: E731
    assert loom.autograd.gradcheck(fn, (x,))
    assert loom.autograd.gradgradcheck(fn, (x,))


@pytest.mark.parametrize("mode", MODES)
def test_pad_mode_keeps_dtype(mode):
    for dtype in (torch.int64, torch.float32, torch.complex64):
        x = torch.arange(24).reshape(2, 3, 4).to(dtype)
        close(F.pad(to_loom(x), (1, 2), mode), TF.pad(x, (1, 2), mode))


ERROR_CASES = [
    ((2, 3, 4), (1, 1), "foo", None),
    ((2, 3, 4), (1, 1, 1), "reflect", None),
    ((2, 3, 4), (1, 1) * 4, "reflect", None),
    ((2, 3, 4), (1, 1) * 4, "constant", None),
    ((2, 3, 4), (1, 1), "replicate", 2.0),
    ((2, 3, 4, 5), (1, 1), "reflect", None),
    ((4,), (1, 2), "circular", None),
    ((2, 3, 4), (1, 1, 1, 1, 1, 1), "replicate", None),
    ((2, 3, 4), (4, 0), "reflect", None),
    ((2, 3, 4), (1, 1, 3, 1), "reflect", None),
    ((1, 2, 3, 4), (1, 1, 0, 0, 3, 1), "reflect", None),
    ((2, 3, 4), (0, -4), "reflect", None),
    ((2, 3, 4), (0, -4, 0, -3), "reflect", None),
    ((2, 3, 4), (0, -4, 0, -3), "replicate", None),
    ((1, 2, 3, 4), (0, -4, 0, -3, 0, -2), "replicate", None),
    ((2, 3, 4), (1, 1, 0, -5), "replicate", None),
    ((0, 2, 3), (0, 1, 1, 1), "reflect", None),
    ((2, 0, 3), (0, 1, 1, 1), "replicate", None),
    ((2, 3, 4), (5, 0), "circular", None),
    ((2, 3, 4), (0, -5), "circular", None),
    ((2, 3, 4), (1, 1, -1, -3), "circular", None),
]


@pytest.mark.parametrize("shape,pad,mode,value", ERROR_CASES,
                         ids=[f"{c[2]}-{c[0]}-{c[1]}" for c in ERROR_CASES])
def test_pad_errors_match_torch(shape, pad, mode, value):
    x = torch.randn(*shape)
    t = _pad_error(lambda: TF.pad(x, pad, mode, value))
    assert t is not None
    assert _pad_error(lambda: F.pad(to_loom(x), pad, mode, value)) == t


def test_pad_bool_input():
    x = torch.tensor([[True, False, True]])
    for mode in ("reflect", "replicate"):
        assert _pad_error(lambda: F.pad(to_loom(x), (1, 1), mode)) == \
            _pad_error(lambda: TF.pad(x, (1, 1), mode))
    close(F.pad(to_loom(x), (1, 1), "circular"), TF.pad(x, (1, 1), "circular"))


def test_pad_value_zero_is_accepted_by_every_mode():
    x = torch.randn(2, 3, 4)
    for mode in MODES:
        close(F.pad(to_loom(x), (1, 1), mode, 0.0), TF.pad(x, (1, 1), mode, 0.0))


LAYERS = [("ReflectionPad1d", (2,), (2, 3, 5)), ("ReflectionPad2d", ((1, 0, 2, 1),), (1, 2, 4, 4)),
          ("ReflectionPad3d", (1,), (1, 2, 3, 3, 3)), ("ReplicationPad1d", ((3, 1),), (3, 4)),
          ("ReplicationPad2d", (2,), (2, 3, 3)), ("ReplicationPad3d", ((1, 2, 0, 1, 1, 0),),
                                                  (1, 1, 2, 3, 4)),
          ("CircularPad1d", (2,), (2, 3, 4)), ("CircularPad2d", ((1, 2, 0, 1),), (1, 2, 3, 4)),
          ("CircularPad3d", (1,), (1, 1, 2, 3, 4)), ("ConstantPad1d", (2, 3.5), (2, 3)),
          ("ConstantPad2d", ((1, 0, 2, 1), -1.0), (2, 3, 3)), ("ConstantPad3d", (1, 0), (1, 2, 2, 2)),
          ("ZeroPad1d", ((1, 2),), (2, 3)), ("ZeroPad2d", (1,), (1, 2, 3)),
          ("ZeroPad3d", ((0, 1, 1, 0, 2, 1),), (1, 2, 2, 2))]


@pytest.mark.parametrize("name,args,shape", LAYERS, ids=[c[0] for c in LAYERS])
def test_padding_layer_matches_torch(name, args, shape):
    tm, lm = getattr(torch.nn, name)(*args), getattr(nn, name)(*args)
    assert repr(lm) == repr(tm)
    compare_module(tm, lm, torch.randn(*shape, dtype=torch.float64))


def test_circular_pad_layer_checks_dims():
    x = torch.randn(2, 3, 4, 5)
    assert _pad_error(lambda: nn.CircularPad1d(1)(to_loom(x))) == \
        _pad_error(lambda: torch.nn.CircularPad1d(1)(x))


CONV_CASES = [
    ("Conv1d", (3, 4, 3), {"padding": 2, "padding_mode": "reflect"}, (2, 3, 7)),
    ("Conv1d", (3, 4, 4), {"padding": "same", "padding_mode": "circular", "dilation": 2},
     (2, 3, 9)),
    ("Conv1d", (2, 2, 3), {"padding": 1, "padding_mode": "replicate", "bias": False}, (2, 5)),
    ("Conv2d", (3, 4, (3, 2)), {"padding": (1, 2), "padding_mode": "replicate", "stride": 2},
     (2, 3, 6, 5)),
    ("Conv2d", (2, 4, (3, 4)), {"padding": "same", "padding_mode": "reflect"}, (1, 2, 6, 5)),
    ("Conv2d", (4, 4, 3), {"padding": (2, 1), "padding_mode": "circular", "groups": 2},
     (2, 4, 5, 5)),
    ("Conv2d", (4, 2, 3), {"padding": "valid", "padding_mode": "circular"}, (2, 4, 5, 5)),
]


@pytest.mark.parametrize("name,args,kwargs,shape", CONV_CASES,
                         ids=[f"{c[0]}-{c[2]['padding_mode']}-{i}"
                              for i, c in enumerate(CONV_CASES)])
def test_conv_padding_mode_matches_torch(name, args, kwargs, shape):
    tm = getattr(torch.nn, name)(*args, **kwargs).double()
    lm = getattr(nn, name)(*args, **kwargs).double()
    compare_module(tm, lm, torch.randn(*shape, dtype=torch.float64))
    assert repr(lm) == repr(tm)
    assert lm._reversed_padding_repeated_twice == tm._reversed_padding_repeated_twice


def test_conv_padding_mode_errors_match_torch():
    for make in (lambda lib: lib.nn.Conv2d(2, 2, 3, padding_mode="foo"),
                 lambda lib: lib.nn.ConvTranspose2d(2, 2, 3, padding_mode="reflect"),
                 lambda lib: lib.nn.ConvTranspose1d(2, 2, 3, padding_mode="circular")):
        t = _pad_error(lambda: make(torch))
        lo = _pad_error(lambda: make(loom))
        assert t[0] is ValueError and lo[0] is ValueError
        if "must be one of" in t[1]:   # the set of valid modes prints in hash order
            assert lo[1].startswith("padding_mode must be one of {") and \
                lo[1].endswith("but got padding_mode='foo'")
            modes = lambda m: set(m[m.index("{") + 1:m.index("}")].split(", "))  # noqa: E731
            assert modes(lo[1]) == modes(t[1])
        else:
            assert lo == t
    # reflect padding wider than the input: F.pad's error, from the layer
    x = torch.randn(1, 2, 3, 4)
    assert _pad_error(lambda: nn.Conv2d(2, 2, 3, padding=5, padding_mode="reflect")(to_loom(x))) \
        == _pad_error(lambda: torch.nn.Conv2d(2, 2, 3, padding=5, padding_mode="reflect")(x))
