"""0-dim tensors where NumPy's 0-d arithmetic gives a scalar: `normal` with 0-dim mean and
std, the losses on 0-dim logits, against PyTorch."""
import pytest
import torch

import loom
from nn_oracle import close, to_loom


@pytest.mark.parametrize("args", [(0.0, 1.0), (2.0, 3.0)])
def test_normal_of_zero_dim_tensors_draws_pytorchs_sample(args):
    outs = []
    for lib in (torch, loom):
        lib.manual_seed(0)
        outs.append((lib.normal(lib.tensor(args[0]), lib.tensor(args[1])),
                     lib.normal(lib.tensor(args[0]), args[1])))
    for a, b in zip(outs[1], outs[0]):
        close(a, b, 1e-6, 1e-7)


@pytest.mark.parametrize("name,kw", [("binary_cross_entropy_with_logits", {}),
                                     ("binary_cross_entropy_with_logits",
                                      {"pos_weight": 2.0}),
                                     ("mse_loss", {}), ("l1_loss", {}), ("smooth_l1_loss", {}),
                                     ("huber_loss", {})])
def test_losses_of_zero_dim_inputs_as_pytorch(name, kw):
    results = []
    for lib in (torch, loom):
        x = lib.tensor(0.3, dtype=lib.float64, requires_grad=True)
        extra = {k: lib.tensor(v, dtype=lib.float64) for k, v in kw.items()}
        loss = getattr(lib.nn.functional, name)(x, lib.tensor(1.0, dtype=lib.float64),
                                                 **extra)
        loss.backward()
        results.append((loss, x.grad))
    close(results[1][0], results[0][0], 1e-12, 1e-12)
    close(results[1][1], results[0][1], 1e-12, 1e-12)
