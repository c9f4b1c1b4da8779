"""`loom.distributions`: probability distributions (``torch.distributions``).

`Normal`, `Uniform`, `Categorical` and `Bernoulli`, and `Independent` over any of them, with PyTorch's parameters, shapes
(``batch_shape``, ``event_shape``, `expand`), argument and value validation (PyTorch's
``ValueError`` messages; ``validate_args=False`` or
``Distribution.set_default_validate_args(False)`` turns it off), `sample` (drawing from
loom's generators, which reproduce PyTorch's streams: the same seed gives the same samples),
`rsample` for the reparameterizable ones, and `log_prob`, `cdf`, `icdf`, `entropy`, `mean`,
`mode`, `variance`, `stddev` built from loom operators, so they are differentiable with
respect to the parameters. `kl_divergence` covers the pairs of the same family.
"""
from __future__ import annotations

from . import constraints
from .discrete import Bernoulli, Categorical
from .distribution import Distribution
from .independent import Independent
from .kl import kl_divergence, register_kl
from .normal import Normal, Uniform

__all__ = ["Bernoulli", "Categorical", "Distribution", "Independent", "Normal", "Uniform", "constraints",
           "kl_divergence", "register_kl"]
