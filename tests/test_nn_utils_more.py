"""nn.utils fusion and skip_init, and nn.init's deprecated names, against torch."""
import warnings

import pytest
import torch

import loom
from nn_oracle import close, copy_weights, to_loom


def _eval_pair(lib, transpose=False):
    lib.manual_seed(0)
    conv = (lib.nn.ConvTranspose2d(3, 4, 3) if transpose else lib.nn.Conv2d(3, 4, 3)).double()
    bn = lib.nn.BatchNorm2d(4).double()
    return conv, bn


@pytest.mark.parametrize("transpose", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_fuse_conv_bn_eval_as_torch(transpose, bias):
    tc, tb = _eval_pair(torch, transpose)
    lc, lb = _eval_pair(loom, transpose)
    if not bias:
        tc.bias = None
        lc.bias = None
    with torch.no_grad():
        tb.running_mean.uniform_(-1, 1)
        tb.running_var.uniform_(0.5, 2)
        tb.weight.uniform_(0.5, 1.5)
        tb.bias.uniform_(-1, 1)
    copy_weights(tc, lc)
    copy_weights(tb, lb)
    tc.eval(), tb.eval(), lc.eval(), lb.eval()
    tf = torch.nn.utils.fuse_conv_bn_eval(tc, tb, transpose=transpose)
    lf = loom.nn.utils.fuse_conv_bn_eval(lc, lb, transpose=transpose)
    x = torch.randn(2, 3, 6, 6, dtype=torch.float64)
    close(lf(to_loom(x)), tf(x), 1e-7, 1e-9)
    close(lf(to_loom(x)), lb(lc(to_loom(x))), 1e-7, 1e-9)
    assert isinstance(lf.weight, loom.nn.Parameter) and lf.weight.requires_grad
    with pytest.raises(AssertionError, match="Fusion only for eval"):
        loom.nn.utils.fuse_conv_bn_eval(lc.train(), lb)


def test_fuse_linear_bn_eval_as_torch():
    torch.manual_seed(1)
    tl, tb = torch.nn.Linear(3, 4).double().eval(), torch.nn.BatchNorm1d(4).double().eval()
    with torch.no_grad():
        tb.running_mean.uniform_(-1, 1)
        tb.running_var.uniform_(0.5, 2)
    ll, lb = loom.nn.Linear(3, 4).double().eval(), loom.nn.BatchNorm1d(4).double().eval()
    copy_weights(tl, ll)
    copy_weights(tb, lb)
    x = torch.randn(5, 3, dtype=torch.float64)
    close(loom.nn.utils.fuse_linear_bn_eval(ll, lb)(to_loom(x)),
          torch.nn.utils.fuse_linear_bn_eval(tl, tb)(x), 1e-7, 1e-9)


def test_skip_init_builds_the_module():
    m = loom.nn.utils.skip_init(loom.nn.Linear, 3, 2)
    assert tuple(m.weight.shape) == (2, 3)
    with pytest.raises(RuntimeError, match="device"):
        loom.nn.utils.skip_init(loom.nn.ReLU)


@pytest.mark.parametrize("name", ["uniform", "normal", "xavier_uniform", "xavier_normal",
                                  "kaiming_uniform", "kaiming_normal", "orthogonal", "eye"])
def test_deprecated_init_names_warn_as_torch_and_initialise(name):
    for lib in (torch, loom):
        t = lib.zeros(4, 4)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            getattr(lib.nn.init, name)(t)
        assert [str(x.message) for x in w] == [f"`nn.init.{name}` is now deprecated in favor "
                                               f"of `nn.init.{name}_`."]
        assert w[0].category is FutureWarning and bool((t != 0).any())
