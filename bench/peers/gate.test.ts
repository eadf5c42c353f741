/**
 * The peers bench's correctness gate on the small CNN (32x32): TensorFlow.js and our fp32 trainer agree on the
 * loss and on a weight gradient for the same pretrained weights and image, for a full, a partial-ratio and a
 * classifier-only scheme; and the gate notices a different network.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseScheme } from '../../src/compiler/scheme/scheme';
import { defaultPretrained, readModelFile } from '../../src/cli/train-run';
import { transferModel } from '../../src/runtime/training/train-backbone';
import { checkGate, GATE_TOLERANCE } from './gate';
import { TfjsNet } from './tfjs-model';

const file = defaultPretrained('tiny-cnn');
const model = transferModel({
  model: 'tiny-cnn',
  resolution: 32,
  classes: 10,
  pretrained: file ? readModelFile(file) : null,
  seed: 1,
});
// a deterministic image with structure (not all one value), int8 as the executor takes it
const image = Int8Array.from({ length: 32 * 32 * model.inChannels }, (_, i) => ((i * 37) % 251) - 128);

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('peers gate (tiny-cnn@32)', () => {
  for (const scheme of ['full', 'last:4', 'w:3@1/2,5@1/4', 'classifier']) {
    it(`TF.js and our fp32 trainer agree: ${scheme}`, () => {
      const g = checkGate(model, parseScheme(scheme, model), image, 3);
      expect(g.lossOurs).toBeGreaterThan(0);
      expect(g.lossRelError).toBeLessThan(GATE_TOLERANCE);
      expect(g.gradRelError).toBeLessThan(GATE_TOLERANCE);
      expect(g.gradElements).toBeGreaterThan(0);
      expect(g.ok).toBe(true);
    });
  }

  it('compares the earliest trainable layer', () => {
    expect(checkGate(model, parseScheme('full', model), image, 3).layer).toBe(0);
    expect(checkGate(model, parseScheme('classifier', model), image, 3).layer).toBe(-1);
  });

  it('fails when TF.js runs a different network (one weight of the earliest layer changed)', () => {
    const convs = model.convs.map((l) => ({ ...l }));
    const w = Int8Array.from(convs[0].weight);
    w[0] = w[0] > 0 ? -100 : 100;
    convs[0].weight = w;
    const g = checkGate(model, parseScheme('full', model), image, 3, { ...model, convs });
    expect(g.gradRelError).toBeGreaterThan(GATE_TOLERANCE);
    expect(g.ok).toBe(false);
  });

  it('a TF.js training step leaves no tensors behind and lowers the loss on the same image', () => {
    const net = new TfjsNet(model, parseScheme('full', model), 0.01);
    const before = tf.memory().numTensors;
    const l0 = net.trainStep(image, 3);
    for (let i = 0; i < 5; i++) net.trainStep(image, 3);
    const l1 = net.trainStep(image, 3);
    expect(tf.memory().numTensors).toBe(before);
    expect(l1).toBeLessThan(l0);
    net.dispose();
  });
});
