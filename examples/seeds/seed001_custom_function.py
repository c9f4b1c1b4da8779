# -*- coding: UTF-8 -*- 
""" 
create on 2021-06-15
@author: yang

Seed 001, "扩展Autograd": a custom torch.autograd.Function (ctx.save_for_backward,
ctx.saved_tensors, .apply). Only torch.manual_seed(0) was added, for reproducible output.
"""
import torch
from torch.autograd import Function

'''
    自定义Tensor操作函数,通过实现forward和backward方法分别定义前向计算
    和反向求导的过程,从而实现自定义网络层整个动态计算图中的计算传递
'''
class MultiplyAdd(Function):

    @staticmethod
    def forward(ctx, w, x, b):
        print('========>Forward')
        output = w * x + b
        ctx.save_for_backward(w, x)     # 保存需要给backward的变量
        return output

    @staticmethod
    def backward(ctx, grad_output):
        print('==========>Backward')
        w, x = ctx.saved_tensors        # 获取保存的变量
        grad_w = grad_output * x
        grad_x = grad_output * w
        grad_b = grad_output * 1
        print("garad_output: ", grad_output)
        return grad_w, grad_x, grad_b

if __name__ == '__main__':
    torch.manual_seed(0)
    x = torch.rand(1)
    w = torch.rand(1, requires_grad=True)
    b = torch.rand(1, requires_grad=True)
    print('Start Forward!!!')
    z = MultiplyAdd.apply(x, w, b)
    print('Start Backward!!!')
    z.backward()

    print(x.data, w.data, b.data)
    print(x.grad, w.grad, b.grad)
