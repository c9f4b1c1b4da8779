"""Operators with several outputs (``outputs=("values", "indices")``): one node records them
all, the result is a named tuple as ``torch.return_types``, and gradients reach the inputs from
any subset of the outputs, with create_graph too."""
from __future__ import annotations

import textwrap

from plugin_env import run_code

_OP = """
import numpy as np, torch
from loom.plugin import op, register, xp_of

def _kernel(xp, x, dim):
    i = x.argmax(axis=dim)
    v = xp.take_along_axis(x, xp.expand_dims(i, dim), dim).squeeze(dim)
    return v, i, v * v

def _backward(ctx, grads):
    gv, gi, gs = grads
    x, (v, i, s) = ctx.saved
    d = ctx.params["dim"]
    total = (gv if gv is not None else 0) + (gs * 2 * v if gs is not None else 0)
    kept = tuple(1 if k == d else n for k, n in enumerate(x.shape))  # the reduced dim as 1
    onehot = xp_of(x).arange(x.shape[d]).reshape((-1,) + (1,) * (x.ndim - 1 - d)) == \\
        i.reshape(kept)
    return (onehot * total.reshape(kept),)

register(op("vmax", _kernel, backward=_backward, save_inputs=(0,), save_output=True,
            outputs=("values", "indices", "squares"), torch_name=None,
            reference=lambda a, dim: None), plugin="test")
"""


def test_multi_output_op_records_one_node_and_returns_a_named_tuple(workdir):
    out = run_code(_OP + textwrap.dedent("""
        x = loom.tensor([[1., 5., 2.], [7., 0., 3.]], requires_grad=True)
        r = loom.vmax(x, 1)
        OUT["type"] = [type(r).__name__, type(r).__module__, list(r._fields)]
        OUT["repr"] = repr(r).splitlines()[0]
        OUT["same_node"] = r.values.grad_fn is r.squares.grad_fn
        OUT["edges"] = [r.values._edge[1], r.squares._edge[1]]
        OUT["indices"] = [r.indices.tolist(), r.indices.requires_grad]
        OUT["access"] = [r[0].tolist() == r.values.tolist(), len(r)]
        OUT["cls"] = loom.return_types.vmax is type(r)
        r.squares.sum().backward()          # only the third output
        OUT["g_squares"] = x.grad.tolist()
        x.grad = None
        r2 = loom.vmax(x, 1)
        (r2.values.sum() + r2.squares.sum()).backward()   # two outputs into one node
        OUT["g_both"] = x.grad.tolist()
        g, = loom.autograd.grad(loom.vmax(x, 1).values.sum(), x, create_graph=True)
        OUT["g_create"] = [g.tolist(), g.requires_grad]
    """), workdir)
    assert out["type"] == ["vmax", "loom.return_types", ["values", "indices", "squares"]]
    assert out["repr"] == "torch.return_types.vmax("
    assert out["same_node"] is True and out["edges"] == [0, 2]
    assert out["indices"] == [[1, 0], False]
    assert out["access"] == [True, 3] and out["cls"] is True
    assert out["g_squares"] == [[0.0, 10.0, 0.0], [14.0, 0.0, 0.0]]
    assert out["g_both"] == [[0.0, 11.0, 0.0], [15.0, 0.0, 0.0]]
    assert out["g_create"] == [[[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], False]


def test_return_types_match_torch_behaviour():
    import torch

    import loom

    cls = loom.return_types.structseq("max", ("values", "indices"))
    r = cls((loom.tensor([1.0]), loom.tensor([0])))
    t = torch.return_types.max((torch.tensor([1.0]), torch.tensor([0])))
    assert repr(r) == repr(t)
    v, i = r
    assert v.tolist() == [1.0] and r.indices.tolist() == [0] and isinstance(r, tuple)


_PIECES = """
import numpy as np
from loom.plugin import op, register

def _pieces(xp, x, n):  # a plain tuple: as many outputs as the call asks for
    return tuple(x[i::n] * (i + 1) for i in range(n))

def _pieces_bwd(ctx, grads):
    n, shape = ctx.params["n"], ctx.shapes[0]
    out = np.zeros(shape)
    for i, g in enumerate(grads):
        if g is not None:
            out[i::n] = g * (i + 1)
    return (out,)

register(op("pieces", _pieces, backward=_pieces_bwd, torch_name=None,
            reference=lambda a, n: None), plugin="test")
register(op("twice", lambda xp, x: x * 2, backward=lambda ctx, g: (g * 2,), methods=(),
            functions=(), properties=("twice",), torch_name=None, reference=lambda a: a * 2),
         plugin="test")
"""


def test_a_kernel_returning_a_plain_tuple_records_its_outputs_on_one_node(workdir):
    out = run_code(_PIECES + textwrap.dedent("""
        x = loom.arange(6.0, requires_grad=True)
        for n in (3, 2, 1):
            r = x.pieces(n)
            OUT[f"n{n}"] = [type(r).__name__, len(r), len({id(p.grad_fn) for p in r}),
                            [p._edge[1] for p in r]]
        a, b, c = x.pieces(3)
        c.sum().backward()               # only the last output
        OUT["last"] = x.grad.tolist()
        x.grad = None
        (one,) = x.pieces(1)             # a single output still gets a tuple of gradients
        one.sum().backward()
        OUT["one"] = x.grad.tolist()
        OUT["twice"] = [x.twice.tolist(), type(x.twice.grad_fn).__name__,
                        isinstance(type(x).__dict__["twice"], property)]
    """), workdir)
    assert out["n3"] == ["tuple", 3, 1, [0, 1, 2]] and out["n1"] == ["tuple", 1, 1, [0]]
    assert out["last"] == [0.0, 0.0, 3.0, 0.0, 0.0, 3.0]
    assert out["one"] == [1.0] * 6
    assert out["twice"] == [[0.0, 2.0, 4.0, 6.0, 8.0, 10.0], "TwiceBackward0", True]
