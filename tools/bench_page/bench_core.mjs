// The benchmark protocol of `python3 build.py bench`, shared by Node
// (tools/bench_node.mjs) and the Chromium page (tools/bench_page/bench_page.mjs)
// so both measure exactly the same way:
//
//  - our session (wasm_infer in Pyodide, tools/bench_pyodide.py) and
//    onnxruntime-web (wasm backend, numThreads = 1, SIMD) load the same model
//    bytes and get the same input (seeded normal values, generated here);
//  - 5 warm-up runs each, then N timed runs each, interleaved ours/peer (the
//    order alternates every round so neither always runs second), every run
//    timed with performance.now() around the call as a user would make it;
//  - p50/p90 per runtime, ratio ours/peer of the p50s, and the max abs
//    difference of the two outputs;
//  - then (inside Pyodide) the per-op breakdown of one model and the GEMM
//    micro-benchmarks against the SIMD128 peak.
//
// env: { pyodide, ort, benchPy (source of bench_pyodide.py), readBytes(ref) ->
//        Uint8Array, log(msg), runtime: 'node' | 'chromium' }
// config: { models: [{ key, ref }], warmup, runs, seed, breakdown: { model, runs } | null,
//           gemm: { sizes, conv1x1, min_batch_s, repeats } | null }
// --zoo (tools/zoo.py): a model also has feeds: [{ name, dtype, shape, ref }] (raw
// bytes, the same for both sides) and native_ref (onnxruntime's native outputs,
// an .npz): result.models[key].native compares every output of ours with them;
// config.zoo_breakdown: { runs } breaks every model down by op type, on kernels
// vs in NumPy (result.zoo_breakdown).

export function percentile(values, q) {
  // numpy's default ('linear') percentile, so JS and Python numbers agree
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

export function seededNormal(n, seed) {
  // mulberry32 + Box-Muller: the same floats in every runtime
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = 1 - uniform();
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

function stats(times) {
  return { p50: percentile(times, 0.5), p90: percentile(times, 0.9), min: Math.min(...times), n: times.length };
}

const TYPED = { float32: Float32Array, int64: BigInt64Array, int32: Int32Array, float64: Float64Array };

// A zoo model's feeds (tools/zoo.py): each input's raw little-endian bytes, for
// both sides: an ort.Tensor, and a file in Pyodide's file system for ours.
async function zooFeeds(env, model) {
  const feeds = {};
  const specs = [];
  for (const [i, f] of model.feeds.entries()) {
    const bytes = (await env.readBytes(f.ref)).slice();     // own, aligned buffer
    const Typed = TYPED[f.dtype];
    if (!Typed) throw new Error(`${model.key}: input ${f.name} has dtype ${f.dtype}, which the benchmark cannot feed`);
    feeds[f.name] = new env.ort.Tensor(f.dtype, new Typed(bytes.buffer, 0, bytes.byteLength / Typed.BYTES_PER_ELEMENT), f.shape);
    const path = `/bench/${model.key}.in${i}.bin`;
    env.pyodide.FS.writeFile(path, bytes);
    specs.push({ name: f.name, dtype: f.dtype, shape: f.shape, path });
  }
  return { feeds, specs };
}

// An ImageNet classifier's class for each sample photo (bench --zoo: int8 against fp32).
async function classifyPhotos(env, py, model) {
  const specs = [];
  for (const [i, p] of model.photos.entries()) {
    const path = `/bench/${model.key}.photo${i}.bin`;
    env.pyodide.FS.writeFile(path, await env.readBytes(p.ref));
    specs.push({ name: p.name, path });
  }
  try {
    return JSON.parse(py.top1(model.key, JSON.stringify(specs)));
  } finally {
    for (const s of specs) env.pyodide.FS.unlink(s.path);
  }
}

// A model's runs as `count`, from warm-up times of `warm` ms over config.warmup rounds: with
// min_timed_ms, more runs for fast models (the same number for every side), up to 50x config.runs.
function timedRuns(config, warm) {
  const roundMs = warm / Math.max(config.warmup, 1);
  return config.min_timed_ms && roundMs > 0
    ? Math.min(Math.max(config.runs, Math.ceil(config.min_timed_ms / roundMs)), 50 * config.runs) : config.runs;
}

// times[i] for fns[i], `runs` rounds, each round calling every fn once; the order
// rotates every round, so that no fn always runs first or after the same one.
async function interleaved(fns, runs) {
  const times = fns.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (let j = 0; j < fns.length; j++) {
      const k = (i + j) % fns.length;
      times[k].push(await fns[k]());
    }
  }
  return times;
}

// Ours only, for the int8 / fp32 pairs below.
async function loadOurs(env, py, model) {
  const fsPath = `/bench/${model.key}.onnx`;
  const refPath = `/bench/${model.key}.ref.npz`;
  env.pyodide.FS.mkdirTree('/bench');
  env.pyodide.FS.writeFile(fsPath, await env.readBytes(model.ref));
  env.pyodide.FS.writeFile(refPath, await env.readBytes(model.native_ref));
  const zoo = await zooFeeds(env, model);
  py.load_zoo_model(model.key, fsPath, JSON.stringify(zoo.specs), refPath);
  for (const f of [fsPath, refPath, ...zoo.specs.map((s) => s.path)]) env.pyodide.FS.unlink(f);
}

// A quantized model against its float original, both ours, loaded together and timed
// interleaved in one loop (as ours against onnxruntime-web): the speed-up is then
// measured on the same machine state, not across two models benchmarked minutes apart.
async function benchPair(env, config, py, q, f) {
  await loadOurs(env, py, q);
  await loadOurs(env, py, f);
  try {
    const time = (key) => () => {
      const t0 = performance.now();
      py.run_model(key);
      return performance.now() - t0;
    };
    const fns = [time(q.key), time(f.key)];
    let warm = 0;
    for (let i = 0; i < config.warmup; i++) for (const fn of fns) warm += fn();
    const runs = timedRuns(config, warm);
    const [tq, tf] = await interleaved(fns, runs);
    const a = stats(tq);
    const b = stats(tf);
    env.log(`  ${q.key} against ${f.key}, interleaved: int8 p50 ${a.p50.toFixed(1)} ms, fp32 p50 ${b.p50.toFixed(1)} ms, ` +
            `speed-up ${(b.p50 / a.p50).toFixed(2)} (${runs} runs)`);
    return { float: f.key, int8_p50_ms: a.p50, fp32_p50_ms: b.p50, speedup: b.p50 / a.p50, runs };
  } finally {
    py.release(q.key);
    py.release(f.key);
  }
}

async function benchModel(env, config, py, model) {
  const { pyodide, ort, log } = env;
  const bytes = await env.readBytes(model.ref);
  // the peer first: its input name and shape tell us the input to generate
  const peer = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const outName = peer.outputNames[0];
  const fsPath = `/bench/${model.key}.onnx`;
  pyodide.FS.mkdirTree('/bench');
  pyodide.FS.writeFile(fsPath, bytes);
  let feeds;
  let info;
  if (model.feeds) {
    const zoo = await zooFeeds(env, model);
    feeds = zoo.feeds;
    const refPath = `/bench/${model.key}.ref.npz`;
    pyodide.FS.writeFile(refPath, await env.readBytes(model.native_ref));
    info = JSON.parse(py.load_zoo_model(model.key, fsPath, JSON.stringify(zoo.specs), refPath));
    for (const f of [refPath, ...zoo.specs.map((s) => s.path)]) pyodide.FS.unlink(f);
  } else {
    const inName = peer.inputNames[0];
    const meta = peer.inputMetadata?.[0];
    const dims = meta?.shape?.map((d) => (typeof d === 'number' && d > 0 ? d : 1)) ?? [1, 3, 224, 224];
    const count = dims.reduce((a, b) => a * b, 1);
    const x = seededNormal(count, config.seed);
    feeds = { [inName]: new ort.Tensor('float32', x, dims) };
    const xBytes = new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
    info = JSON.parse(py.load_model(model.key, fsPath, xBytes, JSON.stringify(dims)));
  }
  pyodide.FS.unlink(fsPath);
  log(`  ${model.key}: loaded (ours ${info.load_ms.toFixed(0)} ms, backend ${info.backend}), ${config.warmup} warm-up + ` +
      `${config.runs} timed runs each${config.min_timed_ms ? ` or more (at least ${config.min_timed_ms} ms of timed runs)` : ''}`);

  const runOurs = py.run_model;
  const timeOurs = () => {
    const t0 = performance.now();
    runOurs(model.key);
    return performance.now() - t0;
  };
  const timePeer = async () => {
    const t0 = performance.now();
    await peer.run(feeds);
    return performance.now() - t0;
  };
  let warm = 0;
  for (let i = 0; i < config.warmup; i++) {
    warm += timeOurs();
    warm += await timePeer();
  }
  // A sub-millisecond model's p50 over a few runs moves with the timer and the machine.
  const runs = timedRuns(config, warm);
  const ours = [];
  const theirs = [];
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) {
      ours.push(timeOurs());
      theirs.push(await timePeer());
    } else {
      theirs.push(await timePeer());
      ours.push(timeOurs());
    }
  }

  // outputs: one more run each, compared element by element
  const peerOut = (await peer.run(feeds))[outName].data;
  const proxy = py.output_bytes(model.key);
  const oursBytes = proxy.toJs();
  proxy.destroy();
  const oursOut = new Float32Array(oursBytes.buffer, oursBytes.byteOffset, oursBytes.byteLength / 4);
  let maxAbsDiff = oursOut.length === peerOut.length ? 0 : Infinity;
  let scale = 0;
  for (let i = 0; i < Math.min(oursOut.length, peerOut.length); i++) {
    const d = Math.abs(oursOut[i] - peerOut[i]);
    maxAbsDiff = d > maxAbsDiff || Number.isNaN(d) ? d : maxAbsDiff;
    scale = Math.max(scale, Math.abs(peerOut[i]));
  }
  await peer.release();

  const o = stats(ours);
  const p = stats(theirs);
  const result = {
    ours_p50_ms: o.p50, ours_p90_ms: o.p90, ort_web_p50_ms: p.p50, ort_web_p90_ms: p.p90,
    ratio: o.p50 / p.p50, max_abs_diff: maxAbsDiff,
    ours_min_ms: o.min, ort_web_min_ms: p.min, ratio_min: o.min / p.min, runs, warmup: config.warmup,
    output_scale: scale, ours_load_ms: info.load_ms, backend: info.backend,
    ours_times_ms: ours.map((t) => Math.round(t * 100) / 100),
    ort_web_times_ms: theirs.map((t) => Math.round(t * 100) / 100),
  };
  if (model.feeds) result.native = JSON.parse(py.native_diff(model.key));   // every output vs onnxruntime native
  if (model.photos) result.top1 = await classifyPhotos(env, py, model);
  log(`  ${model.key}: ours p50 ${o.p50.toFixed(1)} ms, onnxruntime-web p50 ${p.p50.toFixed(1)} ms, ` +
      `ratio ${result.ratio.toFixed(2)}, max abs diff ${maxAbsDiff.toExponential(2)}`);
  return result;
}

export async function runBench(env, config) {
  const { pyodide, ort, log } = env;
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.simd = true;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = 'error';
  pyodide.runPython(env.benchPy);
  const py = {};
  for (const name of ['load_model', 'load_zoo_model', 'native_diff', 'run_model', 'output_bytes', 'op_breakdown', 'release',
    'gemm_bench', 'runtime_info', 'step_cost', 'top1']) {
    py[name] = pyodide.globals.get(name);
  }
  const result = {
    runtime: {
      ...JSON.parse(py.runtime_info()), pyodide: pyodide.version,
      ort_web: ort.env.versions?.web ?? null, ort_web_threads: ort.env.wasm.numThreads,
    },
    models: {},
    gemm: null,
    op_breakdown: null,
    step_cost: null,
  };
  for (const model of config.models) {
    result.models[model.key] = await benchModel(env, config, py, model);
    if (config.breakdown && config.breakdown.model === model.key) {
      log(`  ${model.key}: per-op breakdown over ${config.breakdown.runs} profiled runs`);
      result.op_breakdown = JSON.parse(py.op_breakdown(model.key, config.breakdown.runs));
    }
    if (config.zoo_breakdown) {     // --zoo: every model, with its kernel / NumPy split
      log(`  ${model.key}: per-op breakdown over ${config.zoo_breakdown.runs} profiled runs`);
      result.zoo_breakdown ??= {};
      result.zoo_breakdown[model.key] = JSON.parse(py.op_breakdown(model.key, config.zoo_breakdown.runs, true));
    }
    py.release(model.key);
  }
  for (const [q, f] of config.pairs ?? []) {
    const byKey = Object.fromEntries(config.models.map((m) => [m.key, m]));
    result.pairs ??= {};
    result.pairs[q] = await benchPair(env, config, py, byKey[q], byKey[f]);
  }
  if (config.step_cost) {
    log(`  per-step cost (${config.step_cost.models.length} chains, ${config.step_cost.runs} runs each)`);
    pyodide.FS.mkdirTree('/bench');
    const models = [];
    for (const m of config.step_cost.models) {
      const path = `/bench/${m.key}.onnx`;
      pyodide.FS.writeFile(path, await env.readBytes(m.ref));
      models.push({ kind: m.kind, n: m.n, path });
    }
    result.step_cost = JSON.parse(py.step_cost(JSON.stringify({ runs: config.step_cost.runs, models })));
    for (const m of models) pyodide.FS.unlink(m.path);
  }
  if (config.gemm) {
    log(`  GEMM micro-benchmarks (${config.gemm.sizes.length} square sizes, ${config.gemm.conv1x1.length} 1x1-conv shapes)`);
    result.gemm = JSON.parse(py.gemm_bench(JSON.stringify(config.gemm)));
  }
  for (const f of Object.values(py)) f.destroy();
  return result;
}
