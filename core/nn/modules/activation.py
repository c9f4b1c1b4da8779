"""`loom.nn.modules.activation`: the activations (and MultiheadAttention, which PyTorch keeps here), where PyTorch's ``torch.nn.modules.activation`` keeps
them."""
from ..activation import *  # noqa: F401,F403
from ..attention import MultiheadAttention  # noqa: F401
from ..activation_more import PReLU  # noqa: F401,E402
