"""Seed 003: a Variable holding a FloatTensor; grads of a mean; .data and .data.numpy().

The note's code is flattened onto single lines; here it is one statement a line. Its
``v_out`` is used but never defined: it is ``torch.mean(variable*variable)`` (the grads it
prints, 0.5 to 2.0, say so). The 0.3-era ``Variable containing:`` output in the quoted
comments is what an old PyTorch printed.
"""
import torch
from torch.autograd import Variable # torch 中 Variable 模块
tensor = torch.FloatTensor([[1,2],[3,4]]) # 把鸡蛋放到篮子里, requires_grad是参不参与误差反向传播, 要不要计算梯度
variable = Variable(tensor, requires_grad=True)
print(tensor)
"""
1 2
3 4
[torch.FloatTensor of size 2x2]
"""
print(variable)
"""
Variable containing:
1 2
3 4
[torch.FloatTensor of size 2x2]
"""

v_out = torch.mean(variable*variable)   # x^2 (not shown in the note)

v_out.backward() # 模拟 v_out 的误差反向传递
print(variable.grad) # 初始 Variable 的梯度
'''
0.5000 1.0000
1.5000 2.0000
'''

print(variable) # Variable 形式
"""
Variable containing:
1 2
3 4
[torch.FloatTensor of size 2x2]
"""
print(variable.data) # 将variable形式转为tensor 形式
"""
1 2
3 4
[torch.FloatTensor of size 2x2]
"""
print(variable.data.numpy()) # numpy 形式
"""
[[ 1. 2.]
 [ 3. 4.]]
"""
