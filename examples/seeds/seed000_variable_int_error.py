"""Seed 000, "Variable的用法": wrapping an int64 tensor with requires_grad=True.

The note's old PyTorch accepted this; PyTorch 2.13 raises RuntimeError (only floating point
and complex tensors can require gradients), which this script shows.
"""
#构造Variable
import torch
from torch.autograd import Variable
tensor = torch.arange(1,5).reshape(2,2)

#设置requires_grad为True,允许该变量反向传播
try:
    variable = Variable(tensor, requires_grad=True)
except Exception as e:
    print(type(e).__name__)
    print(str(e).splitlines()[0])
