/**
 * From a training plan's trainable tensors back to a model: the page and the CLI train a plan, and what they
 * trained becomes a Model again, so the firmware, the model file and the next compile all start from it.
 *
 * A plan's trainable consts ('sram') are named after the model tensor they hold, `<layer>.weight` or
 * `<layer>.bias`, except the head of a split weight (plan.splitWeights), which holds columns [0, k) of each of
 * the weight's rows; the frozen tail (columns [k, cols)) never changes, so the full weight is the per-row
 * concatenation of the trained head and the model's own tail columns.
 */
import type { TrainingPlan } from '../plan';
import type { ConvLayer, Model } from './model';

/** One trainable tensor as the executor reads it back (executor.trainable()). */
export interface TrainableTensor {
  name: string;
  data: Int8Array | Int32Array;
}

/** A copy of `model` whose layers hold the trained tensors; every other array is shared with `model`. */
export function applyTrainable(model: Model, plan: TrainingPlan, trained: readonly TrainableTensor[]): Model {
  if (plan.model.name !== model.name || plan.model.classes !== model.classes)
    throw new Error(`the plan is for ${plan.model.name} (${plan.model.classes} classes), not ${model.name}`);
  const layers = new Map<string, ConvLayer>();
  for (const l of [...model.convs, model.classifier]) layers.set(l.name, { ...l });
  const heads = new Map(plan.splitWeights.map((s) => [plan.consts[s.head].name, s]));
  for (const t of trained) {
    const split = heads.get(t.name);
    const m = split ? null : /^(.*)\.(weight|bias)$/.exec(t.name);
    const layerName = split ? split.name.replace(/\.weight$/, '') : m?.[1];
    const layer = layerName === undefined ? undefined : layers.get(layerName);
    if (!layer) throw new Error(`trained tensor ${t.name} belongs to no layer of ${model.name}`);
    if (split) {
      if (!(t.data instanceof Int8Array) || t.data.length !== split.rows * split.k)
        throw new Error(`trained tensor ${t.name}: expected ${split.rows * split.k} int8 values`);
      const w = layer.weight.slice();
      for (let r = 0; r < split.rows; r++) w.set(t.data.subarray(r * split.k, (r + 1) * split.k), r * split.cols);
      layer.weight = w;
    } else if (m![2] === 'weight') {
      if (!(t.data instanceof Int8Array) || t.data.length !== layer.weight.length)
        throw new Error(`trained tensor ${t.name}: expected ${layer.weight.length} int8 values`);
      layer.weight = t.data.slice();
    } else {
      if (!(t.data instanceof Int32Array) || t.data.length !== layer.bias.length)
        throw new Error(`trained tensor ${t.name}: expected ${layer.bias.length} int32 values`);
      layer.bias = t.data.slice();
    }
  }
  return {
    ...model,
    convs: model.convs.map((c) => layers.get(c.name)!),
    classifier: layers.get(model.classifier.name)!,
  };
}

/** FNV-1a (32-bit) over every layer's int8 weights and int32 biases in forward order: a short id of the weights. */
export function weightsChecksum(model: Model): string {
  let h = 0x811c9dc5;
  const feed = (a: Int8Array | Int32Array) => {
    const b = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], 0x01000193) >>> 0;
  };
  for (const l of [...model.convs, model.classifier]) {
    feed(l.weight);
    feed(l.bias);
  }
  return h.toString(16).padStart(8, '0');
}
