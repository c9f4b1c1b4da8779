"""Elementwise operators: arithmetic with PyTorch's promotion and broadcasting, comparisons,
and unary math. Each op's kernel, derivative, names and samples stand together."""

import math

import loom
from loom.plugin import binary, comparison, sum_to_shape, unary, xp_of


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


def _mul_bwd(ctx, g):  # written out (not da=/db=): mul is the hot op of training loops
    a, b = ctx.saved
    na, nb = ctx.needs_input_grad
    sa, sb = ctx.shapes
    return (sum_to_shape(g * b, sa) if na else None, sum_to_shape(g * a, sb) if nb else None)


def _pow_da(g, a, b):  # PyTorch's special cases for a Python exponent: x**2 -> 2x, x**0 -> 0
    scalar = type(b) in (int, float)
    return g * (a * 2.0) if scalar and b == 2 else g * 0.0 if scalar and b == 0 else \
        g * (b * a ** (b - 1))


def _pow_log(a):  # log(a) in the gradient of a ** b: 0 where a == 0, NaN where a < 0
    if type(a) in (int, float):
        return math.log(a) if a > 0 else float("nan") if a < 0 else 0.0
    xp = xp_of(a)
    return xp.where(a > 0, xp.log(xp.where(a > 0, a, 1.0)), xp.where(a == 0, 0.0, float("nan")))


def _share(win):
    """maximum/minimum's derivatives: the operand that wins gets the gradient, a tie halves it."""
    def w(a, b):  # the first operand's share
        return xp_of(a).where(a == b, 0.5, xp_of(a).where(win(a, b), 1.0, 0.0))
    return dict(da=lambda g, a, b: g * w(a, b), db=lambda g, a, b: g * (1.0 - w(a, b)))


OPS = [
    binary("add", da=1, db=1, dunder="add", alpha=True,
           doc="Elementwise ``input + alpha * other``."),
    binary("sub", "subtract", da=1, db=-1, dunder="sub", aliases=("subtract",), alpha=True,
           check=_no_bool_sub, doc="Elementwise ``input - alpha * other``."),
    binary("mul", "multiply", backward=_mul_bwd, save_inputs=(0, 1), dunder="mul",
           aliases=("multiply",), doc="Elementwise product."),
    binary("div", "true_divide", da=lambda g, b: g / b, db=lambda g, a, b: -g * a / (b * b),
           dunder="truediv", aliases=("divide", "true_divide"), int_to_float=True,
           b_domain=(0.5, 2.0), doc="Elementwise true division."),
    binary("pow", "power", da=_pow_da, db=lambda g, a, y: g * y * _pow_log(a), dunder="pow",
           node_name="PowBackward1", scalar_node_name="PowBackward0", check=_no_bool_pow,
           domain=(0.5, 2.0), doc="Elementwise power."),
    binary("maximum", **_share(lambda a, b: a > b), scalars=False, inplace=False,
           holomorphic=False, doc="Elementwise maximum (NaN propagates)."),
    binary("minimum", **_share(lambda a, b: a < b), scalars=False, inplace=False,
           holomorphic=False, doc="Elementwise minimum (NaN propagates)."),
    unary("neg", "negative", dx=-1, int_to_float=False, aliases=("negative",), dunder="neg",
          doc="Elementwise negation."),
    unary("exp", dx=lambda y: y, doc="Elementwise exponential."),
    unary("log", dx=lambda g, x: g / x, domain=(0.2, 3.0), doc="Natural logarithm."),
    unary("sqrt", dx=lambda g, y: g / (y * 2.0), domain=(0.2, 3.0),
          doc="Elementwise square root."),
    unary("sign", dx=lambda g: g * 0, int_to_float=False, inplace=False, holomorphic=False,
          doc="Sign of each element (-1, 0, 1); its gradient is zero."),
    unary("abs", "absolute", dx=lambda x: xp_of(x).sign(x), int_to_float=False,
          aliases=("absolute",), dunder="abs", holomorphic=False,
          doc="Elementwise absolute value."),
    unary("sin", dx=lambda x: xp_of(x).cos(x), doc="Elementwise sine."),
    unary("cos", dx=lambda g, x: -g * xp_of(x).sin(x), doc="Elementwise cosine."),
    unary("tanh", dx=lambda y: 1.0 - y * y, doc="Hyperbolic tangent."),
    unary("sigmoid", lambda xp, x: 1.0 / (1.0 + xp.exp(-x)), dx=lambda y: y * (1.0 - y),
          doc="Logistic sigmoid ``1 / (1 + exp(-x))``."),
    unary("relu", lambda xp, x: xp.maximum(x, 0), dx=lambda y: y > 0, int_to_float=False,
          holomorphic=False, doc="Rectified linear unit ``max(x, 0)``."),
]
