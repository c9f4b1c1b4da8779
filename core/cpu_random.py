"""Bit-exact reproduction of PyTorch's CPU random generator on NumPy.

``TorchCompatibleGenerator`` produces the same numbers as
``torch.manual_seed(s); torch.rand(...); torch.randn(...)`` on a CPU build of
PyTorch (checked against torch 2.13 on x86-64 Linux).  Everything below was
established by experiment against torch and is summarised here so that the
code can be read without the experiments:

Engine
    A standard 32-bit Mersenne Twister (MT19937).  ``manual_seed(s)`` accepts
    ``-2**63 <= s < 2**64``, stores ``s mod 2**64`` (that is what
    ``initial_seed()`` reports) and seeds the twister with the classic
    ``init_genrand`` recurrence applied to the low 32 bits only, so seeds that
    differ by a multiple of ``2**32`` give identical streams.  NumPy's own
    ``MT19937`` bit generator implements the same recurrence and the same
    output tempering, so it is used for the raw 32-bit words.

rand
    float32: one 32-bit word per element, ``(w & (2**24 - 1)) * 2**-24``.
    float64: two words per element, the *first* word is the high half of a
    64-bit value, ``(v & (2**53 - 1)) * 2**-53``.
    float16: the float32 value rounded to half (round to nearest even); a
    value that rounds up to 1.0 is replaced by 0.0, keeping the range [0, 1).
    Elements are produced in C (row-major) order; an empty tensor draws
    nothing.

randn, fewer than 16 elements (serial path)
    Each element comes from a scalar double-precision Box-Muller sampler:
    ``u1, u2`` are double uniforms as in ``rand``, ``r = sqrt(-2*log1p(-u2))``,
    ``theta = 2*pi*u1``; ``r*cos(theta)`` is returned and ``r*sin(theta)`` is
    cached *in the generator* and returned by the next serial draw, even one
    made by a later call.  ``manual_seed`` clears the cache; the >= 16 path
    neither reads nor clears it.  The double result is then cast to the target
    dtype (to float16 through float32, as c10::Half converts from float).

randn, 16 or more elements (chunked path)
    float32/float64: first all ``n`` uniforms of that precision are drawn.  Each block of
    16 is transformed in place: for ``j < 8``, ``u1 = 1 - x[j]``,
    ``u2 = x[j + 8]``, ``x[j] = r*cos``, ``x[j + 8] = r*sin``.  When
    ``n % 16 != 0`` another 16 uniforms are drawn, transformed the same way,
    and written over the last 16 elements.
    float64 uses the C library's ``log``/``cos``/``sin`` in double precision.
    float32 uses the 8-wide single-precision Cephes-style ``log``/``sincos``
    polynomials (the ``avx_mathfun`` routines) that torch uses on AVX2/AVX-512
    CPUs; the compiler contracts their multiply/add pairs into fused
    multiply-adds, which is reproduced exactly here.
    float16 is computed block by block with the float32 kernel from float32
    uniforms and rounded to half; only whole blocks of uniforms are drawn, so
    the tail block uses the 16 uniforms right after the full blocks (not after
    ``n``), and ``16 * ceil(n / 16)`` words are consumed in total.

State
    ``get_state()`` returns the 5056-byte blob that ``torch.get_rng_state()``
    returns for the same history; ``set_state()`` accepts it back.

Precision caveats
    * float64 randn (>= 16 elements) calls Python's ``math.log``/``math.cos``/
      ``math.sin``, i.e. the same platform libm that torch calls.  NumPy's
      SIMD ``np.log`` differs from glibc in the last bit for a fraction of a
      percent of inputs, so it cannot be used.  Those calls go through
      ``map`` (a C-level loop, roughly 0.1 us per element); everything else
      is vectorised NumPy.
    * The float32/float16 chunked path matches torch builds whose kernel was
      compiled for AVX2 or AVX-512 (the normal case on x86-64).  torch running
      its portable "DEFAULT" kernel (``ATEN_CPU_CAPABILITY=default`` or
      non-x86 CPUs) uses scalar ``logf``/``cosf``/``sinf`` there instead, so
      its float32 randn for >= 16 elements can differ in the last bit.
    * Exactness of float64 randn assumes torch and Python use the same libm,
      which holds for the usual dynamically linked builds.
"""

from __future__ import annotations

import math
from array import array as _pyarray
import struct
from typing import Optional

import numpy as np

__all__ = ["TorchCompatibleGenerator", "DEFAULT_SEED"]

#: torch's ``default_rng_seed_val``: the seed a fresh CPU generator starts from.
DEFAULT_SEED = 67280421310721

_MT_N = 624
# torch's CPU generator state blob: 5056 bytes, see get_state().
_STATE_SIZE = 5056
_NORMAL_OFFSET = 24 + 8 * _MT_N          # legacy double normal cache
_FLOAT_NORMAL_OFFSET = _NORMAL_OFFSET + 32  # float normal cache
# Rows of 16 processed per NumPy pass in the float32 kernel: large enough to
# amortise per-call overhead, small enough that temporaries stay in cache.
_CHUNK_ROWS = 2048
_U64_MASK = (1 << 64) - 1
_U32_MASK = 0xFFFFFFFF
_F32 = np.float32


# ---------------------------------------------------------------------------
# Mersenne Twister seeding
# ---------------------------------------------------------------------------

def _init_genrand_key(seed32: int) -> np.ndarray:
    """Classic MT19937 ``init_genrand`` key for a 32-bit seed (pure Python).

    Only used when NumPy's private ``_legacy_seeding`` helper is unavailable;
    the recurrence is inherently sequential, but 624 steps are cheap.
    """
    key = np.empty(_MT_N, dtype=np.uint32)
    value = seed32 & _U32_MASK
    for i in range(_MT_N):
        key[i] = value
        value = (1812433253 * (value ^ (value >> 30)) + i + 1) & _U32_MASK
    return key


def _seed_bitgen(bitgen: np.random.MT19937, seed32: int) -> None:
    """Put ``bitgen`` in the state torch's mt19937 has right after seeding.

    ``pos = 624`` means "regenerate the whole block before the next word",
    which is exactly what torch's freshly seeded engine does first.
    """
    legacy = getattr(bitgen, "_legacy_seeding", None)
    if legacy is not None:
        try:
            # NumPy's C implementation of init_genrand (fast path).
            legacy(seed32)
            return
        except Exception:  # pragma: no cover - depends on NumPy internals
            pass
    bitgen.state = {  # pragma: no cover - fallback for other NumPy versions
        "bit_generator": "MT19937",
        "state": {"key": _init_genrand_key(seed32), "pos": _MT_N},
    }


# ---------------------------------------------------------------------------
# Exact single-precision fused multiply-add
# ---------------------------------------------------------------------------

def _to_f64(v):
    """A float32 operand (array or scalar) as exact float64."""
    if isinstance(v, np.ndarray):
        return v.astype(np.float64)
    return float(np.float32(v))


def _fma32(a: np.ndarray, b, c) -> np.ndarray:
    """Return ``a * b + c`` rounded once to float32 (a true FMA).

    The float32 product is exact in float64 (48 significant bits), so only the
    addition rounds in float64, and rounding that sum again to float32 is
    correct unless the float64 sum landed exactly on a float32 half-way
    point (or is tiny, where float32 loses bits).  Those rare elements are
    redone with round-to-odd, which makes the second rounding exact.
    """
    p = a.astype(np.float64)
    p *= _to_f64(b)
    c64 = _to_f64(c)
    s = p + c64
    bits = s.view(np.int64)
    # a float32 has 29 fewer fraction bits than a float64: a half-way point has 1000...0 there
    risky = (bits & 0x1FFFFFFF) == 0x10000000
    risky |= np.abs(s) < 2.0 ** -125
    if risky.any():
        idx = np.nonzero(risky)
        ps = p[idx]
        cs = c64[idx] if isinstance(c64, np.ndarray) else c64
        ss = s[idx]
        # TwoSum: the exact rounding error of ss = ps + cs.
        bb = ss - ps
        err = (ps - (ss - bb)) + (cs - bb)
        sb = ss.view(np.int64).copy()
        inexact = err != 0
        # Round to odd = truncate toward zero, then set the last bit if inexact.
        toward_zero = inexact & ((err < 0) != (ss < 0))
        sb -= toward_zero.astype(np.int64)
        sb |= inexact.astype(np.int64)
        s[idx] = sb.view(np.float64)
    return s.astype(np.float32)


# ---------------------------------------------------------------------------
# Single-precision log / sincos as used by torch's AVX2 normal kernel
# ---------------------------------------------------------------------------

# Cephes single-precision coefficients (public domain, S. L. Moshier).
_LOG_POLY = tuple(_F32(v) for v in (
    7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1,
    1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1,
    3.3333331174e-1))
_LOG_Q1 = _F32(-2.12194440e-4)
_LOG_Q2 = _F32(0.693359375)
_SQRT_HALF = _F32(0.707106781186547524)
_FOUR_OVER_PI = _F32(1.27323954473516)
_DP1 = _F32(-0.78515625)
_DP2 = _F32(-2.4187564849853515625e-4)
_DP3 = _F32(-3.77489497744594108e-8)
_COS_POLY = tuple(_F32(v) for v in (
    2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2))
_SIN_POLY = tuple(_F32(v) for v in (
    -1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1))


def _log_ps(x: np.ndarray) -> np.ndarray:
    """Natural log of positive float32 values, bit-exact to torch's kernel.

    Range reduction to a mantissa in [sqrt(1/2), sqrt(2)) followed by a
    degree-9 polynomial; each ``y*x + c`` step is a fused multiply-add
    because that is what the compiled kernel executes.
    """
    x = np.maximum(x, _F32(1.17549435e-38))  # smallest normal, as the kernel clamps
    xi = x.view(np.int32)
    e = ((xi >> 23) - 0x7F).astype(np.float32) + _F32(1.0)
    m = ((xi & ~0x7F800000) | 0x3F000000).view(np.float32)  # mantissa in [0.5, 1)
    small = m < _SQRT_HALF
    # For small mantissas use 2m - 1 and one less in the exponent.
    tmp = np.where(small, m, _F32(0.0))
    m = m - _F32(1.0)
    e = e - np.where(small, _F32(1.0), _F32(0.0))
    m = m + tmp
    z = m * m
    y = np.full_like(m, _LOG_POLY[0])
    for coef in _LOG_POLY[1:]:
        y = _fma32(y, m, coef)
    y = y * m
    y = _fma32(y, z, e * _LOG_Q1)
    y = y - z * _F32(0.5)  # z * 0.5 is exact, so fusing it changes nothing
    m = m + y
    return _fma32(e, _LOG_Q2, m)


def _sincos_ps(x: np.ndarray):
    """(sin, cos) of float32 values, bit-exact to torch's AVX2 kernel.

    Cody-Waite reduction by multiples of pi/4 (three-part constant, each step
    a fused multiply-add), then the Cephes sine and cosine polynomials with
    octant-dependent selection and sign fix-up.
    """
    sign_sin = x.view(np.uint32) & np.uint32(0x80000000)
    x = np.abs(x)
    octant = (x * _FOUR_OVER_PI).astype(np.int32)  # truncation, like cvttps2dq
    octant = (octant + 1) & ~1  # round up to even: |x| - octant*pi/4 in [-pi/4, pi/4]
    y = octant.astype(np.float32)
    # Sign bits as uint32 so that shifting into bit 31 is well defined.
    bits = octant.view(np.uint32)
    swap_sign_sin = (bits & np.uint32(4)) << np.uint32(29)
    use_cos_poly_for_cos = (bits & np.uint32(2)) == 0
    sign_cos = (~(bits - np.uint32(2)) & np.uint32(4)) << np.uint32(29)
    sign_sin = sign_sin ^ swap_sign_sin
    x = _fma32(y, _DP1, x)
    x = _fma32(y, _DP2, x)
    x = _fma32(y, _DP3, x)
    z = x * x
    c = _fma32(np.full_like(z, _COS_POLY[0]), z, _COS_POLY[1])
    c = _fma32(c, z, _COS_POLY[2])
    c = c * z
    c = _fma32(c, z, -(z * _F32(0.5)))
    c = c + _F32(1.0)
    s = _fma32(np.full_like(z, _SIN_POLY[0]), z, _SIN_POLY[1])
    s = _fma32(s, z, _SIN_POLY[2])
    s = s * z
    s = _fma32(s, x, x)
    sin_v = np.where(use_cos_poly_for_cos, s, c)
    cos_v = np.where(use_cos_poly_for_cos, c, s)
    sin_v = (sin_v.view(np.uint32) ^ sign_sin).view(np.float32)
    cos_v = (cos_v.view(np.uint32) ^ sign_cos).view(np.float32)
    return sin_v, cos_v


# ---------------------------------------------------------------------------
# Box-Muller blocks of 16 (the >= 16 element path)
# ---------------------------------------------------------------------------

def _libm(func, values: np.ndarray) -> np.ndarray:
    """Apply a ``math`` function elementwise (platform libm, C-level loop)."""
    flat = values.ravel().tolist()
    return np.fromiter(map(func, flat), dtype=np.float64, count=len(flat)).reshape(values.shape)


def _blocks_f64(u: np.ndarray) -> np.ndarray:
    """Transform float64 uniforms of shape (k, 16) into normals."""
    u1 = 1.0 - u[:, :8]
    u2 = u[:, 8:]
    radius = np.sqrt(-2.0 * _libm(math.log, u1))
    theta = (2.0 * math.pi) * u2
    out = np.empty_like(u)
    # "+ 0.0" mirrors the kernel's "* std + mean" (turns -0.0 into +0.0).
    out[:, :8] = radius * _libm(math.cos, theta) + 0.0
    out[:, 8:] = radius * _libm(math.sin, theta) + 0.0
    return out


def _blocks_f32(u: np.ndarray) -> np.ndarray:
    """Transform float32 uniforms of shape (k, 16) into normals."""
    if u.shape[0] > _CHUNK_ROWS:
        return np.concatenate([_blocks_f32_chunk(u[i:i + _CHUNK_ROWS])
                               for i in range(0, u.shape[0], _CHUNK_ROWS)])
    return _blocks_f32_chunk(u)


def _blocks_f32_chunk(u: np.ndarray) -> np.ndarray:
    """:func:`_blocks_f32` on one cache-sized chunk."""
    u1 = _F32(1.0) - u[:, :8]
    u2 = u[:, 8:]
    radius = np.sqrt(_F32(-2.0) * _log_ps(u1))
    theta = _F32(2.0 * math.pi) * u2
    sin_t, cos_t = _sincos_ps(theta)
    out = np.empty_like(u)
    out[:, :8] = radius * cos_t + _F32(0.0)
    out[:, 8:] = radius * sin_t + _F32(0.0)
    return out


_BLOCK_FUNCS = {
    np.dtype(np.float64): _blocks_f64,
    np.dtype(np.float32): _blocks_f32,
    # Half results are computed by the float32 kernel and rounded at the end.
    np.dtype(np.float16): _blocks_f32,
}


# ---------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------

_SMALL = 64
_F32_DT = np.dtype(np.float32)
_TWO_PI = 2.0 * math.pi
_TWO_M24 = 2.0 ** -24
_TWO_M53 = 2.0 ** -53


def _f32_array(values):
    """float32 array from Python floats (rounded to nearest, as a C cast does); through
    `array.array` because np.array(list, float32) costs several times more for a few values."""
    return np.frombuffer(_pyarray("f", values), np.float32)


def _normalize_shape(shape) -> tuple:
    """Accept a tuple/list of ints (or a single int) and return a tuple."""
    if type(shape) is tuple and all(type(d) is int for d in shape):
        return shape
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(d) for d in shape)


def _numel(shape) -> int:
    n = 1
    for d in shape:
        d = int(d)
        if d < 0:
            raise ValueError(f"negative dimension {d} in shape {tuple(shape)}")
        n *= d
    return n


def _check_dtype(np_dtype) -> np.dtype:
    dt = np.dtype(np_dtype)
    if dt not in _BLOCK_FUNCS:
        raise TypeError(f"unsupported dtype {dt}; expected float16, float32 or float64")
    return dt


class TorchCompatibleGenerator:
    """A CPU random generator whose streams equal torch's bit for bit.

    State consists of the Mersenne Twister, the seed given to
    :meth:`manual_seed`, and the cached second Box-Muller value of the serial
    normal sampler.  All sampling methods share that state, so interleaving
    ``rand`` and ``randn`` calls reproduces torch's interleaving too.
    """

    def __init__(self, seed: int = DEFAULT_SEED):
        self._bitgen = np.random.MT19937(0)
        self._seed = 0
        self._next_normal: Optional[float] = None
        # True until the first word is drawn after seeding; only affects the
        # 'next' field of get_state() (torch stores 0 there, not 624).
        self._fresh = True
        # torch's float-precision normal cache: never used by rand/randn, but
        # kept so that a state loaded from torch round-trips unchanged.
        self._float_normal = (0.0, False)
        self.manual_seed(seed)

    # -- seeding ----------------------------------------------------------
    def manual_seed(self, seed: int) -> None:
        """Reseed like ``torch.manual_seed``.

        Accepts ``-2**63 <= seed < 2**64`` (negative values wrap modulo
        ``2**64`` as in torch); only the low 32 bits reach the twister.
        Clears the cached normal value.
        """
        seed = int(seed)
        if not (-(1 << 63) <= seed <= _U64_MASK):
            raise OverflowError(f"seed {seed} out of range [-2**63, 2**64)")
        self._seed = seed & _U64_MASK
        _seed_bitgen(self._bitgen, self._seed & _U32_MASK)
        self._next_normal = None
        self._fresh = True
        self._float_normal = (0.0, False)

    def initial_seed(self) -> int:
        """The last seed given to :meth:`manual_seed`, as an unsigned 64-bit int."""
        return self._seed

    # -- raw draws ----------------------------------------------------------
    def _words(self, count: int) -> np.ndarray:
        """Next ``count`` tempered 32-bit outputs as uint64."""
        if count <= 0:
            return np.empty(0, dtype=np.uint64)
        self._fresh = False
        return self._bitgen.random_raw(count)

    def _uniform(self, count: int, dt: np.dtype) -> np.ndarray:
        """``count`` uniforms in [0, 1) of the given precision, torch order."""
        if dt == np.float64:
            w = self._words(2 * count)
            hi = w[0::2] & np.uint64((1 << 21) - 1)  # keep 53 bits of hi:lo
            v = (hi << np.uint64(32)) | w[1::2]
            return v.astype(np.float64) * (2.0 ** -53)
        w = self._words(count)
        u = (w & np.uint64((1 << 24) - 1)).astype(np.float32) * _F32(2.0 ** -24)
        if dt == np.float16:
            h = u.astype(np.float16)
            # Values within half an ulp of 1 round up to 1.0; torch maps them
            # to 0.0 so that the result stays in [0, 1).
            h[h == np.float16(1.0)] = np.float16(0.0)
            return h
        return u

    def _random64(self, count: int) -> np.ndarray:
        """``count`` 64-bit values, each from two words (the first is the high half)."""
        w = self._words(2 * count)
        return (w[0::2] << np.uint64(32)) | w[1::2]

    # -- public sampling ----------------------------------------------------
    def randint(self, low: int, high: int, shape: tuple, np_dtype=np.int64) -> np.ndarray:
        """Integers in [low, high) of ``shape``, equal to ``torch.randint``: one word (two when
        the range needs 64 bits) per element, ``word % range + low``."""
        shape = _normalize_shape(shape)
        n = _numel(shape)
        rng = high - low
        w = self._words(n) if rng < (1 << 32) else self._random64(n)
        vals = (w % np.uint64(rng)).astype(np.int64) + np.int64(low)
        return vals.astype(np_dtype).reshape(shape)

    def randperm(self, n: int, np_dtype=np.int64) -> np.ndarray:
        """A random permutation of ``range(n)``, equal to ``torch.randperm`` on the CPU: a
        Fisher-Yates shuffle drawing one word per step."""
        r = list(range(n))
        if n > 1:
            ws = (self._words(n - 1) if n < (1 << 32) // 20 else self._random64(n - 1)).tolist()
            for i in range(n - 1):
                z = ws[i] % (n - i) + i
                r[i], r[z] = r[z], r[i]
        return np.array(r, dtype=np_dtype)


    def rand(self, shape: tuple, np_dtype=np.float32) -> np.ndarray:
        """Uniform [0, 1) samples of ``shape``, equal to ``torch.rand``."""
        if np_dtype is _F32_DT and type(shape) is tuple:
            n = 1
            for d in shape:
                n *= d
            if 0 < n <= _SMALL:
                self._fresh = False
                ws = self._bitgen.random_raw(n).tolist()
                return _f32_array([(w & 0xFFFFFF) * _TWO_M24 for w in ws]).reshape(shape)
        shape = _normalize_shape(shape)
        dt = _check_dtype(np_dtype)
        n = _numel(shape)
        if 0 < n <= _SMALL and dt == np.float32:
            # Small draws in plain Python: NumPy's per-call overhead would dominate. A 24-bit
            # integer times 2**-24 is exact in double, so the float32 rounding is the same.
            self._fresh = False
            ws = self._bitgen.random_raw(n).tolist()
            return _f32_array([(w & 0xFFFFFF) * _TWO_M24 for w in ws]).reshape(shape)
        return self._uniform(n, dt).reshape(shape)

    def randn(self, shape: tuple, np_dtype=np.float32) -> np.ndarray:
        """Standard normal samples of ``shape``, equal to ``torch.randn``."""
        if np_dtype is _F32_DT and type(shape) is tuple:
            n = 1
            for d in shape:
                n *= d
            if 0 < n < 16:
                return self._serial_normal(n, np_dtype).reshape(shape)
        shape = _normalize_shape(shape)
        dt = _check_dtype(np_dtype)
        n = _numel(shape)
        if n == 0:
            return np.empty(shape, dtype=dt)
        if n < 16:
            return self._serial_normal(n, dt).reshape(shape)
        blocks = _BLOCK_FUNCS[dt]
        full = n // 16
        if dt == np.float16:
            # Half is computed block by block in float32 from float32
            # uniforms: only whole blocks are drawn, so the tail block uses
            # the 16 uniforms right after the full blocks.
            udt = np.dtype(np.float32)
            u = self._uniform(full * 16, udt)
        else:
            # float32/float64 first fill all n elements with uniforms.
            udt = dt
            u = self._uniform(n, udt)
        out = np.empty(n, dtype=dt)
        out[: full * 16] = blocks(u[: full * 16].reshape(full, 16)).ravel()
        if n % 16:
            # 16 more uniforms, transformed and written over the last 16 outputs.
            tail = self._uniform(16, udt)
            out[n - 16:] = blocks(tail.reshape(1, 16)).ravel()
        return out.reshape(shape)

    def _serial_normal(self, n: int, dt: np.dtype) -> np.ndarray:
        """The scalar Box-Muller path with its cross-call cached value."""
        values = []
        if self._next_normal is not None:
            values.append(self._next_normal)
            self._next_normal = None
        need = n - len(values)
        pairs = (need + 1) // 2
        if pairs:
            # double uniforms from word pairs (high word first, 53 bits), in plain Python:
            # exact, and cheaper than NumPy for the few values this path draws
            self._fresh = False
            w = self._bitgen.random_raw(4 * pairs).tolist()
            sqrt, log1p, cos, sin = math.sqrt, math.log1p, math.cos, math.sin
            append = values.append
            for j in range(0, 4 * pairs, 4):
                u1 = (((w[j] & 0x1FFFFF) << 32) | w[j + 1]) * _TWO_M53
                u2 = (((w[j + 2] & 0x1FFFFF) << 32) | w[j + 3]) * _TWO_M53
                radius = sqrt(-2.0 * log1p(-u2))
                theta = _TWO_PI * u1
                append(radius * cos(theta))
                append(radius * sin(theta))
            if len(values) > n:
                self._next_normal = values.pop()
        # "* 1.0 + 0.0" is the mean/std transform (normalises -0.0 to +0.0).
        if dt is _F32_DT or dt == np.float32:
            return _f32_array([v * 1.0 + 0.0 for v in values])
        out = np.array(values, dtype=np.float64) * 1.0 + 0.0
        if dt == np.float16:
            # c10::Half is constructed from float, so double -> float -> half.
            return out.astype(np.float32).astype(np.float16)
        return out.astype(dt)

    # -- state --------------------------------------------------------------
    def get_state(self) -> bytes:
        """Snapshot of the full generator state as bytes.

        The 5056-byte layout is the one ``torch.get_rng_state()`` returns
        (little-endian x86-64 struct): initial seed (u64), ``left`` (i32),
        ``seeded`` (i32), ``next`` (u64), the 624 state words (u64 each), the
        legacy normal cache ``x, y, rho`` (f64) and its valid flag (i32), then
        a float normal cache (f32) and its flag (bool).  Within loom it is an
        opaque token for :meth:`set_state`; it also equals torch's bytes for
        the same history, so torch states can be loaded and vice versa.
        """
        st = self._bitgen.state["state"]
        pos = int(st["pos"])
        buf = bytearray(_STATE_SIZE)
        # NumPy's ``pos`` counts words used from the current block; torch
        # counts down ``left`` (625 - pos) and keeps ``next`` = pos, except
        # right after seeding where it stores next = 0 (same behaviour).
        nxt = 0 if self._fresh else pos
        struct.pack_into("<QiiQ", buf, 0, self._seed, _MT_N + 1 - pos, 1, nxt)
        buf[24:24 + 8 * _MT_N] = np.asarray(st["key"], dtype="<u8").tobytes()
        has = self._next_normal is not None
        struct.pack_into("<dddi", buf, _NORMAL_OFFSET, 0.0,
                         self._next_normal if has else 0.0, 0.0, int(has))
        struct.pack_into("<f?", buf, _FLOAT_NORMAL_OFFSET, *self._float_normal)
        return bytes(buf)

    def set_state(self, state) -> None:
        """Restore a snapshot from :meth:`get_state` (or torch's equivalent).

        Accepts bytes-like objects or a uint8 array of length 5056.
        """
        if isinstance(state, (bytes, bytearray, memoryview)):
            raw = bytes(state)
        else:
            raw = np.ascontiguousarray(state, dtype=np.uint8).tobytes()
        if len(raw) != _STATE_SIZE:
            raise ValueError(f"expected a {_STATE_SIZE}-byte generator state, got {len(raw)} bytes")
        seed, left, _seeded, nxt = struct.unpack_from("<QiiQ", raw, 0)
        if not 1 <= left <= _MT_N:
            raise ValueError("corrupt generator state: 'left' out of range")
        key = np.frombuffer(raw, dtype="<u8", count=_MT_N, offset=24)
        if np.any(key > _U32_MASK):
            raise ValueError("corrupt generator state: state word exceeds 32 bits")
        _x, cached, _rho, valid = struct.unpack_from("<dddi", raw, _NORMAL_OFFSET)
        self._bitgen.state = {"bit_generator": "MT19937",
                              "state": {"key": key.astype(np.uint32), "pos": _MT_N + 1 - left}}
        self._seed = seed
        self._fresh = left == 1 and nxt == 0
        self._next_normal = float(cached) if valid else None
        self._float_normal = struct.unpack_from("<f?", raw, _FLOAT_NORMAL_OFFSET)
