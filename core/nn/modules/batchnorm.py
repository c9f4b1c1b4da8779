"""`loom.nn.modules.batchnorm`: batch normalisation and its bases, where PyTorch's ``torch.nn.modules.batchnorm`` keeps
them."""
from ..normalization import (_BatchNorm, _NormBase, BatchNorm1d, BatchNorm2d,  # noqa: F401
                             BatchNorm3d)
