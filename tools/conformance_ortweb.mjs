// onnxruntime-web (node_modules, wasm backend, 1 thread) on conformance cases
// written by tools/conformance_peers.py: the measured onnxruntime-web row of
// docs/CONFORMANCE.md. The host compares the outputs.
//   node tools/conformance_ortweb.mjs CASES.json [START_INDEX]
// CASES.json: [{"name", "model" (base64), "inputs": [{"type", "dims", "data"}]}],
// data base64 bytes (int4/uint4 packed two per byte) or a list of strings.
// Prints one JSON line per case: {"i", "name", "outputs": [{"type", "dims", "data"}]}
// or {"i", "name", "error"}. After a wasm abort the process exits (its module
// state is gone) and the host resumes at the next case in a fresh process.
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-web';

ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'fatal';

const ARRAYS = {
  float32: Float32Array, float64: Float64Array, float16: Uint16Array, int8: Int8Array, uint8: Uint8Array,
  int16: Int16Array, uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array, int64: BigInt64Array,
  uint64: BigUint64Array, bool: Uint8Array, int4: Uint8Array, uint4: Uint8Array,
};

function toTensor({ type, dims, data }) {
  if (type === 'string') return new ort.Tensor('string', data, dims);
  const bytes = new Uint8Array(Buffer.from(data, 'base64'));   // a fresh, aligned buffer
  const View = ARRAYS[type];
  return new ort.Tensor(type, new View(bytes.buffer, 0, bytes.length / View.BYTES_PER_ELEMENT), dims);
}

function fromTensor(t) {
  if (t.type === 'string') return { type: t.type, dims: [...t.dims], data: [...t.data] };
  const d = t.data;
  return { type: t.type, dims: [...t.dims], data: Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('base64') };
}

const [casesPath, startArg = '0'] = process.argv.slice(2);
const cases = JSON.parse(readFileSync(casesPath, 'utf8'));
for (let i = Number(startArg); i < cases.length; i++) {
  const c = cases[i];
  let line;
  let aborted = false;
  try {
    const session = await ort.InferenceSession.create(Buffer.from(c.model, 'base64'), { logSeverityLevel: 4 });
    try {
      if (session.inputNames.length !== c.inputs.length) {
        throw new Error(`the session has ${session.inputNames.length} inputs, the case feeds ${c.inputs.length}`);
      }
      const feeds = Object.fromEntries(session.inputNames.map((n, k) => [n, toTensor(c.inputs[k])]));
      const out = await session.run(feeds, { logSeverityLevel: 4 });
      line = { i, name: c.name, outputs: session.outputNames.map((n) => fromTensor(out[n])) };
    } finally {
      await session.release();
    }
  } catch (e) {
    const message = String(e?.message ?? e);
    aborted = /abort/i.test(message);
    line = { i, name: c.name, error: message.split('\n')[0] };
  }
  // wait until the line is out: a pipe write can be pending, and process.exit would cut it
  await new Promise((resolve) => process.stdout.write(JSON.stringify(line) + '\n', resolve));
  if (aborted) process.exit(3);
}
process.exit(0);   // onnxruntime-web may keep handles open
