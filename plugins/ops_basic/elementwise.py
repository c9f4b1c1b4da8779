"""Elementwise operators: arithmetic with PyTorch's promotion and broadcasting, comparisons,
and unary math. Each forward, backward rule, name list and sample set stands together."""
from __future__ import annotations

import math

import loom
from loom.plugin import OpDef, SampleInput, sum_to_shape, xp_of


# --------------------------------------------------------------------------- samples

def _binary_samples(low=-2.0, high=2.0, positive_b=False, nonzero_b=False, scalar=True):
    def samples(rng, dt):
        def arr(*shape, pos=False):
            a = rng.uniform(low, high, size=shape)
            if pos:
                a = rng.uniform(0.5, 2.0, size=shape)
            return a.astype(dt)
        bpos = positive_b or nonzero_b
        out = [
            SampleInput((arr(3, 4), arr(3, 4, pos=bpos))),
            SampleInput((arr(2, 3, 4), arr(3, 1, pos=bpos)), note="broadcast"),
            SampleInput((arr(4), arr(2, 1, pos=bpos)), note="broadcast both"),
            SampleInput((arr(3, 2), 1.5), note="python scalar"),
            SampleInput((arr(), arr(5, pos=bpos)), note="0-dim"),
        ]
        # torch.maximum/minimum take no Python scalar operand
        return out if scalar else [s for s in out if s.note != "python scalar"]
    return samples


def _cmp_samples(rng, dt):
    a = rng.integers(-2, 3, size=(3, 4)).astype(dt)
    b = rng.integers(-2, 3, size=(3, 4)).astype(dt)
    return [SampleInput((a, b), grad=False), SampleInput((a, b[:1]), grad=False),
            SampleInput((a, 1), grad=False)]


def _unary_samples(low=-2.0, high=2.0):
    def samples(rng, dt):
        return [SampleInput((rng.uniform(low, high, size=(3, 4)).astype(dt),)),
                SampleInput((rng.uniform(low, high, size=()).astype(dt),), note="0-dim"),
                SampleInput((rng.uniform(low, high, size=(2, 0, 3)).astype(dt),), note="empty")]
    return samples


# --------------------------------------------------------------------------- binary rules

def _add_bwd(ctx, g):
    na, nb = ctx.needs_input_grad
    sa, sb = ctx.shapes
    gs = g.shape
    return ((g if gs == sa else sum_to_shape(g, sa)) if na else None,
            (g if gs == sb else sum_to_shape(g, sb)) if nb else None)


def _sub_bwd(ctx, g):
    na, nb = ctx.needs_input_grad
    sa, sb = ctx.shapes
    gs = g.shape
    return ((g if gs == sa else sum_to_shape(g, sa)) if na else None,
            (-g if gs == sb else sum_to_shape(-g, sb)) if nb else None)


def _mul_bwd(ctx, g):
    a, b = ctx.saved
    na, nb = ctx.needs_input_grad
    sa, sb = ctx.shapes
    ga = gb = None
    if na:
        ga = g * b
        if ga.shape != sa:
            ga = sum_to_shape(ga, sa)
    if nb:
        gb = g * a
        if gb.shape != sb:
            gb = sum_to_shape(gb, sb)
    return ga, gb


def _div_bwd(ctx, g):
    a, b = ctx.saved
    na, nb = ctx.needs_input_grad
    sa, sb = ctx.shapes
    ga = gb = None
    if na:
        ga = sum_to_shape(g / b, sa)
    if nb:
        gb = sum_to_shape(-g * a / (b * b), sb)
    return ga, gb


def _pow_bwd(ctx, g):
    a, b, out = ctx.saved
    na, nb = ctx.needs_input_grad
    sa, sb = ctx.shapes
    ga = gb = None
    if na:
        if type(b) in (int, float) and b == 2:
            ga = g * (a * 2.0) if type(a) is not int else None
        elif type(b) in (int, float) and b == 0:
            ga = g * 0.0
        else:
            ga = g * (b * a ** (b - 1))
        ga = sum_to_shape(ga, sa)
    if nb:
        if type(a) in (int, float):
            gb = g * out * math.log(a) if a > 0 else g * out * float("nan") if a < 0 else g * 0.0
        else:
            xp = xp_of(a)
            gb = g * out * xp.where(a > 0, xp.log(xp.where(a > 0, a, 1.0)),
                                    xp.where(a == 0, 0.0, float("nan")))
        gb = sum_to_shape(gb, sb)
    return ga, gb


def _minmax_bwd(pick_a):
    def bwd(ctx, g):
        a, b = ctx.saved
        na, nb = ctx.needs_input_grad
        sa, sb = ctx.shapes
        xp = xp_of(g)
        mask = pick_a(a, b)
        tie = a == b
        wa = xp.where(tie, 0.5, xp.where(mask, 1.0, 0.0))
        ga = sum_to_shape(g * wa, sa) if na else None
        gb = sum_to_shape(g * (1.0 - wa), sb) if nb else None
        return ga, gb
    return bwd


def _no_bool_sub(da, db, res, ra, rb):
    if da is loom.bool and db is loom.bool and ra and rb:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if da is loom.bool or db is loom.bool:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")


def _no_bool_pow(da, db, res, ra, rb):
    if res is loom.bool and ra and rb:  # a bool tensor ** a Python bool is allowed
        raise NotImplementedError("\"pow\" not implemented for 'Bool'")


def _binary(name, bwd, save=(), methods=(), rmethods=(), functions=None, inplace=None,
            samples=None, ufunc=None, **kw):
    return OpDef(name=name, kind="binary", forward=None, ufunc=ufunc or name, backward=bwd,
                 save=save, methods=methods, rmethods=rmethods,
                 functions=functions if functions is not None else (name,), inplace=inplace,
                 supports_out=True, samples=samples or _binary_samples(), **kw)


OPS = [
    _binary("add", _add_bwd, methods=("add", "__add__"), rmethods=("__radd__",),
            inplace="add_", alpha=True, doc="Elementwise ``input + alpha * other``."),
    _binary("sub", _sub_bwd, ufunc="subtract", methods=("sub", "__sub__"),
            rmethods=("__rsub__",), functions=("sub", "subtract"), inplace="sub_", alpha=True,
            check=_no_bool_sub,
            doc="Elementwise ``input - alpha * other``."),
    _binary("mul", _mul_bwd, ufunc="multiply", save=(0, 1), methods=("mul", "__mul__"),
            rmethods=("__rmul__",), functions=("mul", "multiply"), inplace="mul_",
            doc="Elementwise product."),
    _binary("div", _div_bwd, ufunc="true_divide", save=(0, 1),
            methods=("div", "__truediv__", "true_divide"), rmethods=("__rtruediv__",),
            functions=("div", "divide", "true_divide"), inplace="div_", promote="float",
            samples=_binary_samples(nonzero_b=True), doc="Elementwise true division."),
    _binary("pow", _pow_bwd, ufunc="power", save=(0, 1, -1), methods=("pow", "__pow__"),
            rmethods=("__rpow__",), inplace="pow_", node_name="PowBackward1", check=_no_bool_pow,
            scalar_node_name="PowBackward0",
            samples=_binary_samples(low=0.5, high=2.0), doc="Elementwise power."),
    _binary("maximum", _minmax_bwd(lambda a, b: a > b), save=(0, 1),
            methods=("maximum",), samples=_binary_samples(scalar=False), scalars=False,
            holomorphic=False,
            doc="Elementwise maximum (NaN propagates)."),
    _binary("minimum", _minmax_bwd(lambda a, b: a < b), save=(0, 1),
            methods=("minimum",), samples=_binary_samples(scalar=False), scalars=False,
            holomorphic=False,
            doc="Elementwise minimum (NaN propagates)."),
]

for _name, _uf, _dunder in (("eq", "equal", "__eq__"), ("ne", "not_equal", "__ne__"),
                            ("lt", "less", "__lt__"), ("le", "less_equal", "__le__"),
                            ("gt", "greater", "__gt__"), ("ge", "greater_equal", "__ge__")):
    OPS.append(OpDef(name=_name, kind="binary", forward=None, ufunc=_uf, backward=None,
                     methods=(_name, _dunder), functions=(_name,), result="bool",
                     supports_out=True, samples=_cmp_samples,
                     doc=f"Elementwise comparison ``{_dunder}``, a bool tensor."))


# --------------------------------------------------------------------------- unary

def _sign_bwd(ctx, g):
    return (g * 0,)


def _neg_bwd(ctx, g):
    return (-g,)


def _exp_bwd(ctx, g):
    (out,) = ctx.saved
    return (g * out,)


def _log_bwd(ctx, g):
    (a,) = ctx.saved
    return (g / a,)


def _sqrt_bwd(ctx, g):
    (out,) = ctx.saved
    return (g / (out * 2.0),)


def _abs_bwd(ctx, g):
    (a,) = ctx.saved
    return (g * xp_of(a).sign(a),)


def _sin_bwd(ctx, g):
    (a,) = ctx.saved
    return (g * xp_of(a).cos(a),)


def _cos_bwd(ctx, g):
    (a,) = ctx.saved
    return (-g * xp_of(a).sin(a),)


def _tanh_bwd(ctx, g):
    (out,) = ctx.saved
    return (g * (1.0 - out * out),)


def _sigmoid_bwd(ctx, g):
    (out,) = ctx.saved
    return (g * out * (1.0 - out),)


def _relu_bwd(ctx, g):
    (out,) = ctx.saved
    return (g * (out > 0),)


def _sigmoid_fwd(xp, a):
    return 1.0 / (1.0 + xp.exp(-a))


def _relu_fwd(xp, a):
    return xp.maximum(a, 0)


def _unary(name, bwd, ufunc=None, forward=None, save=(0,), promote="float", low=-2.0,
           high=2.0, methods=None, functions=None, inplace=True, dunder=(), **kw):
    return OpDef(name=name, kind="unary", forward=forward, ufunc=ufunc, backward=bwd,
                 save=save, methods=(methods or (name,)) + tuple(dunder),
                 functions=functions or (name,), inplace=(name + "_") if inplace else None,
                 promote=promote, samples=_unary_samples(low, high), **kw)


OPS += [
    _unary("neg", _neg_bwd, ufunc="negative", save=(), promote=None,
           methods=("neg", "negative"), functions=("neg", "negative"), dunder=("__neg__",),
           doc="Elementwise negation."),
    _unary("exp", _exp_bwd, ufunc="exp", save=(-1,), doc="Elementwise exponential."),
    _unary("log", _log_bwd, ufunc="log", low=0.2, high=3.0, doc="Natural logarithm."),
    _unary("sqrt", _sqrt_bwd, ufunc="sqrt", save=(-1,), low=0.2, high=3.0,
           doc="Elementwise square root."),
    _unary("sign", _sign_bwd, ufunc="sign", save=(), promote=None, inplace=False,
           holomorphic=False,
           doc="Sign of each element (-1, 0, 1); its gradient is zero."),
    _unary("abs", _abs_bwd, ufunc="absolute", promote=None, dunder=("__abs__",),
           holomorphic=False,
           functions=("abs", "absolute"), doc="Elementwise absolute value."),
    _unary("sin", _sin_bwd, ufunc="sin", doc="Elementwise sine."),
    _unary("cos", _cos_bwd, ufunc="cos", doc="Elementwise cosine."),
    _unary("tanh", _tanh_bwd, ufunc="tanh", save=(-1,), doc="Hyperbolic tangent."),
    _unary("sigmoid", _sigmoid_bwd, forward=_sigmoid_fwd, save=(-1,),
           doc="Logistic sigmoid ``1 / (1 + exp(-x))``."),
    _unary("relu", _relu_bwd, forward=_relu_fwd, save=(-1,), promote=None, holomorphic=False,
           doc="Rectified linear unit ``max(x, 0)``."),
]

# The PyTorch counterpart (torch.<name> or Tensor.<name>) the operator tests compare with: the
# operator's own name unless set above (None there, with a NumPy `reference`, means none).
for _op in OPS:
    if _op.torch_name is None and _op.reference is None:
        _op.torch_name = _op.name
