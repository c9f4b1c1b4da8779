"""Seed 004, "创建张量": Tensor(5, 3), rand, randn, Tensor([1, 2]), from_numpy, size().

Python 2's ``print x.size()`` is ``print(x.size())``; ``import numpy as np`` was missing.
"""
import numpy as np
import torch

# 1. 未初始化,都是0
x = torch.Tensor(5, 3)
# 2. 随机初始化
x = torch.rand(5, 3)
x = torch.randn(4, 4)

# 3. 传递参数初始化
x = torch.Tensor([1, 2])


# 4. 通过Numpy初始化
a = np.ones(5)
b = torch.from_numpy(a)




# 5. 获取size,返回一个tuple [5, 3]
print(x.size())
