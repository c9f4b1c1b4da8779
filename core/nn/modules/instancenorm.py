"""`loom.nn.modules.instancenorm`: instance normalisation, where PyTorch's ``torch.nn.modules.instancenorm`` keeps
them."""
from ..normalization import (_InstanceNorm, InstanceNorm1d, InstanceNorm2d,  # noqa: F401
                             InstanceNorm3d)
