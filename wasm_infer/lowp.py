"""Bit-exact conversions between float32/float64 and the low-precision ONNX
formats that NumPy lacks: bfloat16, the float8 family, float4e2m1, float8e8m0.

Everything works on the raw bit patterns (uint8 / uint16 arrays); `dtypes`
wraps them in tagged dtypes. Written for NumPy only (Pyodide has no
ml_dtypes); the rules follow the ONNX Cast spec: round to nearest even,
`saturate` clamps out-of-range values (and ±Inf) to ±max, otherwise they
become Inf where the format has one, else NaN.
"""
import numpy as np


def contiguous(x):
    """A C-contiguous array of the same shape (np.ascontiguousarray turns 0-d into 1-d)."""
    x = np.asarray(x)
    return x if x.flags.c_contiguous else x.copy()


class FloatFormat:
    """A small IEEE-like binary float: 1 sign bit, `exp` exponent bits,
    `mant` mantissa bits. `special` says how the format spends its codes:
    'ieee' (Inf and NaNs at the top exponent), 'fn' (no Inf; only all-ones is
    NaN), 'fnuz' (no Inf, no -0: the code of -0 is the single NaN), 'none'
    (every code is a finite number: float4e2m1)."""

    def __init__(self, exp, mant, bias, special):
        self.exp, self.mant, self.bias, self.special = exp, mant, bias, special
        self.bits = 1 + exp + mant
        self.sign_bit = 1 << (self.bits - 1)
        codes = np.arange(1 << self.bits, dtype=np.int64)
        e = (codes >> mant) & ((1 << exp) - 1)
        f = codes & ((1 << mant) - 1)
        mag = np.where(e == 0, np.ldexp(f.astype(np.float64), 1 - bias - mant),
                       np.ldexp(1.0 + f / (1 << mant), e - bias))
        value = np.where(codes & self.sign_bit, -mag, mag)
        top = (e == (1 << exp) - 1)
        if special == "ieee":
            value = np.where(top & (f == 0), np.copysign(np.inf, value), value)
            value = np.where(top & (f != 0), np.nan, value)
            self.inf_code = ((1 << exp) - 1) << mant
            self.nan_code = self.inf_code | (1 << (mant - 1))  # the quiet NaN
        elif special == "fn":
            value = np.where(top & (f == (1 << mant) - 1), np.nan, value)
            self.nan_code, self.inf_code = self.sign_bit - 1, None
        elif special == "fnuz":
            value[self.sign_bit] = np.nan
            self.nan_code, self.inf_code = self.sign_bit, None
        else:
            # No NaN code: ml_dtypes (the reference) writes NaN as -0.
            self.nan_code, self.inf_code = self.sign_bit, None
        self.table = value.astype(np.float32)          # code -> value, for decoding
        positive = value[:self.sign_bit]
        finite = np.isfinite(positive)
        self.max = float(positive[finite].max())
        # sorted positive finite values and their codes, for encoding
        order = np.argsort(positive[finite], kind="stable")
        self.pos_values = positive[finite][order]
        self.pos_codes = codes[:self.sign_bit][finite][order]

    def decode(self, code):
        return self.table[code.astype(np.intp)]

    def encode(self, x, saturate=True):
        """float array -> uint8 codes, round to nearest even."""
        x = np.asarray(x, dtype=np.float64)
        a = np.abs(x)
        with np.errstate(all="ignore"):
            _, exp2 = np.frexp(a)
            e = np.maximum(exp2 - 1, 1 - self.bias)     # exponent of the value's binade (subnormals share one)
            q = np.ldexp(np.round(np.ldexp(a, self.mant - e)), e - self.mant)  # np.round is half-to-even
        nan = np.isnan(x)
        over = ~nan & (q > self.max)
        q = np.where(nan | over, 0.0, q)
        idx = np.searchsorted(self.pos_values, q)
        code = self.pos_codes[np.minimum(idx, len(self.pos_codes) - 1)]
        if saturate or self.special == "none":
            code = np.where(over, self.pos_codes[-1], code)
        elif self.inf_code is not None:
            code = np.where(over, self.inf_code, code)
        else:
            code = np.where(over, self.nan_code, code)
        negative = np.signbit(x) & ~nan
        if self.special == "fnuz":
            negative &= code != 0              # no negative zero: -0 encodes as 0
        if self.special == "fnuz" and not saturate:
            code = np.where(over, self.nan_code, code)
            negative &= ~over
        code = np.where(negative, code | self.sign_bit, code)
        code = np.where(nan, self.nan_code, code)
        return code.astype(np.uint8)


FORMATS = {
    "float8e4m3fn": FloatFormat(4, 3, 7, "fn"),
    "float8e4m3fnuz": FloatFormat(4, 3, 8, "fnuz"),
    "float8e5m2": FloatFormat(5, 2, 15, "ieee"),
    "float8e5m2fnuz": FloatFormat(5, 2, 16, "fnuz"),
    "float4e2m1": FloatFormat(2, 1, 1, "none"),
}


# ---- bfloat16: the top half of a float32 ----

def bfloat16_decode(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32)


def bfloat16_encode(x):
    """float array -> uint16 bit patterns, round to nearest even, NaN stays quiet NaN."""
    f = contiguous(np.asarray(x, dtype=np.float32))
    u = f.view(np.uint32).astype(np.uint64)
    rounded = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    nan = np.isnan(f)
    return np.where(nan, (0x7FC0 | ((u >> 16) & 0x8000)).astype(np.uint16), rounded).astype(np.uint16)


# ---- float8e8m0: a bare exponent, 2**(code - 127); 255 is NaN ----

def e8m0_decode(code):
    code = code.astype(np.int32)
    return np.where(code == 255, np.float32(np.nan), np.ldexp(np.float32(1.0), code - 127)).astype(np.float32)


def e8m0_encode(x, saturate=True, round_mode="up"):
    f = contiguous(np.asarray(x, dtype=np.float32))
    bits = f.view(np.uint32)
    exponent = ((bits >> 23) & 0xFF).astype(np.int32)
    mantissa = bits & 0x7FFFFF
    special = exponent == 0xFF
    if round_mode == "up":
        bump = mantissa != 0
    elif round_mode == "nearest":
        bump = (mantissa & 0x400000) != 0
    else:
        bump = np.zeros(f.shape, dtype=bool)
    out = exponent + bump
    out = np.where(out > 0xFE, 0xFE if saturate else 0xFF, out)
    return np.where(special, 0xFF, out).astype(np.uint8)


# ---- sub-byte integers, one value per byte ----

INT_RANGES = {"int4": (-8, 16), "uint4": (0, 16), "int2": (-2, 4), "uint2": (0, 4)}


def int_encode(x, name):
    """Cast to int4/uint4/int2/uint2 (docs/CONFORMANCE.md says why): a float
    is truncated toward zero, NaN and +-inf give 0; the integer keeps its low
    bits (two's complement for the signed types), e.g. int4: -9 -> 7, 16 -> 0."""
    low, span = INT_RANGES[name]
    x = np.asarray(x)
    if x.dtype.kind == "f":
        # fmod is exact for every finite float, so no float -> int64 conversion overflows (1e30 -> 0)
        x = np.fmod(np.trunc(np.where(np.isfinite(x), x, 0)), span)
    v = (x.astype(np.int64) - low) % span + low
    return v.astype(np.int8 if low < 0 else np.uint8)


def unpack_subbyte(packed, count, width, signed):
    """Bytes holding 8 // width values each (lowest bits first) -> one value per byte."""
    per = 8 // width
    packed = np.asarray(packed, dtype=np.uint8)
    shifts = np.arange(per, dtype=np.uint8) * width
    vals = ((packed[:, None] >> shifts) & ((1 << width) - 1)).reshape(-1)[:count]
    if signed:
        vals = vals.astype(np.int8)
        vals = np.where(vals >= (1 << (width - 1)), vals - (1 << width), vals).astype(np.int8)
    return vals


def pack_subbyte(values, width):
    per = 8 // width
    v = np.asarray(values).reshape(-1).astype(np.uint8) & ((1 << width) - 1)
    pad = (-len(v)) % per
    v = np.concatenate([v, np.zeros(pad, np.uint8)]).reshape(-1, per)
    shifts = np.arange(per, dtype=np.uint8) * width
    return np.bitwise_or.reduce(v << shifts, axis=1).astype(np.uint8)
