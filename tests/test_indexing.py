"""Differential tests of indexing against PyTorch (the oracle): `t[key]` and `t[key] = value` with
every kind of key, the gather/scatter and index_* families, masks, take/put, nonzero and where.
Each scenario runs on ``loom`` and on ``torch``; results (shape, strides, dtype, values) or the
exception (type and first line of the message) must agree. Gradients are compared the same way,
duplicates in the index included."""
import warnings

import numpy as np
import pytest

import loom
from oracle import same_outcome

torch = pytest.importorskip("torch", reason="torch is the oracle of these differential tests")


def outcome(fn, lib):
    """What `fn(lib)` gives, comparable across the libraries."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            r = fn(lib)
        except Exception as e:  # the comparison is of what each library raises
            return type(e).__name__, str(e).splitlines()[0]
    if isinstance(r, (tuple, list)):
        return tuple(_described(x) for x in r)
    return _described(r)


def _described(r):
    if isinstance(r, (torch.Tensor, loom.Tensor)):
        return (tuple(r.shape), tuple(r.stride()), str(r.dtype).split(".")[-1],
                r.detach().numpy().tolist())
    return r


def X(lib):
    return lib.arange(12.0).reshape(4, 3)


def Y(lib):
    return lib.arange(24.0).reshape(2, 3, 4)


def _set(key, value, dtype="float32"):
    def fn(lib):
        y = lib.zeros(4, 3, dtype=getattr(lib, dtype))
        y[key(lib) if callable(key) else key] = value(lib) if callable(value) else value
        return y
    return fn


GETITEM = {
    "int": lambda t: Y(t)[1], "ints": lambda t: Y(t)[1, 2], "negative": lambda t: Y(t)[-2],
    "slice": lambda t: Y(t)[:, 1:3], "step": lambda t: Y(t)[:, ::2, 1::3],
    "slice_beyond": lambda t: X(t)[1:10], "slice_past_end": lambda t: X(t)[10:],
    "ellipsis": lambda t: Y(t)[..., 1], "ellipsis_twice": lambda t: Y(t)[..., 0, ...],
    "empty_tuple": lambda t: X(t)[()], "none": lambda t: X(t)[None],
    "none_then_int": lambda t: Y(t)[:, None, 1], "none_then_slice": lambda t: Y(t)[None, 1:],
    "nones_and_steps": lambda t: Y(t)[None, :, None, ::2, 1],
    "none_of_transposed": lambda t: Y(t).transpose(0, 2)[None, 1, None],
    "true": lambda t: X(t)[True], "false": lambda t: X(t)[False],
    "none_true": lambda t: X(t)[None, True], "tensor_true": lambda t: X(t)[t.tensor(True)],
    "tensor_0d": lambda t: X(t)[t.tensor(1)], "tensor_0d_int8": lambda t: Y(t)[t.tensor(
        0, dtype=t.int8)], "tensor_0d_and_int": lambda t: X(t)[t.tensor(1), 1],
    "list": lambda t: X(t)[[0, 2, 2]], "list_one": lambda t: X(t)[[0]],
    "empty_list": lambda t: X(t)[[]], "long": lambda t: X(t)[t.tensor([3, 0, -1])],
    "int32": lambda t: X(t)[t.tensor([0, 1], dtype=t.int32)],
    "long_2d": lambda t: X(t)[t.tensor([[0, 1], [2, 3]])],
    "two_lists": lambda t: X(t)[[0, 1], [1, 2]], "broadcast_lists": lambda t: X(t)[
        [[0, 1]], [[1], [2]]], "int_slice_list": lambda t: Y(t)[0, :, [0, 1]],
    "lists_apart": lambda t: Y(t)[[0, 1], :, [0, 1]], "lists_adjacent": lambda t: Y(t)[
        :, [0, 1], [0, 1]], "slice_int_list": lambda t: Y(t)[:, 0, [0, 1, 2]],
    "none_list": lambda t: X(t)[:, None, t.tensor([0, 1])], "int_none_slice_list": lambda t: Y(
        t)[0, None, :, [0, 1]], "list_of_tensors": lambda t: Y(t)[[t.tensor(0), t.tensor(1)]],
    "list_holding_list": lambda t: Y(t)[[0, [1]]], "list_holding_slice": lambda t: X(t)[
        [0, slice(None)]], "nested_list": lambda t: Y(t)[[[0, 1]]], "range": lambda t: Y(t)[
        range(2)], "numpy": lambda t: Y(t)[np.array([0, 1])], "numpy_2d": lambda t: Y(t)[
        np.array([[0, 1]])], "numpy_int": lambda t: Y(t)[np.int64(1)],
    "mask": lambda t: X(t)[X(t) > 5], "mask_rows": lambda t: X(t)[t.tensor(
        [True, False, True, False])], "mask_list": lambda t: Y(t)[:, [True, False, True]],
    "mask_2d_of_3d": lambda t: Y(t)[t.ones(2, 3, dtype=t.bool)],
    "mask_and_int": lambda t: Y(t)[:, t.ones(3, dtype=t.bool), 0],
    "mask_and_list": lambda t: Y(t)[t.tensor([True, False]), ..., [0, 2]],
    "uint8_mask": lambda t: X(t)[(X(t) > 5).to(t.uint8)],
    "adv_copy_then_int": lambda t: Y(t)[:, [0, 1], :][0],
    # errors
    "out_of_range": lambda t: X(t)[5], "negative_out_of_range": lambda t: X(t)[-5],
    "out_of_range_dim1": lambda t: X(t)[:, 3], "out_of_range_after_none": lambda t: Y(t)[
        None, 0, 9], "out_of_range_after_ellipsis": lambda t: Y(t)[..., 9],
    "tensor_out_of_range": lambda t: X(t)[t.tensor([5])],
    "second_tensor_out_of_range": lambda t: Y(t)[:, t.tensor([0]), t.tensor([9])],
    "after_2d_mask_out_of_range": lambda t: Y(t)[t.ones(2, 3, dtype=t.bool), t.tensor([9])],
    "after_2d_mask": lambda t: Y(t)[t.eye(2, 3, dtype=t.bool), t.tensor([1, 3])],
    "after_2d_mask_not_broadcastable": lambda t: Y(t)[t.ones(2, 3, dtype=t.bool), _t(t, [1, 2])],
    "list_out_of_range": lambda t: X(t)[[0, 5]], "tensor_0d_out_of_range": lambda t: Y(t)[
        t.tensor(5)], "negative_step": lambda t: X(t)[::-1], "zero_step": lambda t: X(t)[::0],
    "str": lambda t: X(t)["a"], "str_in_tuple": lambda t: Y(t)[1, "a"],
    "float": lambda t: X(t)[1.5], "object": lambda t: X(t)[object()],
    "float_tensor": lambda t: X(t)[t.tensor([1.0])], "int8_tensor": lambda t: X(t)[
        t.tensor([0, 1], dtype=t.int8)], "too_many": lambda t: X(t)[0, 0, 0],
    "mask_shape": lambda t: X(t)[t.tensor([True, False])], "mask_shape_dim1": lambda t: Y(t)[
        :, t.tensor([True, False])], "mask_shape_after_int": lambda t: Y(t)[0, t.ones(
            2, dtype=t.bool)], "not_broadcastable": lambda t: Y(t)[t.tensor([0, 1]),
                                                                   t.tensor([0, 1, 2])],
    "float_slice_bound": lambda t: Y(t)[0.5:],
}

SETITEM = {
    "int_row": _set(1, lambda t: t.tensor([1.0, 2, 3])), "number": _set((slice(None), 1), 7.0),
    "row_broadcast": _set(1, lambda t: t.ones(1, 3)), "leading_ones": _set(1, lambda t: t.ones(
        1, 1, 3)), "list": _set([0, 1], lambda t: t.ones(3)), "last_write_wins": _set(
        [0, 0], lambda t: t.tensor([[1.0, 2, 3], [4, 5, 6]])),
    "pairs": _set(lambda t: (t.tensor([0, 0]), t.tensor([1, 2])), lambda t: t.tensor([1.0, 2])),
    "mask": _set(lambda t: t.zeros(4, 3) == 0, lambda t: t.arange(12.0)),
    "mask_rows": _set(lambda t: t.tensor([True, False, True, False]), lambda t: t.ones(2, 3)),
    "empty_mask": _set(lambda t: t.zeros(4, 3) > 0, lambda t: t.ones(0)),
    "ellipsis": _set(..., lambda t: t.tensor(2.0)), "none": _set(None, lambda t: t.ones(1, 4, 3)),
    "none_then_int": _set((slice(None), None, 1), 3.0), "true": _set(True, 4.0),
    "false": _set(False, 4.0), "tensor_0d": _set(lambda t: t.tensor(1), 7.0),
    "float64_value": _set(1, lambda t: t.ones(3, dtype=t.float64)),
    "into_long": _set(1, 2.5, "long"), "long_from_float_tensor": _set(1, lambda t: t.tensor(
        [1.5, 2, 3]), "long"), "bool_value": _set(1, True, "long"),
    # errors
    "value_too_long": _set(1, lambda t: t.ones(2)), "value_too_many_dims": _set(1, lambda t: t.ones(
        2, 3)), "value_against_none": _set(None, lambda t: t.ones(2, 4, 3)),
    "advanced_mismatch": _set([0, 1], lambda t: t.ones(3, 3)),
    "mask_mismatch": _set(lambda t: t.zeros(4, 3) > 0, lambda t: t.ones(2)),
    "out_of_range": _set(5, 1.0), "tensor_out_of_range": _set(lambda t: t.tensor([5]), 1.0),
    "str_key": _set("a", 1.0), "negative_step": _set(slice(None, None, -1), 1.0),
    "str_value": _set(1, "a"), "list_value": _set(1, [1, 2, 3]), "complex_value": _set(1, 1 + 2j),
}

_I = [[0, 1], [2, 0]]  # along dim 1 of a (4, 3) tensor


def _t(t, v, dtype=None):
    return t.tensor(v, dtype=dtype)


OPS = {
    "gather": lambda t: X(t).gather(1, _t(t, _I)), "gather_keywords": lambda t: X(t).gather(
        dim=1, index=_t(t, _I)), "gather_fn": lambda t: t.gather(X(t), 0, _t(t, _I)),
    "gather_int32": lambda t: X(t).gather(1, _t(t, _I, t.int32)),
    "gather_0d": lambda t: t.tensor(5.0).gather(0, _t(t, [0, 0])),
    "gather_empty": lambda t: X(t).gather(1, t.zeros(0, 2, dtype=t.long)),
    "gather_out_of_range": lambda t: X(t).gather(1, _t(t, [[3]])),
    "gather_negative": lambda t: X(t).gather(1, _t(t, [[-1]])),
    "gather_float_index": lambda t: X(t).gather(1, _t(t, [[0.0]])),
    "gather_ndim": lambda t: X(t).gather(1, _t(t, [0])),
    "gather_too_big": lambda t: X(t).gather(1, t.zeros(5, 2, dtype=t.long)),
    "gather_dim": lambda t: X(t).gather(2, _t(t, _I)),
    "scatter": lambda t: X(t).scatter(1, _t(t, _I), t.ones(2, 2) * 7),
    "scatter_value": lambda t: X(t).scatter(1, _t(t, _I), 7.0),
    "scatter_value_keyword": lambda t: X(t).scatter(1, _t(t, _I), value=7),
    "scatter_src_keywords": lambda t: X(t).scatter(dim=1, index=_t(t, _I), src=t.ones(2, 2)),
    "scatter_add_reduce": lambda t: X(t).scatter(1, _t(t, _I), t.ones(2, 2), reduce="add"),
    "scatter_multiply": lambda t: X(t).scatter(1, _t(t, _I), 2.0, reduce="multiply"),
    "scatter_bad_reduce": lambda t: X(t).scatter(1, _t(t, _I), 2.0, reduce="max"),
    "scatter_small_src": lambda t: X(t).scatter(1, _t(t, _I), t.ones(1, 1)),
    "scatter_src_dtype": lambda t: X(t).scatter(1, _t(t, _I), t.ones(2, 2, dtype=t.float64)),
    "scatter_0d_src": lambda t: X(t).scatter(1, _t(t, _I), t.tensor(2.0)),
    "scatter_": lambda t: X(t).scatter_(1, _t(t, _I), -1.0),
    "scatter_add": lambda t: t.scatter_add(X(t), 0, _t(t, [[0, 0, 3], [0, 1, 3]]), t.ones(2, 3)),
    "scatter_add_": lambda t: X(t).scatter_add_(0, _t(t, _I), t.ones(2, 2)),
    "index_select": lambda t: t.index_select(X(t), 0, _t(t, [0, 0, 3])),
    "index_select_0d_index": lambda t: X(t).index_select(1, _t(t, 1)),
    "index_select_0d": lambda t: t.tensor(3.0).index_select(0, _t(t, [0])),
    "index_select_2d": lambda t: X(t).index_select(0, _t(t, [[0]])),
    "index_select_out_of_range": lambda t: X(t).index_select(0, _t(t, [4])),
    "index_select_float": lambda t: X(t).index_select(0, _t(t, [1.0])),
    "index_add": lambda t: X(t).index_add(0, _t(t, [0, 0]), t.ones(2, 3), alpha=2),
    "index_add_long": lambda t: t.arange(3).index_add(0, _t(t, [0]), _t(t, [2]), alpha=3),
    "index_add_count": lambda t: X(t).index_add(0, _t(t, [0, 0]), t.ones(3, 3)),
    "index_add_shape": lambda t: X(t).index_add(0, _t(t, [0, 0]), t.ones(2, 2)),
    "index_add_out_of_range": lambda t: X(t).index_add(0, _t(t, [0, 9]), t.ones(2, 3)),
    "index_add_dtype": lambda t: X(t).index_add(0, _t(t, [0]), t.ones(1, 3, dtype=t.float64)),
    "index_add_float_index": lambda t: X(t).index_add(0, _t(t, [0.0]), t.ones(1, 3)),
    "index_add_2d_index": lambda t: X(t).index_add(0, _t(t, [[0, 1]]), t.ones(2, 3)),
    "index_copy": lambda t: X(t).index_copy(0, _t(t, [3, 0]), t.ones(2, 3)),
    "index_copy_out_of_range": lambda t: X(t).index_copy(0, _t(t, [0, 9]), t.ones(2, 3)),
    "index_copy_slices": lambda t: X(t).index_copy(0, _t(t, [0, 1]), t.ones(2, 2)),
    "index_copy_int32": lambda t: X(t).index_copy(0, _t(t, [0], t.int32), t.ones(1, 3)),
    "index_copy_2d_index": lambda t: X(t).index_copy(0, _t(t, [[0, 1]]), t.ones(2, 3)),
    "index_fill": lambda t: X(t).index_fill(1, _t(t, [0, 2]), -1.0),
    "index_fill_tensor": lambda t: X(t).index_fill(1, _t(t, [0, 2]), t.tensor(-1.0)),
    "index_fill_negative": lambda t: X(t).index_fill(0, _t(t, [-1]), 1.0),
    "index_fill_1d_value": lambda t: X(t).index_fill(1, _t(t, [0]), t.tensor([-1.0])),
    "index_fill_out_of_range": lambda t: X(t).index_fill(1, _t(t, [0, 3]), -1.0),
    "index_fill_int32": lambda t: X(t).index_fill(1, _t(t, [0], t.int32), -1.0),
    "index_put": lambda t: t.index_put(X(t), (_t(t, [0, 0]), _t(t, [1, 1])), _t(t, [1.0, 2.0]),
                                       accumulate=True),
    "index_put_rows": lambda t: X(t).index_put([_t(t, [0, 2])], t.ones(3)),
    "index_put_mask": lambda t: X(t).index_put((X(t) > 5,), t.tensor(1.0)),
    "index_put_": lambda t: X(t).index_put_((_t(t, [1]),), t.tensor(1.0)),
    "index_put_none": lambda t: t.index_put(X(t), (None, _t(t, [0])), t.tensor(1.0)),
    "index_put_not_tuple": lambda t: t.index_put(X(t), _t(t, [1]), t.tensor(1.0)),
    "index_put_dtype": lambda t: X(t).index_put((_t(t, [1]),), t.tensor(1.0, dtype=t.float64)),
    "index_put_too_many": lambda t: X(t).index_put((_t(t, [0]),) * 3, t.ones(1)),
    "index_put_shape": lambda t: X(t).index_put((_t(t, [0, 0]),), t.ones(2)),
    "masked_fill": lambda t: X(t).masked_fill(X(t) > 5, -1),
    "masked_fill_tensor": lambda t: X(t).masked_fill(X(t) > 5, t.tensor(-1.0)),
    "masked_fill_keywords": lambda t: X(t).masked_fill(mask=X(t) > 5, value=2.0),
    "masked_fill_broadcast": lambda t: X(t).masked_fill(t.tensor([True, False, True]), -1),
    "masked_fill_bigger_mask": lambda t: X(t).masked_fill(t.ones(2, 4, 3, dtype=t.bool), -1),
    "masked_fill_long": lambda t: t.arange(3).masked_fill(t.tensor([True, False, True]), 1.5),
    "masked_fill_": lambda t: X(t).masked_fill_(X(t) > 5, 2.0),
    "masked_fill_uint8": lambda t: X(t).masked_fill((X(t) > 5).to(t.uint8), -1),
    "masked_fill_float_mask": lambda t: X(t).masked_fill((X(t) > 5).float(), -1),
    "masked_fill_1d_value": lambda t: X(t).masked_fill(X(t) > 5, t.tensor([-1.0])),
    "masked_fill_not_broadcastable": lambda t: X(t).masked_fill(t.tensor([True, False]), -1),
    "masked_scatter": lambda t: X(t).masked_scatter(X(t) > 5, t.arange(100.0, 112).reshape(3, 4)),
    "masked_scatter_broadcast": lambda t: X(t).masked_scatter(t.tensor([True, False, True]),
                                                              t.arange(100.0, 112)),
    "masked_scatter_few": lambda t: X(t).masked_scatter(X(t) > 5, t.ones(3)),
    "masked_scatter_dtype": lambda t: X(t).masked_scatter(X(t) > 5, t.ones(12, dtype=t.float64)),
    "masked_select": lambda t: X(t).masked_select(X(t) > 5),
    "masked_select_broadcast": lambda t: X(t)[0].masked_select(t.ones(2, 3, dtype=t.bool)),
    "masked_select_uint8": lambda t: X(t).masked_select((X(t) > 5).to(t.uint8)),
    "masked_select_out": lambda t: t.masked_select(X(t), X(t) > 5, out=t.empty(6)),
    "take": lambda t: X(t).take(_t(t, [[0, 11], [-1, 5]])), "take_fn": lambda t: t.take(
        X(t), _t(t, [1])), "take_out_of_range": lambda t: X(t).take(_t(t, [12])),
    "take_negative_out_of_range": lambda t: X(t).take(_t(t, [-13])),
    "take_int32": lambda t: X(t).take(_t(t, [1], t.int32)),
    "take_empty": lambda t: t.ones(0).take(_t(t, [0])),
    "put_": lambda t: X(t).put_(_t(t, [0, 0, 11]), _t(t, [1.0, 2, 3])),
    "put_accumulate": lambda t: X(t).put_(_t(t, [0, 0, 11]), _t(t, [1.0, 2, 3]), accumulate=True),
    "put": lambda t: t.put(X(t), _t(t, [0, -1]), _t(t, [1.0, 2]), accumulate=True),
    "put_count": lambda t: X(t).put_(_t(t, [0, 0, 11]), _t(t, [1.0, 2])),
    "put_out_of_range": lambda t: X(t).put_(_t(t, [12]), _t(t, [1.0])),
    "put_dtype": lambda t: X(t).put_(_t(t, [1]), t.ones(1, dtype=t.float64)),
    "take_along_dim": lambda t: t.take_along_dim(X(t), _t(t, [[0], [2], [1], [0]]), 1),
    "take_along_dim_flat": lambda t: t.take_along_dim(X(t), _t(t, [0, 11])),
    "take_along_dim_broadcast": lambda t: X(t).take_along_dim(_t(t, [[0, 2]]), dim=0),
    "take_along_dim_sizes": lambda t: t.take_along_dim(X(t), _t(t, [[0, 1]]), 0),
    "take_along_dim_ndim": lambda t: t.take_along_dim(X(t), _t(t, [[[0, 1]]]), 0),
    "take_along_dim_int32": lambda t: t.take_along_dim(X(t), _t(t, [[0]], t.int32), 0),
    "nonzero": lambda t: X(t).nonzero(), "nonzero_0d": lambda t: t.tensor(3.0).nonzero(),
    "nonzero_tuple": lambda t: X(t).nonzero(as_tuple=True),
    "nonzero_tuple_0d": lambda t: t.tensor(3.0).nonzero(as_tuple=True),
    "nonzero_tuple_0d_zero": lambda t: t.tensor(0.0).nonzero(as_tuple=True),
    "argwhere": lambda t: t.argwhere(X(t) > 4), "argwhere_method": lambda t: X(t).argwhere(),
    "where_one_argument": lambda t: t.where(X(t) > 5),
    "where_keywords": lambda t: t.where(X(t) > 5, input=X(t), other=-X(t)),
    "where_numbers": lambda t: t.where(X(t) > 5, 1.0, 0.0),
    "where_method": lambda t: X(t).where(X(t) > 5, -X(t)),
    "where_method_number": lambda t: X(t).where(X(t) > 5, 0),
    "where_uint8": lambda t: t.where((X(t) > 5).to(t.uint8), X(t), -X(t)),
    "where_float_condition": lambda t: t.where((X(t) > 5).float(), X(t), -X(t)),
    "where_long_float": lambda t: t.where(X(t) > 5, X(t).long(), _t(t, [0.5, 1, 2])),
    "where_0d_double": lambda t: t.where(X(t) > 5, X(t), t.tensor(0.5, dtype=t.float64)),
    "where_long_number": lambda t: t.where(X(t) > 5, X(t).long(), 0.5),
    "where_ints": lambda t: t.where(X(t) > 5, 1, 0),
    "where_int32_long": lambda t: t.where(X(t)[0] > 1, _t(t, [1, 2, 3], t.int32), _t(t, [4, 5, 6])),
}

for r in ("sum", "prod", "mean", "amax", "amin", "max", "min"):
    for inc in (True, False):
        OPS[f"scatter_reduce_{r}_{inc}"] = lambda t, r=r, inc=inc: X(t).scatter_reduce(
            0, _t(t, [[0, 0, 1], [0, 2, 1]]), t.arange(6.0).reshape(2, 3) - 2, r,
            include_self=inc)
OPS["scatter_reduce_long_mean"] = lambda t: t.arange(6).scatter_reduce(
    0, _t(t, [0, 0, 1]), _t(t, [1, 2, -4]), "mean", include_self=False)
OPS["scatter_reduce_bad"] = lambda t: X(t).scatter_reduce(0, _t(t, _I), X(t), "add")


@pytest.mark.parametrize("name", list(GETITEM))
def test_getitem_as_pytorch(name):
    assert outcome(GETITEM[name], loom) == outcome(GETITEM[name], torch)


@pytest.mark.parametrize("name", list(SETITEM))
def test_setitem_as_pytorch(name):
    assert outcome(SETITEM[name], loom) == outcome(SETITEM[name], torch)


@pytest.mark.parametrize("name", list(OPS))
def test_indexing_ops_as_pytorch(name):
    assert outcome(OPS[name], loom) == outcome(OPS[name], torch)


@pytest.mark.parametrize("key", [1, (slice(None), 1), (slice(1, 3),), (None, 0), (Ellipsis, 2),
                                 (slice(None), None, 1), [0, 1], (0, [1, 2]), True])
def test_basic_indexing_is_a_view_and_advanced_a_copy(key):
    def shares(t):
        x = t.arange(12.0).reshape(4, 3)
        return x[key].data_ptr() == x.data_ptr() + x[key].storage_offset() * 4 and \
            x[key].untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
    assert shares(loom) == shares(torch)


# gradients: each scenario maps a float64 leaf to a tensor; duplicates in the index must add up
GRADS = {
    "getitem_repeated": lambda t, x: x[[0, 0, 2]], "getitem_mask": lambda t, x: x[x > 0],
    "getitem_mixed": lambda t, x: x.reshape(2, 2, 3)[0, :, [0, 0]],
    "getitem_mask_and_list": lambda t, x: x.reshape(2, 2, 3)[t.eye(2, dtype=t.bool), [2, 2]],
    "getitem_none_int_step": lambda t, x: x[None, 1:, None, ::2][:, 0],
    "gather_repeated": lambda t, x: x.gather(1, _t(t, [[0, 0, 0], [2, 2, 1]])),
    "index_select_repeated": lambda t, x: x.index_select(0, _t(t, [1, 1, 3])),
    "take_repeated": lambda t, x: x.take(_t(t, [0, 0, -1])),
    "take_along_dim": lambda t, x: t.take_along_dim(x, _t(t, [[0, 0]]), 1),
    "masked_select": lambda t, x: x.masked_select(t.tensor([True, False, True])),
    "masked_fill": lambda t, x: x.masked_fill(x > 0, 2.0),
    "masked_fill_value": lambda t, x: x.masked_fill(x > 0, x.sum()),
    "index_fill_value": lambda t, x: x.index_fill(0, _t(t, [1, 1]), x[0, 0]),
    "scatter_add_repeated": lambda t, x: t.zeros(2, 3, dtype=t.float64).scatter_add(
        0, _t(t, [[0, 0, 1], [0, 0, 1], [1, 1, 1], [0, 1, 0]]), x),
    "index_add_repeated": lambda t, x: t.zeros(2, 3, dtype=t.float64).index_add(
        0, _t(t, [1, 1, 0, 1]), x, alpha=3),
    "index_put_accumulate": lambda t, x: t.zeros(2, 3, dtype=t.float64).index_put(
        (_t(t, [1, 1, 0, 1]),), x, accumulate=True),
    "put_accumulate": lambda t, x: t.zeros(5, dtype=t.float64).put(
        _t(t, [1, 1, 0, 4]), x[:, 0], accumulate=True),
    "masked_scatter": lambda t, x: t.zeros(3, 3, dtype=t.float64).masked_scatter(
        t.eye(3, dtype=t.bool), x),
    "scatter_into": lambda t, x: x.scatter(1, _t(t, [[2], [0], [1], [0]]), 5.0),
    "scatter_reduce_prod_zeros": lambda t, x: (x * _t(t, [[0.0], [1], [0], [1]])).scatter_reduce(
        0, _t(t, [[0, 0, 1], [0, 1, 1], [1, 0, 0], [0, 0, 0]]), x, "prod"),
    "scatter_reduce_amax_ties": lambda t, x: (x * 0 + _t(t, _TIES)).scatter_reduce(
        0, _t(t, [[0, 0, 1], [0, 1, 1]]), x[:2] * 0 + 2, "amax", include_self=False),
    "scatter_reduce_amin_ties": lambda t, x: (x * 0 + _t(t, _TIES)).scatter_reduce(
        0, _t(t, [[0, 0, 1], [0, 1, 1]]), x[:2] * 0 + 1, "amin"),
    "setitem": lambda t, x: _written(t, x),
}


_TIES = [[1.0, 2, 2], [1, 1, 3], [2, 2, 2], [0, 0, 0]]


def _written(t, x):
    y = x * 1
    y[1:3, [0, 2]] = x[0, :2] * 2
    y[y > 1] = 0.5
    return y


@pytest.mark.parametrize("name", list(GRADS))
def test_gradients_as_pytorch(name):
    data = np.random.default_rng(0).standard_normal((4, 3)) * 2

    def grad(t):
        x = t.tensor(data, requires_grad=True)
        y = GRADS[name](t, x)
        w = t.tensor(np.linspace(-1, 2, y.numel()).reshape(tuple(y.shape)), dtype=t.float64)
        (y * w).sum().backward()
        return x.grad.numpy()
    np.testing.assert_allclose(grad(loom), grad(torch), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["masked_fill_", "index_put_", "scatter_", "put_",
                                  "index_fill_", "setitem"])
def test_writes_into_a_leaf_that_requires_grad_raise_as_pytorch(name):
    def write(t):
        x = t.ones(4, 3, requires_grad=True)
        i = _t(t, [[0], [1]])
        {"masked_fill_": lambda: x.masked_fill_(x > 0, 0.0),
         "index_put_": lambda: x.index_put_((_t(t, [0]),), t.tensor(0.0)),
         "scatter_": lambda: x.scatter_(1, i, 0.0), "put_": lambda: x.put_(_t(t, [0]), t.ones(1)),
         "index_fill_": lambda: x.index_fill_(0, _t(t, [0]), 0.0),
         # (a basic key writes through a view in PyTorch, whose message then says "a view of")
         "setitem": lambda: x.__setitem__([0], 1.0)}[name]()
    assert outcome(write, loom) == outcome(write, torch)


def test_in_place_write_records_and_bumps_the_version():
    def version(y):  # loom keeps the counter in a box its views share
        return y._version[0] if isinstance(y._version, list) else y._version or 0

    def scenario(t):
        x = t.arange(6.0, requires_grad=True)
        y = x.exp()  # saves its output
        v = version(y)
        y.masked_fill_(y > 100, 0.0)
        grad_fn = type(y.grad_fn).__name__
        try:
            y.sum().backward()
            err = None
        except RuntimeError as e:
            err = "modified by an inplace operation" in str(e)
        return version(y) - v, grad_fn, err
    assert scenario(loom) == scenario(torch) == (1, "MaskedFillBackward0", True)


def test_in_place_forms_send_gradients_to_a_keyword_source():
    def scenario(t):
        src = t.ones(2, 2, requires_grad=True)
        y = t.zeros(4, 3).scatter_(dim=1, index=_t(t, _I), src=src)
        (y * t.arange(12.0).reshape(4, 3)).sum().backward()
        return y.requires_grad, src.grad.tolist()
    assert scenario(loom) == scenario(torch)


def test_integer_outputs_never_require_grad():
    x = loom.randn(3, 4, requires_grad=True)
    assert not any(r.requires_grad for r in (x.nonzero(), loom.argwhere(x), *x.nonzero(
        as_tuple=True), *loom.where(x > 0)))
    assert isinstance(x.nonzero(as_tuple=True), tuple)


@pytest.mark.parametrize("name", ["uint8_index", "uint8_where", "list_as_tuple",
                                  "scatter_reduce_src"])
def test_deprecation_warnings_as_pytorch(name):
    def warned(t):
        x = t.ones(4, 3)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            {"uint8_index": lambda: x[t.ones(4, dtype=t.uint8)],
             "uint8_where": lambda: t.where(t.ones(4, 3, dtype=t.uint8), x, x),
             "list_as_tuple": lambda: x[[0, slice(None)]],
             "scatter_reduce_src": lambda: x.scatter(1, _t(t, _I), t.ones(2, 2), reduce="add"),
             }[name]()
        return [(type(m.message).__name__, str(m.message).split(" (Triggered")[0]) for m in w]
    got, want = warned(loom), warned(torch)  # PyTorch warns some of these once per process
    assert len(got) == 1 and (got == want or not want)


@pytest.mark.parametrize("name", ["getitem", "gather", "scatter", "scatter_add", "index_add",
                                  "index_copy", "index_select", "masked_fill", "take", "put",
                                  "masked_select", "index_put"])
def test_node_names_as_pytorch(name):
    def node(t):
        x = t.ones(4, 3, requires_grad=True)
        i = _t(t, [[0, 1]])
        return type({"getitem": lambda: x[[0, 1]], "gather": lambda: x.gather(1, i),
                     "scatter": lambda: x.scatter(1, i, t.ones(1, 2)),
                     "scatter_add": lambda: x.scatter_add(1, i, t.ones(1, 2)),
                     "index_add": lambda: x.index_add(0, i[0], t.ones(2, 3)),
                     "index_copy": lambda: x.index_copy(0, i[0], t.ones(2, 3)),
                     "index_select": lambda: x.index_select(0, i[0]),
                     "masked_fill": lambda: x.masked_fill(x > 0, 1.0),
                     "take": lambda: x.take(i), "put": lambda: x.put(i, t.ones(2)),
                     "masked_select": lambda: x.masked_select(x > 0),
                     "index_put": lambda: x.index_put((i[0],), t.tensor(1.0)),
                     }[name]().grad_fn).__name__
    assert node(loom) == node(torch)


@pytest.mark.parametrize("call", [
    # the dim's type before its range; then the dim before the dtypes (IndexError first)
    lambda T: T.gather(T.ones(()), [1, "a"], T.tensor([0])),
    lambda T: T.index_copy(T.ones(()), [1, "a"], T.tensor([0]), T.ones(())),
    lambda T: T.scatter_add(T.ones(0), 1, T.ones(3, 2, dtype=T.int64), T.ones(4, 3)),
    lambda T: T.scatter(T.ones(()), 1, T.ones(3, 2, dtype=T.int64), T.ones(3, 2)),
    lambda T: T.scatter_reduce(T.ones(0), 1, T.ones(3, 2, dtype=T.int64), T.ones(3, 2), "amax"),
    # out of range: IndexError or RuntimeError, as each of PyTorch's CPU paths words it
    lambda T: T.index_select(T.ones(()), 0, T.tensor(1)),
    lambda T: T.index_select(T.ones(()), -1, T.tensor([1])),
    lambda T: T.index_select(T.ones(4, 3, dtype=T.int32), -1, T.tensor([-1], dtype=T.int32)),
    lambda T: T.index_select(T.ones(2, 3, 4), 2, T.tensor([9])),
    lambda T: T.index_select(T.ones(2, 0), 0, T.tensor([3])),
    lambda T: T.index_select(T.ones(2, 0, 3), 1, T.tensor([9])),
    lambda T: T.index_add(T.ones(4, 3, dtype=T.int32), 1, T.tensor([0, 5], dtype=T.int32),
                          T.ones(4, 2, dtype=T.int32)),
    lambda T: T.index_add(T.ones(4, 3), 1, T.tensor([0, 5]), T.ones(4, 2)),
    lambda T: T.index_add(T.ones(4, 3), 1, T.tensor([0, 5]), T.ones(4, 2), alpha=-2.0),
    lambda T: T.index_add(T.ones(()), 0, T.tensor(3), T.ones(())),
    lambda T: T.index_add(T.ones(2, 0), 1, T.tensor([0, 9]), T.ones(2, 2)),
    # index_copy: the dtypes before the positions; an empty self needing memory
    lambda T: T.index_copy(T.ones(()), 0, T.tensor([0, 1]), T.ones(2, 3, dtype=T.float64)),
    lambda T: T.index_copy(T.ones(()), 0, T.tensor([0]), T.ones(1, dtype=T.float64)),
    lambda T: T.index_copy(T.ones(0), 0, T.tensor([0]), T.ones(1)),
    lambda T: T.index_copy(T.ones(4, 3), 0, T.tensor([0, 1]), T.ones(())),
    lambda T: T.index_copy(T.ones(4, 3), 0, T.tensor([0, 1]), T.ones(3, 3)),
    lambda T: T.index_fill(T.ones(2, 0), 1, T.tensor([0, 1, 2]), -1.5),
    lambda T: T.index_fill(T.ones(0, 2), 1, T.tensor([7]), 1.0),
    lambda T: T.index_fill(T.ones(0), 0, T.tensor(0), 2.0),
    lambda T: T.index_fill(T.ones(3), 0, T.tensor([0]), 1 + 2j),
    lambda T: T.put(T.ones(()), T.tensor([0, 1, 2]), T.ones(3, dtype=T.float64)),
    lambda T: T.put(T.ones(0), T.tensor([0]), T.ones(1)),
    # take_along_dim takes positions modulo the size along dim (not when flattened)
    lambda T: T.take_along_dim(T.arange(12.0).reshape(3, 4), T.tensor([[7, 0, -5, -8, 100]]), 1),
    lambda T: T.take_along_dim(T.ones(2, 0), T.tensor([[0]]), 1),
    lambda T: T.take_along_dim(T.arange(12.0).reshape(3, 4), T.tensor([-1, 12])),
    lambda T: T.take_along_dim(T.arange(12.0).reshape(3, 4), T.tensor([5, 7], dtype=T.int32)),
    lambda T: T.take_along_dim(T.ones(3, 4), T.tensor([[0]], dtype=T.int32), 1),
])
def test_indexing_errors_and_edge_cases_follow_torch(call):
    same_outcome(call)


def test_take_along_dim_gradient_goes_to_the_wrapped_positions():
    res = []
    for T in (loom, torch):
        x = T.arange(12.0).reshape(3, 4).requires_grad_()
        T.take_along_dim(x, T.tensor([[7, -1, 4]]), 1).sum().backward()
        res.append(x.grad.tolist())
    assert res[0] == res[1]
