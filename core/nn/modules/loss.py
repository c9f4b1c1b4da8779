"""`loom.nn.modules.loss`: the loss modules and their bases, where PyTorch's ``torch.nn.modules.loss`` keeps
them."""
from ..loss import *  # noqa: F401,F403
from ..loss import _Loss, _WeightedLoss  # noqa: F401
from ..ctc import CTCLoss  # noqa: F401,E402
from ..loss_embedding import *  # noqa: F401,F403,E402
