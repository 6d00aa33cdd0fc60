// wasm_infer_errors.js — the one error class of the JS shim (wasm_infer.js):
// Python's exceptions arrive as WasmInferErrors named after their type, and
// the shim's own errors use the same class with the names in ERROR_NAMES.

/** An error raised inside Python (or the worker), with the Python type as `name`. */
export class WasmInferError extends Error {
  constructor(info) {
    super(info.message || 'unknown error');
    this.name = info.type || 'Error';
    this.pythonType = info.pythonType || null;   // e.g. "wasm_infer.errors.ModelError"
    this.phase = info.phase || null;             // e.g. "model download"
    if (info.stack) this.workerStack = info.stack;
  }
}

/**
 * The names the shim itself gives a WasmInferError (Python's types arrive as
 * they are, e.g. ModelError, ResourceError, DeadlineError):
 *   InputError       a bad argument: feeds, dims, outputNames, runs, timeout
 *   TypeError        a bad source for load(), a foreign session for swap()
 *   DeadlineError    the call passed its deadline; its worker was restarted
 *   WorkerError      the worker failed, was restarted under this call (another
 *                    call passed its deadline: call again) or rt.terminate() ran
 *   SessionLost      after a restart the model could not be loaded again: load it anew
 *   SessionReleased  the session was released
 */
export const ERROR_NAMES = Object.freeze(['InputError', 'TypeError', 'DeadlineError', 'WorkerError', 'SessionLost', 'SessionReleased']);

export const shimError = (type, message) => new WasmInferError({ type, message });
export const inputError = (message) => shimError('InputError', message);

// A value as an error message shows it (typed arrays as arrays, bigints with their n).
export function describeValue(v) {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number' || v == null) return String(v);
  try { return JSON.stringify(Array.isArray(v) || ArrayBuffer.isView(v) ? Array.from(v, (x) => (typeof x === 'number' ? x : String(x))) : v) ?? String(v); } catch { return String(v); }
}
