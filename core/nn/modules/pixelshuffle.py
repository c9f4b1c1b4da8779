"""`loom.nn.modules.pixelshuffle`: PixelShuffle and PixelUnshuffle, where PyTorch's ``torch.nn.modules.pixelshuffle`` keeps
them."""
from ..upsampling import PixelShuffle, PixelUnshuffle  # noqa: F401
