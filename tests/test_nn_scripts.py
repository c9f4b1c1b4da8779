"""Compact versions of published PyTorch training scripts (the "Learn the Basics" quickstart,
pytorch/examples' MNIST, the seeding preamble of GitHub training scripts), run through loom
and through PyTorch from the same weights: the same printed model, the same losses."""
from __future__ import annotations

import importlib

import numpy as np
import pytest
import torch

import loom

from nn_oracle import copy_weights


def test_the_seeding_and_device_preamble_runs():
    """``cudnn.benchmark``/``deterministic`` flags, ``import torch.backends.cudnn as cudnn``,
    ``mps.is_available()``, ``torch.accelerator``: set and read as in PyTorch (on a machine
    with no accelerator)."""
    for lib in (torch, loom):
        lib.backends.cudnn.deterministic = True
        lib.backends.cudnn.benchmark = False
        assert lib.backends.cudnn.deterministic is True
        cudnn = importlib.import_module(f"{lib.__name__}.backends.cudnn")
        assert cudnn is lib.backends.cudnn and cudnn.enabled is True
        lib.backends.cudnn.deterministic = False
        with cudnn.flags(enabled=False):
            assert cudnn.enabled is False
        assert cudnn.enabled is True
        assert lib.backends.cuda.matmul.allow_tf32 is False
        assert lib.backends.mps.is_available() is lib.backends.mps.is_available() is False
        assert lib.backends.cuda.flash_sdp_enabled() is True
        if lib.cuda.is_available():  # pragma: no cover - a machine with a GPU backend
            continue
        assert lib.accelerator.is_available() is False
        assert lib.accelerator.current_accelerator() is None
        assert lib.accelerator.device_count() == 0
        use_accel = lib.accelerator.is_available()
        device = lib.accelerator.current_accelerator() if use_accel else lib.device("cpu")
        assert str(device) == "cpu"


class _Net:
    """pytorch/examples mnist/main.py's network, built with either library's nn."""

    @staticmethod
    def build(nn):
        F = nn.functional

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(1, 8, 3, 1)
                self.conv2 = nn.Conv2d(8, 16, 3, 1)
                self.dropout1 = nn.Dropout(0.25)
                self.dropout2 = nn.Dropout(0.5)
                self.fc1 = nn.Linear(16 * 6 * 6, 32)
                self.fc2 = nn.Linear(32, 10)

            def forward(self, x):
                x = F.relu(self.conv1(x))
                x = F.relu(self.conv2(x))
                x = F.max_pool2d(x, 2)
                x = self.dropout1(x)
                x = torch_like.flatten(x, 1)
                x = F.relu(self.fc1(x))
                x = self.dropout2(x)
                return F.log_softmax(self.fc2(x), dim=1)

        torch_like = torch if nn is torch.nn else loom
        return Net()


def _mnist_run(lib, model, X, Y, opt_name, opt_kw):
    data = lib.utils.data
    loader = data.DataLoader(data.TensorDataset(lib.tensor(X), lib.tensor(Y)), batch_size=8)
    optimizer = getattr(lib.optim, opt_name)(model.parameters(), **opt_kw)
    scheduler = lib.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
    losses, evals = [], []
    for _ in range(2):
        model.train()
        for data_, target in loader:
            optimizer.zero_grad()
            loss = lib.nn.functional.nll_loss(model(data_), target)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        model.eval()
        test_loss, correct = 0.0, 0
        with lib.no_grad():
            for data_, target in loader:
                output = model(data_)
                test_loss += lib.nn.functional.nll_loss(output, target, reduction="sum").item()
                pred = output.argmax(dim=1, keepdim=True)
                correct += pred.eq(target.view_as(pred)).sum().item()
        evals.append((test_loss / len(loader.dataset), correct))
        scheduler.step()
    return losses, evals, scheduler.get_last_lr()


@pytest.mark.parametrize("opt_name,opt_kw", [("Adadelta", dict(lr=1.0)),
                                             ("Adam", dict(lr=1e-3)),
                                             ("SGD", dict(lr=0.05, momentum=0.9))])
def test_the_mnist_example_trains_as_torch(opt_name, opt_kw):
    rng = np.random.RandomState(0)
    X = ((rng.rand(32, 1, 16, 16) - 0.13) / 0.31).astype(np.float32)
    Y = rng.randint(0, 10, 32)
    tm, lm = _Net.build(torch.nn), _Net.build(loom.nn)
    assert repr(lm) == repr(tm)
    copy_weights(tm, lm)
    for m in (tm, lm):  # dropout draws differ between the libraries
        m.dropout1.p = m.dropout2.p = 0.0
    t_losses, t_evals, t_lr = _mnist_run(torch, tm, X, Y, opt_name, opt_kw)
    l_losses, l_evals, l_lr = _mnist_run(loom, lm, X, Y, opt_name, opt_kw)
    np.testing.assert_allclose(l_losses, t_losses, rtol=2e-4, atol=1e-5)
    np.testing.assert_allclose([e[0] for e in l_evals], [e[0] for e in t_evals], rtol=2e-4)
    assert l_lr == t_lr


def test_the_quickstart_loop_with_a_custom_dataset_and_a_state_dict_round_trip(tmp_path):
    rng = np.random.RandomState(1)
    xs, ys = rng.rand(48, 1, 8, 8).astype(np.float32), rng.randint(0, 10, 48)

    def run(lib):
        nn, data = lib.nn, lib.utils.data

        class Images(data.Dataset):
            def __len__(self):
                return len(ys)

            def __getitem__(self, idx):
                return lib.from_numpy(xs[idx]), int(ys[idx])

        class NeuralNetwork(nn.Module):
            def __init__(self):
                super().__init__()
                self.flatten = nn.Flatten()
                self.linear_relu_stack = nn.Sequential(
                    nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(),
                    nn.Linear(32, 10))

            def forward(self, x):
                return self.linear_relu_stack(self.flatten(x))

        return NeuralNetwork(), data.DataLoader(Images(), batch_size=16)

    (tm, tdl), (lm, ldl) = run(torch), run(loom)
    assert repr(lm) == repr(tm)
    copy_weights(tm, lm)
    out = {}
    for lib, model, dl in ((torch, tm, tdl), (loom, lm, ldl)):
        loss_fn = lib.nn.CrossEntropyLoss()
        opt = lib.optim.SGD(model.parameters(), lr=1e-1)
        rec = []
        for X, y in dl:
            assert (tuple(X.shape), str(y.dtype)) == ((16, 1, 8, 8), "torch.int64")
            loss = loss_fn(model(X), y)
            loss.backward()
            opt.step()
            opt.zero_grad()
            rec.append(loss.item())
        model.eval()
        correct = 0
        with lib.no_grad():
            for X, y in dl:
                correct += (model(X).argmax(1) == y).type(lib.float).sum().item()
        path = tmp_path / f"{lib.__name__}.pth"
        lib.save(model.state_dict(), path)
        fresh = run(lib)[0]
        keys = fresh.load_state_dict(lib.load(path, weights_only=True))
        assert str(keys) == "<All keys matched successfully>"
        x0 = lib.from_numpy(xs[:1])
        rec.append(float(fresh(x0)[0].argmax(0)))
        out[lib.__name__] = (rec, correct)
    np.testing.assert_allclose(out["loom"][0], out["torch"][0], rtol=1e-5, atol=1e-6)
    assert out["loom"][1] == out["torch"][1]


@pytest.mark.parametrize("opts,values", [
    (dict(precision=2), [1.23456, 2.5]), (dict(sci_mode=False), [1e-6, 2.5]),
    (dict(sci_mode=True), [1.5, 2.5]), (dict(profile="short"), [1.23456, 2.5]),
    (dict(threshold=5, edgeitems=1), list(range(10))), (dict(linewidth=20), list(range(12))),
    (dict(profile="full"), list(range(1200))),
])
def test_set_printoptions_as_torch(opts, values):
    try:
        torch.set_printoptions(**opts)
        loom.set_printoptions(**opts)
        assert repr(loom.tensor(values, dtype=loom.float32)) == \
            repr(torch.tensor(values, dtype=torch.float32))
    finally:
        torch.set_printoptions(profile="default")
        loom.set_printoptions(profile="default")
    assert repr(loom.tensor([1e-6, 2.5])) == repr(torch.tensor([1e-6, 2.5]))


def test_thread_determinism_and_compile_settings_run():
    for lib in (torch, loom):
        before = lib.get_num_threads()
        lib.set_num_threads(2)
        assert lib.get_num_threads() == 2
        lib.set_num_threads(before)
        lib.use_deterministic_algorithms(True, warn_only=True)
        assert lib.are_deterministic_algorithms_enabled()
        assert lib.is_deterministic_algorithms_warn_only_enabled()
        lib.use_deterministic_algorithms(False)
        assert not lib.are_deterministic_algorithms_enabled()
    m = loom.nn.Linear(2, 2)
    compiled = loom.compile(m)  # run eagerly, wrapped as PyTorch wraps it
    assert compiled._orig_mod is m and compiled(loom.ones(1, 2)).shape == (1, 2)

    @loom.compile(mode="reduce-overhead")
    def f(x):
        return x * 2
    assert f(loom.ones(1)).tolist() == [2.0]
