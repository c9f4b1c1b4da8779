"""Seed 003, "扩展": the note states four properties of the graph in prose, without code.
This script shows each one (written for this example, not quoted from the note).
"""
import torch
from torch.autograd import Variable

# 1. requires_grad: False by default; anything that depends on a node requiring grad requires it.
x = Variable(torch.ones(2, 2))
w = Variable(torch.ones(2, 2), requires_grad=True)
y = x * w
print(x.requires_grad, w.requires_grad, y.requires_grad)

# 2. volatile: removed from PyTorch; it only warns and has no effect.
v = Variable(torch.ones(2, 2), volatile=True)
print(v.requires_grad, (v * w).requires_grad)

# 3. retain_graph: a second backward needs the first to keep the graph's buffers,
#    and the gradients of the backward passes accumulate.
out = (w * w).sum()
out.backward(retain_graph=True)
print(w.grad)
out.backward()
print(w.grad)
try:
    out.backward()
except RuntimeError as e:
    print(type(e).__name__)
    print(str(e).splitlines()[0])

# 4. backward(): fills the leaves' .grad.
print(x.grad, w.grad is not None)
