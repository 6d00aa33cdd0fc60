// How loading scales with the number of nodes (issue 17), inside Pyodide in Node:
// `InferenceSession(bytes)` of the Relu chains of tests/hostile_models.py, best of --reps,
// sizes interleaved; µs per node and each size's time over the smallest's, and each file's
// size (bytes grow a little faster than nodes: longer names). For reference, one
// plain Python loop over the loaded graph's nodes (`for node in nodes: node.inputs`), which runs
// no loader code: its cost per node shows what the memory hierarchy alone adds once a graph's
// objects no longer fit in the CPU's caches. And a floor: building only the chain's bare IR (one
// ir.Node per node with its input and output lists and its name strings, as decoding makes them)
// in a list comprehension, with the collector set as loading sets it. No loader that makes one
// object a node can do less per node, so its ratio is the least such a loader's can be. And a
// decoder that makes no object a node: it walks the file's NodeProtos with the loader's varint
// reader and keeps each node's op type (an index) and the byte spans of its input and output
// names in flat arrays, as an IR of arrays instead of objects would start; its ratio shows what
// such a redesign could expect from the same interpreter. And two controls that involve no
// loader: a dict of the chain's n distinct value names (the table of names every loader keeps
// in some form), which shows what the memory hierarchy adds to a hash table ten times larger,
// and a loop of pure arithmetic doing n units of work, which keeps no memory and shows how
// closely this machine times ten times the work at all.
//
//   node tools/load_scaling.mjs [--sizes 10000,100000] [--reps 3] [--first-run] [--phases] [--memory] [--name-width]
//                               [--wheel PATH]
//
// --first-run: also time the first run (recording and planning) after each load.
// --phases: also time the phases of a load (decoding the protobuf, building the IR, ordering,
//   the graph passes, the rest), each by a timer around its function, best of --reps.
// --memory: also the memory a loaded session holds (tracemalloc, one more load per size, untimed),
//   next to this machine's CPU caches (from /sys): a load slows a little a node once that memory
//   outgrows them.
// --name-width: the numbers in the names zero-padded to the largest size's digits, so names have
//   one length in every file and the bytes grow as the nodes do (without it, 10x the nodes is
//   about 11x the bytes).
// --wheel: measure this wasm_infer wheel instead of the built one (build/dist).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, bootPyodide, hostPython } from './pyodide_node.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const sizes = opt('--sizes', '10000,100000').split(',').map(Number);
const reps = Number(opt('--reps', '3'));
const firstRun = args.includes('--first-run');
const phases = args.includes('--phases');
const memory = args.includes('--memory');
const width = args.includes('--name-width') ? String(Math.max(...sizes)).length : 0;
const wheel = opt('--wheel', true);
if (!sizes.every((n) => Number.isInteger(n) && n > 0) || !(reps >= 1) || !wheel) {
  throw new Error('usage: node tools/load_scaling.mjs [--sizes N,N,...] [--reps R] [--first-run] [--phases] [--memory] [--name-width] [--wheel PATH]');
}

// "L1d 48K, L2 2048K, ..." from Linux's sysfs; "unknown" elsewhere
function cpuCaches() {
  const base = '/sys/devices/system/cpu/cpu0/cache';
  if (!existsSync(base)) return 'unknown';
  return readdirSync(base).filter((d) => d.startsWith('index')).sort().map((d) => {
    const read = (f) => readFileSync(path.join(base, d, f), 'utf8').trim();
    const type = read('type');
    return `L${read('level')}${type === 'Data' ? 'd' : type === 'Instruction' ? 'i' : ''} ${read('size')}` +
           ` (CPUs ${read('shared_cpu_list')})`;
  }).join(', ');
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'wasm_infer_chains_'));
try {
  execFileSync(hostPython(), ['-c', `
import sys; sys.path.insert(0, ${JSON.stringify(path.join(ROOT, 'tests'))})
import hostile_models
for n in ${JSON.stringify(sizes)}:
    open(f"${dir}/chain_{n}.onnx", "wb").write(hostile_models.chain(n, ${width}))
`], { timeout: 600_000 });
  const { pyodide } = await bootPyodide({ packages: ['numpy'], wheel });
  pyodide.FS.mkdirTree('/chains');
  const bytes = {};    // each file's size: it grows a little faster than the node count (longer names)
  for (const n of sizes) {
    const data = readFileSync(path.join(dir, `chain_${n}.onnx`));
    bytes[n] = data.length;
    pyodide.FS.writeFile(`/chains/chain_${n}.onnx`, data);
  }
  const out = pyodide.runPython(`
import json, time, numpy as np, wasm_infer
from array import array
from wasm_infer import graph_runner, ir, onnx_proto, passes, session
from wasm_infer.wire_numbers import varint
sizes, first_run = ${JSON.stringify(sizes)}, ${firstRun ? 'True' : 'False'}
# load, first run, walk over the nodes, bare IR, array decode, table of names, arithmetic
best = {n: [float("inf")] * 7 for n in sizes}
spent, best_phase = {}, {n: {} for n in sizes}     # --phases: seconds per phase in this load; best per size

def timed(module, name, phase):
    # replaces module.name, which its callers look up in the module at each call
    f = getattr(module, name)
    def phase_timer(*args, **kwargs):
        t = time.perf_counter()
        try:
            return f(*args, **kwargs)
        finally:
            spent[phase] = spent.get(phase, 0.0) + time.perf_counter() - t
    setattr(module, name, phase_timer)

if ${phases ? 'True' : 'False'}:
    timed(onnx_proto, "load_model", "decode the protobuf (onnx_proto.load_model)")
    timed(ir, "from_proto", "build the IR, check names (ir.from_proto)")
    timed(graph_runner, "toposort", "order the nodes (graph_runner.toposort)")
    timed(passes, "optimize", "graph passes (passes.optimize)")

def bare_ir(n):
    with session._young_collections_only():
        return [ir.Node("Relu", [f"v{i:0${width}}"], [f"v{i + 1:0${width}}"], ir.NO_ATTRS, "", f"r{i:0${width}}") for i in range(n)]

def array_decode(data):
    # ModelProto.graph (7) -> GraphProto.node (1) -> NodeProto input (1), output (2), op_type (4);
    # other fields are skipped by their lengths (the chains have only varints and length-delimited fields)
    end, pos, kinds = len(data), 0, {}
    op, spans, first = array("l"), array("l"), array("l")
    while pos < end:
        key, pos = varint(data, pos, end)
        n, pos = varint(data, pos, end)
        if key & 7 != 2:
            continue
        if key == 58:
            gpos, gend = pos, pos + n
            while gpos < gend:
                gkey, gpos = varint(data, gpos, gend)
                gn, gpos = varint(data, gpos, gend)
                if gkey == 10:
                    first.append(len(spans))
                    npos, nend = gpos, gpos + gn
                    while npos < nend:
                        nkey, npos = varint(data, npos, nend)
                        nn, npos = varint(data, npos, nend)
                        if nkey == 10 or nkey == 18:
                            spans.append(npos)
                            spans.append(npos + nn)
                        elif nkey == 34:
                            op.append(kinds.setdefault(data[npos:npos + nn], len(kinds)))
                        npos += nn
                gpos += gn
        pos += n
    return op, spans, first

def name_table(n):
    return {f"v{i:0${width}}": i for i in range(n)}

def arithmetic(n):
    x = 0
    for _ in range(n * 40):
        x = (x * 31 + 7) & 1023
    return x

for _ in range(${reps}):
    for n in sizes:
        data = open(f"/chains/chain_{n}.onnx", "rb").read()
        spent.clear()
        t0 = time.perf_counter()
        sess = wasm_infer.InferenceSession(data)
        t1 = time.perf_counter()
        if spent:
            spent["the rest (op resolution, steps, session)"] = (t1 - t0) - sum(spent.values())
            for phase, t in spent.items():
                best_phase[n][phase] = min(best_phase[n].get(phase, float("inf")), t)
        nodes = sess._runner.graph.nodes
        for node in nodes:
            node.inputs
        t2 = time.perf_counter()
        t3 = t2
        if first_run:
            sess.run(None, {"x": np.ones(4, np.float32)})
            t3 = time.perf_counter()
        del sess, nodes
        t4 = time.perf_counter()
        nodes = bare_ir(n)
        t5 = time.perf_counter()
        del nodes
        t6 = time.perf_counter()
        arrays = array_decode(data)
        t7 = time.perf_counter()
        assert len(arrays[0]) == n, (len(arrays[0]), n)
        del arrays
        t8 = time.perf_counter()
        names = name_table(n)
        t9 = time.perf_counter()
        del names
        t10 = time.perf_counter()
        arithmetic(n)
        t11 = time.perf_counter()
        times = [t1 - t0, t3 - t2, t2 - t1, t5 - t4, t7 - t6, t9 - t8, t11 - t10]   # in the order of best's
        best[n] = [min(b, t) for b, t in zip(best[n], times)]
held = {}
if ${memory ? 'True' : 'False'}:
    import tracemalloc
    for n in sizes:
        data = open(f"/chains/chain_{n}.onnx", "rb").read()
        tracemalloc.start()
        try:
            sess = wasm_infer.InferenceSession(data)
            held[n] = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
        del sess
json.dumps([best, best_phase, held])
`);
  const [best, bestPhase, held] = JSON.parse(out);
  const n0 = sizes[0];
  const row = (label, i, unit) => {
    console.log(label);
    for (const n of sizes) {
      const t = best[n][i];
      console.log(`  ${String(n).padStart(8)} nodes ${(t * 1e3).toFixed(1).padStart(9)} ms ` +
                  `${(t / n * unit).toFixed(unit === 1e6 ? 2 : 1).padStart(7)} ${unit === 1e6 ? 'us' : 'ns'}/node ` +
                  `${(t / best[n0][i]).toFixed(2).padStart(7)}x the ${n0}-node time`);
    }
  };
  console.log(`Relu chains inside Pyodide, best of ${reps}, sizes interleaved`);
  console.log('model file (a loader linear in bytes would follow these ratios):');
  for (const n of sizes) {
    console.log(`  ${String(n).padStart(8)} nodes ${String(bytes[n]).padStart(9)} bytes ` +
                `${(bytes[n] / n).toFixed(1).padStart(7)} B/node ${(bytes[n] / bytes[n0]).toFixed(2).padStart(7)}x the ${n0}-node file`);
  }
  row('InferenceSession(bytes):', 0, 1e6);
  if (phases) {
    console.log(`phases of InferenceSession(bytes), each the best of ${reps}:`);
    for (const phase of Object.keys(bestPhase[n0])) {
      console.log(`  ${phase}:`);
      for (const n of sizes) {
        const t = bestPhase[n][phase];
        console.log(`  ${String(n).padStart(8)} nodes ${(t * 1e3).toFixed(1).padStart(9)} ms ` +
                    `${(t / n * 1e6).toFixed(2).padStart(7)} us/node ${(t / bestPhase[n0][phase]).toFixed(2).padStart(7)}x`);
      }
    }
  }
  if (firstRun) row('first run (record and plan):', 1, 1e6);
  if (memory) {
    console.log('memory a loaded session holds (tracemalloc, Python objects and NumPy arrays):');
    for (const n of sizes) {
      console.log(`  ${String(n).padStart(8)} nodes ${(held[n] / 2 ** 20).toFixed(2).padStart(9)} MiB ` +
                  `${(held[n] / n).toFixed(0).padStart(7)} B/node`);
    }
    console.log(`this machine's CPU caches (cpu0): ${cpuCaches()}`);
  }
  row('reference, no loader code: one loop over the loaded nodes reading node.inputs:', 2, 1e9);
  row('floor, the least a loader of one object a node does: a list comprehension building the bare IR (ir.Node, lists, names):', 3, 1e9);
  row('no object a node: a decoder keeping each node\'s op type and name spans in flat arrays:', 4, 1e9);
  row('control, no loader: a dict of the n value names (the table of names a loader keeps):', 5, 1e9);
  row('control, no memory: n units of pure arithmetic (how closely this machine times work in a known proportion):', 6, 1e9);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
