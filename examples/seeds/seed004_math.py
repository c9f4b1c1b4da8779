"""Seed 004, "基础运算": +, add, add(out=), add_, mean, norm.

The bare expressions (results a REPL would show) are printed; torch.manual_seed(0) added.
"""
import torch

torch.manual_seed(0)

x = torch.rand(5, 3)
y = torch.rand(5, 3)

# 1. 直接相加
z = x + y
# 2. torch相加
z = torch.add(x, y)
# 3. 传递参数返回结果
result = torch.rand(5, 3)
print(torch.add(x, y, out = result))
# 4. 加到自身去,自身y会改变
print(y.add_(x))

# 平均
print(x.mean())
# 范数
print(x.norm())
