"""Type promotion against PyTorch: every pair of dtypes and every kind of Python number, as
tensor-tensor, tensor-0dim, 0dim-0dim and tensor-number operands, through `result_type`, the
binary operators (function, Python operator and in-place forms) and the joining operators
(`cat`, `stack`, `where`, `outer`). Each case runs in loom and in PyTorch, which must agree on
the result dtype and values, or both refuse with the same kind of exception. The operands are
two elements, so the whole table takes a few seconds."""
import itertools
import operator
import warnings

import numpy as np
import pytest

import loom

torch = pytest.importorskip("torch")

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
          "float64", "complex64", "complex128"]
NUMBERS = {"bool": True, "int": 2, "float": 1.5, "complex": 0.5 + 1j}
PAIRS = list(itertools.product(DTYPES, DTYPES))
# loom has no complex32 (NumPy has no complex half): where PyTorch gives it, loom computes in
# complex64, the next complex type
NEAREST = {"torch.complex32": "torch.complex64"}


def same_dtype(got, want) -> bool:
    return str(got) == NEAREST.get(str(want), str(want))


def make(lib, dtype, rank, values=(1, 2)):
    """A tensor of `dtype` in `lib` (loom or torch): two elements, or 0-dim."""
    t = lib.tensor(list(values) if rank else values[1])
    return t.to(getattr(lib, dtype))


def operands(lib, da, db):
    """(label, a, b) for dtypes `da`, `db` as tensor-tensor, tensor-0dim, 0dim-tensor and
    0dim-0dim."""
    for ra, rb in ((1, 1), (1, 0), (0, 1), (0, 0)):
        yield (f"{da}{'' if ra else '(0-dim)'}, {db}{'' if rb else '(0-dim)'}",
               make(lib, da, ra), make(lib, db, rb, (2, 1)))


def scalar_operands(lib, d):
    """(label, a, b) for a tensor (and a 0-dim tensor) of `d` with each kind of Python number,
    on either side."""
    for rank, v in itertools.product((1, 0), NUMBERS.values()):
        t = make(lib, d, rank)
        what = f"{d}{'' if rank else '(0-dim)'}"
        yield f"{what}, {v!r}", t, v
        yield f"{v!r}, {what}", v, t


def outcome(fn, quiet=False):
    """("ok", result) or ("raised", exception); `quiet` silences warnings (PyTorch's notes on
    its experimental complex32 are not what is compared)."""
    with warnings.catch_warnings():
        if quiet:
            warnings.simplefilter("ignore")
        try:
            return "ok", fn()
        except Exception as e:  # both libraries' refusals are compared
            return "raised", e


def _host(x):
    if isinstance(x, torch.Tensor):
        x = x.detach()
        return (x.float() if x.dtype in (torch.bfloat16, torch.float16) else
                x.to(torch.complex64) if x.dtype == torch.complex32 else x).numpy()
    return np.asarray(x.float().numpy() if x.dtype in (loom.bfloat16, loom.float16)
                      else x.numpy())


def _base(exc_type):
    return next(t for t in exc_type.__mro__ if t.__module__ == "builtins")


def disagreement(label, got, want):
    """None when loom's outcome `got` matches PyTorch's `want`, else what differs."""
    (state, g), (tstate, w) = got, want
    if tstate == "raised" and "'ComplexHalf'" in str(w) and state == "ok":
        return None  # PyTorch has no kernel for its complex32; loom computes in complex64
    if tstate == "raised":
        if state == "ok":
            return f"{label}: PyTorch raises {type(w).__name__}: {w}, loom returns {g}"
        if not isinstance(g, _base(type(w))):
            return (f"{label}: loom raises {type(g).__name__}: {g}, PyTorch "
                    f"{type(w).__name__}: {w}")
        return None
    if state == "raised":
        return f"{label}: loom raises {type(g).__name__}: {g}, PyTorch returns {w.dtype}"
    if not isinstance(g, loom.Tensor):
        return f"{label}: loom returns {type(g).__name__}, PyTorch a tensor"
    if not same_dtype(g.dtype, w.dtype):
        return f"{label}: loom gives {g.dtype}, PyTorch {w.dtype}"
    gv, wv = _host(g), _host(w)
    loose = w.dtype in (torch.float16, torch.bfloat16, torch.complex32, torch.complex64,
                        torch.float32)
    if gv.shape != wv.shape or not np.allclose(gv, wv, rtol=1e-2 if loose else 1e-7,
                                               equal_nan=True):
        return f"{label}: loom gives {gv.tolist()}, PyTorch {wv.tolist()}"
    return None


# Differences owned by the elementwise operators of ops_basic: (test, operator) ->
# (a text each of its disagreements contains, why). Any other disagreement fails; these make the
# test xfail. Strict, as in test_ops.py: once fixed, the test fails until its entry leaves.
# (case group, op) -> (a fragment of the differing cases, why): none left
KNOWN: dict = {}


def check_all(cases, known=None):
    """Run every (label, loom call, torch call) and fail listing the disagreements; `known` is
    a `KNOWN` entry."""
    bad = [d for label, lf, tf in cases
           if (d := disagreement(label, outcome(lf), outcome(tf, quiet=True))) is not None]
    unknown = [d for d in bad if known is None or known[0] not in d]
    assert not unknown, f"{len(unknown)} of {len(cases)} cases differ from PyTorch:\n" + \
        "\n".join(unknown[:25])
    if known is not None:
        if not bad:
            pytest.fail(f"fixed, so remove its entry from KNOWN: {known[1]}")
        pytest.xfail(f"{len(bad)} cases: {known[1]}")


# ----------------------------------------------------------------------------- result_type

def test_result_type_matches_torch_for_every_pair_and_number():
    bad = []
    for da, db in PAIRS:
        for (label, a, b), (_, ta, tb) in zip(operands(loom, da, db), operands(torch, da, db)):
            if not same_dtype(loom.result_type(a, b), torch.result_type(ta, tb)):
                bad.append(f"{label}: {loom.result_type(a, b)} vs {torch.result_type(ta, tb)}")
    for d in DTYPES:
        for (label, a, b), (_, ta, tb) in zip(scalar_operands(loom, d), scalar_operands(torch, d)):
            if not same_dtype(loom.result_type(a, b), torch.result_type(ta, tb)):
                bad.append(f"{label}: {loom.result_type(a, b)} vs {torch.result_type(ta, tb)}")
    for x, y in itertools.product(NUMBERS.values(), repeat=2):
        if not same_dtype(loom.result_type(x, y), torch.result_type(x, y)):
            bad.append(f"{x!r}, {y!r}: {loom.result_type(x, y)} vs {torch.result_type(x, y)}")
    assert not bad, "\n".join(bad)


def test_promote_types_and_can_cast_match_torch():
    for a, b in PAIRS:
        la, lb, ta, tb = getattr(loom, a), getattr(loom, b), getattr(torch, a), getattr(torch, b)
        assert str(loom.promote_types(la, lb)) == str(torch.promote_types(ta, tb)), (a, b)
        assert loom.can_cast(la, lb) == torch.can_cast(ta, tb), (a, b)


def test_result_type_helpers_refuse_what_torch_refuses():
    for fn in (lambda m: m.result_type(m.ones(2), None), lambda m: m.result_type("a", 1),
               lambda m: m.promote_types(1, m.int32), lambda m: m.can_cast(m.int32, "int")):
        with pytest.raises(TypeError):
            fn(torch)
        with pytest.raises(TypeError):
            fn(loom)


# ----------------------------------------------------------------------------- binary ops

# name -> (the Python operator, its symbol); None: the function form takes no Python number
BINARY = {"add": (operator.add, "+"), "sub": (operator.sub, "-"), "mul": (operator.mul, "*"),
          "div": (operator.truediv, "/"), "pow": (operator.pow, "**"), "maximum": None,
          "eq": (operator.eq, "=="), "lt": (operator.lt, "<"), "logical_and": None,
          "bitwise_and": (operator.and_, "&"), "bitwise_left_shift": (operator.lshift, "<<")}


@pytest.mark.parametrize("name", BINARY)
def test_binary_op_promotes_tensor_pairs_like_torch(name):
    cases = []
    for da, db in PAIRS:
        for (label, a, b), (_, ta, tb) in zip(operands(loom, da, db), operands(torch, da, db)):
            cases.append((f"{name}({label})", lambda a=a, b=b: getattr(loom, name)(a, b),
                          lambda a=ta, b=tb: getattr(torch, name)(a, b)))
    check_all(cases, KNOWN.get(("tensors", name)))


@pytest.mark.parametrize("name", BINARY)
def test_binary_op_promotes_python_numbers_like_torch(name):
    pyop, symbol = BINARY[name] or (None, None)
    cases = []
    for d in DTYPES:
        for (label, a, b), (_, ta, tb) in zip(scalar_operands(loom, d), scalar_operands(torch, d)):
            if pyop is not None:  # both orders, through the Python operator
                cases.append((label.replace(", ", f" {symbol} "), lambda a=a, b=b: pyop(a, b),
                              lambda a=ta, b=tb: pyop(a, b)))
            if isinstance(a, loom.Tensor):  # the function form takes the tensor first
                cases.append((f"{name}({label})", lambda a=a, b=b: getattr(loom, name)(a, b),
                              lambda a=ta, b=tb: getattr(torch, name)(a, b)))
    check_all(cases, KNOWN.get(("numbers", name)))


INPLACE = ["add_", "sub_", "mul_", "div_", "pow_", "eq_", "logical_and_", "bitwise_and_"]


@pytest.mark.parametrize("method", INPLACE)
def test_inplace_op_keeps_its_dtype_or_refuses_like_torch(method):
    """`a.add_(b)` computes in the result type of `a` and `b` and writes it into `a`: a result
    type `a`'s dtype cannot hold (float into int, int into bool) is PyTorch's RuntimeError."""
    cases = []
    others = [(f"{d}{'' if r else '(0-dim)'}", lambda m, d=d, r=r: make(m, d, r, (2, 1)))
              for d in DTYPES for r in (1, 0)] + \
        [(k, lambda m, v=v: v) for k, v in NUMBERS.items()]
    for d, (what, other) in itertools.product(DTYPES, others):
        cases.append((f"{d}.{method}({what})",
                      lambda d=d, o=other: getattr(make(loom, d, 1), method)(o(loom)),
                      lambda d=d, o=other: getattr(make(torch, d, 1), method)(o(torch))))
    check_all(cases)


def test_comparisons_with_none_and_other_objects_answer_like_torch():
    for lib in (loom, torch):
        t = lib.tensor([1, 2])
        assert (t == None) is False and (t != None) is True  # noqa: E711
        assert (t == "abc") is False and (t == [1, 2]) is False
        with pytest.raises(TypeError, match="'<' not supported"):
            t < "abc"
        with pytest.raises(TypeError, match="unsupported operand"):
            t + "abc"
        with pytest.raises(TypeError):
            lib.eq(t, None)


# ----------------------------------------------------------------------------- joining

def test_cat_and_stack_promote_mixed_dtypes_like_torch():
    cases = []
    for da, db in PAIRS:
        for fn in ("cat", "stack"):
            cases.append((f"{fn}([{da}, {db}])",
                          lambda da=da, db=db, fn=fn: getattr(loom, fn)(
                              [make(loom, da, 1), make(loom, db, 1, (3, 4))]),
                          lambda da=da, db=db, fn=fn: getattr(torch, fn)(
                              [make(torch, da, 1), make(torch, db, 1, (3, 4))])))
        cases.append((f"stack([{da}(0-dim), {db}(0-dim)])",
                      lambda da=da, db=db: loom.stack([make(loom, da, 0), make(loom, db, 0)]),
                      lambda da=da, db=db: torch.stack([make(torch, da, 0),
                                                        make(torch, db, 0)])))
        cases.append((f"cat([{da}[], {db}])",  # a legacy empty 1-D tensor still promotes
                      lambda da=da, db=db: loom.cat([loom.tensor([]).to(getattr(loom, da)),
                                                     make(loom, db, 1)]),
                      lambda da=da, db=db: torch.cat([torch.tensor([]).to(getattr(torch, da)),
                                                      make(torch, db, 1)])))
    check_all(cases)


def test_where_promotes_tensors_and_numbers_like_torch():
    cases = []

    def where(lib, a, b):
        return lambda: lib.where(lib.tensor([True, False]), a(lib), b(lib))
    kinds = [(f"{d}{'' if r else '(0-dim)'}", lambda m, d=d, r=r: make(m, d, r, (3, 4)))
             for d in DTYPES for r in (1, 0)] + \
        [(k, lambda m, v=v: v) for k, v in NUMBERS.items()]
    for (wa, a), (wb, b) in itertools.product(kinds, repeat=2):
        cases.append((f"where(c, {wa}, {wb})", where(loom, a, b), where(torch, a, b)))
    check_all(cases)


def test_outer_promotes_like_torch():
    check_all([(f"outer({da}, {db})",
                lambda da=da, db=db: loom.outer(make(loom, da, 1), make(loom, db, 1)),
                lambda da=da, db=db: torch.outer(make(torch, da, 1), make(torch, db, 1)))
               for da, db in PAIRS])


def test_silent_float64_promotions_are_gone():
    """The reported cases: mixed-dtype joins gave float64 where PyTorch gives float32."""
    assert loom.cat([loom.tensor([1.0]), loom.tensor([2])]).dtype is loom.float32
    assert loom.stack([loom.tensor([1.0]), loom.tensor([2])]).dtype is loom.float32
    assert loom.where(loom.tensor([True]), loom.tensor([1.0]), loom.tensor([2])).dtype is \
        loom.float32
    assert loom.outer(loom.tensor([1.0]), loom.tensor([2])).dtype is loom.float32
    assert loom.cat([loom.tensor([1.0], dtype=loom.float16), loom.tensor([2])]).dtype is \
        loom.float16
