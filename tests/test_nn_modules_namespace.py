"""`loom.nn.modules` mirrors ``torch.nn.modules``' submodules and bases, and the older
`_LRScheduler` name, for code that subclasses or tests against them."""
import pytest
import torch

import loom

NAMES = [("loss", "_Loss"), ("loss", "_WeightedLoss"), ("loss", "CrossEntropyLoss"),
         ("batchnorm", "_BatchNorm"), ("batchnorm", "_NormBase"), ("batchnorm", "BatchNorm2d"),
         ("instancenorm", "_InstanceNorm"), ("conv", "_ConvNd"), ("conv", "Conv2d"),
         ("module", "Module"), ("linear", "Linear"), ("linear", "Identity"),
         ("activation", "ReLU"), ("activation", "MultiheadAttention"),
         ("container", "Sequential"), ("dropout", "_DropoutNd"), ("pooling", "MaxPool2d"),
         ("rnn", "RNNBase"), ("rnn", "RNNCellBase"), ("sparse", "Embedding"),
         ("normalization", "LayerNorm"), ("flatten", "Flatten"), ("padding", "ZeroPad2d"),
         ("fold", "Unfold"), ("utils", "_pair")]


@pytest.mark.parametrize("sub,name", NAMES)
def test_the_names_pytorch_code_reaches(sub, name):
    assert hasattr(getattr(torch.nn.modules, sub), name)
    assert hasattr(getattr(loom.nn.modules, sub), name)


@pytest.mark.parametrize("make,base,expected", [
    (lambda nn: nn.BatchNorm1d(3), "batchnorm._BatchNorm", True),
    (lambda nn: nn.InstanceNorm2d(3), "batchnorm._BatchNorm", False),
    (lambda nn: nn.InstanceNorm2d(3), "batchnorm._NormBase", True),
    (lambda nn: nn.Conv2d(1, 1, 1), "conv._ConvNd", True),
    (lambda nn: nn.ConvTranspose2d(1, 1, 1), "conv._ConvNd", True),
    (lambda nn: nn.MSELoss(), "loss._Loss", True),
    (lambda nn: nn.CrossEntropyLoss(), "loss._WeightedLoss", True),
    (lambda nn: nn.Dropout2d(), "dropout._DropoutNd", True),
    (lambda nn: nn.LSTM(1, 1), "rnn.RNNBase", True),
    (lambda nn: nn.GRUCell(1, 1), "rnn.RNNCellBase", True),
])
def test_isinstance_against_the_bases_as_torch(make, base, expected):
    for lib in (torch, loom):
        sub, name = base.split(".")
        cls = getattr(getattr(lib.nn.modules, sub), name)
        assert isinstance(make(lib.nn), cls) is expected


def test_a_custom_loss_on_the_loss_base_and_a_custom_schedule_on_the_old_name():
    class Scaled(loom.nn.modules.loss._Loss):
        def forward(self, a, b):
            return loom.nn.functional.mse_loss(a, b, reduction=self.reduction) * 2

    assert Scaled(reduction="sum")(loom.ones(3), loom.zeros(3)).item() == 6.0

    class Halving(loom.optim.lr_scheduler._LRScheduler):
        def get_lr(self):
            return [base * 0.5 ** self.last_epoch for base in self.base_lrs]

    opt = loom.optim.SGD([loom.zeros(1, requires_grad=True)], lr=1.0)
    sched = Halving(opt)
    opt.step()
    sched.step()
    assert sched.get_last_lr() == [0.5]
    assert loom.nn.modules.utils._pair(3) == (3, 3) and loom.nn.modules.utils._pair((1, 2)) == (1, 2)
