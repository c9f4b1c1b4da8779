# -*- coding: utf-8 -*-
# create on 2021-06-23
# author: yang
"""Seed 001, "pytorch实现线性回归": linear regression with autograd and a matplotlib plot.

Headless: matplotlib uses the Agg backend, and the plot's ``plt.pause(1)`` (which under Agg
only sleeps, 1 s per frame) renders the frame instead.
"""
import os

import matplotlib
matplotlib.use("Agg")

import torch
from matplotlib import pyplot as plt

# The seed's 20000 iterations; the test sets SEED001_ITERATIONS lower to run in seconds.
ITERATIONS = int(os.environ.get("SEED001_ITERATIONS", "20000"))

torch.manual_seed(1000)

def get_fake_data(bath_size = 8):
    x = torch.rand(bath_size, 1) * 20
    y = x * 2 + (1 + torch.randn(bath_size, 1)) * 3
    return x, y

if __name__ == '__main__':

    w = torch.rand(1, 1, requires_grad=True)
    b = torch.zeros(1, 1, requires_grad=True)

    lr = 0.001

    for ii in range(ITERATIONS):
        x, y = get_fake_data()

        # forward
        y_pred = x.mm(w) + b.expand_as(y)
        loss = 0.5 * (y_pred - y) ** 2
        loss = loss.sum()

        # Manual backward
        # dloss = 1
        # dy_pred = dloss * (y_pred - y)
        # dw = x.t().mm(dy_pred)
        # db = dy_pred.sum()
        # w.data.sub_(lr * dw)
        # b.data.sub_(lr * db)

        # Auto backward()
        loss.backward()
        w.data.sub_(lr * w.grad.data)
        b.data.sub_(lr * b.grad.data)
        w.grad.data.zero_()
        b.grad.data.zero_()

        if ii % 1000 == 0:
            plt.clf()
            x = torch.arange(0, 20).view(-1, 1)
            x = x.float()
            y = x.mm(w) + b.expand_as(x)
            plt.plot(x.detach().numpy(), y.detach().numpy())

            x2, y2 = get_fake_data(bath_size=20)
            plt.scatter(x2.numpy(), y2.numpy())

            plt.xlim(0, 20)
            plt.ylim(0, 42)
            plt.show()
            plt.gcf().canvas.draw()  # headless stand-in for plt.pause(1): render, don't sleep

    print(w.data, b.data)
