"""Seed 004, "求梯度": grads of z = 2x + 3y + 4, of mean(3 (x + 2)^2), and backward with a
gradient argument. The ``>>>`` output markers of the note are comments here.
"""
import torch
from torch.autograd import Variable
# 1. 准备式子
# 默认求导是false
x = Variable(torch.Tensor([2]), requires_grad = True)
y = Variable(torch.Tensor([3]), requires_grad = True)
z = 2 * x + 3 * y + 4
# 2. z对x和y进行求导
z.backward()
# 3. 获得z对x和y的导数
print (x.grad.data)     
# >>>
# tensor([2.])
print (y.grad.data)
# >>>
# tensor([3.])

# 复杂计算
x = Variable(torch.ones(2, 2), requires_grad = True)
y = x + 2
z = y * y * 3
out = z.mean()
out.backward()
# d(out)/dx
print (x.grad)
# >>>
#tensor([[4.5000, 4.5000],
#        [4.5000, 4.5000]])

# 传递梯度
x = Variable(torch.Tensor([2,1]), requires_grad = True)
y = x + 2
gradients = torch.FloatTensor([0.01, 0.1])
y.backward(gradients)
print (x.grad.data)

# >>>
#tensor([0.0100, 0.1000])
