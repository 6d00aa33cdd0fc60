// A minimal ONNX (protobuf) writer for the browser tests: just enough of
// ModelProto to make small float models from JavaScript, so the tests need
// no Python `onnx` at run time. Field numbers are those of onnx.proto3.

const enc = new TextEncoder();

function varint(n) {
  const out = [];
  let v = BigInt(n);
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v) byte |= 0x80;
    out.push(byte);
  } while (v);
  return out;
}

const key = (field, wire) => varint((field << 3) | wire);
const int = (field, n) => [...key(field, 0), ...varint(n)];
const bytes = (field, b) => [...key(field, 2), ...varint(b.length), ...b];
const str = (field, s) => bytes(field, [...enc.encode(s)]);
const msg = (field, parts) => bytes(field, parts.flat());

const FLOAT = 1;

// dims: numbers (dim_value) or strings (dim_param)
function valueInfo(field, name, dims) {
  const dim = (d) => msg(1, [typeof d === 'number' ? int(1, d) : str(2, d)]);
  const shape = msg(2, dims.map(dim));
  return msg(field, [str(1, name), msg(2, [msg(1, [int(1, FLOAT), shape])])]);
}

function node({ op, inputs, outputs, name = '', domain = '', attrs = [] }) {
  return msg(1, [...inputs.map((i) => str(1, i)), ...outputs.map((o) => str(2, o)), str(3, name), str(4, op),
    ...(domain ? [str(7, domain)] : []), ...attrs]);
}

/** An ONNX model: { nodes: [{ op, inputs, outputs, name }], inputs: [[name, dims]], outputs: [[name, dims]] } → Uint8Array. */
export function model({ nodes, inputs, outputs, opset = 13, irVersion = 8, name = 'test' }) {
  const graph = msg(7, [
    ...nodes.map(node), str(2, name),
    ...inputs.map(([n, d]) => valueInfo(11, n, d)),
    ...outputs.map(([n, d]) => valueInfo(12, n, d)),
  ]);
  return new Uint8Array([...int(1, irVersion), ...str(2, 'wasm_infer tests'), ...graph, ...msg(8, [str(1, ''), int(2, opset)])]);
}

/**
 * A 3-class "classifier": GlobalAveragePool then Flatten of a [N, 3, 32, 32] image: scores = channel means.
 * negated: the scores negated (Neg at the end): another model with the same inputs and outputs (for rt.swap).
 */
export function tinyClassifier({ negated = false } = {}) {
  const flat = negated ? 'flat' : 'scores';
  return model({
    nodes: [
      { op: 'GlobalAveragePool', inputs: ['image'], outputs: ['pooled'], name: 'pool' },
      { op: 'Flatten', inputs: ['pooled'], outputs: [flat], name: 'flatten' },
      ...(negated ? [{ op: 'Neg', inputs: [flat], outputs: ['scores'], name: 'negate' }] : []),
    ],
    inputs: [['image', ['N', 3, 32, 32]]],
    outputs: [['scores', ['N', 3]]],
  });
}

/** A model whose only node is an op no runtime implements. */
export function unsupportedOpModel() {
  return model({
    nodes: [{ op: 'FrobnicateImage', inputs: ['image'], outputs: ['scores'], name: 'frobnicate' }],
    inputs: [['image', [1, 3, 224, 224]]],
    outputs: [['scores', [1, 1000]]],
  });
}
