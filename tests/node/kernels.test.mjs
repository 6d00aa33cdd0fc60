// The WebAssembly SIMD kernels (build/kernels/_kernels.so) inside Pyodide 0.27.7,
// against NumPy references computed in the same interpreter, through the
// checked wrappers of wasm_infer/kernels.py (loaded on its own, pointed at the
// module with WASM_INFER_KERNELS). Sizes sweep at, below and above every tile
// edge; inputs and outputs sit inside NaN guard zones so any out-of-bounds read
// that reaches a result, and any out-of-bounds write, fails the test.
//
// Run: node --test tests/node/   (after `python3 build.py test` built the kernels)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { bootPyodide, ROOT } from '../../tools/pyodide_node.mjs';

const SO = path.join(ROOT, 'build', 'kernels', '_kernels.so');
const KERNELS_PY = path.join(ROOT, 'wasm_infer', 'kernels.py');
const FS_DIR = '/tmp/wasm_infer_kernels_test';

let py;

const HELPERS = String.raw`
import sys, math, itertools, ctypes
import numpy as np
sys.path.insert(0, "${FS_DIR}")
import wi_kernels as K

GUARD = 37  # guard elements around every buffer
rng = np.random.default_rng(1234)

def guarded(shape, fill=None, row_pad=0):
    """A float32 array of 'shape' inside a NaN-filled buffer (GUARD on each side;
    row_pad extra NaN columns after each row of a 2-D array). Returns (view, buffer)."""
    shape = tuple(shape)
    if row_pad:
        rows, cols = shape
        buf = np.full(2 * GUARD + rows * (cols + row_pad), np.nan, np.float32)
        body = buf[GUARD:GUARD + rows * (cols + row_pad)].reshape(rows, cols + row_pad)
        view = body[:, :cols]
    else:
        size = int(np.prod(shape))
        buf = np.full(2 * GUARD + size, np.nan, np.float32)
        view = buf[GUARD:GUARD + size].reshape(shape)
    if fill is not None:
        view[...] = fill
    return view, buf

def guards_intact(view, buf):
    base = buf.ctypes.data
    owned = np.zeros(buf.shape, bool)
    if view.size:
        offs = np.zeros(view.shape, np.int64)
        for axis, stride in enumerate(view.strides):
            shp = [1] * view.ndim; shp[axis] = view.shape[axis]
            offs = offs + (np.arange(view.shape[axis]) * stride).reshape(shp)
        owned[((view.ctypes.data - base) + offs.ravel()) // 4] = True
    return bool(np.isnan(buf[~owned]).all())

def check_close(got, ref, k, what):
    tol = 1e-5 * max(1.0, math.sqrt(k)) + 1e-5 * np.abs(ref)
    err = np.abs(got.astype(np.float64) - ref)
    bad = ~(err <= tol)
    if bad.any():
        i = np.argwhere(bad)[0]
        raise AssertionError(f"{what}: {int(bad.sum())} of {got.size} wrong, first at {tuple(int(v) for v in i)}: "
                             f"got {got[tuple(i)]}, want {ref[tuple(i)]}")

CLAMPS = [(-np.inf, np.inf), (0.0, np.inf), (0.0, 6.0), (-0.5, 0.25)]

def gemm_case(m, n, k, bias, clamp, pads=(0, 0, 0)):
    a, abuf = guarded((m, k), rng.uniform(-1, 1, (m, k)), row_pad=pads[0])
    b, bbuf = guarded((k, n), rng.uniform(-1, 1, (k, n)), row_pad=pads[1])
    bb = guarded((n,), rng.uniform(-1, 1, n)) if bias else (None, None)
    c, cbuf = guarded((m, n), row_pad=pads[2])
    lo, hi = clamp
    K.gemm(a, b, bb[0], c, lo, hi)
    ref = a.astype(np.float64) @ b.astype(np.float64)
    if bias:
        ref += bb[0]
    ref = np.clip(ref, lo, hi)
    what = f"gemm m={m} n={n} k={k} bias={bias} clamp={clamp} row_pads={pads}"
    check_close(c, ref, k, what)
    assert guards_intact(c, cbuf), what + ": wrote outside out"

def conv_out_hw(h, w, kh, kw, s, p, d):
    return ((h + p[0] + p[2] - d[0] * (kh - 1) - 1) // s[0] + 1,
            (w + p[1] + p[3] - d[1] * (kw - 1) - 1) // s[1] + 1)

def conv_ref(x, w, b, s, p, d, group):
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    oh, ow = conv_out_hw(h, wd, kh, kw, s, p, d)
    xp = np.zeros((n, c, h + p[0] + p[2], wd + p[1] + p[3]))
    xp[:, :, p[0]:p[0] + h, p[1]:p[1] + wd] = x
    y = np.zeros((n, m, oh, ow))
    mg = m // group
    for g in range(group):
        xs = xp[:, g * cg:(g + 1) * cg]
        wg = w[g * mg:(g + 1) * mg].astype(np.float64)
        for i in range(kh):
            for j in range(kw):
                patch = xs[:, :, i * d[0]: i * d[0] + s[0] * (oh - 1) + 1: s[0],
                              j * d[1]: j * d[1] + s[1] * (ow - 1) + 1: s[1]]
                y[:, g * mg:(g + 1) * mg] += np.einsum("nchw,mc->nmhw", patch, wg[:, :, i, j])
    if b is not None:
        y += b.reshape(1, m, 1, 1)
    return y

def conv_case(n, c, h, w, m, kh, kw, s=(1, 1), p=(0, 0, 0, 0), d=(1, 1), group=1, bias=True, clamp=(-np.inf, np.inf)):
    oh, ow = conv_out_hw(h, w, kh, kw, s, p, d)
    x, xbuf = guarded((n, c, h, w), rng.uniform(-1, 1, (n, c, h, w)))
    wt, wbuf = guarded((m, c // group, kh, kw), rng.uniform(-1, 1, (m, c // group, kh, kw)))
    bb = guarded((m,), rng.uniform(-1, 1, m))[0] if bias else None
    y, ybuf = guarded((n, m, oh, ow))
    lo, hi = clamp
    K.conv2d_nchw(x, wt, bb, y, s, p, d, group, lo, hi)
    ref = np.clip(conv_ref(x, wt, bb, s, p, d, group), lo, hi)
    what = (f"conv x={(n, c, h, w)} w={(m, c // group, kh, kw)} strides={s} pads={p} dilations={d} "
            f"group={group} bias={bias} clamp={clamp}")
    check_close(y, ref, (c // group) * kh * kw, what)
    assert guards_intact(y, ybuf), what + ": wrote outside out"
`;

before(async () => {
  if (!existsSync(SO)) {
    throw new Error(`kernel module not found at ${path.relative(ROOT, SO)}: run \`python3 build.py test\` first (it builds the kernels with tools/build_kernels.py)`);
  }
  ({ pyodide: py } = await bootPyodide({ packages: ['numpy'], env: { WASM_INFER_KERNELS: `${FS_DIR}/_kernels.so` } }));
  py.FS.mkdirTree(FS_DIR);
  py.FS.writeFile(`${FS_DIR}/_kernels.so`, readFileSync(SO));
  py.FS.writeFile(`${FS_DIR}/wi_kernels.py`, readFileSync(KERNELS_PY));
  py.runPython(HELPERS);
});

after(() => { py = undefined; });

const run = (code) => py.runPython(code);

test('kernels load under Pyodide with SIMD128', () => {
  const [ok, flavour, reason, version] = run(`
[K.available(), K.flavour(), K.reason(), K._State.lib.wasm_infer_kernels_abi_version()]`).toJs();
  assert.equal(ok, true, `kernels not available: ${reason}`);
  assert.equal(flavour, 'simd128');
  assert.equal(version, 1);
});

test('gemm: every m, n, k around the tiles (4x8, 3x8, 2x16, 1x16, edges 4 and 1..3)', () => {
  const count = run(`
sizes = [1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17]
count = 0
for i, (m, n, k) in enumerate(itertools.product(sizes, sizes, [1, 3, 4, 5, 8, 17])):
    gemm_case(m, n, k, bias=i % 2 == 0, clamp=CLAMPS[i % len(CLAMPS)])
    count += 1
count`);
  assert.ok(count > 800);
});

test('gemm: larger and strided (row stride > row length)', () => {
  run(`
for m, n, k in [(33, 65, 129), (64, 100, 70), (1, 1000, 1280), (2, 1000, 300), (3, 37, 300), (100, 3, 5), (1, 1, 1000)]:
    gemm_case(m, n, k, bias=True, clamp=(0.0, 6.0))
    gemm_case(m, n, k, bias=False, clamp=(-np.inf, np.inf), pads=(3, 5, 7))
for m, n, k in itertools.product([1, 4, 5, 6], [3, 8, 13], [2, 9]):
    gemm_case(m, n, k, bias=True, clamp=(-np.inf, np.inf), pads=(1, 2, 1))
`);
});

test('gemm: NaN propagates through the clamp, k == 0 gives clamp(bias)', () => {
  run(`
a = np.ones((5, 3), np.float32); b = np.ones((3, 9), np.float32); a[2, 1] = np.nan
c = np.empty((5, 9), np.float32)
K.gemm(a, b, None, c, 0.0, 6.0)
assert np.isnan(c[2]).all() and not np.isnan(np.delete(c, 2, 0)).any(), c
assert (np.delete(c, 2, 0) == 3.0).all()
bias = np.arange(9, dtype=np.float32) - 4
K.gemm(np.zeros((5, 0), np.float32), np.zeros((0, 9), np.float32), bias, c, -1.0, 2.0)
assert (c == np.clip(bias, -1, 2)).all(), c
`);
});

test('conv2d (general): 1x1 GEMM path, groups, strides, kernels 1/3/5, asymmetric pads, dilation', () => {
  const count = run(`
cases = [
    # 1x1 stride 1 (GEMM fast path): channels and spatial sizes around the tiles
    dict(n=1, c=32, h=12, w=12, m=16, kh=1, kw=1),
    dict(n=2, c=5, h=3, w=7, m=9, kh=1, kw=1, clamp=(0.0, 6.0)),
    dict(n=1, c=3, h=1, w=1, m=1, kh=1, kw=1, bias=False),
    dict(n=1, c=8, h=5, w=5, m=12, kh=1, kw=1, group=4),
    # 1x1 not on the fast path
    dict(n=1, c=6, h=9, w=9, m=5, kh=1, kw=1, s=(2, 2)),
    dict(n=1, c=6, h=9, w=9, m=5, kh=1, kw=1, p=(1, 0, 0, 2)),
    # EfficientNet stem: 3x3 stride 2, TF-style asymmetric pad
    dict(n=1, c=3, h=32, w=32, m=32, kh=3, kw=3, s=(2, 2), p=(0, 0, 1, 1), clamp=(0.0, 6.0)),
    dict(n=1, c=3, h=33, w=35, m=8, kh=3, kw=3, s=(2, 2), p=(1, 1, 1, 1)),
    dict(n=2, c=4, h=10, w=17, m=7, kh=3, kw=3, p=(1, 1, 1, 1)),
    dict(n=1, c=4, h=11, w=20, m=5, kh=5, kw=5, p=(2, 2, 2, 2), bias=False),
    dict(n=1, c=2, h=9, w=9, m=3, kh=5, kw=5, s=(2, 2), p=(1, 2, 2, 1)),
    dict(n=1, c=3, h=10, w=13, m=6, kh=3, kw=3, s=(3, 3), p=(1, 1, 1, 1)),
    dict(n=1, c=3, h=16, w=16, m=4, kh=3, kw=3, d=(2, 2), p=(2, 2, 2, 2)),
    dict(n=1, c=2, h=12, w=15, m=4, kh=3, kw=2, d=(2, 3), s=(1, 2), p=(0, 3, 1, 0)),
    dict(n=1, c=4, h=7, w=7, m=8, kh=3, kw=3, group=2, p=(1, 1, 1, 1), clamp=(-0.5, 0.25)),
    dict(n=1, c=6, h=8, w=9, m=9, kh=3, kw=3, group=3, s=(2, 1), p=(0, 1, 2, 1)),
    dict(n=1, c=4, h=6, w=6, m=8, kh=3, kw=3, group=4, p=(1, 1, 1, 1)),  # channel multiplier 2
    dict(n=1, c=2, h=4, w=4, m=2, kh=5, kw=5, p=(2, 2, 2, 2)),           # kernel wider than input
    dict(n=1, c=1, h=3, w=3, m=1, kh=3, kw=3, p=(4, 4, 4, 4)),           # mostly padding
    dict(n=1, c=1, h=1, w=40, m=3, kh=1, kw=7, p=(0, 3, 0, 3)),
    # rows too wide for the kernels' stack tile: the bounds-checked fallback path
    dict(n=1, c=2, h=4, w=1500, m=5, kh=3, kw=3, p=(1, 1, 1, 1)),
    dict(n=1, c=2, h=12, w=700, m=3, kh=5, kw=3, d=(2, 1), s=(1, 2), p=(2, 0, 3, 1)),
    # more than 1024 taps (Cg*KH*KW): fallback path
    dict(n=1, c=116, h=6, w=9, m=5, kh=3, kw=3, p=(1, 1, 1, 1)),
    # banded path with bands of a few rows (many input channels)
    dict(n=1, c=64, h=9, w=30, m=6, kh=3, kw=3, p=(1, 1, 1, 1)),
    dict(n=1, c=24, h=11, w=50, m=5, kh=5, kw=5, s=(2, 2), p=(2, 2, 2, 2)),
]
for case in cases:
    conv_case(**case)
# random sweep (deterministic)
r = np.random.default_rng(7)
for i in range(150):
    group = int(r.choice([1, 1, 2, 3]))
    cg, mg = int(r.integers(1, 5)), int(r.integers(1, 6))
    kh, kw = int(r.choice([1, 2, 3, 5])), int(r.choice([1, 3, 5]))
    s = (int(r.integers(1, 4)), int(r.integers(1, 4)))
    d = (int(r.choice([1, 1, 2])), int(r.choice([1, 1, 2])))
    p = tuple(int(v) for v in r.integers(0, 3, 4))
    h = int(r.integers(max(1, (kh - 1) * d[0] + 1 - p[0] - p[2]), 20))
    w = int(r.integers(max(1, (kw - 1) * d[1] + 1 - p[1] - p[3]), 30))
    conv_case(int(r.integers(1, 3)), cg * group, h, w, mg * group, kh, kw, s, p, d, group,
              bias=bool(i % 2), clamp=CLAMPS[i % len(CLAMPS)])
len(cases) + 150`);
  assert.ok(count > 100);
});

test('dwconv2d: EfficientNet-Lite0 depthwise 3x3 / 5x5, stride 1 / 2, asymmetric pads, dilation', () => {
  const count = run(`
cases = [
    dict(n=1, c=8, h=17, w=17, kh=3, kw=3, p=(1, 1, 1, 1)),
    dict(n=1, c=4, h=16, w=16, kh=3, kw=3, s=(2, 2), p=(0, 0, 1, 1)),
    dict(n=1, c=4, h=17, w=17, kh=3, kw=3, s=(2, 2), p=(1, 1, 1, 1)),
    dict(n=1, c=4, h=28, w=28, kh=5, kw=5, s=(2, 2), p=(1, 1, 2, 2)),
    dict(n=1, c=4, h=14, w=14, kh=5, kw=5, p=(2, 2, 2, 2), clamp=(0.0, 6.0)),
    dict(n=1, c=3, h=7, w=7, kh=5, kw=5, p=(2, 2, 2, 2)),
    dict(n=2, c=3, h=112, w=112, kh=3, kw=3, p=(1, 1, 1, 1), clamp=(0.0, 6.0)),
    dict(n=1, c=2, h=9, w=33, kh=3, kw=3, d=(2, 2), p=(2, 2, 2, 2)),
    dict(n=1, c=2, h=9, w=40, kh=3, kw=3, s=(3, 3), p=(0, 1, 2, 0)),
    dict(n=1, c=2, h=5, w=5, kh=7, kw=7, p=(3, 3, 3, 3)),                # kernel wider than input
    dict(n=1, c=1, h=1, w=1, kh=3, kw=3, p=(1, 1, 1, 1), bias=False),
    dict(n=1, c=5, h=10, w=10, kh=1, kw=1),
    dict(n=1, c=3, h=6, w=21, kh=2, kw=4, s=(1, 2), p=(1, 0, 0, 3)),
    # rows too wide for the kernels' stack tile: the bounds-checked fallback path
    dict(n=1, c=2, h=5, w=1500, kh=3, kw=3, p=(1, 1, 1, 1)),
    dict(n=1, c=2, h=14, w=701, kh=5, kw=5, d=(2, 2), s=(2, 2), p=(4, 3, 4, 4)),
    dict(n=1, c=1, h=6, w=2000, kh=3, kw=3, s=(3, 3), p=(0, 1, 2, 1)),
]
for case in cases:
    c = case.pop("c")
    conv_case(c=c, m=c, group=c, **case)
r = np.random.default_rng(11)
for i in range(150):
    c = int(r.integers(1, 6))
    kh, kw = int(r.choice([1, 3, 5])), int(r.choice([1, 2, 3, 5]))
    s = (int(r.integers(1, 4)), int(r.integers(1, 4)))
    d = (int(r.choice([1, 1, 2])), int(r.choice([1, 1, 2, 3])))
    p = tuple(int(v) for v in r.integers(0, 3, 4))
    h = int(r.integers(max(1, (kh - 1) * d[0] + 1 - p[0] - p[2]), 20))
    w = int(r.integers(max(1, (kw - 1) * d[1] + 1 - p[1] - p[3]), 45))
    conv_case(int(r.integers(1, 3)), c, h, w, c, kh, kw, s, p, d, c,
              bias=bool(i % 2), clamp=CLAMPS[i % len(CLAMPS)])
len(cases) + 150`);
  assert.ok(count > 100);
});

test('wrappers reject bad dtypes, layouts and shapes with ValueError', () => {
  const failures = run(`
f32 = lambda *s: np.zeros(s, np.float32)
bad = {
    "gemm float64 a": lambda: K.gemm(np.zeros((2, 3)), f32(3, 4), None, f32(2, 4)),
    "gemm inner dims": lambda: K.gemm(f32(2, 3), f32(4, 4), None, f32(2, 4)),
    "gemm out shape": lambda: K.gemm(f32(2, 3), f32(3, 4), None, f32(2, 5)),
    "gemm out 1-D": lambda: K.gemm(f32(2, 3), f32(3, 4), None, f32(8)),
    "gemm bias length": lambda: K.gemm(f32(2, 3), f32(3, 4), f32(5), f32(2, 4)),
    "gemm bias dtype": lambda: K.gemm(f32(2, 3), f32(3, 4), np.zeros(4), f32(2, 4)),
    "gemm column-strided a": lambda: K.gemm(f32(2, 6)[:, ::2], f32(3, 4), None, f32(2, 4)),
    "gemm transposed b": lambda: K.gemm(f32(2, 3), f32(4, 3).T, None, f32(2, 4)),
    "gemm backwards rows": lambda: K.gemm(f32(2, 3)[::-1], f32(3, 4), None, f32(2, 4)),
    "gemm read-only out": lambda: K.gemm(f32(2, 3), f32(3, 4), None, np.broadcast_to(f32(4), (2, 4))),
    "gemm out overlaps a": lambda: (lambda buf: K.gemm(buf[:, :3], f32(3, 4), None, buf[:, 2:6]))(f32(2, 8)),
    "gemm empty clamp": lambda: K.gemm(f32(2, 3), f32(3, 4), None, f32(2, 4), 1.0, 0.0),
    "gemm list input": lambda: K.gemm([[1.0]], f32(1, 1), None, f32(1, 1)),
    "conv float64 x": lambda: K.conv2d_nchw(np.zeros((1, 3, 5, 5)), f32(4, 3, 3, 3), None, f32(1, 4, 3, 3)),
    "conv non-contiguous x": lambda: K.conv2d_nchw(f32(1, 3, 5, 10)[..., ::2], f32(4, 3, 3, 3), None, f32(1, 4, 3, 3)),
    "conv out shape": lambda: K.conv2d_nchw(f32(1, 3, 5, 5), f32(4, 3, 3, 3), None, f32(1, 4, 5, 5)),
    "conv out shape with pads": lambda: K.conv2d_nchw(f32(1, 3, 5, 5), f32(4, 3, 3, 3), None, f32(1, 4, 3, 3), pads=(1, 1, 1, 1)),
    "conv weight channels": lambda: K.conv2d_nchw(f32(1, 3, 5, 5), f32(4, 2, 3, 3), None, f32(1, 4, 3, 3)),
    "conv group": lambda: K.conv2d_nchw(f32(1, 4, 5, 5), f32(6, 1, 3, 3), None, f32(1, 6, 3, 3), group=4),
    "conv bias length": lambda: K.conv2d_nchw(f32(1, 3, 5, 5), f32(4, 3, 3, 3), f32(3), f32(1, 4, 3, 3)),
    "conv 3-D x": lambda: K.conv2d_nchw(f32(3, 5, 5), f32(4, 3, 3, 3), None, f32(1, 4, 3, 3)),
    "conv stride 0": lambda: K.conv2d_nchw(f32(1, 3, 5, 5), f32(4, 3, 3, 3), None, f32(1, 4, 3, 3), strides=(0, 1)),
    "conv negative pad": lambda: K.conv2d_nchw(f32(1, 3, 5, 5), f32(4, 3, 3, 3), None, f32(1, 4, 2, 3), pads=(-1, 0, 0, 0)),
    "conv kernel larger than input": lambda: K.conv2d_nchw(f32(1, 3, 2, 2), f32(4, 3, 3, 3), None, f32(1, 4, 0, 0)),
    "conv huge pads": lambda: K.conv2d_nchw(f32(1, 1, 1, 1), f32(1, 1, 1, 1), None, f32(1, 1, 3, 3), strides=(2**30, 2**30), pads=(2**30, 2**30, 2**30, 2**30)),
    "conv out overlaps x": lambda: (lambda buf: K.conv2d_nchw(buf[:75].reshape(1, 3, 5, 5), f32(3, 1, 3, 3), None, buf[70:97].reshape(1, 3, 3, 3), group=3))(f32(100)),
    "dwconv out shape": lambda: K.conv2d_nchw(f32(1, 4, 8, 8), f32(4, 1, 3, 3), None, f32(1, 4, 8, 8)),
}
failures = []
for name, call in bad.items():
    try:
        call()
        failures.append(f"{name}: accepted")
    except ValueError:
        pass
    except Exception as e:
        failures.append(f"{name}: {type(e).__name__}: {e}")
failures`).toJs();
  assert.deepEqual(failures, []);
});

test('heap addresses >= 2**31 pass through ctypes without argtypes, as unsigned or as signed ints', () => {
  run(`
f = K.raw("f32_gemm_minmax__wasmsimd")
p = K.params(0, 1)
# m = n = 0: the kernel reads only params; the other pointers are never dereferenced
f(0, 0, 0, 0xFFFFFFF0, 1, 0x80000000, 1, 0xFFFFFFFC, 0x80000004, 1, p.ctypes.data)
f(0, 0, 0, -16, 1, -2**31, 1, 0, -2**31 + 4, 1, p.ctypes.data)
# the bits survive either way: libc labs() sees 0xFFFFFFFF as -1 and 0x80000000 as INT_MIN
libc = ctypes.CDLL(None)
assert libc.labs(0xFFFFFFFF) == 1 and libc.labs(-1) == 1
assert libc.labs(0x80000000) == -2**31
`);
});

test('fallback: WASM_INFER_BACKEND=numpy and a missing module disable the kernels with a reason', () => {
  const [r1, r2, r3] = run(`
import os
out = []
os.environ["WASM_INFER_BACKEND"] = "numpy"
out.append([K.reload(), K.flavour(), K.reason()])
del os.environ["WASM_INFER_BACKEND"]
saved = os.environ["WASM_INFER_KERNELS"]
os.environ["WASM_INFER_KERNELS"] = "/nonexistent/_kernels.so"
out.append([K.reload(), K.flavour(), K.reason()])
os.environ["WASM_INFER_KERNELS"] = saved
try:
    K.gemm(np.zeros((1, 1), np.float32), np.zeros((1, 1), np.float32), None, np.zeros((1, 1), np.float32))
    out.append("gemm ran without kernels")
except RuntimeError as e:
    out.append(str(e))
K.reload()
out`).toJs();
  assert.deepEqual(r1.slice(0, 2), [false, 'numpy']);
  assert.match(r1[2], /WASM_INFER_BACKEND=numpy/);
  assert.deepEqual(r2.slice(0, 2), [false, 'numpy']);
  assert.match(r2[2], /not found/);
  assert.match(r3, /not available/);
  assert.equal(run('K.available()'), true);
});

// ---- bounds: every buffer at the very start and the very end of a bare memory ----
// The side module instantiated directly (no Pyodide), with its own memory: the
// buffer under test is placed at address 0 (so any read before it wraps to
// ~4 GiB) or ending exactly at the end of memory (so any read or write past it
// traps). This catches over-reads whose lanes are discarded, which the NaN
// guards above cannot see.

const STACK_BYTES = 64 * 1024; // the kernels' C stack (their conv tile is 16 KiB)

function bareKernels(bytes, pages, stackTop) {
  const memory = new WebAssembly.Memory({ initial: pages });
  const env = {
    memory,
    __memory_base: new WebAssembly.Global({ value: 'i32', mutable: false }, 0),
    __table_base: new WebAssembly.Global({ value: 'i32', mutable: false }, 0),
    __stack_pointer: new WebAssembly.Global({ value: 'i32', mutable: true }, stackTop),
    __indirect_function_table: new WebAssembly.Table({ initial: 0, element: 'anyfunc' }),
  };
  const mod = new WebAssembly.Module(bytes);
  const imports = { env: {}, 'GOT.mem': {}, 'GOT.func': {} };
  for (const imp of WebAssembly.Module.imports(mod)) {
    assert.ok(imp.name in env, `unexpected import ${imp.module}.${imp.name}`);
    imports[imp.module][imp.name] = env[imp.name];
  }
  return { memory, exports: new WebAssembly.Instance(mod, imports).exports };
}

// Lay out buffers {name: byteLength} with `target` first (at 0) or last (ending
// at the memory's end); the others and then the C stack in between.
function layout(sizes, target, atEnd) {
  const total = Object.values(sizes).reduce((s, n) => s + n, 0) + 64 * Object.keys(sizes).length + STACK_BYTES;
  const pages = Math.ceil((total + 1) / 65536) + 1;
  const end = pages * 65536;
  const addr = {};
  let p = atEnd ? 0 : sizes[target] + 64;
  if (atEnd) addr[target] = end - sizes[target];
  else addr[target] = 0;
  for (const [name, n] of Object.entries(sizes)) {
    if (name === target) continue;
    addr[name] = p;
    p += n + 64;
  }
  const stackTop = (p + STACK_BYTES + 15) & ~15;
  return { pages, addr, stackTop };
}

function boundsRun(bytes, sizes, init, call) {
  for (const target of Object.keys(sizes)) {
    if (sizes[target] === 0) continue;
    for (const atEnd of [false, true]) {
      const { pages, addr, stackTop } = layout(sizes, target, atEnd);
      const { memory, exports } = bareKernels(bytes, pages, stackTop);
      init(memory, addr);
      try {
        call(exports, addr);
      } catch (e) {
        throw new Error(`${e.message} with ${target} at the ${atEnd ? 'end' : 'start'} of memory`);
      }
    }
  }
}

function fillRandom(memory, addr, n, seed) {
  const f = new Float32Array(memory.buffer, addr, n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (s * 1664525 + 1013904223) >>> 0; f[i] = s / 2 ** 32 - 0.5; }
}

function setParams(memory, addr, lo, hi) { new Float32Array(memory.buffer, addr, 2).set([lo, hi]); }

test('bounds: gemm reads and writes nothing outside A, B, bias, C (bare memory, traps on overrun)', () => {
  const bytes = readFileSync(SO);
  const dims = [1, 2, 3, 4, 5, 7, 8, 9, 12, 16, 17];
  let runs = 0;
  for (const m of dims) for (const n of dims) for (const k of [1, 2, 5]) {
    const [sa, sb, sc] = [k + (m % 2), n + (k % 3), n];
    const sizes = { a: 4 * ((m - 1) * sa + k), b: 4 * ((k - 1) * sb + n), bias: 4 * n, c: 4 * ((m - 1) * sc + n), params: 8 };
    boundsRun(bytes, sizes, (mem, ad) => {
      fillRandom(mem, ad.a, sizes.a / 4, 1); fillRandom(mem, ad.b, sizes.b / 4, 2); fillRandom(mem, ad.bias, n, 3);
      setParams(mem, ad.params, -Infinity, Infinity);
    }, (ex, ad) => ex.f32_gemm_minmax__wasmsimd(m, n, k, ad.a, sa, ad.b, sb, ad.bias, ad.c, sc, ad.params));
    runs++;
  }
  assert.ok(runs > 300);
});

function convBounds(depthwise) {
  const bytes = readFileSync(SO);
  const fn = depthwise ? 'f32_dwconv2d_nchw_minmax__wasmsimd' : 'f32_conv2d_nchw_minmax__wasmsimd';
  let s = 99;
  const rnd = (lo, hi) => { s = (s * 1664525 + 1013904223) >>> 0; return lo + (s % (hi - lo + 1)); };
  const pick = (arr) => arr[rnd(0, arr.length - 1)];
  const cases = [];
  // EfficientNet-Lite0-like and tile-boundary cases, then random ones
  for (const [c, h, w, k, st, p] of [[4, 16, 16, 3, 2, [0, 0, 1, 1]], [4, 28, 28, 5, 2, [1, 1, 2, 2]], [3, 17, 17, 3, 1, [1, 1, 1, 1]],
    [3, 14, 14, 5, 1, [2, 2, 2, 2]], [2, 9, 33, 3, 1, [0, 0, 0, 0]], [2, 8, 24, 3, 2, [0, 0, 0, 0]], [2, 5, 20, 1, 1, [0, 0, 0, 0]],
    [1, 4, 1500, 3, 1, [1, 1, 1, 1]], [1, 6, 2001, 3, 2, [0, 0, 1, 1]], [1, 9, 999, 5, 1, [2, 1, 2, 3]], // fallback path (wide rows)
    [depthwise ? 3 : 116, 5, 9, 3, 1, [1, 1, 1, 1]], [depthwise ? 3 : 40, 9, 30, 3, 2, [1, 0, 1, 2]]]) { // taps > 1024; short bands
    cases.push({ n: 1, c, h, w, m: depthwise ? c : 5, kh: k, kw: k, s: [st, st], p, d: [1, 1], group: depthwise ? c : 1 });
  }
  for (let i = 0; i < 120; i++) {
    const group = depthwise ? 0 : pick([1, 1, 2, 3]);
    const cg = rnd(1, 4), mg = rnd(1, 5);
    const kh = pick([1, 2, 3, 5]), kw = pick([1, 2, 3, 5]);
    const st = [rnd(1, 3), rnd(1, 3)], d = [pick([1, 1, 2]), pick([1, 1, 2])];
    const p = [rnd(0, 2), rnd(0, 2), rnd(0, 2), rnd(0, 2)];
    const h = rnd(Math.max(1, (kh - 1) * d[0] + 1 - p[0] - p[2]), 12);
    const w = rnd(Math.max(1, (kw - 1) * d[1] + 1 - p[1] - p[3]), 40);
    const c = depthwise ? cg : cg * group, m = depthwise ? cg : mg * group;
    cases.push({ n: rnd(1, 2), c, h, w, m, kh, kw, s: st, p, d, group: depthwise ? c : group });
  }
  for (const t of cases) {
    const oh = Math.floor((t.h + t.p[0] + t.p[2] - t.d[0] * (t.kh - 1) - 1) / t.s[0]) + 1;
    const ow = Math.floor((t.w + t.p[1] + t.p[3] - t.d[1] * (t.kw - 1) - 1) / t.s[1]) + 1;
    const shape = [t.n, t.c, t.h, t.w, t.m, t.kh, t.kw, oh, ow, t.group, t.s[0], t.s[1], t.p[0], t.p[1], t.d[0], t.d[1]];
    const sizes = { x: 4 * t.n * t.c * t.h * t.w, w: 4 * t.m * (t.c / t.group) * t.kh * t.kw, bias: 4 * t.m,
      y: 4 * t.n * t.m * oh * ow, shape: 4 * 16, params: 8 };
    boundsRun(bytes, sizes, (mem, ad) => {
      fillRandom(mem, ad.x, sizes.x / 4, 1); fillRandom(mem, ad.w, sizes.w / 4, 2); fillRandom(mem, ad.bias, t.m, 3);
      new Int32Array(mem.buffer, ad.shape, 16).set(shape);
      setParams(mem, ad.params, 0, 6);
    }, (ex, ad) => ex[fn](ad.x, ad.w, ad.bias, ad.y, ad.shape, ad.params));
  }
  return cases.length;
}

test('bounds: conv2d reads and writes nothing outside x, w, bias, y (bare memory)', () => {
  assert.ok(convBounds(false) > 100);
});

test('bounds: dwconv2d reads and writes nothing outside x, w, bias, y (bare memory)', () => {
  assert.ok(convBounds(true) > 100);
});
