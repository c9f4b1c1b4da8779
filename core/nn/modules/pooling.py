"""`loom.nn.modules.pooling`: the pooling layers, where PyTorch's ``torch.nn.modules.pooling`` keeps
them."""
from ..pooling import *  # noqa: F401,F403
