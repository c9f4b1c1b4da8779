"""`loom.nn.modules.linear`: Linear, Bilinear and Identity, where PyTorch's ``torch.nn.modules.linear`` keeps
them."""
from ..linear import Bilinear, Identity, Linear  # noqa: F401
