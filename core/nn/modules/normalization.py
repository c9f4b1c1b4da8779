"""`loom.nn.modules.normalization`: layer, group, local-response and RMS normalisation, where PyTorch's ``torch.nn.modules.normalization`` keeps
them."""
from ..normalization import (GroupNorm, LayerNorm, LocalResponseNorm,  # noqa: F401
                             RMSNorm)
