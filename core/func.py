"""`loom.func`: function transforms (``torch.func``) and `loom.vmap`.

They are built on loom's autograd, not on a batching interpreter: `grad` differentiates by
``loom.autograd.grad`` (``create_graph`` when an input already has a graph, so transforms
nest: ``grad(grad(f))``), `jacrev`/`jacfwd`/`hessian`/`vjp`/`jvp` use
`loom.autograd.functional`, and `vmap` calls the function once per index of the mapped
dimension and stacks the results. The results, and the errors for bad ``argnums``,
``in_dims``, ``out_dims`` and outputs, are PyTorch's; a vmapped function runs at Python
speed. ``randomness="error"`` (the default) is detected by the default generator's state
changing during the calls; ``"same"`` replays one state for every index.
"""
from __future__ import annotations

import functools

import loom
from loom.autograd import functional as _functional

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "vmap",
           "functional_call"]


# ----------------------------------------------------------------------------- trees

def _leaves(tree):
    """The leaves of nested tuples, lists and dicts, and a function rebuilding the tree."""
    if isinstance(tree, (tuple, list)):
        parts = [_leaves(t) for t in tree]
        sizes = [len(p[0]) for p in parts]

        def build(vals, parts=parts, sizes=sizes, kind=type(tree)):
            out, i = [], 0
            for (_, b), n in zip(parts, sizes):
                out.append(b(vals[i:i + n]))
                i += n
            return kind(out) if kind in (tuple, list) else kind(*out)
        return [x for p in parts for x in p[0]], build
    if isinstance(tree, dict):
        keys = list(tree)
        leaves, build = _leaves([tree[k] for k in keys])
        return leaves, lambda vals: dict(zip(keys, build(vals)))
    return [tree], lambda vals: vals[0]


def _name(f) -> str:
    return getattr(f, "__name__", type(f).__name__)


# ------------------------------------------------------------------------------ grad

def grad_and_value(func, argnums=0, has_aux: bool = False):
    """``func``'s gradient with respect to the arguments `argnums` (an int or a tuple), and
    its value: ``(grad, value)``, or ``(grad, (value, aux))`` with `has_aux`. `func` returns a
    scalar tensor (and, with `has_aux`, a second item of tensors)."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        nums = argnums if isinstance(argnums, tuple) else (argnums,)
        for n in nums:
            if not isinstance(n, int):
                raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(n)}")
            if not -len(args) <= n < len(args):
                raise RuntimeError(f"Got argnum={n}, but only {len(args)} positional inputs")
        args = list(args)
        selected, builders, flat = [], [], []
        nested = False  # an input with a graph (an enclosing transform's): keep ours
        with loom.enable_grad():
            for n in nums:
                leaves, build = _leaves(args[n])
                new = []
                for x in leaves:
                    if not isinstance(x, loom.Tensor):
                        raise RuntimeError(f"Expected tensors, got unsupported type {type(x)}")
                    nested = nested or x.requires_grad
                    new.append(x if x.requires_grad else x.detach().requires_grad_(True))
                args[n] = build(new)
                selected.append(new)
                builders.append(build)
                flat += new
            out = func(*args, **kwargs)
        who = "grad_and_value(f)(*args)"  # PyTorch's words, whatever the function's name
        aux = None
        if has_aux:
            if not (isinstance(out, tuple) and len(out) == 2):
                raise RuntimeError(f"{who}: output of function f should be a tuple: "
                                   "(output, aux) if has_aux is True")
            out, aux = out
            for a in _leaves(aux)[0]:
                if not isinstance(a, loom.Tensor):
                    raise RuntimeError(f"Expected tensors, got unsupported type {type(a)}")
        if not isinstance(out, loom.Tensor):
            raise RuntimeError(f"{who}: Expected f(*args) to return a Tensor, got {type(out)}")
        if out.dim() != 0:
            raise RuntimeError(f"{who}: Expected f(*args) to return a scalar Tensor, got tensor "
                               f"with {out.dim()} dims. Maybe you wanted to use the vjp or "
                               "jacrev APIs instead?")
        if out.requires_grad:
            # keep the gradient's graph when it reaches tensors of the caller's (an enclosing
            # transform's inputs, parameters the function closes over)
            create = nested or _reaches_other_leaves(out, flat)
            gs = loom.autograd.grad(out, flat, create_graph=create, allow_unused=True)
            nested = create
        else:
            gs = (None,) * len(flat)
        gs = [loom.zeros_like(x) if g is None else g for g, x in zip(gs, flat)]
        i, grads = 0, []
        for sel, build in zip(selected, builders):
            grads.append(build(gs[i:i + len(sel)]))
            i += len(sel)
        g = tuple(grads) if isinstance(argnums, tuple) else grads[0]
        value = out if nested else out.detach()
        return (g, (value, aux)) if has_aux else (g, value)
    return wrapper


def _reaches_other_leaves(out, ours) -> bool:
    mine = {id(x) for x in ours}
    seen, todo = set(), [out.grad_fn]
    while todo:
        node = todo.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        var = getattr(node, "variable", None)
        if var is not None and id(var) not in mine:
            return True
        todo.extend(n for n, _ in getattr(node, "next_functions", ()))
    return False


def grad(func, argnums=0, has_aux: bool = False):
    """The gradient of scalar-valued `func` with respect to its arguments `argnums`
    (``torch.func.grad``): ``grad(f)(x)`` has `x`'s structure; with `has_aux`,
    ``(grad, aux)``."""
    gv = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g, value = gv(*args, **kwargs)
        return (g, value[1]) if has_aux else g
    return wrapper


# ------------------------------------------------------------------- vjp, jvp, jacobians

def vjp(func, *primals, has_aux: bool = False):
    """``(func(*primals), vjp_fn)``: ``vjp_fn(cotangents)`` is the tuple of vector-Jacobian
    products, one per primal (``torch.func.vjp``)."""
    with loom.enable_grad():
        inputs = [p.detach().requires_grad_(True) if not p.requires_grad else p
                  for p in primals]
        out = func(*inputs)
        aux = None
        if has_aux:
            out, aux = out

    def vjp_fn(*cotangents):
        outs = out if isinstance(out, tuple) else (out,)
        cts = cotangents[0] if len(cotangents) == 1 and isinstance(out, tuple) else cotangents
        gs = loom.autograd.grad(outs, inputs, cts, retain_graph=True, allow_unused=True)
        return tuple(loom.zeros_like(x) if g is None else g for g, x in zip(gs, inputs))

    value = out.detach() if isinstance(out, loom.Tensor) else out
    return (value, vjp_fn, aux) if has_aux else (value, vjp_fn)


def jvp(func, primals, tangents, *, strict: bool = False, has_aux: bool = False):
    """``(func(*primals), J @ tangents)`` (``torch.func.jvp``; computed by the
    double-backward trick)."""
    if not isinstance(primals, tuple) or not isinstance(tangents, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals to be a tuple. E.g. it "
                           "should be valid to call f(*primals).")
    if len(primals) != len(tangents):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have "
                           f"the same python structure. For example, if primals is a tuple of "
                           f"3 tensors, tangents also must be. Got primals with structure "
                           f"{len(primals)} and tangents with structure {len(tangents)}")
    out, jv = _functional.jvp(lambda *a: func(*a), primals, tangents)
    return out, jv


def _select(func, argnums, args):
    nums = argnums if isinstance(argnums, tuple) else (argnums,)

    def of_selected(*sel):
        full = list(args)
        for n, v in zip(nums, sel):
            full[n] = v
        return func(*full)
    return of_selected, tuple(args[n] for n in nums)


def jacrev(func, argnums=0, *, has_aux: bool = False, chunk_size=None):
    """The Jacobian of `func` with respect to the arguments `argnums`, by reverse mode
    (``torch.func.jacrev``): shape ``output.shape + input.shape``; with `has_aux`, `func`
    returns ``(output, aux)`` and the result is ``(jacobian, aux)``."""
    @functools.wraps(func)
    def wrapper(*args):
        aux = []

        def main(*a):
            out = func(*a)
            if has_aux:
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise RuntimeError("jacrev(f, ...)(*args): output of function f should be "
                                       "a tuple: (output, aux) if has_aux is True")
                out, extra = out
                aux.append(extra)
            return out
        f, sel = _select(main, argnums, args)
        create = any(x.requires_grad for x in sel)
        j = _functional.jacobian(f, sel, create_graph=create)
        j = j if isinstance(argnums, tuple) else j[0]
        return (j, aux[0]) if has_aux else j
    return wrapper


def jacfwd(func, argnums=0, has_aux: bool = False, *, randomness: str = "error"):
    """``torch.func.jacfwd``: the same Jacobian as `jacrev` (loom computes it by reverse
    mode)."""
    return jacrev(func, argnums, has_aux=has_aux)


def hessian(func, argnums=0):
    """The Hessian of scalar `func` with respect to the argument `argnums`
    (``torch.func.hessian``)."""
    @functools.wraps(func)
    def wrapper(*args):
        f, sel = _select(func, argnums, args)
        h = _functional.hessian(f, sel)
        return h if isinstance(argnums, tuple) else h[0][0]
    return wrapper


# ------------------------------------------------------------------------ functional_call

def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights: bool = True, strict: bool = False):
    """Call `module` with some of its parameters and buffers replaced by the tensors of
    `parameter_and_buffer_dicts` (a dict of dotted names, or a tuple of dicts), as
    ``torch.func.functional_call``; the module is unchanged afterwards."""
    dicts = parameter_and_buffer_dicts
    if isinstance(dicts, dict):
        values = dict(dicts)
    else:
        values = {}
        for d in dicts:
            for k, v in d.items():
                if k in values:
                    raise ValueError(f"{k} appeared in multiple dictionaries; behavior of "
                                     "functional call is ambiguous")
                values[k] = v
    if strict:
        own = {n for n, _ in module.named_parameters()} | {n for n, _ in module.named_buffers()}
        missing = sorted(own - set(values))
        unexpected = sorted(set(values) - own)
        if missing or unexpected:
            msgs = []
            if unexpected:
                msgs.append("Unexpected key(s): " + ", ".join(f"'{k}'" for k in unexpected)
                            + ".")
            if missing:
                msgs.append("Missing key(s): " + ", ".join(f"'{k}'" for k in missing) + ".")
            raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}:\n\t"
                               + "\n\t".join(msgs))
    saved = []
    try:
        for name, value in values.items():
            *path, leaf = name.split(".")
            owner = module
            for p in path:
                owner = getattr(owner, p)
            for table in ("_parameters", "_buffers"):
                d = owner.__dict__.get(table)
                if d is not None and leaf in d:
                    saved.append((d, leaf, d[leaf]))
                    d[leaf] = value
                    break
            else:
                saved.append((owner.__dict__, leaf, owner.__dict__.get(leaf, _MISSING)))
                owner.__dict__[leaf] = value
        if args is None:
            args = ()
        elif not isinstance(args, tuple):
            args = (args,)
        return module(*args, **(kwargs or {}))
    finally:
        for d, k, old in reversed(saved):
            if old is _MISSING:
                d.pop(k, None)
            else:
                d[k] = old


_MISSING = object()


# ----------------------------------------------------------------------------------- vmap

def _dims_msg(func, in_dims) -> str:
    return f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>)"


def _broadcast_dims(dims, tree, func, in_dims):
    """The in_dim of every leaf of `tree` (an int/None applies to a whole subtree)."""
    if dims is None or isinstance(dims, int):
        return [dims] * len(_leaves(tree)[0])
    if isinstance(dims, (tuple, list)) and isinstance(tree, (tuple, list)) \
            and len(dims) == len(tree):
        return [d for sub, t in zip(dims, tree) for d in _broadcast_dims(sub, t, func, in_dims)]
    if isinstance(dims, dict) and isinstance(tree, dict) and set(dims) == set(tree):
        return [d for k in tree for d in _broadcast_dims(dims[k], tree[k], func, in_dims)]
    raise ValueError(f"{_dims_msg(func, in_dims)}: in_dims is not compatible with the "
                     f"structure of `inputs`. in_dims has structure {_shape_of(dims)} but "
                     f"inputs has structure {_shape_of(tree)}.")


def _shape_of(tree) -> str:
    if isinstance(tree, (tuple, list)):
        return f"{type(tree).__name__}[{', '.join(_shape_of(t) for t in tree)}]"
    if isinstance(tree, dict):
        return "dict{" + ", ".join(f"{k!r}: {_shape_of(v)}" for k, v in tree.items()) + "}"
    return "*"


def vmap(func, in_dims=0, out_dims=0, randomness: str = "error", *, chunk_size=None):
    """``torch.vmap``: `func` mapped over dimension `in_dims` of its inputs (an int, None for
    an argument not mapped, or a nested tuple matching the arguments), its outputs stacked
    along `out_dims`."""
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got "
                         f"{chunk_size})")
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        if not (in_dims is None or isinstance(in_dims, (int, tuple))):
            raise ValueError(f"{_dims_msg(func, in_dims)}: expected `in_dims` to be int or a "
                             "(potentially nested) tuple matching the structure of inputs, got: "
                             f"{type(in_dims)}.")
        if isinstance(in_dims, int) and not isinstance(in_dims, bool):
            dims = [in_dims] * len(_leaves(args)[0])
        else:
            if isinstance(in_dims, tuple) and len(in_dims) != len(args):
                raise ValueError(f"{_dims_msg(func, in_dims)}: in_dims is not compatible with "
                                 f"the structure of `inputs`. in_dims has structure "
                                 f"{_shape_of(in_dims)} but inputs has structure "
                                 f"{_shape_of(args)}.")
            dims = _broadcast_dims(in_dims, args, func, in_dims)
        leaves, build = _leaves(args)
        sizes = []
        for x, d in zip(leaves, dims):
            if d is None:
                continue
            if not isinstance(d, int):
                raise ValueError(f"{_dims_msg(func, in_dims)}: in_dims must be int or None, "
                                 f"got {type(d)}")
            if not isinstance(x, loom.Tensor):
                raise ValueError(f"{_dims_msg(func, in_dims)}: Got in_dim={d} for an input but "
                                 f"the input is of type {type(x)}. We cannot vmap over "
                                 "non-Tensor arguments, please use None as the respective "
                                 "in_dim")
            if not -x.dim() <= d < x.dim():
                raise ValueError(f"{_dims_msg(func, in_dims)}: Got in_dim={d} for some input, "
                                 f"but that input is a Tensor of dimensionality {x.dim()} so "
                                 f"expected in_dim to satisfy -{x.dim()} <= in_dim < "
                                 f"{x.dim()}.")
            sizes.append(x.shape[d])
        if not sizes:
            raise ValueError(f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): at least "
                             "one input must be a Tensor mapped over a dimension (none of the "
                             "in_dims is an int for a Tensor)")
        if len(set(sizes)) != 1:
            raise ValueError("vmap: Expected all tensors to have the same size in the mapped "
                             f"dimension, got sizes {sizes} for the mapped dimension")
        n = sizes[0]

        def call(i):
            vals = [x if d is None else x.select(d, i) for x, d in zip(leaves, dims)]
            return func(*build(vals), **kwargs)

        start = loom.get_rng_state()
        results = []
        for i in range(max(n, 1)):
            if randomness == "same":
                loom.set_rng_state(start)
            if n == 0:  # no index to run: one call on zeros gives the output's structure
                vals = [x if d is None else loom.zeros(x.shape[:d % x.dim()] +
                                                       x.shape[d % x.dim() + 1:],
                                                       dtype=x.dtype)
                        for x, d in zip(leaves, dims)]
                results.append(func(*build(vals), **kwargs))
            else:
                results.append(call(i))
            if randomness == "error" and i == 0 and not loom.equal(loom.get_rng_state(), start):
                raise RuntimeError("vmap: called random operation while in randomness error "
                                   "mode. Please either use the 'same' or 'different' "
                                   "randomness flags on vmap or perform the randomness "
                                   "operation out of vmap")
        return _stack_outputs(func, results, out_dims, n)
    return wrapped


def _stack_outputs(func, results, out_dims, n):
    outs0, build = _leaves(results[0])
    per_leaf = [_leaves(r)[0] for r in results]
    if isinstance(out_dims, int) or out_dims is None:
        odims = [out_dims] * len(outs0)
    else:
        if not isinstance(results[0], (tuple, list)) or len(out_dims) != len(results[0]):
            raise ValueError(f"vmap({_name(func)}, ..., out_dims={out_dims})(<inputs>): "
                             "out_dims is not compatible with the structure of `outputs`. "
                             f"out_dims has structure {_shape_of(out_dims)} but outputs has "
                             f"structure {_shape_of(results[0])}.")
        odims = _broadcast_dims(out_dims, results[0], func, out_dims)
    stacked = []
    for j, (o, d) in enumerate(zip(outs0, odims)):
        if d is None:
            stacked.append(o)
            continue
        if not isinstance(o, loom.Tensor):
            raise ValueError(f"vmap({_name(func)}, ...): `{_name(func)}` must only return "
                             f"Tensors, got type {type(o)}. Did you mean to set out_dims= to "
                             "None for output?")
        items = [r[j] for r in per_leaf] if n else []
        if n == 0:
            s = loom.zeros((0,) + tuple(o.shape), dtype=o.dtype)
            stacked.append(s.movedim(0, d) if d else s)
        else:
            stacked.append(loom.stack(items, dim=d))
    return build(stacked)
