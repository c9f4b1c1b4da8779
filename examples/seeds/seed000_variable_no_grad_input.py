"""Seed 000: an input without requires_grad keeps grad None; an intermediate (y1) keeps
grad None while requires_grad is True."""
import torch
from torch.autograd import Variable

x1 = torch.Tensor([1,2,3,4])
x1 = Variable(x1, requires_grad=True)
y1 = x1*x1
y2 = Variable(torch.Tensor([1,2,3,4]))
z = torch.sum(y1*y2)

print(x1.grad)
print(y2.grad)
#从z开始反向传播
z.backward()
print("反向传播之后")
print(x1.grad)
print(y2.grad)
#结果:
#None
#None
#反向传播之后
#tensor([ 2.,  8., 18., 32.])
#None

print(y1.grad)
print(y1.requires_grad)
#None
#True
