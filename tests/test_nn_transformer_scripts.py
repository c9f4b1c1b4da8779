"""nn.TransformerEncoder/Decoder(Layer) and nn.Transformer against torch.nn: reprs (the
ModuleList's ``(0-1): 2 x ...`` runs), outputs and gradients from the same weights, masks,
norm_first, activations, batch_first, the nested-tensor warning and shape errors."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import loom


def _mk(lib, kind, **kw):
    nn = lib.nn
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "enc":
            return nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, 0.0, **kw), 2)
        if kind == "dec":
            return nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16, 0.0, **kw), 2,
                                         nn.LayerNorm(8))
        return nn.Transformer(8, 2, 1, 1, 16, 0.0, **kw)


@pytest.mark.parametrize("kind,kw", [
    ("enc", {}), ("enc", dict(norm_first=True, activation="gelu", batch_first=True)),
    ("enc", dict(activation=torch.nn.functional.silu)), ("dec", {}),
    ("dec", dict(norm_first=True, bias=False)), ("tr", {}), ("tr", dict(batch_first=True)),
])
def test_transformer_modules_match_torch(kind, kw):
    lkw = dict(kw)
    if callable(kw.get("activation")):
        lkw["activation"] = loom.nn.functional.silu
    torch.manual_seed(0)
    tm, lm = _mk(torch, kind, **kw).double(), _mk(loom, kind, **lkw).double()
    if "activation" not in kw or isinstance(kw["activation"], str):
        assert repr(lm) == repr(tm)
    lm.load_state_dict({k: loom.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    rng = np.random.RandomState(0)
    bf = kw.get("batch_first", False)
    a = rng.randn(3, 5, 8) if bf else rng.randn(5, 3, 8)
    b = rng.randn(3, 4, 8) if bf else rng.randn(4, 3, 8)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b)
    la, lb = loom.tensor(a, requires_grad=True), loom.tensor(b)
    if kind == "enc":
        mask = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64)
        to, lo = tm(ta, mask=mask), lm(la, mask=loom.tensor(mask.numpy()))
    elif kind == "dec":
        lmask = loom.nn.Transformer.generate_square_subsequent_mask(4, dtype=loom.float64)
        tmask = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64)
        to, lo = tm(tb, ta, tgt_mask=tmask), lm(lb, la, tgt_mask=lmask)
    else:
        to, lo = tm(ta, tb), lm(la, lb)
    (to ** 2).sum().backward()
    (lo ** 2).sum().backward()
    np.testing.assert_allclose(lo.detach().numpy(), to.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(la.grad.numpy(), ta.grad.numpy(), rtol=1e-9, atol=1e-12)
    for (n, tp), lp in zip(tm.named_parameters(), lm.parameters()):
        np.testing.assert_allclose(lp.grad.numpy(), tp.grad.numpy(), rtol=1e-8, atol=1e-12,
                                   err_msg=n)


def test_square_subsequent_mask_and_the_nested_tensor_warning():
    lm = loom.nn.Transformer.generate_square_subsequent_mask(3)
    tm = torch.nn.Transformer.generate_square_subsequent_mask(3)
    assert str(lm.dtype) == str(tm.dtype)
    np.testing.assert_array_equal(lm.numpy(), tm.numpy())
    for lib in (torch, loom):
        layer = lib.nn.TransformerEncoderLayer(8, 2)
        with pytest.warns(UserWarning, match="enable_nested_tensor is True, but "
                                             "self.use_nested_tensor is False because "
                                             "encoder_layer.self_attn.batch_first was not True"):
            enc = lib.nn.TransformerEncoder(layer, 2)
        assert enc.use_nested_tensor is False and enc.layers[0] is not layer


def test_transformer_shape_errors_match_torch():
    for lib in (torch, loom):
        t = _mk(lib, "tr")
        with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
            t(lib.zeros(5, 3, 8), lib.zeros(4, 2, 8))
        with pytest.raises(RuntimeError, match="the feature number of src and tgt must be"):
            t(lib.zeros(5, 3, 8), lib.zeros(4, 3, 6))


def test_module_list_repr_groups_runs_of_equal_modules():
    for lib in (torch, loom):
        nn = lib.nn
        ml = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2),
                            nn.Linear(2, 3), nn.Tanh(), nn.Tanh(), nn.Tanh()])
        seq = nn.Sequential(nn.ModuleList([nn.ReLU()] * 3), nn.ModuleList())
        if lib is torch:
            expected = (repr(ml), repr(seq))
    assert (repr(ml), repr(seq)) == expected
    assert "(0-1): 2 x Linear" in expected[0] and "(5-7): 3 x Tanh()" in expected[0]
