// The per-op chart speaks the model's language: wasm_infer's graph passes
// replace ONNX nodes with internal ops (ops/internal.py), and a profile names
// those. Each internal op is charted under the ONNX op(s) it came from; the
// profile does not record which activation a fused Conv absorbed, so the
// fused ones say "+ activation".
export const ONNX_NAME = {
  NhwcConv: 'Conv',
  FusedConv: 'Conv + activation',
  FusedMatMul: 'MatMul/Gemm + Add',
  FusedLayerNorm: 'LayerNormalization',
  NhwcPool: 'MaxPool/AveragePool',
  NhwcGlobalAveragePool: 'GlobalAveragePool',
};

/** profile with its `ops` regrouped under ONNX op names (`internal` lists what each one merges). */
export function withOnnxOpNames(profile) {
  const byName = new Map();
  for (const o of profile.ops) {
    const name = ONNX_NAME[o.op_type] ?? o.op_type;
    const e = byName.get(name) ?? { op_type: name, ms: 0, nodes: 0, share: 0, internal: [] };
    e.ms += o.ms; e.nodes += o.nodes; e.share += o.share ?? 0;
    if (name !== o.op_type) e.internal.push(o.op_type);
    byName.set(name, e);
  }
  return { ...profile, ops: [...byName.values()].sort((a, b) => b.ms - a.ms) };
}
