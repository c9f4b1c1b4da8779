"""`loom.nn.modules.padding`: the padding layers, where PyTorch's ``torch.nn.modules.padding`` keeps
them."""
from ..padding import *  # noqa: F401,F403
