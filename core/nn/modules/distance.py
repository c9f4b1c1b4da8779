"""`loom.nn.modules.distance`: CosineSimilarity and PairwiseDistance, where PyTorch's ``torch.nn.modules.distance`` keeps
them."""
from ..distance import CosineSimilarity, PairwiseDistance  # noqa: F401
