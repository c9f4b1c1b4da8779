"""Seed 002: the official PyTorch autograd tutorial ("Autograd: automatic differentiation"),
as the (mangled) note shows it, run as a script.

REPL lines that only show a value (``x``, ``y``, ``y.grad_fn``, ``x.grad``) are printed;
``true`` is ``True``. As the note does, ``y.backward(x)`` follows ``out.backward()`` without
``retain_graph``: on PyTorch 2.13 that works (``y = x + 2`` saved no tensors) and x.grad
becomes 5.5.
"""
import torch
x = torch.ones(2, 2, requires_grad=True)
print(x)

y = x + 2
print(y)

print(y.grad_fn)

z = y * y * 3
out = z.mean()
print(z, out)

a = torch.randn(2, 2)
a = ((a * 3) / (a - 1))
print(a.requires_grad)
a.requires_grad_(True)
print(a.requires_grad)
b = (a * a).sum()
print(b.grad_fn)

# 現在進行反向傳播
out.backward()

print(x.grad)

y.backward(x)
print(x.grad)  # added (not in the note): shows x.grad == 5.5

print(x)

print(x.requires_grad)
print((x ** 2).requires_grad)

with torch.no_grad():
    print((x ** 2).requires_grad)

print(x.requires_grad)
y = x.detach()
print(y.requires_grad)
print(x.eq(y).all())
