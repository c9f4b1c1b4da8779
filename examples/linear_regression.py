"""The main job: fit y = 2x + 3 by gradient descent with loom's autograd (seed 001's loop).

Trains on fresh noisy batches of 8 points (the seed's data, learning rate and 20,000 steps),
shows progress, prints the fitted ``w`` and ``b``, and writes a PNG with the data, the fitted
line and the loss curve, and beside it a picture of the loss's autograd graph (`loom.viz`).

    python examples/linear_regression.py [--steps N] [--out linear_regression.png]
                                         [--graph linear_regression_graph.png]
"""
from __future__ import annotations

import argparse
import os

import loom as torch


def get_fake_data(batch_size=8):
    """The seed's data: x uniform in [0, 20), y = 2x + 3(1 + noise)."""
    x = torch.rand(batch_size, 1) * 20
    y = x * 2 + (1 + torch.randn(batch_size, 1)) * 3
    return x, y


def train(steps=20000, lr=0.001, progress=True):
    """Run the seed's loop; returns (w, b, losses)."""
    torch.manual_seed(1000)
    w = torch.rand(1, 1, requires_grad=True)
    b = torch.zeros(1, 1, requires_grad=True)
    losses = []
    bar = None
    if progress:
        try:
            from tqdm import tqdm
            bar = tqdm(total=steps, desc="training", unit="step", mininterval=0.25)
        except ImportError:  # progress is a nicety; the job runs without tqdm
            bar = None
    for ii in range(steps):
        x, y = get_fake_data()
        y_pred = x.mm(w) + b.expand_as(y)
        loss = 0.5 * (y_pred - y) ** 2
        loss = loss.sum()
        loss.backward()
        w.data.sub_(lr * w.grad.data)
        b.data.sub_(lr * b.grad.data)
        w.grad.data.zero_()
        b.grad.data.zero_()
        losses.append(loss.item())
        if bar is not None:
            bar.update(1)
            if ii % 1000 == 0:
                bar.set_postfix(loss=f"{loss.item():.3f}", w=f"{w.item():.3f}",
                                b=f"{b.item():.3f}")
        elif progress and ii % 2000 == 0:
            print(f"step {ii:6d}  loss {loss.item():10.4f}  w {w.item():.4f}  b {b.item():.4f}")
    if bar is not None:
        bar.close()
    return w, b, losses


def plot(w, b, losses, out):
    """Data, fitted line and loss curve side by side, written to `out` (no window)."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    x2, y2 = get_fake_data(batch_size=100)
    ax1.scatter(x2.numpy().ravel(), y2.numpy().ravel(), s=12, alpha=0.6, label="data")
    xs = torch.arange(0, 20).view(-1, 1).float()
    with torch.no_grad():
        ys = xs.mm(w) + b.expand_as(xs)
    ax1.plot(xs.numpy().ravel(), ys.numpy().ravel(), color="C3",
             label=f"fit: y = {w.item():.3f}x + {b.item():.3f}")
    ax1.set(xlim=(0, 20), ylim=(0, 45), xlabel="x", ylabel="y", title="y = 2x + 3 + noise")
    ax1.legend(loc="upper left")
    window = 200
    smooth = [sum(losses[max(0, i - window):i + 1]) / (i + 1 - max(0, i - window))
              for i in range(len(losses))]
    ax2.plot(losses, color="C0", alpha=0.25, lw=0.5, label="loss per batch")
    ax2.plot(smooth, color="C0", label=f"moving mean ({window})")
    ax2.set(yscale="log", xlabel="step", ylabel="loss", title="training loss")
    ax2.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def draw_loss_graph(w, b, out):
    """The autograd graph of one step's loss (leaves w and b, the operators, the root)."""
    from loom import viz
    x, y = get_fake_data()
    loss = (0.5 * (x.mm(w) + b.expand_as(y) - y) ** 2).sum()
    return viz.draw_graph(loss, out, {"w": w, "b": b}, root_name="loss")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=int(os.environ.get("LOOM_DEMO_STEPS", 20000)))
    ap.add_argument("--out", default="linear_regression.png")
    ap.add_argument("--graph", default=None,
                    help="where to draw the loss's autograd graph (default: beside --out)")
    ap.add_argument("--quiet", action="store_true", help="no progress output")
    args = ap.parse_args(argv)
    w, b, losses = train(args.steps, progress=not args.quiet)
    print(f"w = {w.item():.4f}")
    print(f"b = {b.item():.4f}")
    plot(w, b, losses, args.out)
    print(f"wrote {args.out}")
    root, ext = os.path.splitext(args.out)
    graph = draw_loss_graph(w, b, args.graph or f"{root}_graph{ext or '.png'}")
    print(f"wrote {graph}")


if __name__ == "__main__":
    main()
