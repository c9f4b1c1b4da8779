"""einsum: PyTorch's equation (explicit or implicit output, ellipsis with broadcasting, spaces,
the operands as arguments or one list, the sublist form) checked with its messages, then the
array namespace's einsum on an equation with the ellipsis spelled out in letters. The backward
rule of each operand is one einsum of the gradient with the other operands, plus ones for the
letters only that operand has and identity matrices for its repeated letters (a diagonal)."""
import string

import numpy as np

from loom.plugin import ErrorInput, SampleInput, op, sum_to_shape

from .common import eye_like, op_, scalar_name

_LETTERS = string.ascii_uppercase + string.ascii_lowercase


def _sublist_equation(args):
    """einsum(op0, sublist0, op1, sublist1, ..., [out]): (equation, operands)."""
    ops, subs = list(args[0::2]), list(args[1::2])
    out = None
    if len(ops) > len(subs):  # an odd count: the last is the output sublist
        out = ops.pop()
    def letters(sub):
        return "".join("..." if s is Ellipsis else _LETTERS[s] for s in sub)
    eq = ",".join(letters(s) for s in subs) + ("->" + letters(out) if out is not None else "")
    return eq, ops


def _prepare(equation, *operands):
    if not isinstance(equation, str):  # the sublist form
        equation, operands = _sublist_equation((equation,) + operands)
    elif len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    return tuple(operands) + (equation,)


def _parse(equation, shapes):
    """(input letter strings, output letter string) with the ellipsis spelled out, checked
    as PyTorch checks them."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) > len(shapes):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the "
                           "equation")
    if len(terms) < len(shapes):
        raise RuntimeError("einsum(): more operands were provided than specified in the "
                           "equation")
    for i, ch in enumerate(eq):
        if ch not in _LETTERS and ch not in ".,->":
            raise RuntimeError(f"einsum(): invalid subscript given at index {i} in the "
                               f"equation string, subscripts must be in [a-zA-Z]")
    used = set(eq) & set(_LETTERS)
    spare = [c for c in _LETTERS if c not in used]
    ell_dims = 0
    parts = []
    for k, (t, shape) in enumerate(zip(terms, shapes)):
        explicit = len(t.replace("...", ""))
        if "..." in t:
            n = len(shape) - explicit
            if n < 0:
                raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                                   f"({explicit}) is more than the number of dimensions "
                                   f"({len(shape)}) for operand {k}")
            ell_dims = max(ell_dims, n)
            parts.append((t, n))
        else:
            if explicit != len(shape):
                raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                                   f"({explicit}) does not match the number of dimensions "
                                   f"({len(shape)}) for operand {k} and no ellipsis was given")
            parts.append((t, 0))
    ell = "".join(spare[:ell_dims])
    ins = [t.replace("...", ell[ell_dims - n:] if n else "") for t, n in parts]
    if arrow:
        out = rhs.replace("...", ell)
        for c in out:
            if out.count(c) > 1:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in "
                                   f"the output")
            if not any(c in s for s in ins):
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the "
                                   f"equation for any input operand")
    else:
        counts = "".join(t.replace("...", "") for t in terms)
        out = ell + "".join(sorted(c for c in set(counts) if counts.count(c) == 1))
    sizes = {}
    for k, (s, shape) in enumerate(zip(ins, shapes)):
        seen = {}
        for c, n in zip(s, shape):
            if c in seen and seen[c] != n:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {k} but "
                                   f"the sizes don't match, {n} != {seen[c]}")
            seen[c] = n
            prev = sizes.get(c)
            if prev is not None and prev != n and prev != 1 and n != 1:
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {k} "
                                   f"which does not broadcast with previously seen size "
                                   f"{prev}")
            sizes[c] = n if prev in (None, 1) else prev
    return ins, out, sizes


def _einsum(xp, *operands, equation):
    if operands and any(a.dtype != operands[0].dtype for a in operands):
        bad = next(a for a in operands if a.dtype != operands[0].dtype)
        raise RuntimeError(f"expected scalar type {scalar_name(operands[0])} but found "
                           f"{scalar_name(bad)}")
    ins, out, _ = _parse(equation, [a.shape for a in operands])
    if operands and operands[0].dtype.kind in "biu":
        # PyTorch sums a letter only one operand has with `sum` (integers widen to int64) and
        # contracts shared letters with bmm (no bool kernel)
        summed = [c for c in set("".join(ins)) if c not in out]
        lonely = [c for c in summed if sum(c in s for s in ins) == 1]
        if lonely:
            operands = tuple(a.astype(np.int64) for a in operands)
        elif operands[0].dtype == bool and len(summed) > len(lonely):
            raise NotImplementedError('"bmm" not implemented for \'Bool\'')
    return xp.einsum(",".join(ins) + "->" + out, *operands, optimize=len(operands) > 2)


def _einsum_bwd(ctx, g):
    saved = ctx.saved
    shapes = [tuple(s) for s in ctx.shapes]
    ins, out, sizes = _parse(ctx.params["equation"], shapes)
    grads = []
    for i, need in enumerate(ctx.needs_input_grad):
        if not need:
            grads.append(None)
            continue
        mine = ins[i]
        others = [(s, saved[j]) for j, s in enumerate(ins) if j != i]
        present = set(out).union(*[set(s) for s, _ in others])
        terms, arrays = [out] + [s for s, _ in others], [g] + [a for _, a in others]
        # letters only this operand has were summed over it: ones spread the gradient back
        for c in dict.fromkeys(mine):
            if c not in present:
                terms.append(c)
                arrays.append(op_("sum", eye_like(g, sizes[c]), 0, False))
        # a repeated letter is a diagonal: the identity ties each repeat to the first
        target, seen = [], set()
        spare = iter(c for c in _LETTERS if c not in "".join(ins) + out)
        for c in mine:
            if c in seen:
                d = next(spare)
                terms.append(c + d)
                arrays.append(eye_like(g, sizes[c]))
                target.append(d)
            else:
                seen.add(c)
                target.append(c)
        r = op_("einsum", *arrays, equation=",".join(terms) + "->" + "".join(target))
        grads.append(sum_to_shape(r, shapes[i]) if tuple(r.shape) != shapes[i] else r)
    return tuple(grads)


def _samples(rng, dt):
    n = rng.standard_normal
    cases = [("ij,jk->ik", (2, 3), (3, 4)), ("ij,jk", (2, 3), (3, 4)), ("ii->i", (3, 3)),
             ("ii", (3, 3)), ("i,j->ij", (2,), (3,)), ("bij,bjk->bik", (2, 2, 3), (2, 3, 2)),
             ("...ij,...jk->...ik", (2, 1, 2, 3), (5, 3, 4)), ("b...,b...->b", (2, 3), (2, 3)),
             ("ij->", (2, 3)), ("iij->j", (2, 2, 3)), ("ij,jk,kl->il", (2, 3), (3, 2), (2, 2)),
             ("i j , j -> i", (2, 3), (3,)), ("ij,kj->ikj", (2, 3), (1, 3)),
             ("Ab,bC->AC", (2, 3), (3, 2))]
    return [SampleInput((eq,) + tuple(n(s).astype(dt) for s in shapes), rtol=1e-4, atol=1e-5)
            for eq, *shapes in cases] + [
        SampleInput(("ij,jk->ik", [n((2, 3)).astype(dt), n((3, 2)).astype(dt)]), rtol=1e-4,
                    atol=1e-5, note="operands as a list"),
        SampleInput((n((2, 3)).astype(dt), [0, 1], n((3, 4)).astype(dt), [1, 2], [0, 2]),
                    rtol=1e-4, atol=1e-5, note="sublist form")]


def _errors(rng):
    o = np.ones
    return [ErrorInput(("ij,jk->ik", o((2, 3))), match="fewer operands"),
            ErrorInput(("ij,jk->ik", o((2, 3)), o((4, 5))),
                       match="subscript j has size 4 for operand 1"),
            ErrorInput(("ij->i", o((2, 3, 4))), match="does not match the number of dimensions"),
            ErrorInput(("ij->ik", o((2, 3))), match="output subscript k does not appear"),
            ErrorInput(("ij->ii", o((2, 3))), match="appears more than once"),
            ErrorInput(("i1->i", o((2, 3))), match="invalid subscript")]


OPS = [
    op("einsum", _einsum, backward=_einsum_bwd, variadic=True, prepare=_prepare, methods=(),
       parse=lambda equation: {"equation": equation},
       save_inputs=tuple(range(64)), samples=_samples, error_samples=_errors,
       signature="(equation, *operands)",
       doc="Sums of products given by an Einstein-summation equation (``'bij,bjk->bik'``): "
           "explicit or implicit output, ``...`` for broadcast batch dims, the operands as "
           "arguments, one list, or the sublist form ``einsum(a, [0, 1], b, [1, 2])``."),
]
