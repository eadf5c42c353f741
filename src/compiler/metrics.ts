/**
 * The numbers the UI draws. Accounting (issue #3):
 *   arenaBytes         every working buffer: image, activations, saved tensors, masks, gradients, scratch
 *                      (the larger of the training and inference sub-plans; they share the arena);
 *   trainableSramBytes weights and biases the scheme updates + the 4-byte rng state. A partially updated
 *                      pointwise / fc weight stored split counts its updated head only (its frozen tail is in
 *                      flash; passes/split.ts), otherwise the whole tensor (a kernel reads a weight as one array);
 *   peakSramBytes      arenaBytes + trainableSramBytes;
 *   flashBytes         frozen weights and biases (tails of split weights included), multipliers, weight scales,
 *                      both QAS gradient-scale variants, parameter structs.
 * The timeline gives, at every training step, the live bytes of each buffer category plus the trainable
 * weights (constant over the step).
 */
import type { Graph } from './ir/graph';
import { opsOf, tensorBytes } from './ir/graph';
import type { Model } from './models/model';
import {
  BUFFER_CATEGORIES,
  type BufferCategory,
  type PlanConst,
  type PlanLayer,
  type PlanMetrics,
  type SubPlan,
  type TimelinePoint,
} from './plan';
import { updatedChannels, type Scheme } from './scheme/scheme';
import { layerKind } from './layer-kinds';

export const RNG_STATE_BYTES = 4;

type Totals = Record<BufferCategory, number>;
const zero = (): Totals => ({ input: 0, activation: 0, saved: 0, mask: 0, gradient: 0, scratch: 0 });

/** Live bytes per category at every step, via per-category difference arrays. */
export function buildTimeline(p: SubPlan, trainable: number): TimelinePoint[] {
  const n = p.steps.length;
  const delta = BUFFER_CATEGORIES.map(() => new Float64Array(n + 1));
  for (const b of p.buffers) {
    if (b.lastStep < b.firstStep) continue;
    const d = delta[BUFFER_CATEGORIES.indexOf(b.category)];
    d[b.firstStep] += b.bytes;
    d[b.lastStep + 1] -= b.bytes;
  }
  const run = zero();
  return p.steps.map((s, i) => {
    let total = trainable;
    const bytes = { trainable } as TimelinePoint['bytes'];
    BUFFER_CATEGORIES.forEach((c, j) => {
      run[c] += delta[j][i];
      bytes[c] = run[c];
      total += run[c];
    });
    return { step: i, phase: s.phase, bytes, total };
  });
}

/** Saved-input tensors read by weight-gradient ops, by layer. */
function savedInputs(g: Graph): Map<number, number> {
  const out = new Map<number, number>();
  for (const op of g.ops) {
    if (!op.kind.endsWith('_bwd_weight') && !op.kind.endsWith('_bwd_update')) continue;
    out.set(op.layer!, tensorBytes(g.tensors[op.inputs[1]]));
  }
  return out;
}

export function planLayers(m: Model, scheme: Scheme, g: Graph): PlanLayer[] {
  const saved = savedInputs(g);
  const split = new Set(g.ops.filter((o) => o.kind === 'concat_channels').map((o) => o.layer));
  // every backward op of a layer works on the gradient of its output, whatever its activation's backward is
  const gradient = new Set(g.ops.filter((o) => o.phase === 'backward').map((o) => o.layer));
  const fused = new Set(opsOf(g, ['fused_chain']).flatMap((o) => o.attrs.stages.map((s) => s.layer)));
  return [...m.convs, m.classifier].map((l) => {
    const ratio = l.index < 0 ? 1 : scheme.weight[l.index];
    const k = ratio > 0 ? updatedChannels(l, ratio) : 0;
    return {
      index: l.index,
      name: l.name,
      kind: l.kind,
      inC: l.inC,
      outC: l.outC,
      kernel: l.kernel,
      stride: l.stride,
      inH: l.inH,
      outH: l.outH,
      macs: l.macs,
      weightBytes: l.weight.byteLength,
      biasBytes: l.bias.byteLength,
      updateBias: l.index < 0 || scheme.bias[l.index],
      weightRatio: ratio,
      weightChannels: k,
      split: split.has(l.index),
      sramWeightBytes: split.has(l.index) ? l.outC * k : ratio > 0 ? l.weight.byteLength : 0,
      savedBytes: saved.get(l.index) ?? 0,
      gradient: gradient.has(l.index),
      fused: fused.has(l.index),
    };
  });
}

export function planMetrics(args: {
  model: Model;
  graph: Graph;
  train: SubPlan;
  inference: SubPlan;
  consts: PlanConst[];
  layers: PlanLayer[];
  timeline: TimelinePoint[];
  compileMs: number;
}): PlanMetrics {
  const { train, inference, consts, layers, timeline } = args;
  const bytesOf = (storage: 'sram' | 'flash') =>
    consts.reduce((s, c) => s + (c.storage === storage ? c.data.byteLength : 0), 0);
  const trainableSramBytes = bytesOf('sram') + RNG_STATE_BYTES;
  const arenaBytes = Math.max(train.arenaBytes, inference.arenaBytes);
  const peakByCategory = zero();
  for (const t of timeline)
    for (const c of BUFFER_CATEGORIES) peakByCategory[c] = Math.max(peakByCategory[c], t.bytes[c]);
  const paperBudgetBytes = layers.reduce((s, l) => {
    const perChannel = l.weightChannels > 0 ? (l.weightBytes / layerKind(l).ratioChannels(l)) * l.weightChannels : 0;
    return s + perChannel + (l.updateBias ? l.biasBytes : 0) + l.savedBytes;
  }, 0);
  return {
    arenaBytes,
    trainableSramBytes,
    peakSramBytes: arenaBytes + trainableSramBytes,
    flashBytes: bytesOf('flash'),
    planSteps: train.steps.length,
    inferenceSteps: inference.steps.length,
    inferenceArenaBytes: inference.arenaBytes,
    compileMs: args.compileMs,
    paperBudgetBytes,
    peakByCategory,
    forwardMacs: args.model.forwardMacs,
    fusedBlocks: args.graph.ops.filter((o) => o.kind === 'fused_chain').length,
  };
}
