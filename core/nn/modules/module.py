"""`loom.nn.modules.module`: the Module base class, where PyTorch's ``torch.nn.modules.module`` keeps
them."""
from ..module import Module  # noqa: F401
