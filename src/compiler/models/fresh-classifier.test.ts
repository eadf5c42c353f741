/**
 * Transfer learning replaces the classifier with a fresh one (init.ts initClassifier). A built-in backbone and
 * the same backbone exported to .tflite / .onnx and imported again must start from the same fresh classifier:
 * the imported one used to size its logits from the tiny initial ones (+-0.3 on tiny-cnn) where the built-in's
 * have +-LOGIT_RANGE, and it never learned (10% on MNIST; the training run is in src/cli/fresh-classifier.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { writeOnnx, writeTflite } from '../export';
import { importModel } from '../import';
import { modelToDescription } from '../import/from-model';
import { descriptionToModel } from '../import/to-model';
import { rangeQParams } from '../quant';
import { modelFromFile } from './generic';
import { LOGIT_RANGE } from './init';
import { modelToFile, type ConvLayer } from './model';
import { pretrainedFile } from './plan-identity';
import { transferModel } from './transfer';

const init = (c: ConvLayer) => ({
  inC: c.inC,
  outC: c.outC,
  relu: c.relu,
  input: c.input,
  output: c.output,
  weight: Array.from(c.weight),
  bias: Array.from(c.bias),
  weightScale: Array.from(c.weightScale),
});

const builtIn = (seed: number) =>
  transferModel({ model: 'tiny-cnn', resolution: 32, classes: 10, pretrained: pretrainedFile('tiny-cnn'), seed });

describe('a fresh classifier on an imported model', () => {
  for (const format of ['tflite', 'onnx'] as const) {
    it(`is the built-in's (tiny-cnn exported to .${format}, imported, same seed): weights, bias, logit range`, () => {
      const seed = 7;
      const exported = builtIn(1);
      const d = modelToDescription(exported, format);
      const bytes = format === 'tflite' ? writeTflite(d) : writeOnnx(d);
      const m = descriptionToModel(importModel(bytes, `tiny-cnn.${format}`), { freshClassifier: true, seed });
      const want = builtIn(seed).classifier;
      expect(init(m.classifier)).toEqual(init(want));
      expect(m.classifier.output).toEqual(rangeQParams(-LOGIT_RANGE, LOGIT_RANGE));
      // a different seed is a different classifier; the backbone is the file's either way
      expect(Array.from(m.classifier.weight)).not.toEqual(Array.from(exported.classifier.weight));
      expect(m.convs.map((c) => c.weight)).toEqual(exported.convs.map((c) => c.weight));
    });
  }

  it('a v2 model file read with other classes gets the same fresh classifier as transferModel gives', () => {
    const file = modelToFile(builtIn(1));
    const fresh = modelFromFile(file, { model: 'tiny-cnn', classes: 5, seed: 3 });
    const t = transferModel({ model: 'tiny-cnn', resolution: 32, classes: 5, pretrained: file, seed: 3 });
    expect(init(fresh.classifier)).toEqual(init(t.classifier));
  });
});
