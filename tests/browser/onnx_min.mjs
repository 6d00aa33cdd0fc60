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
const INT64 = 7;
const BOOL = 9;

// dims: numbers (dim_value) or strings (dim_param); elemType: a TensorProto data type
function valueInfo(field, name, dims, elemType = FLOAT) {
  const dim = (d) => msg(1, [typeof d === 'number' ? int(1, d) : str(2, d)]);
  const shape = msg(2, dims.map(dim));
  return msg(field, [str(1, name), msg(2, [msg(1, [int(1, elemType), shape])])]);
}

// A TensorProto with raw little-endian data.
const tensor = (field, dims, type, raw) => msg(field, [...dims.map((d) => int(1, d)), int(2, type), bytes(9, [...raw])]);
// AttributeProto (NodeProto field 5): a tensor (type 4), a graph (5), ints (7), an int (2).
export const attrTensor = (name, dims, type, raw) => msg(5, [str(1, name), tensor(5, dims, type, raw), int(20, 4)]);
const attrGraph = (name, graphParts) => msg(5, [str(1, name), msg(6, graphParts), int(20, 5)]);
const attrInts = (name, values) => msg(5, [str(1, name), ...values.map((v) => int(8, v)), int(20, 7)]);
const attrInt = (name, value) => msg(5, [str(1, name), int(3, value), int(20, 2)]);
const int64Raw = (values) => new Uint8Array(BigInt64Array.from(values, BigInt).buffer);

// GraphProto fields; inputs/outputs: [name, dims, elemType?]
function graphParts({ nodes, inputs, outputs, name }) {
  return [...nodes.map(node), str(2, name),
    ...inputs.map(([n, d, t]) => valueInfo(11, n, d, t)),
    ...outputs.map(([n, d, t]) => valueInfo(12, n, d, t))];
}

function node({ op, inputs, outputs, name = '', domain = '', attrs = [] }) {
  return msg(1, [...inputs.map((i) => str(1, i)), ...outputs.map((o) => str(2, o)), str(3, name), str(4, op),
    ...(domain ? [str(7, domain)] : []), ...attrs]);
}

/** An ONNX model: { nodes: [{ op, inputs, outputs, name }], inputs: [[name, dims]], outputs: [[name, dims]] } → Uint8Array. */
export function model({ nodes, inputs, outputs, opset = 13, irVersion = 8, name = 'test' }) {
  const graph = msg(7, graphParts({ nodes, inputs, outputs, name }));
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

/**
 * A classifier like tinyClassifier whose scores go through a `Loop` that never
 * ends (no trip count, the condition always true): loading it with a warm-up,
 * or running it, never finishes. Each iteration does real work (averages
 * `rows` copies of the scores), so an iteration count reached is modest.
 */
export function endlessLoopClassifier({ rows = 100_000 } = {}) {
  const body = graphParts({
    name: 'forever',
    nodes: [
      { op: 'Identity', inputs: ['cond_in'], outputs: ['cond_out'], name: 'keep_going' },
      { op: 'Expand', inputs: ['v_in', 'rows'], outputs: ['many'], name: 'expand' },
      { op: 'ReduceMean', inputs: ['many'], outputs: ['v_out'], name: 'mean', attrs: [attrInts('axes', [0]), attrInt('keepdims', 1)] },
    ],
    inputs: [['iter', [], INT64], ['cond_in', [], BOOL], ['v_in', ['N', 3]]],
    outputs: [['cond_out', [], BOOL], ['v_out', ['N', 3]]],
  });
  return model({
    nodes: [
      { op: 'GlobalAveragePool', inputs: ['image'], outputs: ['pooled'], name: 'pool' },
      { op: 'Flatten', inputs: ['pooled'], outputs: ['flat'], name: 'flatten' },
      { op: 'Constant', inputs: [], outputs: ['always'], name: 'always', attrs: [attrTensor('value', [], BOOL, [1])] },
      { op: 'Constant', inputs: [], outputs: ['rows'], name: 'rows', attrs: [attrTensor('value', [2], INT64, int64Raw([rows, 3]))] },
      { op: 'Loop', inputs: ['', 'always', 'flat'], outputs: ['scores'], name: 'loop', attrs: [attrGraph('body', body)] },
    ],
    inputs: [['image', ['N', 3, 32, 32]]],
    outputs: [['scores', ['N', 3]]],
  });
}

/**
 * A few hundred bytes that ask for `count` float32s: Range(0, count, 1) of
 * constants, which a loader folds into one array (12 GB by default, more than
 * a wasm32 heap can ever hold). The image input is not used.
 */
export function rangeBomb({ count = 3e9 } = {}) {
  const scalar = (name, v) => ({ op: 'Constant', inputs: [], outputs: [name], name, attrs: [attrTensor('value', [], FLOAT, new Uint8Array(Float32Array.of(v).buffer))] });
  return model({
    nodes: [scalar('start', 0), scalar('limit', count), scalar('delta', 1),
      { op: 'Range', inputs: ['start', 'limit', 'delta'], outputs: ['scores'], name: 'range' }],
    inputs: [['image', [1, 3, 32, 32]]],
    outputs: [['scores', ['n']]],
  });
}
