"""Special functions as float64 array kernels against `xp` (NumPy, CuPy): NumPy has no erf,
lgamma or digamma and loom takes no SciPy. Inputs a branch cannot take are replaced before it
runs, so no NumPy warning leaks from a branch that is not selected."""
import math

_PI = math.pi
# fdlibm's s_erf.c (as glibc, which PyTorch calls): rational approximations of erf and erfc on
# [0, 0.84375), [0.84375, 1.25), [1.25, 1/0.35), [1/0.35, 28), below one ulp; lowest order first
_PP = (0.12837916709551256, -0.3250421072470015, -0.02848174957559851, -0.005770270296489442,
       -2.3763016656650163e-05)
_QQ = (1.0, 0.39791722395915535, 0.0650222499887673, 0.005081306281875766, 0.00013249473800432164,
       -3.960228278775368e-06)
_PA = (-0.0023621185607526594, 0.41485611868374833, -0.3722078760357013, 0.31834661990116175,
       -0.11089469428239668, 0.035478304325618236, -0.002166375594868791)
_QA = (1.0, 0.10642088040084423, 0.540397917702171, 0.07182865441419627, 0.12617121980876164,
       0.01363708391202905, 0.011984499846799107)
_RA = (-0.009864944034847148, -0.6938585727071818, -10.558626225323291, -62.375332450326006,
       -162.39666946257347, -184.60509290671104, -81.2874355063066, -9.814329344169145)
_SA = (1.0, 19.651271667439257, 137.65775414351904, 434.56587747522923, 645.3872717332679,
       429.00814002756783, 108.63500554177944, 6.570249770319282, -0.0604244152148581)
_RB = (-0.0098649429247001, -0.799283237680523, -17.757954917754752, -160.63638485582192,
       -637.5664433683896, -1025.0951316110772, -483.5191916086514)
_SB = (1.0, 30.33806074348246, 325.7925129965739, 1536.729586084437, 3199.8582195085955,
       2553.0504064331644, 474.52854120695537, -22.44095244658582)
_ERX = 8.45062911510467529297e-01


def _poly(c, z):
    r = c[-1]
    for a in c[-2::-1]:
        r = r * z + a
    return r


def f64(xp, x):
    return x.astype(xp.float64) if x.dtype != xp.float64 else x


def erf_pair(xp, x):
    """(erf(x), erfc(x)) of a float64 array, as fdlibm computes them."""
    ax = xp.abs(x)
    small, mid = ax < 0.84375, ax < 1.25
    xs = xp.where(small, ax, 0.0)
    ys = xs * (_poly(_PP, xs * xs) / _poly(_QQ, xs * xs))          # erf(|x|) - |x|
    xm = xp.where(mid, ax - 1, 0.0)
    pq = _poly(_PA, xm) / _poly(_QA, xm)                            # erf(|x|) - erx
    b = xp.minimum(xp.where(mid, 2.0, ax), 28.0)
    s = 1 / (b * b)
    rs = xp.where(b < 1 / 0.35, _poly(_RA, s) / _poly(_SA, s), _poly(_RB, s) / _poly(_SB, s))
    hi = (xp.asarray(b).view(xp.uint64) & 0xFFFFFFFF00000000).view(xp.float64)  # b = hi + lo
    tail = xp.exp(-hi * hi - 0.5625) * xp.exp((hi - b) * (hi + b) + rs) / b    # erfc(|x|)
    e = xp.where(small, xs + ys, xp.where(mid, _ERX + pq, xp.where(ax >= 6, 1.0, 1 - tail)))
    c = xp.where(small, xp.where(ax < 0.25, 1 - (xs + ys), 0.5 - (ys + (xs - 0.5))),
                 xp.where(mid, 1 - _ERX - pq, xp.where(ax >= 28, 0.0, tail)))
    return xp.copysign(e, x), xp.where(x < 0, 2 - c, c)


# PyTorch's calc_erfinv: a rational first guess, then two Newton steps on erf
_EA = (0.886226899, -1.645349621, 0.914624893, -0.140543331)
_EB = (1.0, -2.118377725, 1.442710462, -0.329097515, 0.012229801)
_EC = (-1.970840454, -1.624906493, 3.429567803, 1.641345311)
_ED = (1.0, 3.543889200, 1.637067800)


def erfinv(xp, y):
    ay = xp.abs(y)
    inside = ay < 1
    yc = xp.where(inside, y, 0.0)
    w = xp.sqrt(-xp.log((1 - xp.where(ay <= 0.7, 0.0, xp.abs(yc))) / 2))
    x = xp.where(ay <= 0.7, yc * _poly(_EA, yc * yc) / _poly(_EB, yc * yc),
                 xp.copysign(_poly(_EC, w), yc) / _poly(_ED, w))
    for _ in range(2):
        x = x - (erf_pair(xp, x)[0] - yc) / (2 / math.sqrt(_PI) * xp.exp(-x * x))
    return xp.where(inside, x, xp.where(ay == 1, xp.copysign(math.inf, y), math.nan))


# Lanczos (g = 7, n = 9) with reflection below 1/2
_LANCZOS = (0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531,
            -176.6150291621406, 12.507343278686905, -0.13857109526572012, 9.984369578019572e-06,
            1.5056327351493116e-07)


def lgamma(xp, x):
    r = x - xp.round(xp.where(xp.isfinite(x), x, 0.0))   # |sin(pi x)| = |sin(pi r)|, exactly
    pole = (r == 0) & (x <= 0)
    xf = xp.where(xp.isfinite(x) & ~pole, x, 1.0)
    z = xp.where(xf < 0.5, 1 - xf, xf) - 1
    s = _LANCZOS[0] + sum(c / (z + i) for i, c in enumerate(_LANCZOS[1:], 1))
    t = z + 7.5
    lg = 0.5 * math.log(2 * _PI) + (z + 0.5) * xp.log(t) - t + xp.log(s)
    sin = xp.abs(xp.sin(_PI * xp.where((r == 0) | ~xp.isfinite(r), 0.5, r)))
    lg = xp.where(xf < 0.5, math.log(_PI) - xp.log(sin) - lg, lg)
    return xp.where(pole, math.inf, xp.where(xp.isfinite(x), lg, xp.abs(x)))


# PyTorch's calc_digamma: reflection below 0, recurrence up to 10, then the asymptotic series
_PSI = (1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132, -691 / 32760, 1 / 12)


def digamma(xp, x):
    whole = x == xp.trunc(xp.where(xp.isfinite(x), x, 0.0))
    bad = (x < 0) & whole | (x == 0) | xp.isnan(x)
    xf = xp.where(bad | xp.isinf(x), 1.0, x)
    v = xp.where(xf < 0, 1 - xf, xf)
    out = xp.zeros_like(v)
    for _ in range(10):
        out = out - xp.where(v < 10, 1 / v, 0.0)
        v = xp.where(v < 10, v + 1, v)
    z = 1 / (v * v)
    out = out + xp.log(v) - 0.5 / v - z * _poly(_PSI, z)
    out = xp.where(xf < 0, out - _PI / xp.tan(_PI * xp.where(xf < 0, xf - xp.trunc(xf), 0.5)),
                   out)
    out = xp.where(xp.isinf(x), xp.where(x > 0, math.inf, math.nan), out)
    return xp.where(x == 0, xp.copysign(math.inf, -x), xp.where(bad, math.nan, out))


# Cephes' Hurwitz zeta: a direct sum until q + k >= 9, then Euler-Maclaurin with these
# (2j)! / B_2j
_ZETA = (12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1892437580.3183792, 74724249600.0,
         -2950130727918.164, 116467828143500.67, -4597978722407473.0, 1.8152105401943546e+17,
         -7.166165256175667e+18)


def polygamma(xp, n, x):
    """The n-th derivative of digamma (n >= 1): (-1)^(n+1) n! zeta(n + 1, x)."""
    s = n + 1.0
    pole = (x <= 0) & (x == xp.trunc(xp.where(xp.isfinite(x), x, 0.0)))
    q = xp.where(pole | ~xp.isfinite(x), 1.0, x)
    steps = int(min(max(9 - float(q.min()), 0.0), 10000.0)) + 10 if q.size else 0
    total = xp.zeros_like(q)
    for k in range(steps + 1):
        total = total + (q + k) ** -s
    w = q + steps
    b = w ** -s
    total = total + w * b / (s - 1) - 0.5 * b
    a, j = 1.0, 0.0
    for c in _ZETA:
        a, b = a * (s + j), b / w
        total = total + a * b / c
        a, b, j = a * (s + j + 1), b / w, j + 2
    sign = -1.0 if n % 2 == 0 else 1.0
    out = xp.where(xp.isfinite(x), sign * math.factorial(n) * total, xp.where(x > 0, 0.0, math.nan))
    return xp.where(pole, sign * math.inf, out)
