"""affine_grid, grid_sample and gumbel_softmax against torch.nn.functional."""
import math
import warnings

import pytest
import torch

import loom
from nn_oracle import close, to_loom


def _x(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed),
                       dtype=torch.float64)


def _theta(n, seed=1):
    a = _x(n, 2, 3, seed=seed) * 0.3
    return a + torch.tensor([[1.0, 0, 0], [0, 1.0, 0]], dtype=torch.float64)


@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("size", [(2, 3, 4, 5), (1, 1, 1, 3), (2, 1, 3, 1)])
def test_affine_grid_and_its_gradient(align, size):
    tt = _theta(size[0]).requires_grad_()
    lt = to_loom(tt.detach()).requires_grad_()
    tg = torch.nn.functional.affine_grid(tt, size, align_corners=align)
    lg = loom.nn.functional.affine_grid(lt, size, align_corners=align)
    close(lg, tg, 1e-12, 1e-12)
    g = _x(*tg.shape, seed=3)
    tg.backward(g)
    lg.backward(to_loom(g))
    close(lt.grad, tt.grad, 1e-10, 1e-12)


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align", [False, True])
def test_grid_sample_values_and_gradients(mode, padding, align):
    inp = _x(2, 3, 5, 6)
    # points inside, on and beyond the edges (the grid reaches [-1.6, 1.6])
    grid = (torch.rand(2, 4, 7, 2, generator=torch.Generator().manual_seed(4),
                       dtype=torch.float64) * 3.2 - 1.6)
    ti, tgr = inp.clone().requires_grad_(), grid.clone().requires_grad_()
    li, lgr = to_loom(inp).requires_grad_(), to_loom(grid).requires_grad_()
    to = torch.nn.functional.grid_sample(ti, tgr, mode, padding, align)
    lo = loom.nn.functional.grid_sample(li, lgr, mode, padding, align)
    close(lo, to, 1e-10, 1e-12)
    g = _x(*to.shape, seed=5)
    to.backward(g)
    lo.backward(to_loom(g))
    close(li.grad, ti.grad, 1e-10, 1e-12, "input grad")
    if mode == "bilinear":
        close(lgr.grad, tgr.grad, 1e-8, 1e-10, "grid grad")


def test_spatial_transformer_step_as_torch():
    theta = _theta(2)
    img = _x(2, 1, 8, 8)
    outs = []
    for lib in (torch, loom):
        th = theta if lib is torch else to_loom(theta)
        x = img if lib is torch else to_loom(img)
        grid = lib.nn.functional.affine_grid(th, x.size(), align_corners=False)
        outs.append(lib.nn.functional.grid_sample(x, grid, align_corners=False))
    close(outs[1], outs[0], 1e-10, 1e-12)


@pytest.mark.parametrize("call", [
    lambda T: T.nn.functional.affine_grid(T.ones(1, 3, 3), (1, 1, 2, 3), align_corners=False),
    lambda T: T.nn.functional.affine_grid(T.ones(2, 2, 3), (1, 1, 2, 3), align_corners=False),
    lambda T: T.nn.functional.affine_grid(T.ones(1, 2, 3), (1, 1, 2), align_corners=False),
    lambda T: T.nn.functional.grid_sample(T.ones(1, 1, 3, 4), T.zeros(1, 2, 2, 2), mode="foo"),
    lambda T: T.nn.functional.grid_sample(T.ones(1, 1, 3, 4), T.zeros(1, 2, 2, 2),
                                          padding_mode="foo"),
    lambda T: T.nn.functional.grid_sample(T.ones(1, 1, 3, 4), T.zeros(1, 2, 2, 3)),
    lambda T: T.nn.functional.grid_sample(T.ones(1, 1, 3, 4), T.zeros(2, 2, 2, 2)),
])
def test_errors_as_torch(call):
    def kind(lib):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                call(lib)
        except Exception as e:  # noqa: BLE001 - the exception type is compared
            return type(e).__name__, str(e)
    assert kind(loom) == kind(torch)


def test_default_align_corners_warns_as_torch():
    for lib in (torch, loom):
        with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
            lib.nn.functional.affine_grid(lib.ones(1, 2, 3), (1, 1, 2, 2))


@pytest.mark.parametrize("hard", [False, True])
def test_gumbel_softmax_draws_pytorchs_sample(hard):
    logits = _x(4, 5)
    outs = []
    for lib in (torch, loom):
        lib.manual_seed(3)
        x = (logits if lib is torch else to_loom(logits)).clone().requires_grad_()
        y = lib.nn.functional.gumbel_softmax(x, tau=0.5, hard=hard)
        (y * (lib.arange(5.0, dtype=lib.float64))).sum().backward()
        outs.append((y, x.grad))
    close(outs[1][0], outs[0][0], 1e-10, 1e-12)
    close(outs[1][1], outs[0][1], 1e-8, 1e-10)
    if hard:
        assert outs[1][0].sum(-1).tolist() == [1.0] * 4
