import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile } from '../compile';
import { parseModelFile } from '../model-file';
import { packModelFile, unpackModelFile } from '../model-pack';
import { modelToFile } from './model';
import { applyTrainable, weightsChecksum } from './trained';
import { transferModel } from './transfer';

const file = parseModelFile(
  readFileSync('public/models/mcunet-5fps.json', 'utf8'),
  new Uint8Array(readFileSync('public/models/mcunet-5fps.bin')),
);

/** Every trainable const of a plan, changed the way an update would: +1 (wrapping inside int8 / int32). */
function perturbed(plan: ReturnType<typeof compile>) {
  return plan.consts
    .filter((c) => c.storage === 'sram' && !(c.data instanceof Float32Array))
    .map((c) => {
      const data = c.data.slice() as Int8Array | Int32Array;
      for (let i = 0; i < data.length; i++) data[i] = data[i] === 127 ? -127 : data[i] + 1;
      return { name: c.name, data };
    });
}

describe('applyTrainable', () => {
  const model = transferModel({ model: 'mcunet-5fps', resolution: 64, classes: 10, pretrained: file, seed: 3 });

  it('writes trained tensors back, split heads included, and a recompile carries them', () => {
    const plan = compile(model, 'paper:99kb', { reorder: true, fusion: true, split: true });
    expect(plan.splitWeights.length).toBeGreaterThan(0);
    const trained = perturbed(plan);
    const next = applyTrainable(model, plan, trained);
    const again = compile(next, 'paper:99kb', { reorder: true, fusion: true, split: true });
    const byName = new Map(trained.map((t) => [t.name, t.data]));
    let checked = 0;
    for (const c of again.consts) {
      const want = byName.get(c.name);
      if (want) {
        expect(Array.from(c.data)).toEqual(Array.from(want));
        checked++;
      }
    }
    expect(checked).toBe(trained.length);
    // the frozen tail of a split weight is the model's, untouched
    const s = plan.splitWeights[0];
    expect(Array.from(again.consts[again.splitWeights[0].tail].data)).toEqual(Array.from(plan.consts[s.tail].data));
    // the source model is not mutated, the trained one differs
    expect(weightsChecksum(model)).not.toBe(weightsChecksum(next));
    expect(
      weightsChecksum(transferModel({ model: 'mcunet-5fps', resolution: 64, classes: 10, pretrained: file, seed: 3 })),
    ).toBe(weightsChecksum(model));
  });

  it('refuses tensors that belong to no layer or have the wrong size', () => {
    const plan = compile(model, 'last:2', {});
    expect(() => applyTrainable(model, plan, [{ name: 'nope.weight', data: new Int8Array(1) }])).toThrow(/no layer/);
    expect(() => applyTrainable(model, plan, [{ name: 'classifier.bias', data: new Int32Array(3) }])).toThrow(
      /expected 10 int32/,
    );
  });
});

describe('model pack', () => {
  it('round-trips a trained model, classifier included', () => {
    const model = transferModel({ model: 'mcunet-5fps', resolution: 64, classes: 4, pretrained: file, seed: 9 });
    const bytes = packModelFile(modelToFile(model));
    const back = unpackModelFile(bytes, 'x.tinytrain.zip');
    const reopened = transferModel({
      model: 'mcunet-5fps',
      resolution: 64,
      classes: 4,
      pretrained: back,
      seed: 1,
      keepClassifier: true,
    });
    expect(weightsChecksum(reopened)).toBe(weightsChecksum(model));
    // as a backbone (no keepClassifier) the classifier is fresh again
    const fresh = transferModel({ model: 'mcunet-5fps', resolution: 64, classes: 4, pretrained: back, seed: 1 });
    expect(weightsChecksum(fresh)).not.toBe(weightsChecksum(model));
  });

  it('refuses what is not a model zip, with one line', () => {
    expect(() => unpackModelFile(new Uint8Array([1, 2, 3, 4, 5]), 'a.bin')).toThrow(/a\.bin is not a TinyTrain model/);
    const good = packModelFile(
      modelToFile(transferModel({ model: 'tiny-cnn', resolution: 32, classes: 2, pretrained: null, seed: 1 })),
    );
    expect(() => unpackModelFile(good.slice(0, good.length - 40), 'cut.zip')).toThrow(/cut\.zip/);
    expect(() => unpackModelFile(new Uint8Array(51 * 1024 * 1024), 'big.zip')).toThrow(/50 MB/);
  });
});
