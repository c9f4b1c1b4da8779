"""Seed 000: z = sum(x1*x1*y2); grads are None before z.backward() and filled after."""
import torch
from torch.autograd import Variable

x1 = torch.Tensor([1,2,3,4])
x1 = Variable(x1, requires_grad=True)
y1 = x1*x1
y2 = Variable(torch.Tensor([1,2,3,4]), requires_grad=True)
z = torch.sum(y1*y2)

print(x1.grad)
print(y2.grad)
#从z开始反向传播
print("反向传播之后")
z.backward()
print(x1.grad)
print(y2.grad)
#结果:
#None
#None
#反向传播之后
#tensor([ 2.,  8., 18., 32.])
#tensor([ 1.,  4.,  9., 16.])
