"""Seed 001, "Tensor的数据结构" and "计算图": the note explains in prose, without code, that a
tensor is a header (shape, stride, dtype) over a Storage shared by views, that some
operations make a tensor non-contiguous (``contiguous()`` copies it), that ``.cuda()`` /
``.cpu()`` move it, and that z = wx + b builds a graph of leaves and a root whose ``grad_fn``
names end in ``Backward``. This script shows each point (written for this example).
"""
import torch

# header + storage: a view shares the storage and changes only the header
a = torch.arange(0, 6)
b = a.view(2, 3)
print(a.size(), a.stride(), a.dtype, a.storage_offset())
print(b.size(), b.stride(), b.dtype, b.storage_offset())
print(a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr())
b[0, 0] = 100
print(a)
c = b[1]
print(c, c.storage_offset(), c.untyped_storage().data_ptr() == a.untyped_storage().data_ptr())

# a transpose is not contiguous; contiguous() copies it into a new storage
d = b.t()
print(d.stride(), d.is_contiguous())
e = d.contiguous()
print(e.stride(), e.is_contiguous(), e.untyped_storage().data_ptr() == a.untyped_storage().data_ptr())
print(b.contiguous() is b)

# CPU and GPU
print(a.cpu() is a, a.device)
if torch.cuda.is_available():
    g = a.cuda()
    print(g.device, g.cpu().device, torch.equal(g.cpu(), a))

# the graph of z = w * x + b: w, x, b are leaves, z is the root
torch.manual_seed(0)
w = torch.rand(1, requires_grad=True)
x = torch.rand(1)
b = torch.rand(1, requires_grad=True)
z = w * x + b
print(w.is_leaf, x.is_leaf, b.is_leaf, z.is_leaf)
print(w.grad_fn, x.grad_fn, z.grad_fn.name())
print([(type(f).__name__, i) for f, i in z.grad_fn.next_functions])
mul = z.grad_fn.next_functions[0][0]
print([(type(f).__name__ if f is not None else None, i) for f, i in mul.next_functions])
print(z.t().grad_fn.name(), z.view(1, 1).grad_fn.name())
z.backward()
print(w.grad, b.grad, x.grad)
