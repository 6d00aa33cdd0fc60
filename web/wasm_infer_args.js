// wasm_infer_args.js — the JS shim's argument checks, before anything is sent
// to the worker: feeds (typed arrays and dims), outputNames, runs, timeouts
// and load()'s model sources. A bad argument is an InputError (a TypeError
// for a source), never a message the worker has to make sense of.
import { describeValue, inputError, shimError } from './wasm_infer_errors.js';

const TYPE_OF_ARRAY = new Map([
  [Float32Array, 'float32'], [Float64Array, 'float64'], [Int8Array, 'int8'], [Uint8Array, 'uint8'],
  [Int16Array, 'int16'], [Uint16Array, 'uint16'], [Int32Array, 'int32'], [Uint32Array, 'uint32'],
  [BigInt64Array, 'int64'], [BigUint64Array, 'uint64'], [Uint8ClampedArray, 'uint8'],
]);

// {data, dims[, type]} (or an onnxruntime-web Tensor, which has the same fields) → a message-ready feed.
function toFeed(name, value) {
  const what = `input ${JSON.stringify(name)}`;
  if (!value || typeof value !== 'object') throw inputError(`${what}: expected { data, dims }, got ${value}`);
  const { data } = value;
  if (!Array.isArray(data) && !ArrayBuffer.isView(data)) throw inputError(`${what}: data must be a typed array (e.g. Float32Array) or an array`);
  const dims = checkDims(what, value.dims ?? [data.length], data.length);
  let type = value.type;
  if (Array.isArray(data)) {
    if (type === 'string') return { type, dims, data: data.map(String) };
    type ||= 'float32';
    return { type, dims, data: typedFrom(type, data) };
  }
  const natural = TYPE_OF_ARRAY.get(data.constructor);
  if (!type || type === natural || (type === 'bool' && data instanceof Uint8Array) || (type === 'float16' && data instanceof Uint16Array)) {
    return { type: type || natural, dims, data };
  }
  throw inputError(`${what}: type '${type}' does not match its ${data.constructor.name}`);
}

// Every dim a non-negative integer (a safe one: 1e20 or NaN never reaches
// Python), and their product the data's length.
function checkDims(what, dims, length) {
  if (!Array.isArray(dims) && !ArrayBuffer.isView(dims)) throw inputError(`${what}: dims must be an array of integers, got ${describeValue(dims)}`);
  const out = Array.from(dims, (d) => (typeof d === 'bigint' && d >= 0n && d <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(d) : d));
  let count = 1;
  for (const d of out) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw inputError(`${what}: dims ${describeValue(dims)}: every dim must be a non-negative integer, not ${describeValue(d)}`);
    }
    count *= d;
  }
  if (count !== length) throw inputError(`${what}: dims ${describeValue(dims)} hold ${count} values, but data has ${length}`);
  return out;
}

function typedFrom(type, values) {
  const Ctor = [...TYPE_OF_ARRAY].find(([, t]) => t === type)?.[0];
  if (!Ctor) throw inputError(`cannot make a ${type} tensor from a plain array; pass a typed array`);
  return Ctor === BigInt64Array || Ctor === BigUint64Array ? Ctor.from(values, BigInt) : Ctor.from(values);
}

export function toFeeds(feeds) {
  if (!feeds || typeof feeds !== 'object' || Array.isArray(feeds)) throw inputError('feeds must be an object { inputName: { data, dims } }');
  return Object.fromEntries(Object.entries(feeds).map(([name, value]) => [name, toFeed(name, value)]));
}

// outputNames: absent (all outputs), one name, or an array of names.
export function toOutputNames(names) {
  if (names == null) return null;
  if (typeof names === 'string') return [names];
  if (Array.isArray(names) && names.every((n) => typeof n === 'string')) return names;
  throw inputError(`outputNames must be an output name or an array of them, got ${describeValue(names)}`);
}

/** The most runs one benchmark() or profile() call makes (the worker serves nothing else meanwhile). */
export const MAX_RUNS = 10_000;

export function checkRuns(runs) {
  if (!Number.isSafeInteger(runs) || runs < 1 || runs > MAX_RUNS) {
    throw inputError(`runs must be an integer from 1 to ${MAX_RUNS}, got ${describeValue(runs)}`);
  }
  return runs;
}

// A deadline in ms: a positive number; null, undefined or Infinity: none.
export function checkTimeout(timeout) {
  if (timeout == null || timeout === Infinity) return timeout ?? null;
  if (typeof timeout !== 'number' || !(timeout > 0)) throw inputError(`timeout must be a positive number of milliseconds (or null: none), got ${describeValue(timeout)}`);
  return timeout;
}

// load()'s source → { url } | { blob } | { bytes }, with the name the model goes by.
// Bytes are copied: the caller's buffer stays usable, and a restart can load them again.
export function sourceOf(source, name, baseURL) {
  if (typeof source === 'string' || source instanceof URL) {
    const url = new URL(source, globalThis.location?.href ?? baseURL).href;
    return { url, name: name ?? decodeURIComponent(url.split('/').pop().split('?')[0]) };
  }
  if (typeof Blob !== 'undefined' && source instanceof Blob) return { blob: source, name: name ?? source.name ?? 'model.onnx' };
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    const view = source instanceof ArrayBuffer ? new Uint8Array(source) : new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
    return { bytes: view.slice(), name: name ?? 'model.onnx' };
  }
  throw shimError('TypeError', 'load(source): source must be a URL, a File/Blob or an ArrayBuffer');
}

// The 'load' command's arguments for a source (bytes are copied into the message, not transferred: the shim keeps them).
export function loadArgs({ url, blob, bytes, name }) {
  return { url, blob, bytes, name };
}
