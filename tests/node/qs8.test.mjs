// The int8 (QS8) kernels inside Pyodide 0.27.7, through the checked binders of
// wasm_infer/kernels/qs8.py (the kernels package loaded on its own, as in
// kernels.test.mjs), against an exact integer NumPy reference computed in the
// same interpreter: every output byte must be equal (the requantization is
// float32(acc) * scale, round half to even, as in ops/op_qs8_conv.py). Sizes
// sweep around the 4x8 tile, the 8-channel depthwise vectors and odd K; uint8
// and int8 on both sides; output bytes sit between guard bytes that must
// stay untouched. Then the bare-memory bounds tests: each kernel in a bare
// WebAssembly memory with every buffer in turn at its very end (an over-read
// or over-write traps).
//
// Run: WASM_INFER_PLAN=strict node --test --test-concurrency=1 tests/node/qs8.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../tools/pyodide_node.mjs';
import { BOOT_MS, PyodideThread } from '../../tools/pyodide_thread.mjs';
import { boundsRun, fillBytes } from './bare_memory.mjs';

const SO = path.join(ROOT, 'build', 'kernels', '_kernels.so');
const RELAXED = path.join(ROOT, 'build', 'kernels', '_kernels_relaxed.wasm');
const TABLE = path.join(ROOT, 'build', 'kernels', '_kernels.json');
const KERNELS_PKG = path.join(ROOT, 'wasm_infer', 'kernels');
const FS_DIR = '/tmp/wasm_infer_qs8_test';
const TEST_MS = 180_000;

const HELPERS = String.raw`
import sys, itertools
import numpy as np
sys.path.insert(0, "${FS_DIR}")
import wi_kernels as K

rng = np.random.default_rng(14)
GUARD = 29

def guarded_bytes(shape, dtype, values=None):
    size = int(np.prod(shape))
    buf = np.full(2 * GUARD + size, 0x5A, np.uint8)
    view = buf[GUARD:GUARD + size].view(dtype).reshape(shape)
    if values is not None:
        view[...] = values
    return view, buf

def guards_intact(buf, size):
    return bool((buf[:GUARD] == 0x5A).all() and (buf[GUARD + size:] == 0x5A).all())

def ref_conv(x, w, bias, scale, s, p, d, group, zx, zy, lo, hi, signed):
    """Exact integer conv of NHWC bytes, requantized as the kernels do."""
    n, h, wd, c = x.shape
    m, cg, kh, kw = w.shape
    oh = (h + p[0] + p[2] - d[0] * (kh - 1) - 1) // s[0] + 1
    ow = (wd + p[1] + p[3] - d[1] * (kw - 1) - 1) // s[1] + 1
    xc = np.zeros((n, h + p[0] + p[2], wd + p[1] + p[3], c), np.int64)
    xc[:, p[0]:p[0] + h, p[1]:p[1] + wd] = x.astype(np.int64) - zx
    acc = np.zeros((n, oh, ow, m), np.int64) + bias
    mg = m // group
    for g in range(group):
        for i in range(kh):
            for j in range(kw):
                patch = xc[:, i * d[0]: i * d[0] + s[0] * (oh - 1) + 1: s[0],
                           j * d[1]: j * d[1] + s[1] * (ow - 1) + 1: s[1], g * cg:(g + 1) * cg]
                acc[..., g * mg:(g + 1) * mg] += patch @ w[g * mg:(g + 1) * mg, :, i, j].astype(np.int64).T
    y = np.rint(np.clip(acc.astype(np.float32) * scale, lo - zy, hi - zy)) + zy
    return y.astype(np.int8 if signed else np.uint8)

def qs8_case(n, c, h, w, m, kh, kw, s=(1, 1), p=(0, 0, 0, 0), d=(1, 1), group=1, x_signed=False, y_signed=False,
             clamp=None, bias=True, scale_mul=1.0):
    xt, yt = (np.int8 if x_signed else np.uint8), (np.int8 if y_signed else np.uint8)
    xlo, xhi = (-128, 127) if x_signed else (0, 255)
    ylo, yhi = (-128, 127) if y_signed else (0, 255)
    zx, zy = int(rng.integers(xlo, xhi + 1)), int(rng.integers(ylo, yhi + 1))
    lo, hi = clamp if clamp else (ylo, yhi)
    x = rng.integers(xlo, xhi + 1, (n, h, w, c)).astype(xt)
    wt = rng.integers(-127, 128, (m, c // group, kh, kw)).astype(np.int8)
    b = rng.integers(-5000, 5000, m).astype(np.int32) if bias else None
    # scales that spread the accumulators over the output range, a few exact ties included
    k = (c // group) * kh * kw
    scale = (rng.uniform(0.5, 2.0, m) / (40.0 * np.sqrt(k))).astype(np.float32)
    scale[::3] = np.float32(0.5)
    scale = (scale * np.float32(scale_mul)).astype(np.float32)
    oh = (h + p[0] + p[2] - d[0] * (kh - 1) - 1) // s[0] + 1
    ow = (w + p[1] + p[3] - d[1] * (kw - 1) - 1) // s[1] + 1
    packed = K.pack_qs8_conv2d_nhwc(wt, b, scale, group)
    xg, _ = guarded_bytes(x.shape, xt, x)
    y, ybuf = guarded_bytes((n, oh, ow, m), yt)
    params = K.qs8_params(zx, x_signed, zy, lo, hi, y_signed)
    K.bind_qs8_conv2d_nhwc(xg, packed, y, (kh, kw), s, p, d, group, params)()
    ref = ref_conv(x, wt, np.zeros(m, np.int64) if b is None else b, scale, s, p, d, group, zx, zy, lo, hi, y_signed)
    what = (f"qs8 x={(n, h, w, c)} {xt.__name__} w={wt.shape} s={s} p={p} d={d} group={group} "
            f"-> {yt.__name__} clamp={(lo, hi)}")
    assert guards_intact(ybuf, y.size), what + ": wrote outside out"
    bad = np.argwhere(y != ref)
    assert bad.size == 0, f"{what}: {len(bad)} of {y.size} bytes differ, first at {tuple(bad[0])}: " \
                          f"{y[tuple(bad[0])]} vs {ref[tuple(bad[0])]}"
    return int(y.size)
`;

const py = new PyodideThread({ packages: ['numpy'], env: { WASM_INFER_KERNELS: `${FS_DIR}/_kernels.so` } }, async (fresh) => {
  await fresh.writeFile(`${FS_DIR}/_kernels.so`, readFileSync(SO));
  await fresh.writeFile(`${FS_DIR}/_kernels_relaxed.wasm`, readFileSync(RELAXED));
  await fresh.writeFile(`${FS_DIR}/_kernels.json`, readFileSync(TABLE));
  for (const name of readdirSync(KERNELS_PKG).filter((n) => n.endsWith('.py'))) {
    await fresh.writeFile(`${FS_DIR}/wi_kernels/${name}`, readFileSync(path.join(KERNELS_PKG, name)));
  }
  await fresh.run(HELPERS);
});

before(() => {
  for (const file of [SO, RELAXED, TABLE]) {
    if (!existsSync(file)) throw new Error(`${path.relative(ROOT, file)} not found: run \`python3 build.py setup\` first`);
  }
  return py.start();
}, { timeout: BOOT_MS });

after(() => py.terminate());

test('qs8 igemm: 1x1 and K x K convs, every M around the 8-column panels, odd K, pads, strides, dilations, groups', { timeout: TEST_MS }, async (t) => {
  const n = await py.run(`
total = 0
for m in (1, 3, 7, 8, 9, 16, 17):
    for c in (1, 2, 3, 8, 13):
        total += qs8_case(1, c, 5, 6, m, 1, 1)
        total += qs8_case(1, c, 5, 6, m, 3, 3, p=(1, 1, 1, 1))
for args, kw in [((2, 6, 7, 5, 10, 3, 3), dict(s=(2, 2), p=(0, 0, 1, 1))),
                 ((1, 4, 9, 8, 12, 5, 5), dict(s=(2, 1), p=(1, 2, 2, 1))),
                 ((1, 3, 8, 8, 16, 3, 3), dict(d=(2, 2), p=(2, 2, 2, 2))),
                 ((1, 8, 6, 6, 12, 3, 3), dict(group=2, p=(1, 1, 1, 1))),
                 ((1, 12, 5, 5, 9, 1, 1), dict(group=3)),
                 ((1, 3, 17, 19, 32, 3, 3), dict(s=(2, 2), p=(0, 0, 1, 1))),
                 ((1, 40, 7, 7, 24, 1, 1), dict())]:
    for xs, ys in itertools.product((False, True), repeat=2):
        total += qs8_case(*args, x_signed=xs, y_signed=ys, **kw)
total += qs8_case(1, 16, 6, 6, 20, 1, 1, clamp=(10, 200))
total += qs8_case(1, 16, 6, 6, 20, 3, 3, p=(1, 1, 1, 1), bias=False)
total`, t);
  assert.ok(n > 10000, `only ${n} outputs checked`);
});

test('qs8 igemm: many chunks (scratch rows lowered), rows around the 4-row tile', { timeout: TEST_MS }, async (t) => {
  await py.run(`
old = (K.IGEMM_SCRATCH_FLOATS, K.IGEMM_MIN_ROWS)
try:
    for rows in (1, 4, 5, 7):
        K.IGEMM_SCRATCH_FLOATS, K.IGEMM_MIN_ROWS = 1, rows
        qs8_case(1, 5, 3, 7, 11, 3, 3, p=(1, 1, 1, 1))
        qs8_case(1, 9, 2, 5, 8, 1, 1)
finally:
    K.IGEMM_SCRATCH_FLOATS, K.IGEMM_MIN_ROWS = old
`, t);
});

test('qs8 igemm gather paths: 1x1 (4 rows transposed, padded rows row by row), K x K over 4 x 256 int16 (row by row, odd taps)', { timeout: TEST_MS }, async (t) => {
  const n = await py.run(`
total = 0
for xs, ys in itertools.product((False, True), repeat=2):
    # 1x1 with pads: groups holding a padded (null) pixel are gathered row by row, the rest 4 rows at once
    total += qs8_case(1, 19, 5, 6, 11, 1, 1, p=(1, 0, 2, 1), x_signed=xs, y_signed=ys)
    # K x K with ks * kc > 256: every row by row, runs starting at odd k (kc = 33), pads
    total += qs8_case(1, 33, 6, 7, 10, 3, 3, p=(1, 1, 1, 1), x_signed=xs, y_signed=ys)
    total += qs8_case(1, 40, 5, 5, 9, 3, 3, s=(2, 2), p=(0, 1, 1, 0), x_signed=xs, y_signed=ys)
old = (K.IGEMM_SCRATCH_FLOATS, K.IGEMM_MIN_ROWS)
try:
    for rows in (5, 6, 8):   # chunks whose last group is 1-3 rows, over 256 int16 a row
        K.IGEMM_SCRATCH_FLOATS, K.IGEMM_MIN_ROWS = 1, rows
        total += qs8_case(1, 33, 5, 5, 9, 3, 3, p=(1, 1, 1, 1))
        total += qs8_case(1, 21, 4, 5, 9, 1, 1, p=(1, 1, 0, 0))
finally:
    K.IGEMM_SCRATCH_FLOATS, K.IGEMM_MIN_ROWS = old
total`, t);
  assert.ok(n > 3000, `only ${n} outputs checked`);
});

test('qs8 depthwise: 3x3 / 5x5, strides 1 / 2, asymmetric pads, dilation, channels around 8', { timeout: TEST_MS }, async (t) => {
  const n = await py.run(`
total = 0
for c in (1, 3, 7, 8, 9, 16, 20, 33):
    for k, s, p in [(3, 1, (1, 1, 1, 1)), (3, 2, (0, 0, 1, 1)), (5, 2, (1, 1, 2, 2)), (5, 1, (2, 2, 2, 2))]:
        total += qs8_case(1, c, 9, 8, c, k, k, s=(s, s), p=p, group=c)
for xs, ys in itertools.product((False, True), repeat=2):
    total += qs8_case(2, 12, 7, 6, 12, 3, 3, p=(1, 1, 1, 1), d=(2, 1), group=12, x_signed=xs, y_signed=ys)
total += qs8_case(1, 24, 6, 6, 24, 3, 3, p=(1, 1, 1, 1), group=24, clamp=(0, 100), bias=False)
total`, t);
  assert.ok(n > 5000, `only ${n} outputs checked`);
});

test('qs8 depthwise fast path: images with and without interior pixels, pads 0 to K-1, strides 1 and 2, every C mod 8', { timeout: TEST_MS }, async (t) => {
  const n = await py.run(`
total = 0
for k in (3, 5):
    for s in (1, 2):
        for h, w in [(k, k), (k + 1, 2 * k + 3), (13, 11), (2, 9)]:
            for p in [(0, 0, 0, 0), (k // 2, k // 2, k // 2, k // 2), (0, 0, 1, 1), (k - 1, 1, 0, k - 1)]:
                if h + p[0] + p[2] < k or w + p[1] + p[3] < k:
                    continue
                for c in (8, 13, 24):
                    total += qs8_case(1, c, h, w, c, k, k, s=(s, s), p=p, group=c,
                                      x_signed=(c + h) % 2 == 1, y_signed=(k + w) % 2 == 1)
# no bias: the folded zero point alone
for xs in (False, True):
    total += qs8_case(1, 16, 10, 10, 16, 3, 3, p=(1, 1, 1, 1), group=16, x_signed=xs, bias=False)
total`, t);
  assert.ok(n > 20000, `only ${n} outputs checked`);
});

test('qs8 depthwise ring path: rows wider than one chunk of the stack ring (5x5 98 columns, 5x5 s2 49, 3x3 168), batches', { timeout: TEST_MS }, async (t) => {
  const n = await py.run(`
total = 0
for k, s, h, w in [(5, 1, 7, 130), (5, 2, 9, 121), (3, 1, 5, 203), (5, 1, 6, 98), (5, 1, 6, 99)]:
    for c, p in [(8, (k // 2,) * 4), (13, (0, 1, k - 1, 2))]:
        total += qs8_case(1, c, h, w, c, k, k, s=(s, s), p=p, group=c, x_signed=c == 13, y_signed=s == 2)
# a batch of 3 images on each path (the ring starts afresh per image)
for k, s in [(5, 1), (5, 2), (3, 1), (3, 2)]:
    total += qs8_case(3, 16, 7, 9, 16, k, k, s=(s, s), p=(k // 2,) * 4, group=16)
total`, t);
  assert.ok(n > 15000, `only ${n} outputs checked`);
});

test('qs8 requantization: narrow output ranges and saturating scales (up to 1e30), uint8/int8, igemm and both depthwise paths', { timeout: TEST_MS }, async (t) => {
  const n = await py.run(`
total = 0
for ys, clamp in [(False, (20, 120)), (True, (-50, 60)), (True, (-128, 0)), (False, None), (True, None)]:
    for mul in (1.0, 30.0, 1e4, 1e30):
        xs = mul > 100
        total += qs8_case(1, 19, 5, 6, 13, 1, 1, x_signed=xs, y_signed=ys, clamp=clamp, scale_mul=mul)       # igemm
        total += qs8_case(1, 16, 9, 11, 16, 5, 5, p=(2, 2, 2, 2), group=16, x_signed=xs, y_signed=ys,
                          clamp=clamp, scale_mul=mul)                                                        # ring
        total += qs8_case(1, 16, 9, 9, 16, 3, 3, s=(2, 2), p=(1, 1, 1, 1), group=16, x_signed=xs, y_signed=ys,
                          clamp=clamp, scale_mul=mul)                                                        # direct
total`, t);
  assert.ok(n > 15000, `only ${n} outputs checked`);
});

test('qs8 vadd: every length around the 16-byte vector, uint8/int8 on each side, in place, exact ties', { timeout: TEST_MS }, async (t) => {
  const n = await py.run(`
def ref_add(a, b, za, zb, zy, ra, rb, lo, hi, ys):
    va = (a.astype(np.float32) - np.float32(za)) * np.float32(ra)
    vb = (b.astype(np.float32) - np.float32(zb)) * np.float32(rb)
    y = np.clip(np.rint(va + vb), lo - zy, hi - zy) + zy
    return y.astype(np.int8 if ys else np.uint8)

def add_case(shape, as_, bs, ys, ra, rb, clamp=None, inplace=None):
    at, bt, yt = (np.int8 if as_ else np.uint8), (np.int8 if bs else np.uint8), (np.int8 if ys else np.uint8)
    (alo, ahi), (blo, bhi), (ylo, yhi) = [((-128, 127) if f else (0, 255)) for f in (as_, bs, ys)]
    za, zb, zy = int(rng.integers(alo, ahi + 1)), int(rng.integers(blo, bhi + 1)), int(rng.integers(ylo, yhi + 1))
    lo, hi = clamp if clamp else (ylo, yhi)
    a0 = rng.integers(alo, ahi + 1, shape).astype(at)
    b0 = rng.integers(blo, bhi + 1, shape).astype(bt)
    a, abuf = guarded_bytes(shape, at, a0)
    b, bbuf = guarded_bytes(shape, bt, b0)
    want = ref_add(a0, b0, za, zb, zy, ra, rb, lo, hi, ys)
    P = K.qs8_add_params(za, as_, zb, bs, zy, lo, hi, ys, ra, rb)
    if inplace == "a":
        y, ybuf = a, abuf
    elif inplace == "b":
        y, ybuf = b, bbuf
    else:
        y, ybuf = guarded_bytes(shape, yt)
    K.bind_qs8_add(a, b, y, P)()
    what = f"qs8 add {shape} {at.__name__}+{bt.__name__}->{yt.__name__} ratios {ra}, {rb} clamp {(lo, hi)} in place {inplace}"
    assert guards_intact(ybuf, y.size), what + ": wrote outside out"
    if inplace != "a":
        assert (a == a0).all() and guards_intact(abuf, a.size), what + ": a changed"
    bad = np.argwhere(y != want)
    assert bad.size == 0, f"{what}: {len(bad)} of {y.size} differ, first at {tuple(bad[0])}: {y[tuple(bad[0])]} vs {want[tuple(bad[0])]}"
    return int(y.size)

total = 0
for n in list(range(0, 40)) + [255, 1000]:
    total += add_case((n,), n % 2 == 1, n % 3 == 1, n % 5 == 1, 0.39093518 / 0.5403142, 0.49263644 / 0.5403142)
for as_, bs, ys in itertools.product((False, True), repeat=3):
    total += add_case((2, 7, 5, 12), as_, bs, ys, 0.73, 1.9)
    # ratios of 0.5 and 1.5: half of the sums are exact ties (round half to even)
    total += add_case((3, 33), as_, bs, ys, 0.5, 1.5)
total += add_case((1, 4, 4, 24), False, False, False, 0.8, 0.6, clamp=(30, 200))
total += add_case((100,), False, True, False, 1.0, 3.0, inplace="a")
total += add_case((37,), True, True, True, 0.25, 0.7, inplace="b")
# every (a, b) pair of uint8 with the scales of EfficientNet-Lite0's first Add
a = np.repeat(np.arange(256, dtype=np.uint8)[:, None], 256, 1)
b = np.ascontiguousarray(a.T)
y = np.empty_like(a)
P = K.qs8_add_params(123, False, 117, False, 136, 0, 255, False, np.float32(0.39093518) / np.float32(0.5403142),
                     np.float32(0.49263644) / np.float32(0.5403142))
K.bind_qs8_add(a, b, y, P)()
ra, rb = P[8:].view(np.float32)
assert (y == ref_add(a, b, 123, 117, 136, ra, rb, 0, 255, False)).all(), "all pairs"
total + y.size`, t);
  assert.ok(n > 70000, `only ${n} outputs checked`);
});

test('qs8 add binder rejects bad dtypes, params, shapes and overlaps with ValueError', { timeout: TEST_MS }, async (t) => {
  const msgs = await py.run(`
a = np.zeros((4, 8), np.uint8)
b = np.zeros((4, 8), np.uint8)
y = np.zeros((4, 8), np.uint8)
P = K.qs8_add_params(3, False, 5, False, 7, 0, 255, False, 0.5, 0.7)
buf = np.zeros(64, np.uint8)
bad = {
    "float a": lambda: K.bind_qs8_add(a.astype(np.float32), b, y, P),
    "params say int8": lambda: K.bind_qs8_add(a, b, y, K.qs8_add_params(3, True, 5, False, 7, 0, 255, False, 0.5, 0.7)),
    "zero point outside the type": lambda: K.qs8_add_params(3, False, 256, False, 7, 0, 255, False, 0.5, 0.7),
    "empty output range": lambda: K.qs8_add_params(3, False, 5, False, 7, 9, 8, False, 0.5, 0.7),
    "negative ratio": lambda: K.qs8_add_params(3, False, 5, False, 7, 0, 255, False, -0.5, 0.7),
    "NaN ratio": lambda: K.qs8_add_params(3, False, 5, False, 7, 0, 255, False, 0.5, float("nan")),
    "broadcasting": lambda: K.bind_qs8_add(a, b[:1].copy(), y, P),
    "wrong out shape": lambda: K.bind_qs8_add(a, b, np.zeros((8, 4), np.uint8), P),
    "short params": lambda: K.bind_qs8_add(a, b, y, P[:8].copy()),
    "out overlaps a": lambda: K.bind_qs8_add(buf[:32].reshape(4, 8), b, buf[1:33].reshape(4, 8), P),
    "non-contiguous b": lambda: K.bind_qs8_add(a, np.zeros((4, 16), np.uint8)[:, ::2], y, P),
}
out = {}
for name, fn in bad.items():
    try:
        fn()
        out[name] = None
    except ValueError as e:
        out[name] = str(e)
out`, t);
  const want = {
    'float a': /uint8 or int8/, 'params say int8': /params say int8 a/, 'zero point outside the type': /outside/,
    'empty output range': /outside/, 'negative ratio': /positive and finite/, 'NaN ratio': /positive and finite/,
    broadcasting: /one shape/, 'wrong out shape': /one shape/, 'short params': /int32 \[10\]/,
    'out overlaps a': /overlap a/, 'non-contiguous b': /C-contiguous/,
  };
  for (const [name, re] of Object.entries(want)) assert.match(msgs[name] ?? 'accepted', re, name);
});

test('qs8 vquantize: float32 to uint8/int8 byte-exact with QuantizeLinear, ties, saturation, inf, NaN, every length around 16', { timeout: TEST_MS }, async (t) => {
  const n = await py.run(`
def quant_case(x, scale, zy, signed, clamp=None):
    ylo, yhi = (-128, 127) if signed else (0, 255)
    lo, hi = clamp if clamp else (ylo, yhi)
    xg, _ = guarded_bytes((x.size * 4,), np.uint8)
    xg = xg.view(np.float32)
    xg[...] = x
    y, ybuf = guarded_bytes(x.shape, np.int8 if signed else np.uint8)
    K.bind_qs8_quantize(xg, y, K.qs8_quantize_params(zy, lo, hi, signed, scale))()
    with np.errstate(invalid="ignore"):
        q = np.rint(x / np.float32(scale))
        want = np.where(np.isnan(q), zy, np.clip(q, lo - zy, hi - zy) + zy).astype(y.dtype)
    what = f"quantize n={x.size} scale={scale} zero={zy} signed={signed} clamp={(lo, hi)}"
    assert guards_intact(ybuf, y.size), what + ": wrote outside out"
    bad = np.argwhere(y != want)
    assert bad.size == 0, f"{what}: {len(bad)} differ, first at {bad[0]}: x={x[tuple(bad[0])]} {y[tuple(bad[0])]} vs {want[tuple(bad[0])]}"
    return int(y.size)

total = 0
for n in list(range(0, 40)) + [1000]:
    total += quant_case(rng.uniform(-3, 3, n).astype(np.float32), 0.0187, int(rng.integers(0, 256)), False)
    total += quant_case(rng.uniform(-3, 3, n).astype(np.float32), 0.0213, int(rng.integers(-128, 128)), True)
# exact ties: x / 0.5 = k + 0.5 for x = (2k + 1) / 4
ties = ((2 * np.arange(-300, 300) + 1) / 4).astype(np.float32)
for signed in (False, True):
    total += quant_case(ties, 0.5, 3 if signed else 128, signed)
    specials = np.array([np.inf, -np.inf, np.nan, 1e30, -1e30, 3.4e38, -0.0, 1e-40], np.float32)
    total += quant_case(specials, 0.01, -5 if signed else 77, signed)
    total += quant_case(np.linspace(-10, 10, 333).astype(np.float32), 0.03, 10, signed, clamp=(-20, 90) if signed else (20, 90))
total`, t);
  assert.ok(n > 3000, `only ${n} outputs checked`);
});

test('qs8 vdequantize: uint8/int8 to float32 bit-exact with DequantizeLinear, every byte, tiny/huge scales, every length around 16', { timeout: TEST_MS }, async (t) => {
  const n = await py.run(`
def dequant_case(x, scale, zx):
    signed = x.dtype == np.int8
    xg, _ = guarded_bytes(x.shape, x.dtype, x)
    yb, ybuf = guarded_bytes((x.size * 4,), np.uint8)
    y = yb.view(np.float32).reshape(x.shape)
    K.bind_qs8_dequantize(xg, y, K.qs8_dequantize_params(zx, signed, scale))()
    # ops/op_dequantize_linear.py: the float64 product, rounded once to float32
    with np.errstate(over="ignore"):
        want = ((x.astype(np.float64) - zx) * np.float64(np.float32(scale))).astype(np.float32)
    what = f"dequantize n={x.size} {x.dtype} scale={scale} zero={zx}"
    assert guards_intact(ybuf, y.size * 4), what + ": wrote outside out"
    bad = np.argwhere(y.view(np.int32) != want.view(np.int32))
    assert bad.size == 0, f"{what}: {len(bad)} differ, first at {bad[0]}: {y[tuple(bad[0])]} vs {want[tuple(bad[0])]}"
    return int(y.size)

total = 0
for n in list(range(0, 40)) + [1000]:
    total += dequant_case(rng.integers(0, 256, n).astype(np.uint8), 0.0187, int(rng.integers(0, 256)))
    total += dequant_case(rng.integers(-128, 128, n).astype(np.int8), 0.0213, int(rng.integers(-128, 128)))
every_u8, every_s8 = np.arange(256).astype(np.uint8), np.arange(-128, 128).astype(np.int8)
for scale in (1.0, 0.1, 3.7e-3, 1e-40, 1.5e-45, 3e38):        # subnormal results, overflow to inf
    for zx in (0, 128, 255):
        total += dequant_case(every_u8.reshape(16, 16), scale, zx)
    for zx in (-128, 0, 127):
        total += dequant_case(every_s8.reshape(4, 8, 8), scale, zx)
total`, t);
  assert.ok(n > 12000, `only ${n} outputs checked`);
});

test('qs8 dequantize binder rejects bad dtypes, params and shapes with ValueError', { timeout: TEST_MS }, async (t) => {
  const msgs = await py.run(`
x = np.zeros((4, 8), np.uint8)
y = np.zeros((4, 8), np.float32)
P = K.qs8_dequantize_params(3, False, 0.1)
bad = {
    "float x": lambda: K.bind_qs8_dequantize(y.copy(), y, P),
    "float64 out": lambda: K.bind_qs8_dequantize(x, y.astype(np.float64), P),
    "params say int8": lambda: K.bind_qs8_dequantize(x, y, K.qs8_dequantize_params(3, True, 0.1)),
    "zero point outside the type": lambda: K.qs8_dequantize_params(256, False, 0.1),
    "zero scale": lambda: K.qs8_dequantize_params(0, False, 0.0),
    "NaN scale": lambda: K.qs8_dequantize_params(0, False, float("nan")),
    "wrong out shape": lambda: K.bind_qs8_dequantize(x, y[:2], P),
    "short params": lambda: K.bind_qs8_dequantize(x, y, P[:4]),
    "non-contiguous x": lambda: K.bind_qs8_dequantize(np.zeros((8, 4), np.uint8).T, y, P),
}
msgs = {}
for name, fn in bad.items():
    try:
        fn()
    except ValueError as e:
        msgs[name] = str(e)
msgs`, t);
  const want = {
    'float x': /uint8 or int8/, 'float64 out': /float32/, 'params say int8': /params say int8 x/,
    'zero point outside the type': /outside/, 'zero scale': /positive and finite/, 'NaN scale': /positive and finite/,
    'wrong out shape': /one shape/, 'short params': /int32 \[8\]/, 'non-contiguous x': /C-contiguous/,
  };
  for (const [name, re] of Object.entries(want)) assert.match(msgs[name] ?? 'accepted', re, name);
});

test('qs8 quantize binder rejects bad dtypes, params and shapes with ValueError', { timeout: TEST_MS }, async (t) => {
  const msgs = await py.run(`
x = np.zeros((4, 8), np.float32)
y = np.zeros((4, 8), np.uint8)
P = K.qs8_quantize_params(3, 0, 255, False, 0.1)
bad = {
    "float64 x": lambda: K.bind_qs8_quantize(x.astype(np.float64), y, P),
    "float out": lambda: K.bind_qs8_quantize(x, x.copy(), P),
    "params say int8": lambda: K.bind_qs8_quantize(x, y, K.qs8_quantize_params(3, -128, 127, True, 0.1)),
    "zero scale": lambda: K.qs8_quantize_params(3, 0, 255, False, 0.0),
    "zero point outside the type": lambda: K.qs8_quantize_params(-1, 0, 255, False, 0.1),
    "wrong shape": lambda: K.bind_qs8_quantize(x, np.zeros((8, 4), np.uint8), P),
    "out overlaps x": lambda: K.bind_qs8_quantize(x, x.view(np.uint8)[:, :8], P),
}
out = {}
for name, fn in bad.items():
    try:
        fn()
        out[name] = None
    except ValueError as e:
        out[name] = str(e)
out`, t);
  const want = {
    'float64 x': /float32/, 'float out': /uint8 or int8/, 'params say int8': /params say int8/, 'zero scale': /positive and finite/,
    'zero point outside the type': /outside/, 'wrong shape': /one shape/, 'out overlaps x': /overlap x|C-contiguous/,
  };
  for (const [name, re] of Object.entries(want)) assert.match(msgs[name] ?? 'accepted', re, name);
});

test('qs8 binders reject bad dtypes, params, packed weights, shapes and overlaps with ValueError', { timeout: TEST_MS }, async (t) => {
  const msgs = await py.run(`
w = rng.integers(-127, 128, (8, 4, 3, 3)).astype(np.int8)
packed = K.pack_qs8_conv2d_nhwc(w, None, np.full(8, 0.01, np.float32))
x = np.zeros((1, 5, 5, 4), np.uint8)
y = np.zeros((1, 3, 3, 8), np.uint8)
P = K.qs8_params(3, False, 5, 0, 255, False)
bad = {
    "float x": lambda: K.bind_qs8_conv2d_nhwc(x.astype(np.float32), packed, y, (3, 3), params=P),
    "params say int8": lambda: K.bind_qs8_conv2d_nhwc(x, packed, y, (3, 3), params=K.qs8_params(3, True, 5, 0, 255, False)),
    "zero point outside the type": lambda: K.qs8_params(300, False, 5, 0, 255, False),
    "empty output range": lambda: K.qs8_params(3, False, 5, 200, 100, False),
    "wrong out shape": lambda: K.bind_qs8_conv2d_nhwc(x, packed, np.zeros((1, 4, 4, 8), np.uint8), (3, 3), params=P),
    "packed for another shape": lambda: K.bind_qs8_conv2d_nhwc(x, packed[:, :, :-2].copy(), y, (3, 3), params=P),
    "float packed": lambda: K.bind_qs8_conv2d_nhwc(x, packed.astype(np.float32), y, (3, 3), params=P),
    "out overlaps x": lambda: K.bind_qs8_conv2d_nhwc(x, packed, x.reshape(-1)[:72].reshape(1, 3, 3, 8), (3, 3), params=P),
    "non-contiguous x": lambda: K.bind_qs8_conv2d_nhwc(np.zeros((1, 5, 10, 4), np.uint8)[:, :, ::2], packed, y, (3, 3), params=P),
    "int32 overflow": lambda: K.bind_qs8_conv2d_nhwc(np.zeros((1, 3, 3, 70000), np.uint8),
        np.zeros(1, np.int16), np.zeros((1, 1, 1, 8), np.uint8), (3, 3), params=P),
    "float weights": lambda: K.pack_qs8_conv2d_nhwc(w.astype(np.float32), None, np.full(8, 0.01, np.float32)),
}
out = {}
for name, fn in bad.items():
    try:
        fn()
        out[name] = None
    except ValueError as e:
        out[name] = str(e)
out`, t);
  const want = {
    'float x': /uint8 or int8/, 'params say int8': /params say int8 x/, 'zero point outside the type': /outside/,
    'empty output range': /outside/, 'wrong out shape': /out must have shape/, 'packed for another shape': /packed weights have shape/,
    'float packed': /int16 array/, 'out overlaps x': /overlap x/, 'non-contiguous x': /C-contiguous/,
    'int32 overflow': /overflow the int32 accumulator/, 'float weights': /must be int8/,
  };
  for (const [name, re] of Object.entries(want)) assert.match(msgs[name] ?? 'accepted', re, name);
});

// ---- bare memory: every buffer in turn at the very start and end of a memory --------------

// packed weights: random int16 weights, small biases, positive scales where the kernel reads them
function fillPacked(memory, addr, bytes, seed, floatsAt) {
  fillBytes(memory, addr, bytes, seed);
  const f = new Float32Array(memory.buffer);
  for (const [at, n] of floatsAt) for (let i = 0; i < n; i++) f[(addr + at) / 4 + i] = 0.001 * (1 + (i % 5));
}

function setQs8Params(memory, addr, xSigned, ySigned) {
  new Int32Array(memory.buffer, addr, 8).set([xSigned ? -3 : 120, xSigned ? 1 : 0, ySigned ? 2 : 128,
    ySigned ? -128 : 0, ySigned ? 127 : 255, ySigned ? 1 : 0, 0, 0]);
}

const BARE_BUILDS = [SO, RELAXED].filter((f) => existsSync(f) && WebAssembly.validate(readFileSync(f)));

test('bounds: qs8 igemm reads and writes nothing outside x, the indirection, packed W, C, scratch', () => {
  let runs = 0;
  for (const file of BARE_BUILDS) {
    const bytes = readFileSync(file);
    // ks = 1 (the 4-row transposed gather), kc = 87 (3 taps over 256 int16: row by row)
    const shapes = [...[1, 2, 5].map((k) => [3, k]), [1, 9], [1, 5], [3, 87]];
    for (const m of [1, 3, 4, 5, 9]) for (const n of [1, 7, 8, 9, 17]) for (const [ks, k] of shapes) {
      // m output pixels, ks taps over a 1-D input of m + 2 pixels of kc = k bytes, zero-padded ends
      const px = m + 2, kk2 = (ks * k + 1) & ~1, panels = Math.ceil(n / 8), panel = 2 * (32 + 8 * kk2);
      for (const mb of [1, 4, 5, 8]) {
        const sizes = { x: px * k, ind: 4 * m * ks, w: panels * panel, c: m * n, scratch: 2 * Math.min(m, mb) * kk2, params: 32 };
        const floatsAt = [...Array(panels).keys()].map((p) => [p * panel + 32, 8]);
        boundsRun(bytes, sizes, (mem, ad) => {
          fillBytes(mem, ad.x, sizes.x, 3);
          fillPacked(mem, ad.w, sizes.w, 4, floatsAt);
          const ind = new Uint32Array(mem.buffer, ad.ind, m * ks);
          for (let i = 0; i < m; i++) for (let s = 0; s < ks; s++) {
            const p = i + s - (ks >> 1);
            ind[i * ks + s] = p < 0 || p >= px ? 0 : ad.x + p * k;
          }
          setQs8Params(mem, ad.params, m % 2 === 1, n % 2 === 0);
        }, (ex, ad) => ex.qs8_igemm_4x8c2__wasmsimd(m, n, k, ks, ad.ind, 0, ad.w, ad.c, n, ad.scratch, mb, ad.params));
      }
      runs++;
    }
  }
  assert.ok(runs >= 150);
});

test('bounds: qs8 depthwise reads and writes nothing outside x, packed w, y', () => {
  let runs = 0;
  for (const file of BARE_BUILDS) {
    const bytes = readFileSync(file);
    const cases = [];
    for (const c of [1, 3, 7, 8, 9, 16, 17]) for (const [k, s] of [[3, 1], [3, 2], [5, 1], [5, 2]]) for (const [h, w] of [[5, 9], [k, k]]) cases.push([c, k, s, h, w]);
    // rows wider than one chunk of the ring (5x5: 98 output columns)
    for (const c of [8, 9]) cases.push([c, 5, 1, 5, 101]);
    for (const [c, k, s, h, w] of cases) {
      const p = k >> 1, oh = Math.floor((h + 2 * p - k) / s) + 1, ow = Math.floor((w + 2 * p - k) / s) + 1;
      const cp = (c + 7) & ~7;
      const sizes = { x: h * w * c, w: 2 * (4 * cp + k * k * cp + 2 * k * Math.ceil(k / 2) * cp), y: oh * ow * c, shape: 4 * 14, params: 32 };
      boundsRun(bytes, sizes, (mem, ad) => {
        fillBytes(mem, ad.x, sizes.x, 1);
        fillPacked(mem, ad.w, sizes.w, 2, [[4 * cp, cp]]);
        new Int32Array(mem.buffer, ad.shape, 14).set([1, h, w, c, k, k, oh, ow, s, s, p, p, 1, 1]);
        setQs8Params(mem, ad.params, c % 2 === 1, k === 5);
      }, (ex, ad) => ex.qs8_dwconv2d_nhwc__wasmsimd(ad.x, ad.w, ad.y, ad.shape, ad.params));
      runs++;
    }
  }
  assert.ok(runs >= 58);
});

test('bounds: qs8 vadd reads and writes nothing outside a, b, y', () => {
  let runs = 0;
  for (const file of BARE_BUILDS) {
    const bytes = readFileSync(file);
    for (const n of [1, 5, 15, 16, 17, 31, 32, 33, 100]) {
      const sizes = { a: n, b: n, y: n, params: 40 };
      boundsRun(bytes, sizes, (mem, ad) => {
        fillBytes(mem, ad.a, n, 5);
        fillBytes(mem, ad.b, n, 6);
        const p = new Int32Array(mem.buffer, ad.params, 10);
        p.set([120, n % 2, -3, 1, 128, 0, 255, 0]);
        new Float32Array(mem.buffer, ad.params + 32, 2).set([0.7, 1.3]);
      }, (ex, ad) => ex.qs8_vadd_minmax__wasmsimd(ad.a, ad.b, ad.y, n, ad.params));
      runs++;
    }
  }
  assert.ok(runs >= 9);
});

test('bounds: qs8 vdequantize reads and writes nothing outside x, y', () => {
  let runs = 0;
  for (const file of BARE_BUILDS) {
    const bytes = readFileSync(file);
    for (const n of [1, 5, 15, 16, 17, 33, 100]) {
      const sizes = { x: n, y: 4 * n, params: 32 };
      boundsRun(bytes, sizes, (mem, ad) => {
        fillBytes(mem, ad.x, n, 9);
        new Int32Array(mem.buffer, ad.params, 8).set([n % 2 ? -3 : 128, n % 2, 0, 0, 0, 0, 0, 0]);
        new Float32Array(mem.buffer, ad.params + 8, 1).set([0.02]);
      }, (ex, ad) => ex.qs8_vdequantize__wasmsimd(ad.x, ad.y, n, ad.params));
      runs++;
    }
  }
  assert.ok(runs >= 7);
});

test('bounds: qs8 vquantize reads and writes nothing outside x, y', () => {
  let runs = 0;
  for (const file of BARE_BUILDS) {
    const bytes = readFileSync(file);
    for (const n of [1, 5, 15, 16, 17, 33, 100]) {
      const sizes = { x: 4 * n, y: n, params: 32 };
      boundsRun(bytes, sizes, (mem, ad) => {
        const x = new Float32Array(mem.buffer, ad.x, n);
        for (let i = 0; i < n; i++) x[i] = (i % 7) - 3.3;
        new Int32Array(mem.buffer, ad.params, 8).set([n % 2 ? -3 : 128, n % 2 ? -128 : 0, n % 2 ? 127 : 255, n % 2, 0, 0, 0, 0]);
        new Float32Array(mem.buffer, ad.params + 16, 1).set([0.02]);
      }, (ex, ad) => ex.qs8_vquantize__wasmsimd(ad.x, ad.y, n, ad.params));
      runs++;
    }
  }
  assert.ok(runs >= 7);
});
