"""Products built on matmul, as PyTorch composes them: vdot, inner, trace, kron, tensordot,
linalg.multi_dot, chain_matmul, linalg.vecdot, cross, matrix_power. Each is one function
written in operators (`composite`): the kernel runs it on arrays, the backward rule
differentiates it on tensors."""
import numpy as np

from loom.plugin import ErrorInput, SampleInput, op, sample_calls

from loom.plugin import is_tensor

from .common import composite, conj, floating, op_, scalar_name, square


def _vdot(a, b):
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if not is_tensor(a) and a.dtype != b.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{scalar_name(a)} and {scalar_name(b)}")
    return op_("dot", conj(a), b)


def _trace(a):
    if a.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {a.ndim}")
    if not is_tensor(a) and a.dtype == bool:
        raise NotImplementedError('"trace" not implemented for \'Bool\'')
    return op_("sum", a.diagonal(0, 0, 1), None, False)


def _kron(a, b):
    nd = max(a.ndim, b.ndim)
    a = a.reshape((1,) * (nd - a.ndim) + tuple(a.shape))
    b = b.reshape((1,) * (nd - b.ndim) + tuple(b.shape))
    # a[i, None, j, None] * b[None, k, None, l] laid out as (i k, j l)
    ai = a.reshape(sum(((s, 1) for s in a.shape), ()))
    bi = b.reshape(sum(((1, s) for s in b.shape), ()))
    return (ai * bi).reshape(tuple(x * y for x, y in zip(a.shape, b.shape)))


def _tensordot(a, b, dims=2):
    if not is_tensor(a):
        if a.dtype != b.dtype:
            raise RuntimeError("both inputs should have same dtype")
        if a.dtype == bool:
            raise NotImplementedError('"addmm_impl_cpu_" not implemented for \'Bool\'')
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(a.ndim, b.ndim):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got "
                               f"dims={dims}")
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = [list(d) if isinstance(d, (list, tuple)) else [d] for d in dims]
    da, db = [d % a.ndim for d in da], [d % b.ndim for d in db]
    for x, y in zip(da, db):
        if a.shape[x] != b.shape[y]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size "
                               f"{a.shape[x]} in dim {x} and second has size {b.shape[y]} in "
                               f"dim {y}")
    fa = [d for d in range(a.ndim) if d not in da]
    fb = [d for d in range(b.ndim) if d not in db]
    k = int(np.prod([a.shape[d] for d in da]))
    am = op_("permute", a, fa + da).reshape(-1, k)
    bm = op_("permute", b, db + fb).reshape(k, -1)
    return (am @ bm).reshape(tuple(a.shape[d] for d in fa) + tuple(b.shape[d] for d in fb))


def _vecdot(x, y, *, dim=-1):
    return op_("sum", conj(x) * y, dim, False)


def _cross(a, b, *, dim=-1):
    if not is_tensor(a):  # PyTorch's checks, on arrays (the rule re-runs this on tensors)
        if a.ndim != b.ndim:
            raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
        if a.dtype != b.dtype:
            raise RuntimeError(f"expected scalar type {scalar_name(a)} but found "
                               f"{scalar_name(b)}")
        if a.dtype == bool:
            raise NotImplementedError('"cross" not implemented for \'Bool\'')
    if a.shape[dim] != 3 or b.shape[dim] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{a.shape[dim]} and {b.shape[dim]}")
    ax = [op_("select", a, dim, i) for i in range(3)]
    bx = [op_("select", b, dim, i) for i in range(3)]
    parts = [ax[1] * bx[2] - ax[2] * bx[1], ax[2] * bx[0] - ax[0] * bx[2],
             ax[0] * bx[1] - ax[1] * bx[0]]
    # 1-D arrays: NumPy's products of 0-d arrays are scalars, made arrays again for stack
    parts = [np.asarray(p) if isinstance(p, np.generic) else p for p in parts]
    return op_("stack", *parts, dim=dim % max(a.ndim, b.ndim))


def _default_cross_dim(a, b):
    """torch.cross without dim: the first dim of size 3 (deprecated there, with a warning)."""
    import warnings
    warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease "
                  "either pass the dim explicitly or simply use torch.linalg.cross.\nThe "
                  "default value of dim will change to agree with that of linalg.cross in a "
                  "future release.", UserWarning, stacklevel=4)
    shape = np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
    return next((i for i, s in enumerate(shape) if s == 3), -1)


def _inner(a, b):
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if not is_tensor(a) and a.dtype != b.dtype:
        raise RuntimeError("both inputs should have same dtype")
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but "
                           f"got shapes {list(a.shape)} and {list(b.shape)}")
    return _tensordot(a, b, ([-1], [-1]))


_MAX_CHAIN = 64  # the most tensors multi_dot saves for its backward rule


def _chain_matmul(*matrices):
    import warnings
    warnings.warn("torch.chain_matmul is deprecated and will be removed in a future PyTorch "
                  "release. Use torch.linalg.multi_dot instead, which accepts a list of two or "
                  "more tensors rather than multiple parameters.", UserWarning, stacklevel=4)
    for m in matrices:
        if m.ndim != 2:
            raise RuntimeError(f"Tensor dimension is {m.ndim}, expected 2 instead.")
    if len(matrices) == 1:
        return matrices[0] + 0
    return _multi_dot(*matrices)


def _order(dims):
    """The cheapest parenthesisation of a chain of matrices of sizes dims[i] x dims[i + 1]
    (the classic dynamic programme, as PyTorch's multi_dot orders its products)."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = None
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if cost[i][j] is None or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def _chain(ts, split, i, j):
    if i == j:
        return ts[i]
    k = split[i][j]
    return op_("mm", _chain(ts, split, i, k), _chain(ts, split, k + 1, j))


def _multi_dot(*tensors):
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    if len(tensors) > _MAX_CHAIN:
        raise NotImplementedError(f"multi_dot(): loom multiplies at most {_MAX_CHAIN} tensors "
                                  f"in one call, got {len(tensors)}")
    first, last = tensors[0], tensors[-1]
    for i, t in enumerate(tensors):
        ok = t.ndim == 2 or (t.ndim == 1 and i in (0, len(tensors) - 1))
        if not ok:
            where = ("first" if i == 0 else "last") if i in (0, len(tensors) - 1) else None
            raise RuntimeError(f"multi_dot(): the {where} tensor must be 1D or 2D but got "
                               f"{t.ndim}D" if where else f"multi_dot(): tensor {i} must be 2D "
                               f"but got {t.ndim}D")
    ts = list(tensors)
    if first.ndim == 1:
        ts[0] = first.reshape(1, -1)
    if last.ndim == 1:
        ts[-1] = last.reshape(-1, 1)
    for i in range(len(ts) - 1):
        if ts[i].shape[-1] != ts[i + 1].shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes "
                               f"{list(tensors[i].shape)} and {list(tensors[i + 1].shape)} "
                               f"cannot be multiplied")
    if not is_tensor(first):
        for t in ts:
            if t.dtype != first.dtype:
                raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but "
                                   f"tensor 0 is {scalar_name(first)} and tensor "
                                   f"{ts.index(t)} {scalar_name(t)}")
    out = _chain(ts, _order([t.shape[0] for t in ts] + [ts[-1].shape[1]]), 0, len(ts) - 1)
    if first.ndim == 1 and last.ndim == 1:
        return out.reshape(())
    if first.ndim == 1:
        return out.reshape(-1)
    if last.ndim == 1:
        return out.reshape(-1)
    return out


def _matrix_power(a, n):
    square("linalg.matrix_power", a)
    if not is_tensor(a) and a.dtype == bool and n not in (0, 1):
        raise NotImplementedError('"addmm_impl_cpu_" not implemented for \'Bool\'')
    if n < 0:
        if not is_tensor(a):
            floating("linalg.inv", a)
        a, n = op_("linalg_inv", a), -n
    if n == 0:
        from .common import eye_like
        return a * 0 + eye_like(a, a.shape[-1])
    result, base = None, a
    while n:  # binary powering: about log2(n) products
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    return result


_K = {n: composite(f, k) for n, f, k in (
    ("vdot", _vdot, 2), ("trace", _trace, 1),
    ("kron", _kron, 2), ("tensordot", _tensordot, 2), ("vecdot", _vecdot, 2),
    ("cross", _cross, 2), ("torch_cross", lambda a, b, dim=None: _cross(
        a, b, dim=_default_cross_dim(a, b) if dim is None else dim), 2),
    ("inner", _inner, 2), ("matrix_power", _matrix_power, 1), ("multi_dot", _multi_dot, None),
    ("chain_matmul", _chain_matmul, None))}


def _tensor_list(tensors, *rest):  # multi_dot([a, b, c]): the tensors as leading arguments
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"linalg_multi_dot(): argument 'tensors' (position 1) must be tuple of "
                        f"Tensors, not {type(tensors).__name__}")
    return tuple(tensors) + rest


def _composite_op(name, n, calls, doc, **fields):
    kernel, backward = _K[fields.pop("key", name)]
    fields.setdefault("methods", ())
    fields.setdefault("save_inputs", tuple(range(n)))
    return op(name, kernel, backward=backward, inputs=n,
              samples=fields.pop("samples", None) or sample_calls(*calls, inputs=n, rtol=1e-4,
                                                                  atol=1e-5),
              doc=doc, takes_complex_grad=True, **fields)


OPS = [
    _composite_op("vdot", 2, (((4,), (4,)),), "The dot product with the first vector "
                  "conjugated.", methods=("vdot",)),
    _composite_op("trace", 1, (((3, 4),), ((3, 3),)), "The sum of a matrix's diagonal.",
                  methods=("trace",), error_samples=lambda rng: [
                      ErrorInput((np.ones((2, 3, 4)),), match="expected a matrix")]),
    _composite_op("kron", 2, (((2, 3), (3, 2)), ((2,), (2, 3)), ((2, 1, 2), (3, 2))),
                  "The Kronecker product.", methods=("kron",)),
    _composite_op("tensordot", 2, (((2, 3, 4), (3, 4, 5)), ((2, 3), (3, 2), 1),
                                   ((2, 3, 4), (4, 3), ([1, 2], [1, 0]))),
                  "Contraction over `dims` (a count of trailing/leading dims, or two lists)."),
    _composite_op("linalg_vecdot", 2, (((3, 4), (3, 4)), ((2, 3), (3,), {"dim": -1}),
                                       ((3, 4), (3, 4), {"dim": 0})),
                  "Sum of conj(x) * y over `dim` (broadcasting).", key="vecdot",
                  functions=("linalg.vecdot",), torch_name="linalg.vecdot"),
    _composite_op("linalg_cross", 2, (((2, 3), (2, 3)), ((3, 4), (3, 4), {"dim": 0}),
                                      ((1, 3), (2, 3))),
                  "The cross product of 3-vectors along `dim` (broadcasting).", key="cross",
                  functions=("linalg.cross",), torch_name="linalg.cross",
                  error_samples=lambda rng: [ErrorInput((np.ones((2, 4)), np.ones((2, 4))),
                                                        match="must have length 3")]),
    _composite_op("cross", 2, (((3, 2), (3, 2), {"dim": 0}), ((2, 3), (2, 3), 1)),
                  "The cross product of 3-vectors along `dim` (torch.cross; without dim, the "
                  "first dim of size 3, with PyTorch's deprecation warning).",
                  key="torch_cross", methods=("cross",)),
    _composite_op("inner", 2, (((3,), (3,)), ((2, 3), (4, 3)), ((), (2,))),
                  "The inner product over the last dims (a 0-dim operand scales the other).",
                  methods=("inner",), error_samples=lambda rng: [ErrorInput(
                      (np.ones((2, 3)), np.ones((4, 2))), match="last dimension must match")]),
    _composite_op("linalg_multi_dot", 2, (), "The product of a list of matrices (the first "
                  "and last may be vectors).", key="multi_dot", functions=("linalg.multi_dot",),
                  torch_name="linalg.multi_dot", variadic=True, prepare=_tensor_list,
                  save_inputs=tuple(range(_MAX_CHAIN)), samples=lambda rng, dt: [
                      SampleInput(([rng.standard_normal(s).astype(dt) for s in shapes],),
                                  rtol=1e-4, atol=1e-5)
                      for shapes in (((2, 3), (3, 4), (4, 2)), ((3,), (3, 2), (2,)),
                                     ((3,), (3, 2)), ((2, 3), (3,)))],
                  error_samples=lambda rng: [ErrorInput(([np.ones(3)],),
                                                        match="expected at least 2 tensors"),
                                             ErrorInput(([np.ones((3, 2)), np.ones((3, 3))],),
                                                        match="cannot be multiplied")]),
    _composite_op("chain_matmul", 2, (), "``torch.chain_matmul``: `linalg.multi_dot` of its "
                  "arguments (deprecated in PyTorch, with its warning).", variadic=True,
                  save_inputs=tuple(range(_MAX_CHAIN)), samples=lambda rng, dt: [
                      SampleInput(tuple(rng.standard_normal(s).astype(dt)
                                        for s in ((2, 3), (3, 4), (4, 2))), rtol=1e-4,
                                  atol=1e-5)]),
    _composite_op("linalg_matrix_power", 1, (((3, 3), 3), ((2, 3, 3), 2), ((3, 3), 0),
                                             ((3, 3), -2)),
                  "A to the integer power n (n < 0: of its inverse), by binary powering.",
                  key="matrix_power", functions=("linalg.matrix_power", "matrix_power"),
                  methods=("matrix_power",), torch_name="linalg.matrix_power",
                  samples=lambda rng, dt: [SampleInput(((rng.standard_normal((*s,)) +
                                                         2 * np.eye(s[-1])).astype(dt), n),
                                                       rtol=1e-4, atol=1e-5)
                                           for s, n in (((3, 3), 3), ((2, 3, 3), 2),
                                                        ((3, 3), 0), ((3, 3), -2))]),
]
