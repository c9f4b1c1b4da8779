"""`loom.nn.modules.transformer`: the Transformer layers, where PyTorch's ``torch.nn.modules.transformer`` keeps
them."""
from ..transformer import (Transformer, TransformerDecoder,  # noqa: F401
                           TransformerDecoderLayer, TransformerEncoder,
                           TransformerEncoderLayer)
