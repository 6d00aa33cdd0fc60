// The kernels' side module instantiated directly (no Pyodide), with a memory of
// its own, for the bounds tests of tests/node/*.test.mjs: each buffer in turn
// is placed at address 0 (a read before it wraps to ~4 GiB and traps) or
// ending exactly at the end of memory (any read or write past it traps). This
// catches over-reads whose lanes are discarded, which guard bytes cannot see.
import assert from 'node:assert/strict';

// (func (drop (f32x4.relaxed_madd (v128.const 0) (v128.const 0) (v128.const 0)))), as in wasm_infer/kernels/loader.py:
// whether this engine validates relaxed SIMD
const RELAXED_PROBE = new Uint8Array([0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
  0x03, 0x02, 0x01, 0x00, 0x0A, 0x3E, 0x01, 0x3C, 0x00, ...[0, 1, 2].flatMap(() => [0xFD, 0x0C, ...Array(16).fill(0)]),
  0xFD, 0x85, 0x02, 0x1A, 0x0B]);
export const RELAXED_OK = WebAssembly.validate(RELAXED_PROBE);

export const STACK_BYTES = 64 * 1024; // the kernels' C stack (their conv tile is 16 KiB)

/** The module `bytes` in a fresh memory of `pages` pages, its C stack growing down from stackTop. */
export function bareKernels(bytes, pages, stackTop) {
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

/** Buffers {name: byteLength} with `target` at 0 or ending at the memory's end; the
 * others, 64 bytes apart and starting on multiples of `align`, then the C stack. */
export function layout(sizes, target, atEnd, align = 16) {
  const up = (x) => Math.ceil(x / align) * align;
  const total = Object.values(sizes).reduce((s, n) => s + n, 0) + (64 + align) * Object.keys(sizes).length + STACK_BYTES;
  const pages = Math.ceil((total + 1) / 65536) + 1;
  const addr = {};
  let p = atEnd ? 0 : up(sizes[target] + 64);
  addr[target] = atEnd ? pages * 65536 - sizes[target] : 0;
  for (const [name, n] of Object.entries(sizes)) {
    if (name === target) continue;
    addr[name] = p;
    p = up(p + n + 64);
  }
  return { pages, addr, stackTop: (p + STACK_BYTES + 15) & ~15 };
}

/** For every non-empty buffer at the start and at the end of a fresh memory:
 * init(memory, addr), then call(exports, addr); a trap names the placement. */
export function boundsRun(bytes, sizes, init, call, align = 16) {
  for (const target of Object.keys(sizes)) {
    if (sizes[target] === 0) continue;
    for (const atEnd of [false, true]) {
      const { pages, addr, stackTop } = layout(sizes, target, atEnd, align);
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

/** n pseudo-random bytes at addr (a fixed LCG, so failures reproduce). */
export function fillBytes(memory, addr, n, seed) {
  const b = new Uint8Array(memory.buffer, addr, n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (s * 1664525 + 1013904223) >>> 0; b[i] = s >>> 24; }
}
