"""`loom.nn.modules`: the layers under the submodule names PyTorch gives them
(``nn.modules.loss._Loss``, ``nn.modules.batchnorm._BatchNorm``, ``nn.modules.conv._ConvNd``),
for code that subclasses or tests against those bases. Each submodule re-exports loom's own
classes; everything is also in `loom.nn` itself."""
from . import (activation, batchnorm, container, conv, distance, dropout, flatten,  # noqa
               fold, instancenorm, linear, loss, module, normalization, padding,
               pixelshuffle, pooling, rnn, sparse, transformer, upsampling, utils)
from .activation import *  # noqa: F401,F403
from .batchnorm import *  # noqa: F401,F403
from .container import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .distance import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .flatten import *  # noqa: F401,F403
from .fold import *  # noqa: F401,F403
from .instancenorm import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .padding import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .rnn import *  # noqa: F401,F403
from .pixelshuffle import *  # noqa: F401,F403
from .sparse import *  # noqa: F401,F403
from .transformer import *  # noqa: F401,F403
from .upsampling import *  # noqa: F401,F403
from .module import Module  # noqa: F401
