"""Distances and similarities: `F.cosine_similarity`, `F.pairwise_distance` and their modules
`CosineSimilarity`, `PairwiseDistance`, as PyTorch computes them (compositions of loom
operators, so their gradients come from autograd)."""
from __future__ import annotations

import loom

from .module import Module

__all__ = ["cosine_similarity", "pairwise_distance", "CosineSimilarity", "PairwiseDistance"]

_CPP_NAMES = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
              "uint8": "Byte", "bool": "Bool"}


def _check_broadcast(a, b) -> None:
    """PyTorch's error for shapes that do not broadcast (naming the mismatching dim)."""
    sa, sb = tuple(a.shape), tuple(b.shape)
    n = max(len(sa), len(sb))
    sa, sb = (1,) * (n - len(sa)) + sa, (1,) * (n - len(sb)) + sb
    for i in range(n - 1, -1, -1):
        if sa[i] != sb[i] and sa[i] != 1 and sb[i] != 1:
            raise RuntimeError(f"The size of tensor a ({sa[i]}) must match the size of tensor b "
                               f"({sb[i]}) at non-singleton dimension {i}")


def cosine_similarity(x1, x2, dim: int = 1, eps: float = 1e-8):
    """``x1 . x2 / (max(|x1|, eps) * max(|x2|, eps))`` along `dim` (inputs broadcast); each
    input is divided by its own norm first, as PyTorch does."""
    common = loom.result_type(x1, x2)
    if not common.is_floating_point:
        name = _CPP_NAMES.get(str(common).replace("torch.", ""), str(common))
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is "
                           f"{name}")
    _check_broadcast(x1, x2)
    x1, x2 = loom.broadcast_tensors(x1.to(common), x2.to(common))
    n1 = _clamped_norm(x1, dim, eps)
    n2 = _clamped_norm(x2, dim, eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def _clamped_norm(x, dim, eps):
    """The 2-norm along `dim`, raised to `eps` without a gradient there (PyTorch clamps a
    clone of the norm in place under no_grad: the gradient passes through the unclamped
    norm)."""
    norm = loom.linalg.vector_norm(x, 2, dim=dim, keepdim=True)
    lifted = loom.clamp(norm.detach(), min=eps) - norm.detach()
    return norm + lifted


def pairwise_distance(x1, x2, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
    """The `p`-norm of ``x1 - x2 + eps`` over the last dim (of the broadcast shape)."""
    _check_broadcast(x1, x2)
    out_dim = max(x1.dim(), x2.dim())
    return loom.linalg.vector_norm(x1 - x2 + eps, p, dim=out_dim - 1, keepdim=keepdim)


class CosineSimilarity(Module):
    """`cosine_similarity` along `dim`."""

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1, x2):
        return cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """`pairwise_distance` of `norm` order."""

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1, x2):
        return pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
