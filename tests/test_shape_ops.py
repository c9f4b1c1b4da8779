"""Shape, view, joining and splitting operators against PyTorch (the oracle): gradients reaching
the input from any subset of a multi-output op's results, one node for all of them, views that
share memory and version counter, the matrix properties (.T, .mT, .H, .mH), view(dtype),
broadcast_shapes, and the errors PyTorch raises, with its messages.

The conformance kit (tests/test_ops.py) checks every op's forward, gradients and one error sample;
the layouts of the new views are in tests/test_storage_views.py.
"""
import warnings

import numpy as np
import pytest

import loom
from oracle import LIBS, both, node_name, same_outcome, torch


def _x(lib, shape=(6, 4)):
    return lib.tensor(np.arange(np.prod(shape), dtype=np.float64).reshape(shape) / 7,
                      requires_grad=True)


# ---------------------------------------------------------------------------- multi-output ops

SPLITS = {
    "split_int": lambda lib, x: lib.split(x, 2),
    "split_sizes": lambda lib, x: lib.split(x, [1, 5]),
    "split_method_dim": lambda lib, x: x.split(3, 1),
    "chunk": lambda lib, x: x.chunk(3, 1),
    "unbind": lambda lib, x: lib.unbind(x),
    "unbind_dim": lambda lib, x: x.unbind(-1),
    "tensor_split_sections": lambda lib, x: lib.tensor_split(x, 4),
    "tensor_split_overlapping": lambda lib, x: lib.tensor_split(x, [4, 1]),
    "tensor_split_tensor": lambda lib, x: lib.tensor_split(x, lib.tensor([1, 3]), dim=1),
    "hsplit": lambda lib, x: lib.hsplit(x, 2),
    "vsplit": lambda lib, x: x.vsplit([2, 3]),
    "broadcast_tensors": lambda lib, x: lib.broadcast_tensors(x, lib.ones(3, 1, 1)),
    "atleast_3d_list": lambda lib, x: lib.atleast_3d([x, x[0]]),
}


@pytest.mark.parametrize("name", SPLITS)
@pytest.mark.parametrize("pick", [[0], [-1], [1, 0], "all"])
def test_gradient_reaches_the_input_from_any_subset_of_outputs(name, pick):
    def scenario(lib):
        x = _x(lib)
        outs = SPLITS[name](lib, x)
        used = range(len(outs)) if pick == "all" else [p for p in pick if -len(outs) <= p <
                                                      len(outs)]
        loss = sum((outs[i] * (i + 2)).sum() for i in used)
        if loss.requires_grad:  # (broadcast_tensors' second output does not reach x)
            loss.backward()
        return len(outs), None if x.grad is None else x.grad.tolist()
    got, want = both(scenario)
    assert got == want


def test_split_piece_backward_as_in_the_issue():
    def scenario(lib):
        x = _x(lib, (5, 3))
        lib.split(x, 2)[1].sum().backward()
        return x.grad.tolist()
    got, want = both(scenario)
    assert got == want


def test_one_node_records_every_output_named_as_pytorch_names_it():
    def scenario(lib):
        x = _x(lib)
        out = []
        for pieces in (lib.split(x, 4), lib.split(x, [2, 4]), x.chunk(2), x.unbind(1)):
            out.append((node_name(pieces[0].grad_fn), pieces[0].grad_fn is pieces[-1].grad_fn,
                        [p.grad_fn.next_functions[0][0] is x.grad_fn for p in pieces]))
        return out
    got, want = both(scenario)
    assert [w[:2] for w in want] == [("SplitBackward0", True), ("SplitWithSizesBackward0", True),
                                     ("SplitBackward0", True), ("UnbindBackward0", True)]
    assert got == want


def test_multi_output_gradients_with_create_graph_retain_grad_and_a_root_output():
    def scenario(lib):
        x = _x(lib)
        a, b, c = lib.split(x, 2)
        g, = lib.autograd.grad((b * b).sum() + (c ** 3).sum(), x, create_graph=True)
        g.sum().backward()
        second = x.grad.tolist()
        x.grad = None
        p = x.unbind(1)[2]
        p.retain_grad()
        (p * p).sum().backward()
        y = _x(lib)
        y.chunk(3)[2].backward(lib.ones(2, 4))  # backward from an output other than the first
        return g.tolist(), second, p.grad.tolist(), x.grad.tolist(), y.grad.tolist()
    got, want = both(scenario)
    assert got == want


def test_split_outputs_are_views_sharing_the_version_counter():
    def scenario(lib):
        base = lib.arange(12.0).reshape(6, 2)
        pieces = base.split(2) + base.unbind(1)
        with lib.no_grad():
            base.mul_(10)
        return ([p.tolist() for p in pieces], [p._base is base for p in pieces],
                [p._version == base._version for p in pieces])
    got, want = both(scenario)
    assert got == want


def test_a_saved_split_output_modified_in_place_is_caught():
    def scenario(lib):
        x = _x(lib)
        a, b = x.detach().clone().requires_grad_().split(3)
        y = (b * 2).exp()  # exp saves its output
        with lib.no_grad():
            y.add_(1)
        try:
            y.sum().backward()
        except RuntimeError as e:
            return "modified by an inplace operation" in str(e)
        return False
    got, want = both(scenario)
    assert want is True and got == want


def test_unbind_of_an_empty_dim_and_chunk_of_an_empty_tensor():
    def scenario(lib):
        return (len(lib.zeros(0, 3).unbind()), [tuple(c.shape) for c in lib.zeros(0).chunk(3)],
                [tuple(c.shape) for c in lib.zeros(5).chunk(4)])
    got, want = both(scenario)
    assert got == want


# ---------------------------------------------------------------------------- views

VIEW_WRITES = {
    "narrow": lambda lib, a: a.narrow(0, 1, 2),
    "select": lambda lib, a: a.select(1, 2),
    "diagonal": lambda lib, a: a.diagonal(),
    "unfold": lambda lib, a: a.unfold(1, 2, 2),
    "as_strided": lambda lib, a: a.as_strided((2, 2), (1, 3), 1),
    "movedim": lambda lib, a: a.movedim(1, 0),
    "unflatten": lambda lib, a: a.unflatten(1, (2, 2)),
    "mT": lambda lib, a: a.mT,
    "T": lambda lib, a: a.T,
    "atleast_2d": lambda lib, a: lib.atleast_2d(a[1]),
    "split": lambda lib, a: a.split(2, 1)[1],
}


@pytest.mark.parametrize("name", VIEW_WRITES)
def test_writes_through_a_view_reach_the_base_and_back(name):
    def scenario(lib):
        a = lib.arange(12.0).reshape(3, 4)
        v = VIEW_WRITES[name](lib, a)
        v.mul_(-1)
        a.add_(100)
        return a.tolist(), v.tolist(), v._version == a._version
    got, want = both(scenario)
    assert got == want


def test_copies_where_pytorch_copies():
    def scenario(lib):
        a = lib.arange(6.0).reshape(2, 3)
        ptr = a.untyped_storage().data_ptr()
        return [t.untyped_storage().data_ptr() == ptr for t in (
            a.flip(0), a.fliplr(), a.rot90(), a.roll(1), a.repeat(1, 1), a.tile((1,)),
            a.repeat_interleave(1), lib.hstack([a]), a.t().ravel(), a.ravel(), a.flatten())]
    got, want = both(scenario)
    assert got == want


def test_unfold_windows_overlap_and_their_gradient_counts_each_use():
    def scenario(lib):
        x = _x(lib, (7,))
        w = x.unfold(0, 3, 2)
        (w * lib.tensor([1.0, 10.0, 100.0], dtype=lib.float64)).sum().backward()
        d = _x(lib, (3, 4))
        d.as_strided((3, 3), (1, 1)).sum().backward()  # overlapping as_strided
        return w.tolist(), x.grad.tolist(), d.grad.tolist()
    got, want = both(scenario)
    assert got == want


def test_as_strided_of_a_view_counts_from_the_storage():
    def scenario(lib):
        x = _x(lib, (4, 4))
        v = x.t()[1:]
        s = v.as_strided((2, 3), (1, 4))  # storage offset defaults to v's: 4
        t = v.as_strided((2, 2), (4, 1), 0)  # from the storage's start: outside v
        (s.sum() * 2 + t.sum()).backward()
        return s.tolist(), t.tolist(), s.storage_offset(), x.grad.tolist()
    got, want = both(scenario)
    assert got == want


# ---------------------------------------------------------------------------- .T .mT .H .mH

def test_matrix_properties_values_and_gradients():
    def scenario(lib):
        x = _x(lib, (2, 3, 4))
        z = lib.tensor([[1 + 2j, 3 - 1j], [0.5j, 2.0]])
        out = [x.mT.shape, x.mH.shape, x[0].T.shape, x[0].H.shape, lib.adjoint(x).shape,
               z.H.tolist(), z.mH.tolist(), z.mT.tolist(), z.adjoint().tolist(),
               node_name(x.mT.grad_fn), node_name(x[0].T.grad_fn)]
        (x.mT * lib.arange(12.0).reshape(4, 3)).sum().backward()
        return out + [x.grad.tolist()]
    got, want = both(scenario)
    assert got == want


@LIBS
def test_T_warns_unless_two_dimensional(lib):
    with pytest.warns(UserWarning, match="The use of `x.T` on tensors of dimension other than 2"):
        assert tuple(lib.ones(2, 3, 4).T.shape) == (4, 3, 2)
    with pytest.warns(UserWarning, match="Tensor.T is deprecated on 0-D tensors"):
        lib.tensor(1.0).T
    with pytest.warns(UserWarning, match="Tensor.mH is deprecated on 0-D tensors. Consider"):
        lib.tensor(1.0).mH
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lib.ones(2, 3).T


# ---------------------------------------------------------------------------- view(dtype)

def test_view_dtype_reinterprets_bytes_without_gradient_sharing_memory():
    def scenario(lib):
        x = lib.tensor([1.0, -2.0, 0.5, 3.0], requires_grad=True)
        h, i, b = x.view(lib.float16), x.view(lib.int32), x.view(lib.uint8)
        w = x.detach().view(lib.float64)
        with lib.no_grad():
            x.mul_(2)
        return ([t.tolist() for t in (h, i, b, w)], [t.requires_grad for t in (h, i, w)],
                [t._version == x._version for t in (h, i, w)], h.dtype == lib.float16)
    got, want = both(scenario)
    assert got == want


# ---------------------------------------------------------------------------- broadcast_shapes

@pytest.mark.parametrize("shapes", [((2, 1), (3,)), (2, (3, 1)), ([2, 3], [3]), ((0,), (1,)),
                                    ((5, 1, 3), (2, 3), ()), ()])
def test_broadcast_shapes(shapes):
    got, want = both(lambda lib: lib.broadcast_shapes(*shapes))
    assert repr(got) == repr(want)


# ---------------------------------------------------------------------------- errors

ERRORS = [
    "x.permute(0, 0)", "x.permute(0)", "x.permute()", "lib.cat([lib.tensor(1.), lib.tensor(2.)])",
    "lib.cat([x, lib.tensor(2.)])", "x.view(-2, 4)", "x.reshape(-3, 8)", "x.view(-1, -1)",
    "x.view(lib.float64)[:, :1].view(lib.complex128)", "x.t().view(lib.float16)",
    "x.float()[:, 1:3].view(lib.float64)", "lib.tensor(1.).view(lib.float16)",
    "x.expand(-2, 4)", "x.expand(-1, 6, 4)", "x.repeat(-1, 1)", "lib.tile(x, (-1,))",
    "x.repeat(2)", "lib.repeat_interleave(x, -1)", "x.unfold(0, -1, 1)", "x.unfold(0, 7, 1)",
    "x.unfold(0, 2, 0)", "lib.as_strided(x, (2,), (-1,))", "lib.as_strided(x, (-1,), (1,))",
    "lib.as_strided(x, (2,), (1,), -1)", "lib.as_strided(x, (5, 6), (4, 1), 3)",
    "lib.split(x, 0)", "lib.split(x, -1)", "lib.split(x, [1, 2])", "lib.split(x, [7, -1])",
    "lib.chunk(x, 0)", "lib.tensor_split(x, 0)", "lib.hsplit(x, 3)", "lib.hsplit(x, 0)",
    "lib.vsplit(lib.ones(6), 2)", "lib.dsplit(x, 2)", "lib.hsplit(lib.tensor(1.), 1)",
    "x.narrow(0, 5, 2)", "x.narrow(0, 7, 0)", "x.narrow(0, -7, 1)", "x.narrow(1, 0, -1)",
    "lib.tensor(1.).narrow(0, 0, 1)", "x.select(0, 6)", "x.select(1, -5)",
    "lib.tensor(1.).select(0, 0)", "lib.movedim(x, (0, 0), (1, 0))",
    "lib.movedim(x, (0, 1), (1, 1))", "lib.movedim(x, (0, 1), (1,))", "lib.movedim(x, 2, 0)",
    "x.unflatten(0, (4, 2))", "x.unflatten(0, ())", "x.unflatten(0, (-1, 4))",
    "lib.tensor(1.).unflatten(0, (1,))", "x.diagonal(0, 1, 1)", "x.diagonal(0, 0, 2)",
    "lib.unbind(x, 2)", "lib.unbind(lib.tensor(1.))", "lib.split(lib.tensor(1.), 1)",
    "lib.flip(x, (0, 0))", "x.flip()", "lib.fliplr(lib.ones(3))", "lib.flipud(lib.tensor(1.))",
    "lib.rot90(x, 1, (0, 0))", "lib.rot90(x, 1, (0,))", "lib.rot90(lib.ones(3))",
    "lib.rot90(x, 1, (0, 2))", "lib.roll(x, (1, 2), 0)", "lib.roll(x, (1, 2))",
    "lib.roll(x, 1, 5)", "lib.roll(x, (), ())",
    "lib.repeat_interleave(x, lib.tensor([1, 2]), dim=0)",
    "lib.repeat_interleave(x, lib.tensor([[1]]), dim=0)",
    "lib.repeat_interleave(x, lib.tensor([-1, 1, 1, 1, 1, 1]), dim=0)",
    "lib.ones(3).mT", "lib.ones(3).mH", "lib.ones(3).H", "lib.ones(2, 3, 4).H",
    "lib.adjoint(lib.ones(3))", "lib.broadcast_shapes((2, 3), (4,))",
    "lib.broadcast_shapes((2, 3), (3,), (4, 1, 5))", "lib.stack([x, x[:3]])",
    "lib.hstack(x)", "lib.column_stack([lib.ones(2, 3, 4), lib.ones(2, 3, 1)])",
]


@pytest.mark.parametrize("expr", ERRORS)
def test_errors_as_pytorch_raises_them(expr):
    def scenario(lib):
        x = _x(lib)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                eval(expr, {"lib": lib, "x": x})
            except Exception as e:  # noqa: BLE001 - the exception is what is compared
                return type(e).__name__, str(e).splitlines()[0]
        return None
    got, want = both(scenario)
    assert want is not None, "PyTorch accepts this call: the case is wrong"
    assert got == want


def test_expand_to_a_negative_size_is_refused():
    # PyTorch overflows computing the element count ("numel: integer multiplication overflow");
    # loom names the size instead
    def scenario(lib):
        with pytest.raises(RuntimeError) as e:
            lib.ones(3, 1).expand(3, -2)
        return str(e.value)
    loom_msg, _ = both(scenario)
    assert "expanded size of the tensor (-2)" in loom_msg


@pytest.mark.parametrize("call", [
    lambda T: T.roll(T.ones(()), 5, -1), lambda T: T.roll(T.ones(()), 5),
    lambda T: T.roll(T.ones(0), (1, -2), (0, 1)), lambda T: T.roll(T.ones(2, 0), 1, 7),
    lambda T: T.roll(T.ones(3), (1, -2), (0, 1)), lambda T: T.roll(T.ones(3, 4), True),
    lambda T: T.roll(T.arange(12.0).reshape(3, 4), (1, True), (0, 1)),
    lambda T: T.roll(T.ones(3, 4), [1, "a"], -1), lambda T: T.roll(T.ones(3, 4), 1.5, -1),
    lambda T: T.roll(T.ones(3, 4), 1, [0, "a"]), lambda T: T.roll(T.ones(3, 4), None),
    lambda T: T.repeat_interleave(T.ones(()), 3, 0),
    lambda T: T.repeat_interleave(T.ones(()), T.tensor([2]), -1),
    lambda T: T.repeat_interleave(T.tensor([1, 2], dtype=T.int32)),
    lambda T: T.repeat_interleave(T.tensor([1, 2], dtype=T.int16)),
    lambda T: T.repeat_interleave(T.ones(0)), lambda T: T.repeat_interleave(T.tensor(2)),
    lambda T: T.repeat_interleave(T.tensor([1, 2]), output_size=4),
    lambda T: T.repeat_interleave(T.ones(2, 3), T.tensor([1.0, 2, 3]), -1),
    lambda T: T.repeat_interleave(T.ones(2, 3), T.tensor([1, 2, 3], dtype=T.int32), -1),
    lambda T: T.repeat_interleave(T.ones(2, 3), 2, -1, output_size=5),
    lambda T: T.repeat_interleave(T.ones(2, 3), "yes", 0),
    lambda T: T.repeat_interleave(T.ones(2, 3), [1, "a"], -1),
    lambda T: T.repeat_interleave(T.ones(2, 3), 1.5),
    lambda T: T.repeat_interleave(T.ones(2, 3), None, 0),
    lambda T: T.repeat_interleave(T.ones(2, 3), None),
    lambda T: T.repeat_interleave(T.ones(2, 3), repeats=2, dim=1, output_size=6),
    lambda T: T.squeeze(T.ones(()), (0, -1, 1)), lambda T: T.squeeze(T.ones(2, 0), (0, -1, 1)),
    lambda T: T.squeeze(T.ones(1, 1), [0, 1]), lambda T: T.squeeze(T.ones(3, 4), [1, "a"]),
    lambda T: T.squeeze(T.ones(2, 1), None), lambda T: T.squeeze(T.ones(2, 1), dim=-1),
    lambda T: T.movedim(T.ones(2, 3, 4), "yes", 2),
    lambda T: T.movedim(T.ones(2, 3, 4), [1, "a"], (2, 0)),
    lambda T: T.movedim(T.ones(2, 3, 4), 0, 1.5),
    lambda T: T.select(T.ones(()), [1, "a"], 0), lambda T: T.select(T.ones(3, 4), 1, 2.5),
])
def test_roll_repeat_interleave_squeeze_movedim_arguments_follow_torch(call):
    same_outcome(call)


def test_in_place_views_change_the_header_and_record_as_pytorch():
    def run(lib):
        x = lib.arange(6.0).reshape(2, 3).requires_grad_()
        y = x * 2
        y.unsqueeze_(0)
        shapes = [tuple(y.shape)]
        y.squeeze_()
        y.t_()
        shapes.append(tuple(y.shape))
        y.transpose_(0, 1)
        y.swapaxes_(0, 1)
        shapes.append(tuple(y.shape))
        (y * lib.arange(6.0).reshape(3, 2)).sum().backward()
        z = lib.ones(2, 3)
        z.t_()
        return shapes, x.grad.tolist(), tuple(z.shape), z.is_contiguous()
    assert run(loom) == run(torch)


def test_in_place_view_of_a_leaf_that_requires_grad_is_refused():
    for lib in (loom, torch):
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            lib.ones(3, requires_grad=True).unsqueeze_(0)


def test_broadcast_to_is_a_method_too():
    assert tuple(loom.ones(3, 1).broadcast_to(3, 2).shape) == \
        tuple(torch.ones(3, 1).broadcast_to(3, 2).shape)


@pytest.mark.parametrize("call", [
    lambda lib: lib.ones(2, 3, 4, 5).clone(memory_format=lib.channels_last),
    lambda lib: lib.ones(3, 4).t().clone(),
    lambda lib: lib.ones(4, 6).t()[:, ::2].clone(),
    lambda lib: lib.ones(3, 4).t().clone(memory_format=lib.contiguous_format),
    lambda lib: lib.ones(2, 3, 4, 5).contiguous(memory_format=lib.channels_last),
    lambda lib: lib.ones(2, 3, 4, 5).to(lib.float64, memory_format=lib.channels_last),
    lambda lib: lib.ones(1, 2, 3, 4, 5).clone(memory_format=lib.channels_last_3d),
])
def test_memory_formats_give_pytorchs_strides(call):
    got, want = call(loom), call(torch)
    assert got.stride() == want.stride()
    assert [got.is_contiguous(memory_format=f) for f in (loom.contiguous_format,
                                                         loom.channels_last)[:1 + (got.ndim == 4)]] \
        == [want.is_contiguous(memory_format=f) for f in (torch.contiguous_format,
                                                          torch.channels_last)[:1 + (want.ndim == 4)]]


def test_a_memory_format_of_the_wrong_rank_is_refused():
    for lib in (loom, torch):
        with pytest.raises(RuntimeError, match="required rank 5 tensor"):
            lib.ones(2, 3, 4, 5).clone(memory_format=lib.channels_last_3d)
