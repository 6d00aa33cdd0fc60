// wasm_infer_session.js — a model loaded by the JS shim (rt.load()): run,
// benchmark, profile and release, each waiting for a reload after its worker
// was restarted. The Runtime (wasm_infer.js) owns sessions: it creates them,
// restarts their worker past a deadline and swaps their model (_bind).
import { checkRuns, checkTimeout, toFeeds, toOutputNames } from './wasm_infer_args.js';
import { shimError } from './wasm_infer_errors.js';

/** A loaded model. */
export class Session {
  constructor(channel, meta) {
    this._bind(channel, meta);
    this.released = false;
    this.swaps = 0;                             // how many times rt.swap() replaced the model
    this.restarts = 0;                          // how many times a deadline restarted its worker (and it reloaded)
    this.timeout = null;                        // default deadline of its calls, ms (null: the runtime's)
    this._recovering = null;                    // a reload after a restart, while it runs
    this._lost = null;                          // the error every call rejects with, once the reload failed
  }

  // Point this session at model `meta.id` of the worker behind `channel`: one
  // synchronous step, so every later call goes to the new model (rt.swap).
  _bind(channel, meta) {
    this._channel = channel;
    this._id = meta.id;
    channel.sessions.add(meta.id);
    this.inputs = meta.inputs;                  // [{ name, dims, type }] (symbolic dims are strings or null)
    this.outputs = meta.outputs;
    this.inputNames = meta.inputs.map((i) => i.name);     // as in onnxruntime-web
    this.outputNames = meta.outputs.map((o) => o.name);
    this.backend = meta.backend;                // "simd128", ..., or "numpy"
    this.name = meta.name;
    this.bytes = meta.bytes;
    this.timings = meta.timings;                // { download_ms?, load_ms, warmup_ms, warmup_runs_ms }
    this.warmupError = meta.warmup_error || null;
  }

  // The session's state before any call: released, terminated, lost, or reloading (wait).
  async _usable() {
    for (;;) {
      if (this.released) throw shimError('SessionReleased', 'this session was released');
      const dead = this._owner?._terminated;
      if (dead) throw dead;
      if (this._lost) throw this._lost;
      if (!this._recovering) return;
      await this._recovering;
    }
  }

  async _call(cmd, args, { timeout, ...opts } = {}) {
    await this._usable();
    const ms = checkTimeout(timeout === undefined ? this.timeout ?? this._owner?.timeout ?? null : timeout);
    return this._channel.call(cmd, { id: this._id, ...args }, { ...opts, timeout: ms });
  }

  /**
   * Run once. feeds: { name: { data: TypedArray, dims: number[] } } → { outputs: { name: { data, dims, type } }, timings }.
   * outputNames: one name or an array of names (default: all). timeout: ms (default session.timeout, then the runtime's).
   */
  async run(feeds, { outputNames, timeout } = {}) {
    const t0 = performance.now();
    const result = await this._call('run', { feeds: toFeeds(feeds), outputNames: toOutputNames(outputNames) }, { timeout });
    result.timings.total_ms = performance.now() - t0;
    return result;
  }

  /** Run `runs` (1 to MAX_RUNS) times on the same feeds; per-run times measured inside the worker. */
  async benchmark(feeds, { runs = 50, onProgress, timeout } = {}) {
    return this._call('benchmark', { feeds: toFeeds(feeds), runs: checkRuns(runs) }, { onProgress, timeout });
  }

  /** Per-node and per-op-type times (mean over `runs`, 1 to MAX_RUNS), on `feeds` or the feeds of the last run. */
  async profile(feeds = null, { runs = 5, timeout } = {}) {
    return this._call('profile', { feeds: feeds ? toFeeds(feeds) : null, runs: checkRuns(runs) }, { timeout });
  }

  /**
   * Free the model's memory in the worker. Settles once the worker has
   * processed this session's calls sent before it (the worker answers in
   * order), whatever other sessions send meanwhile.
   */
  async release() {
    if (this.released) return;
    this.released = true;
    this._owner?._sessions.delete(this);
    if (this._recovering || this._lost) return;          // the reload releases it, or there is nothing left
    await this._owner?._releaseModel(this._channel, this._id);
  }
}
