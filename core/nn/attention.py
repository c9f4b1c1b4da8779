"""MultiheadAttention, with PyTorch's packed input projection, parameter names and init."""
from __future__ import annotations

import loom

from . import functional as F, init
from .linear import Linear
from .module import Module
from .parameter import Parameter

__all__ = ["MultiheadAttention"]


class NonDynamicallyQuantizableLinear(Linear):
    """The output projection's class name in PyTorch (its repr shows it)."""


class MultiheadAttention(Module):
    """Attention over `num_heads` heads of ``embed_dim / num_heads`` each: packed
    ``in_proj_weight`` (3E, E) for query, key and value, and ``out_proj``. Inputs (L, N, E), or
    (N, L, E) with ``batch_first``; returns ``(output, weights)`` with the weights averaged
    over heads unless ``average_attn_weights=False`` (None when ``need_weights=False``)."""

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim=None, vdim=None,
                 batch_first: bool = False, device=None, dtype=None):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads} instead")
        if add_bias_kv or add_zero_attn or (kdim not in (None, embed_dim)) or \
                (vdim not in (None, embed_dim)):
            raise NotImplementedError("MultiheadAttention: add_bias_kv, add_zero_attn and "
                                      "kdim/vdim other than embed_dim are not supported")
        self.embed_dim, self.num_heads, self.dropout = embed_dim, num_heads, dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")
        self.kdim = self.vdim = embed_dim
        self._qkv_same_embed_dim = True
        f = {"device": device, "dtype": dtype}
        self.in_proj_weight = Parameter(loom.empty(3 * embed_dim, embed_dim, **f))
        self.register_parameter("q_proj_weight", None)
        self.register_parameter("k_proj_weight", None)
        self.register_parameter("v_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(loom.empty(3 * embed_dim, **f))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, **f)
        self.bias_k = self.bias_v = None
        self.add_zero_attn = False
        init.xavier_uniform_(self.in_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)

    def forward(self, query, key, value, key_padding_mask=None, need_weights: bool = True,
                attn_mask=None, average_attn_weights: bool = True, is_causal: bool = False):
        batched = query.dim() == 3
        if not batched:
            query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif self.batch_first:
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        tgt, n, e = query.shape
        src = key.shape[0]
        h, hd = self.num_heads, self.head_dim
        w_q, w_k, w_v = self.in_proj_weight.chunk(3)
        b_q = b_k = b_v = None
        if self.in_proj_bias is not None:
            b_q, b_k, b_v = self.in_proj_bias.chunk(3)
        # (L, N, E) -> (N, H, L, hd)
        q = F.linear(query, w_q, b_q).reshape(tgt, n, h, hd).permute(1, 2, 0, 3)
        k = F.linear(key, w_k, b_k).reshape(src, n, h, hd).permute(1, 2, 0, 3)
        v = F.linear(value, w_v, b_v).reshape(src, n, h, hd).permute(1, 2, 0, 3)
        scores = (q * (1.0 / hd ** 0.5)) @ k.transpose(-2, -1)     # (N, H, L, S)
        if is_causal and attn_mask is None:
            attn_mask = ~loom.ones(tgt, src, dtype=loom.bool, device=query.device).tril()
        if attn_mask is not None:
            if attn_mask.dim() == 3:
                attn_mask = attn_mask.reshape(n, h, tgt, src)
            scores = scores.masked_fill(attn_mask, float("-inf")) \
                if attn_mask.dtype == loom.bool else scores + attn_mask
        if key_padding_mask is not None:
            m = key_padding_mask.reshape(n, 1, 1, src)
            scores = scores.masked_fill(m, float("-inf")) if m.dtype == loom.bool \
                else scores + m
        w = loom.softmax(scores, -1)
        if self.dropout > 0 and self.training:
            w = F.dropout(w, self.dropout, True)
        out = (w @ v).permute(2, 0, 1, 3).reshape(tgt, n, e)
        out = self.out_proj(out)
        if not batched:
            out = out.squeeze(1)
        elif self.batch_first:
            out = out.transpose(0, 1)
        weights = None
        if need_weights:
            weights = w.mean(1) if average_attn_weights else w
            if not batched:
                weights = weights.squeeze(0)
        return out, weights
