"""`loom.nn.modules.container`: the containers, where PyTorch's ``torch.nn.modules.container`` keeps
them."""
from ..container import (ModuleDict, ModuleList, ParameterDict,  # noqa: F401
                         ParameterList, Sequential)
