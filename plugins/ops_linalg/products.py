"""Products built on matmul, as PyTorch composes them: addmm, addmv, addbmm, baddbmm, addr,
vdot, trace, kron, tensordot, linalg.multi_dot, chain_matmul, linalg.vecdot, cross, and the
pseudo-inverse family (pinv, lstsq, matrix_power). Each is one function written in operators
(`composite`): the kernel runs it on arrays, the backward rule differentiates it on tensors."""
import numpy as np

from loom.plugin import ErrorInput, SampleInput, op, sample_calls

from .common import composite, conj, floating, matrix, mH, op_, square


def _add_scaled(inp, prod, beta, alpha):
    prod = prod if alpha == 1 else prod * alpha
    if beta == 0:  # PyTorch ignores input (nan and inf too) when beta is 0
        return prod + 0 * op_("zeros_like", inp)
    return (inp if beta == 1 else inp * beta) + prod


def _addmm(inp, m1, m2, *, beta=1, alpha=1):
    return _add_scaled(inp, op_("mm", m1, m2), beta, alpha)


def _addmv(inp, mat, vec, *, beta=1, alpha=1):
    return _add_scaled(inp, op_("mv", mat, vec), beta, alpha)


def _baddbmm(inp, b1, b2, *, beta=1, alpha=1):
    return _add_scaled(inp, op_("bmm", b1, b2), beta, alpha)


def _addbmm(inp, b1, b2, *, beta=1, alpha=1):
    return _add_scaled(inp, op_("sum", op_("bmm", b1, b2), 0, False), beta, alpha)


def _addr(inp, v1, v2, *, beta=1, alpha=1):
    return _add_scaled(inp, op_("outer", v1, v2), beta, alpha)


def _vdot(a, b):
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    return op_("dot", conj(a), b)


def _trace(a):
    if a.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {a.ndim}")
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
    if isinstance(dims, int):
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
    if a.shape[dim] != 3 or b.shape[dim] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{a.shape[dim]} and {b.shape[dim]}")
    ax = [op_("select", a, dim, i) for i in range(3)]
    bx = [op_("select", b, dim, i) for i in range(3)]
    parts = [ax[1] * bx[2] - ax[2] * bx[1], ax[2] * bx[0] - ax[0] * bx[2],
             ax[0] * bx[1] - ax[1] * bx[0]]
    return _stack(parts, dim % max(a.ndim, b.ndim))


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
    if len(matrices) == 1:
        return matrices[0] + 0
    return _multi_dot(*matrices)


def _stack(parts, dim):
    return sum(op_("unsqueeze", p, dim) * _basis(p, i, dim) for i, p in enumerate(parts))


def _basis(p, i, dim):
    """e_i along a new axis `dim` (shape 1 elsewhere), in p's type."""
    e = np.zeros(3)
    e[i] = 1
    shape = [1] * (p.ndim + 1)
    shape[dim] = 3
    from .common import as_tensor, is_tensor
    arr = e.reshape(shape).astype(np.float64)
    if is_tensor(p):
        return as_tensor(arr).to(dtype=p.dtype, device=p.device)
    return arr.astype(p.dtype)


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
    out = ts[0]
    for i, t in enumerate(ts[1:]):
        if out.shape[-1] != t.shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes "
                               f"{list(tensors[i].shape)} and {list(tensors[i + 1].shape)} "
                               f"cannot be multiplied")
        out = op_("mm", out, t)
    if first.ndim == 1 and last.ndim == 1:
        return out.reshape(())
    if first.ndim == 1:
        return out.reshape(-1)
    if last.ndim == 1:
        return out.reshape(-1)
    return out


def _matrix_power(a, n):
    square("linalg.matrix_power", a)
    if n < 0:
        floating("linalg.inv", a if not hasattr(a, "_data") else a._data)
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
    ("addmm", _addmm, 3), ("addmv", _addmv, 3), ("baddbmm", _baddbmm, 3),
    ("addbmm", _addbmm, 3), ("addr", _addr, 3), ("vdot", _vdot, 2), ("trace", _trace, 1),
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
              doc=doc, holomorphic=False, **fields)


OPS = [
    _composite_op("addmm", 3, (((2, 4), (2, 3), (3, 4)), ((4,), (2, 3), (3, 4),
                                                           {"beta": 0.5, "alpha": 2.0})),
                  "beta * input + alpha * (mat1 @ mat2).", methods=("addmm",),
                  error_samples=lambda rng: [ErrorInput(
                      (np.ones(2), np.ones((2, 3)), np.ones((4, 5))),
                      match=r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)")]),
    _composite_op("addmv", 3, (((2,), (2, 3), (3,)), ((1,), (2, 3), (3,), {"beta": 2.0})),
                  "beta * input + alpha * (mat @ vec).", methods=("addmv",)),
    _composite_op("baddbmm", 3, (((2, 2, 4), (2, 2, 3), (2, 3, 4)),
                                 ((2, 4), (2, 2, 3), (2, 3, 4), {"alpha": 0.5})),
                  "beta * input + alpha * bmm(batch1, batch2).", methods=("baddbmm",)),
    _composite_op("addbmm", 3, (((2, 4), (3, 2, 3), (3, 3, 4)),),
                  "beta * input + alpha * sum over the batch of bmm(batch1, batch2).",
                  methods=("addbmm",)),
    _composite_op("addr", 3, (((2, 3), (2,), (3,)), ((3,), (2,), (3,), {"beta": 0.0})),
                  "beta * input + alpha * outer(vec1, vec2).", methods=("addr",)),
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
