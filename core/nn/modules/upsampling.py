"""`loom.nn.modules.upsampling`: Upsample and its fixed-mode forms, where PyTorch's ``torch.nn.modules.upsampling`` keeps
them."""
from ..upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d  # noqa: F401
