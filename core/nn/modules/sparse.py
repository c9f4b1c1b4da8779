"""`loom.nn.modules.sparse`: Embedding and EmbeddingBag, where PyTorch's ``torch.nn.modules.sparse`` keeps
them."""
from ..embedding import Embedding, EmbeddingBag  # noqa: F401
