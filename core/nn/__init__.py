"""`loom.nn`: neural-network building blocks with ``torch.nn``'s API — `Module` and
`Parameter`, layers, containers, losses, `functional`, `init` and `utils`. Written against
loom's public API only; the kernels that must be operators (convolution, pooling, embedding,
the losses, CTC) come from the bundled ``ops_nn`` plugin. Functional forms written beside
their modules (interpolate, distances, the further losses) are attached to `functional`."""
from . import functional, init, utils  # noqa: F401
from .attention_functional import multi_head_attention_forward as _mha
# F.multi_head_attention_forward, as PyTorch names it: it is written on top of `functional`
# (linear, pad, dropout), so the package puts it there rather than functional importing it back
functional.multi_head_attention_forward = _mha
from . import activation_more as _activation_more  # noqa: E402
from . import ctc as _ctc  # noqa: E402
from . import loss_embedding as _loss_embedding  # noqa: E402
from . import upsampling as _upsampling  # noqa: E402


def _attach(module, names):
    """Functional forms defined beside their modules, exported from `nn.functional` as well."""
    for name in names:
        setattr(functional, name, getattr(module, name))
        if name not in functional.__all__:
            functional.__all__.append(name)


_attach(_upsampling, ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear",
                      "pixel_shuffle", "pixel_unshuffle"])
_attach(_ctc, ["ctc_loss"])
_attach(_activation_more, ["prelu"])
_attach(_loss_embedding, [n for n in _loss_embedding.__all__ if n[0].islower()])
from .activation import (CELU, ELU, GELU, GLU, Hardshrink, Hardsigmoid, Hardswish,  # noqa
                         Hardtanh, LeakyReLU, LogSigmoid, LogSoftmax, Mish, ReLU, ReLU6, RReLU,
                         SELU, Sigmoid, SiLU, Softmax, Softmax2d, Softmin, Softplus, Softshrink,
                         Softsign, Tanh, Tanhshrink, Threshold)
from .activation_more import PReLU  # noqa: F401
from .attention import MultiheadAttention  # noqa: F401
from .container import (ModuleDict, ModuleList, ParameterDict, ParameterList,  # noqa: F401
                        Sequential)
from .conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d  # noqa: F401
from .ctc import CTCLoss  # noqa: F401
from .distance import CosineSimilarity, PairwiseDistance  # noqa: F401
from .dropout import (AlphaDropout, Dropout, Dropout1d, Dropout2d, Dropout3d,  # noqa: F401
                      FeatureAlphaDropout)
from .embedding import Embedding, EmbeddingBag  # noqa: F401
from .fold import Fold, Unfold  # noqa: F401
from .linear import Bilinear, Flatten, Identity, Linear, Unflatten  # noqa: F401
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, KLDivLoss,  # noqa
                   L1Loss, MSELoss, NLLLoss, SmoothL1Loss)
from .loss_embedding import (CosineEmbeddingLoss, GaussianNLLLoss,  # noqa: F401
                             HingeEmbeddingLoss, MarginRankingLoss, MultiLabelSoftMarginLoss,
                             PoissonNLLLoss, SoftMarginLoss, TripletMarginLoss,
                             TripletMarginWithDistanceLoss)
from .module import Module  # noqa: F401
from .normalization import (BatchNorm1d, BatchNorm2d, BatchNorm3d, GroupNorm,  # noqa: F401
                            InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, LayerNorm,
                            LocalResponseNorm, RMSNorm)
from .padding import (CircularPad1d, CircularPad2d, CircularPad3d, ConstantPad1d,  # noqa
                      ConstantPad2d, ConstantPad3d, ReflectionPad1d, ReflectionPad2d,
                      ReflectionPad3d, ReplicationPad1d, ReplicationPad2d, ReplicationPad3d,
                      ZeroPad1d, ZeroPad2d, ZeroPad3d)
from .parameter import Buffer, Parameter  # noqa: F401
from .pooling import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool1d,  # noqa: F401
                      AdaptiveMaxPool2d, AvgPool1d, AvgPool2d, LPPool1d, LPPool2d, MaxPool1d,
                      MaxPool2d, MaxUnpool1d, MaxUnpool2d)
from .transformer import (Transformer, TransformerDecoder,  # noqa: F401
                          TransformerDecoderLayer, TransformerEncoder, TransformerEncoderLayer)
from .upsampling import (PixelShuffle, PixelUnshuffle, Upsample,  # noqa: F401
                         UpsamplingBilinear2d, UpsamplingNearest2d)
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell  # noqa: F401
from . import modules  # noqa: F401,E402  (nn.modules.loss._Loss, ..., PyTorch's layout)
