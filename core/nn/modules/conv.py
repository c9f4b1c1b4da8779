"""`loom.nn.modules.conv`: convolutions and their bases, where PyTorch's ``torch.nn.modules.conv`` keeps
them."""
from ..conv import *  # noqa: F401,F403
from ..conv import _ConvNd, _ConvTransposeNd  # noqa: F401
