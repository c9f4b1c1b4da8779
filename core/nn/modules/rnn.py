"""`loom.nn.modules.rnn`: the recurrent layers, cells and their bases, where PyTorch's ``torch.nn.modules.rnn`` keeps
them."""
from ..rnn import *  # noqa: F401,F403
from ..rnn import RNNBase  # noqa: F401
from ..rnn import _CellBase as RNNCellBase  # noqa: F401
