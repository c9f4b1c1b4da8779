"""`loom.nn.modules.dropout`: the dropouts and their base, where PyTorch's ``torch.nn.modules.dropout`` keeps
them."""
from ..dropout import *  # noqa: F401,F403
from ..dropout import Dropout as _DropoutNd  # noqa: F401  (the base of the others)
