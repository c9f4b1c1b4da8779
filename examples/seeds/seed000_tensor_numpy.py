"""Seed 000, "Tensor的用法": arange/reshape, sum(axis=1), numpy() and torch.tensor() round trip."""
import torch
x = torch.arange(1,5).reshape(2,2)
print(x)
print(x.sum(axis=1))

#与numpy相互转换
x_array = x.numpy()
print(x_array)
x = torch.tensor(x_array)
print(x)
