/**
 * What "the same description" means for a writer + reader round trip: tensors (name, shape, dtype,
 * quantization at float32 precision, data), ops (kind, inputs, outputs, options) and graph inputs / outputs.
 * Producer strings, the quant style label and source op names may differ between formats and are not compared.
 */
import type { ModelDescription, TensorQuant } from '../import/types';

const quantKey = (q: TensorQuant | null) =>
  q && { scale: q.scale.map((s) => Math.fround(s)), zeroPoint: q.zeroPoint.map(Number), axis: q.axis };

/** A plain-JSON view of the parts of a description that a round trip must keep. */
export function roundTripView(d: ModelDescription) {
  return {
    layout: d.layout,
    inputs: d.inputs,
    outputs: d.outputs,
    tensors: d.tensors.map((t) => ({
      id: t.id,
      name: t.name,
      shape: t.shape,
      dtype: t.dtype,
      quant: quantKey(t.quant),
      data: t.data ? Array.from(t.data) : null,
    })),
    ops: d.ops.map((o) => ({ kind: o.kind, inputs: o.inputs, outputs: o.outputs, options: o.options })),
  };
}
