"""`loom.nn.modules.flatten`: Flatten and Unflatten, where PyTorch's ``torch.nn.modules.flatten`` keeps
them."""
from ..linear import Flatten, Unflatten  # noqa: F401
