/**
 * Deterministic random initialization with plausible quantization parameters, for models built without a
 * pretrained file. Real weights are He-uniform (variance 2 / fan_in), quantized per output channel; output
 * ranges come from propagating the second moment E[x^2] of the real activations analytically (no data, no
 * forward pass: building a model stays a few milliseconds):
 *   pre-activation:  E[a^2] = E[x^2] * mean_c ||W_c||^2   (zero-mean weights, independent inputs)
 *   ReLU-like clamp: E[y^2] = E[a^2] / 2, range [0, 3 sigma];  linear: E[y^2] = E[a^2], range [-4 sigma, 4 sigma]
 *   residual add:    E[y^2] = E[a^2] + E[b^2];  average pool: keeps its input's quantization.
 *
 * A fresh classifier on a pretrained backbone (transfer learning, built-in or imported) is initClassifier: the
 * one place that decides its weights and its logit range, so every model that replaces its classifier trains
 * from the same start.
 */
import type { LayerShape } from './arch';
import { quantizeBias, quantizeWeights, rangeQParams, type QParams } from '../quant';
import { layerKind } from '../layer-kinds';

/** mulberry32: a small, fast, deterministic PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a hash of a string, for per-layer seeds. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export interface InitLayer {
  weight: Int8Array;
  bias: Int32Array;
  weightScale: Float32Array;
  output: QParams;
  /** E[y^2] of the real output, for the next layer. */
  m2: number;
}

/** Random weights for one layer whose real input has second moment m2In and quantization `input`. */
export function initLayer(l: LayerShape, input: QParams, m2In: number, seed: number): InitLayer {
  const rand = mulberry32(seed ^ hashString(l.name));
  const row = layerKind(l);
  const fanIn = row.fanIn(l);
  const n = fanIn * l.outC;
  const a = Math.sqrt(6 / fanIn);
  const real = new Float64Array(n);
  for (let i = 0; i < n; i++) real[i] = (2 * rand() - 1) * a;
  const chan = row.channelOf(l);
  const { q, scale } = quantizeWeights(real, l.outC, chan);
  const norm2 = new Float64Array(l.outC);
  for (let i = 0; i < n; i++) norm2[chan(i)] += (q[i] * scale[chan(i)]) ** 2;
  const m2Pre = (m2In * norm2.reduce((s, v) => s + v, 0)) / l.outC;
  const sigma = Math.sqrt(Math.max(m2Pre, 1e-12));
  const biasReal = Array.from({ length: l.outC }, () => (2 * rand() - 1) * 0.05 * sigma);
  const output = l.relu ? rangeQParams(0, 3 * sigma) : rangeQParams(-4 * sigma, 4 * sigma);
  return {
    weight: q,
    bias: quantizeBias(biasReal, scale, input.scale),
    weightScale: scale,
    output,
    m2: l.relu ? m2Pre / 2 : m2Pre,
  };
}

/**
 * Real range (+-) of a fresh classifier's int8 logits. Sized from the initial (tiny, random) logits, as
 * initLayer sizes any layer (about +-2.5 on the mcunet-5fps backbone, +-0.3 on tiny-cnn), fine-tuning soon
 * pushes every logit against the clamp: the softmax goes flat (loss ln 10), the clamp mask stops every gradient
 * and training dies. The pretrained classifiers end with ranges of about +-10 to +-16.
 */
export const LOGIT_RANGE = 16;

/**
 * A fresh, linear classifier reading a pretrained backbone's features quantized as `input`: He-uniform weights
 * for an input second moment of (32 input LSBs)^2 (the backbone's real activations are unknown without data),
 * seeded by `seed` alone (not the layer's name, so an imported model's classifier starts as the built-in's),
 * logits on +-LOGIT_RANGE.
 */
export function initClassifier(l: LayerShape, input: QParams, seed: number): InitLayer {
  const r = initLayer({ ...l, name: 'classifier', relu: false }, input, (input.scale * 32) ** 2, seed);
  return { ...r, output: rangeQParams(-LOGIT_RANGE, LOGIT_RANGE) };
}

/** Quantization of a residual sum of two tensors with second moments m2a and m2b. */
export function initAdd(m2a: number, m2b: number): { output: QParams; m2: number } {
  const m2 = m2a + m2b;
  const sigma = Math.sqrt(m2);
  return { output: rangeQParams(-4 * sigma, 4 * sigma), m2 };
}

/** The input image: real values in [-1, 1] (q / 128), E[x^2] of a uniform image. */
export const DEFAULT_INPUT: QParams = { scale: 1 / 128, zeroPoint: 0 };
export const DEFAULT_INPUT_M2 = 1 / 3;
