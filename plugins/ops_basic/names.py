"""The ``torch.special`` names of operators defined elsewhere (``special.expit`` is
``sigmoid``): each listed operator also installs these functions in ``loom.special``."""

SPECIAL = {
    "sigmoid": ("expit",), "lgamma": ("gammaln",), "digamma": ("digamma", "psi"),
    "polygamma": ("polygamma",), "erf": ("erf",), "erfc": ("erfc",), "erfinv": ("erfinv",),
    "exp2": ("exp2",), "expm1": ("expm1",), "log1p": ("log1p",), "logit": ("logit",),
    "logsumexp": ("logsumexp",), "round": ("round",), "sinc": ("sinc",), "xlogy": ("xlogy",),
    "softmax": ("softmax",), "log_softmax": ("log_softmax",),
}


def with_special_names(ops):
    """`ops` with the ``special.`` functions of `SPECIAL` added to their specs."""
    return [op.replace(functions=op.functions + tuple(f"special.{n}" for n in SPECIAL[op.name]))
            if op.name in SPECIAL else op for op in ops]


#: operators whose `torch.*` function takes ``out=`` (besides those declaring it themselves);
#: nansum and nanmean are left out: PyTorch computes them in an integer out's dtype
OUT = frozenset("""
abs acos acosh asin asinh atan atanh ceil cos cosh deg2rad digamma erf erfc erfinv exp exp2
expm1 floor frac lgamma log log10 log1p log2 neg rad2deg reciprocal rsqrt sgn sigmoid sign
signbit sin sinc sinh sqrt square tan tanh trunc
amax amin argmax argmin prod cumsum cumprod logsumexp logcumsumexp std var
all any sort topk max min median nanmedian mode kthvalue cummax cummin msort aminmax
quantile nanquantile diff histc bucketize searchsorted isin heaviside tril triu complex polar
mvlgamma special_ndtr special_entr
""".split())


def with_out(ops):
    """`ops` with ``supports_out`` set for the operators of `OUT`."""
    return [op.replace(supports_out=True) if op.name in OUT and not op.supports_out else op
            for op in ops]
