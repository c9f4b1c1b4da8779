"""The further activations, normalisations and dropouts of torch.nn (SELU, GLU, the shrinks,
Softmin, Threshold, RReLU, InstanceNorm, LocalResponseNorm, RMSNorm, BatchNorm3d, channel and
alpha dropout) against torch.nn: outputs, gradients, state dicts, reprs, errors."""
import warnings

import numpy as np
import pytest
import torch

import loom
from nn_oracle import close, compare_module, to_loom


def _x(*shape, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=torch.float64) * 2


ACTIVATIONS = [
    ("SELU", (), {}), ("CELU", (), {"alpha": 0.7}), ("GLU", (), {}), ("GLU", (0,), {}),
    ("Hardshrink", (), {}), ("Hardshrink", (1.0,), {}), ("Softshrink", (0.3,), {}),
    ("Tanhshrink", (), {}), ("Hardsigmoid", (), {}), ("Hardswish", (), {}),
    ("LogSigmoid", (), {}), ("Softmin", (1,), {}), ("Threshold", (0.1, 20.0), {}),
    ("RReLU", (), {}), ("Softmax2d", (), {}),
]


@pytest.mark.parametrize("name,args,kw", ACTIVATIONS, ids=[a[0] + str(a[1]) for a in ACTIVATIONS])
def test_activation_modules_as_torch(name, args, kw):
    tm, lm = getattr(torch.nn, name)(*args, **kw), getattr(loom.nn, name)(*args, **kw)
    assert repr(lm) == repr(tm)
    # RReLU compared in eval mode (its training slopes are random)
    compare_module(tm.double(), lm.double(), _x(4, 6, 4), train=name != "RReLU", rtol=1e-7,
                   atol=1e-9)


@pytest.mark.parametrize("call", [
    lambda T: T.nn.functional.glu(T.ones(2, 3)),
    lambda T: T.nn.functional.glu(T.ones(())),
    lambda T: T.nn.functional.softshrink(T.ones(2), -1.0),
    lambda T: T.nn.functional.celu(T.ones(2), alpha=0.0),
    lambda T: T.nn.Softmax2d()(T.ones(2)),
    lambda T: T.nn.functional.dropout1d(T.ones(2, 3, 4, 5), 0.5),
    lambda T: T.nn.functional.dropout2d(T.ones(2, 3, 4, 5), 1.5),
    lambda T: T.nn.functional.rms_norm(T.ones(2, 3), (4,)),
    lambda T: T.nn.functional.instance_norm(T.ones(1, 3, 1)),
    lambda T: T.nn.functional.local_response_norm(T.ones(3), 2),
    lambda T: T.nn.BatchNorm3d(3)(T.ones(2, 3, 4)),
    lambda T: T.nn.InstanceNorm2d(3, affine=True)(T.ones(1, 4, 2, 2)),
])
def test_errors_as_torch(call):
    def kind(lib):
        try:
            call(lib)
        except Exception as e:  # noqa: BLE001 - the exception type is what is compared
            return type(e).__name__, str(e)
        return None
    lk, tk = kind(loom), kind(torch)
    assert tk is not None and lk is not None and lk[0] == tk[0], (lk, tk)
    assert lk[1] == tk[1] or lk[0] == "ValueError" and "dropout probability" in lk[1]


@pytest.mark.parametrize("spec", [
    ("InstanceNorm1d", (3,), {}, (2, 3, 5)), ("InstanceNorm1d", (3,), {}, (3, 5)),
    ("InstanceNorm2d", (3,), {"affine": True}, (2, 3, 4, 4)),
    ("InstanceNorm2d", (3,), {"affine": True, "track_running_stats": True}, (2, 3, 4, 4)),
    ("InstanceNorm3d", (2,), {"track_running_stats": True, "momentum": 0.3}, (2, 2, 3, 3, 3)),
    ("BatchNorm3d", (3,), {}, (2, 3, 2, 3, 2)),
    ("LocalResponseNorm", (2,), {}, (2, 5, 4)), ("LocalResponseNorm", (3,), {"k": 2.0},
                                                   (2, 6, 3, 3)),
    ("RMSNorm", (4,), {}, (3, 4)), ("RMSNorm", ([2, 4],), {"eps": 1e-3}, (3, 2, 4)),
    ("RMSNorm", (4,), {"elementwise_affine": False}, (5, 4)),
], ids=lambda s: s[0] + str(s[2]))
def test_normalisation_modules_as_torch(spec):
    name, args, kw, shape = spec
    tm, lm = getattr(torch.nn, name)(*args, **kw), getattr(loom.nn, name)(*args, **kw)
    assert repr(lm) == repr(tm)
    assert list(lm.state_dict()) == list(tm.state_dict())
    for train in (True, False):
        compare_module(tm.double(), lm.double(), _x(*shape, seed=int(train)), train=train,
                       rtol=1e-7, atol=1e-9)
    for k, v in tm.state_dict().items():  # running statistics after both calls
        close(lm.state_dict()[k], v, 1e-7, 1e-9, k)


def test_instance_norm_warns_on_a_channel_mismatch_without_affine():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        out = loom.nn.InstanceNorm1d(3)(loom.ones(2, 4, 5))
    assert out.shape == (2, 4, 5) and any("does not match num_features" in str(x.message)
                                          for x in w)


@pytest.mark.parametrize("fn,shape,channel_dims", [
    ("dropout1d", (8, 16, 5), 2), ("dropout1d", (16, 5), 1), ("dropout2d", (8, 16, 3, 3), 2),
    ("dropout3d", (4, 16, 2, 2, 2), 2), ("dropout3d", (16, 2, 2, 2), 1),
])
def test_channel_dropout_zeroes_whole_channels_and_rescales(fn, shape, channel_dims):
    loom.manual_seed(0)
    x = loom.ones(shape)
    out = getattr(loom.nn.functional, fn)(x, 0.5).numpy()
    per_channel = out.reshape(int(np.prod(shape[:channel_dims])), -1)
    assert set(np.unique(per_channel)) <= {0.0, 2.0}
    assert all(len(set(row)) == 1 for row in per_channel.tolist())  # whole channels
    assert 0 < (per_channel[:, 0] == 0).sum() < len(per_channel)
    assert getattr(loom.nn.functional, fn)(x, 0.5, training=False) is x


def test_channel_dropout_modules_and_their_warnings_as_torch():
    for name, shape in (("Dropout1d", (2, 3, 4)), ("Dropout2d", (2, 3, 4, 4)),
                        ("Dropout3d", (2, 3, 4, 4, 4)), ("AlphaDropout", (2, 3)),
                        ("FeatureAlphaDropout", (2, 3, 4, 4))):
        assert repr(getattr(loom.nn, name)(0.2)) == repr(getattr(torch.nn, name)(0.2))
        m = getattr(loom.nn, name)(0.2).eval()
        x = loom.ones(shape)
        assert m(x) is x
    for lib in (torch, loom):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            lib.nn.functional.dropout2d(lib.ones(3, 4, 5), 0.5)
        assert any("Received a 3D input to dropout2d" in str(x.message) for x in w), lib


def test_alpha_dropout_keeps_zero_mean_unit_variance():
    loom.manual_seed(1)
    x = loom.randn(200000, dtype=loom.float64)
    y = loom.nn.functional.alpha_dropout(x, 0.3, training=True)
    assert abs(y.mean().item()) < 0.02 and abs(y.std().item() - 1) < 0.02
    # dropped units all take one value, SELU's negative saturation after the affine map
    _, counts = np.unique(y.numpy(), return_counts=True)
    assert 0.28 * len(x) < counts.max() < 0.32 * len(x)
    y = loom.nn.functional.feature_alpha_dropout(loom.randn(64, 32, 10), 0.5, training=True)
    assert y.shape == (64, 32, 10)


def test_rrelu_in_training_draws_slopes_between_lower_and_upper():
    loom.manual_seed(2)
    x = -loom.ones(10000)
    y = loom.nn.functional.rrelu(x, 0.1, 0.3, training=True)
    slopes = -y.numpy()
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and slopes.std() > 0.03
    x = loom.tensor([-1.0, 2.0], requires_grad=True)
    loom.nn.functional.rrelu(x, training=False).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [(1 / 8 + 1 / 3) / 2, 1.0], rtol=1e-6)


def test_softmin_without_dim_warns_and_picks_pytorchs_dim():
    for shape in ((3,), (2, 3), (2, 3, 4)):
        x = _x(*shape)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            close(loom.nn.functional.softmin(to_loom(x)), torch.nn.functional.softmin(x),
                  1e-7, 1e-9)


@pytest.mark.parametrize("name", ["selu", "celu", "hardsigmoid", "hardswish", "threshold"])
def test_inplace_forms_write_the_input(name):
    args = (0.5, 2.0) if name == "threshold" else ()
    t = _x(3, 4)
    lx = to_loom(t)
    out = getattr(loom.nn.functional, name)(lx, *args, inplace=True)
    assert out is lx
    close(lx, getattr(torch.nn.functional, name)(t, *args), 1e-7, 1e-9)
