import { describe, expect, it } from 'vitest';
import { modelToDescription } from '../../compiler/import/from-model';
import { descriptionToModel } from '../../compiler/import/to-model';
import { buildModel } from '../../compiler/models/model';
import { mulberry32 } from '../../compiler/models/init';
import { parseScheme } from '../../compiler/scheme/scheme';
import { Fp32Trainer } from './train-fp32';

const model = buildModel({ model: 'tiny-cnn', resolution: 16, classes: 4, seed: 3 });
const rand = mulberry32(11);
const image = Int8Array.from({ length: 16 * 16 * 3 }, () => Math.floor(rand() * 256) - 128);
const label = 2;

/** Gradients of the updated params, read back from one SGD step with lr = 1 (g = before - after). */
function stepGradients(scheme: string) {
  const t = new Fp32Trainer(model, parseScheme(scheme, model), 1);
  const idx = [-1, ...model.convs.map((c) => c.index)];
  const before = idx.map((i) => ({ w: t.params(i).w.slice(), b: t.params(i).b.slice() }));
  const loss = t.trainStep(image, label);
  const g = idx.map((i, j) => ({
    index: i,
    w: before[j].w.map((v, e) => v - t.params(i).w[e]),
    b: before[j].b.map((v, e) => v - t.params(i).b[e]),
  }));
  return { loss, g, before };
}

/** Central finite difference of the evaluation loss in one parameter. */
function numeric(index: number, which: 'w' | 'b', e: number, before: { w: Float32Array; b: Float32Array }[]) {
  const t = new Fp32Trainer(model, parseScheme('full', model), 0);
  const all = [-1, ...model.convs.map((c) => c.index)];
  all.forEach((i, j) => {
    t.params(i).w.set(before[j].w);
    t.params(i).b.set(before[j].b);
  });
  const p = t.params(index)[which];
  const v = p[e];
  const h = 1e-3;
  p[e] = v + h;
  const up = t.evaluate(image, label).loss;
  p[e] = v - h;
  const down = t.evaluate(image, label).loss;
  return (up - down) / (2 * h);
}

describe('fp32 fine-tuning baseline', () => {
  it('takes SGD steps along the true gradient (finite differences) in every updated layer', () => {
    const { g, before, loss } = stepGradients('full');
    expect(loss).toBeGreaterThan(0);
    // ReLU kinks near the current point spoil a few central differences, so most entries, not all, must agree.
    let checked = 0;
    let agree = 0;
    for (const layer of g) {
      for (const which of ['w', 'b'] as const) {
        const arr = layer[which];
        const top = [...arr.keys()].sort((a, b) => Math.abs(arr[b]) - Math.abs(arr[a])).slice(0, 3);
        for (const e of top) {
          if (Math.abs(arr[e]) < 1e-3) continue;
          const fd = numeric(layer.index, which, e, before);
          expect(Math.sign(fd)).toBe(Math.sign(arr[e]));
          if (Math.abs(fd - arr[e]) < 0.05 * Math.abs(arr[e])) agree++;
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(40);
    expect(agree / checked).toBeGreaterThan(0.9);
  });

  it('updates exactly the scheme: the first k input channels, the chosen biases and the classifier', () => {
    const { g } = stepGradients('bias:2;w:7@1/2');
    const conv7 = model.convs[7];
    const changed = (a: Float32Array) => a.some((v) => v !== 0);
    for (const layer of g) {
      if (layer.index === -1) {
        expect(changed(layer.w) && changed(layer.b)).toBe(true);
      } else if (layer.index === 7) {
        const k = conv7.inC / 2;
        for (let e = 0; e < layer.w.length; e++) if (e % conv7.inC >= k) expect(layer.w[e]).toBe(0);
        expect(changed(layer.w)).toBe(true);
        expect(changed(layer.b)).toBe(true);
      } else if (layer.index === 8) {
        expect(changed(layer.w)).toBe(false);
        expect(changed(layer.b)).toBe(true);
      } else {
        expect(changed(layer.w) || changed(layer.b)).toBe(false);
      }
    }
  });

  it('learns a fixed example: the loss falls over repeated steps', () => {
    const t = new Fp32Trainer(model, parseScheme('last:3', model), 0.05);
    const first = t.trainStep(image, label);
    let last = first;
    for (let i = 0; i < 30; i++) last = t.trainStep(image, label);
    expect(last).toBeLessThan(first * 0.5);
    expect(t.evaluate(image, label).predicted).toBe(label);
  });
});

describe('fp32 baseline on a generic node list', () => {
  it('an imported model (reshape views in its node list) trains exactly like the built-in it was exported from', () => {
    const back = descriptionToModel(modelToDescription(model, 'onnx'), { name: model.name });
    expect(back.nodes.filter((n) => n.op === 'reshape').length).toBeGreaterThan(0);
    const [a, b] = [model, back].map((m) => new Fp32Trainer(m, parseScheme('last:3', m), 0.05));
    for (let k = 0; k < 3; k++) expect(b.trainStep(image, label)).toBe(a.trainStep(image, label));
    expect(b.evaluate(image, 1)).toEqual(a.evaluate(image, 1));
  });
});
