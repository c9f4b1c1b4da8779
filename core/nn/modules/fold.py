"""`loom.nn.modules.fold`: Fold and Unfold, where PyTorch's ``torch.nn.modules.fold`` keeps
them."""
from ..fold import Fold, Unfold  # noqa: F401
