"""Seed 004, "数据类型与内存大小": the dtype table (dtype, alias, legacy CPU tensor name,
size in bytes), checked row by row. The note gives it as a table, not code: this script is
written for this example. The GPU column needs CUDA and is skipped without it.
"""
import torch

rows = [
    # Data type,                 dtype,          alias,        CPU tensor,          GPU tensor,               bytes
    ("32-bit floating",          torch.float32, torch.float,  torch.FloatTensor,  "torch.cuda.FloatTensor",  4),
    ("64-bit floating",          torch.float64, torch.double, torch.DoubleTensor, "torch.cuda.DoubleTensor", 8),
    ("16-bit floating",          torch.float16, torch.half,   torch.HalfTensor,   "torch.cuda.HalfTensor",   2),
    ("8-bit integer (unsigned)", torch.uint8,   None,         torch.ByteTensor,   "torch.cuda.ByteTensor",   1),
    ("8-bit integer (signed)",   torch.int8,    None,         torch.CharTensor,   "torch.cuda.CharTensor",   1),
    ("16-bit integer (signed)",  torch.int16,   torch.short,  torch.ShortTensor,  "torch.cuda.ShortTensor",  2),
    ("32-bit integer (signed)",  torch.int32,   torch.int,    torch.IntTensor,    "torch.cuda.IntTensor",    4),
    ("64-bit integer (signed)",  torch.int64,   torch.long,   torch.LongTensor,   "torch.cuda.LongTensor",   8),
]

for name, dtype, alias, cpu_type, gpu_type, size in rows:
    t = cpu_type([1, 2])
    print(name, dtype, alias == dtype if alias is not None else "-", t.type(), t.dtype == dtype,
          t.element_size(), t.element_size() == size)
    if torch.cuda.is_available():
        print("   ", t.cuda().type() == gpu_type)
