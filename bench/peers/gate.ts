/**
 * The correctness gate of the peers bench: before anything is timed, TensorFlow.js and our fp32 trainer must
 * compute the same loss and the same weight gradient of one layer (the earliest one with trainable weights,
 * so the gradient has passed back through every trainable layer) for the same weights and input.
 *   relative error = ||a - b||_2 / ||b||_2  (b: ours)
 * Timing two programs that do different work would compare nothing, so the bench refuses to time on failure.
 */
import * as tf from '@tensorflow/tfjs';
import type { Model } from '../../src/compiler/models/model';
import type { Scheme } from '../../src/compiler/scheme/scheme';
import { Fp32Trainer } from '../../src/runtime/training/train-fp32';
import { TfjsNet, toOurLayout } from './tfjs-model';

export const GATE_TOLERANCE = 1e-3;

export interface GateResult {
  lossOurs: number;
  lossTfjs: number;
  lossRelError: number;
  /** Conv index of the compared weight gradient (-1: the classifier). */
  layer: number;
  layerName: string;
  gradElements: number;
  gradRelError: number;
  ok: boolean;
}

export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let d = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - b[i]) ** 2;
    n += b[i] ** 2;
  }
  return Math.sqrt(d) / Math.max(Math.sqrt(n), 1e-30);
}

/** The earliest layer whose weight is (partly) trainable under the scheme. */
function comparedLayer(model: Model, scheme: Scheme): number {
  const i = model.convs.findIndex((l) => scheme.weight[l.index] > 0);
  return i < 0 ? -1 : model.convs[i].index;
}

/** `tfModel` (default: the same model) lets the tests show that the gate fails on a different network. */
export function checkGate(
  model: Model,
  scheme: Scheme,
  image: ArrayLike<number>,
  label: number,
  tfModel: Model = model,
): GateResult {
  const ours = new Fp32Trainer(model, scheme, 0.01);
  const lossOurs = ours.trainStep(image, label);
  const layer = comparedLayer(model, scheme);
  const g = ours.lastGradients(layer);
  const net = new TfjsNet(tfModel, scheme, 0.01);
  const { loss: lossTfjs, grads } = net.gradients(image, label);
  const l = layer < 0 ? model.classifier : model.convs[layer];
  const tfGrad = toOurLayout(l, grads[`w${layer}`]);
  tf.dispose(Object.values(grads));
  net.dispose();
  const lossRelError = Math.abs(lossTfjs - lossOurs) / Math.max(Math.abs(lossOurs), 1e-30);
  const gradRelError = relError(tfGrad, g.w);
  return {
    lossOurs,
    lossTfjs,
    lossRelError,
    layer,
    layerName: l.name,
    gradElements: g.w.length,
    gradRelError,
    ok: lossRelError < GATE_TOLERANCE && gradRelError < GATE_TOLERANCE && tfGrad.length === g.w.length,
  };
}

export function describeGate(g: GateResult): string {
  return (
    `loss ours ${g.lossOurs.toPrecision(7)} vs TF.js ${g.lossTfjs.toPrecision(7)} (rel. error ${g.lossRelError.toExponential(2)}); ` +
    `weight gradient of conv ${g.layer} ${g.layerName} (${g.gradElements} values): rel. error ${g.gradRelError.toExponential(2)} ` +
    `(tolerance ${GATE_TOLERANCE}) -> ${g.ok ? 'PASS' : 'FAIL'}`
  );
}
