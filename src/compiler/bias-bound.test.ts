/**
 * Trained int32 biases saturate at their layer's bias bound (model-file.ts biasBound: the largest |bias| with which
 * the layer's int32 accumulator cannot overflow, the bound a model file is checked against when it opens), not at
 * the int32 range, so even a diverged run saves a model that reopens and runs without overflow. The kernel's
 * clamp is tested against the reference in kernels-backward.test.ts (biases near the bound); here: every plan
 * passes each layer its bound, and the model file accepts a bias on it.
 */
import { describe, expect, it } from 'vitest';
import { compile } from './compile';
import { biasBound } from './model-file';
import { packModelFile, unpackModelFile } from './model-pack';
import { buildModel, modelToFile, type ConvLayer, type Model } from './models/model';
import type { TrainingPlan } from './plan';

const layers = (m: Model): ConvLayer[] => [...m.convs, m.classifier];
const bound = (l: ConvLayer) => biasBound(l.kind, l.inC, l.kernel, l.kernelW);

/** The bound argument of each tt_update_s32 call, by layer name. */
function boundArgs(plan: TrainingPlan): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of plan.steps.filter((s) => s.kernel === 'tt_update_s32')) {
    const a = s.args[1];
    if (a.kind !== 'i32') throw new Error(`${s.op}: bound is not an int32 argument`);
    out.set(s.layer!, a.value);
  }
  return out;
}

describe('trained biases stay inside the bias bound', () => {
  it("every bias update of a plan gets its layer's bound", () => {
    for (const name of ['tiny-cnn', 'mcunet-5fps'] as const) {
      const model = buildModel({ model: name, resolution: 48, classes: 5, seed: 1 });
      for (const scheme of ['full', 'paper:99kb', 'bias-only'].filter(
        (s) => name !== 'tiny-cnn' || s !== 'paper:99kb',
      )) {
        const args = boundArgs(compile(model, scheme, { reorder: true, fusion: true }));
        expect(args.size).toBeGreaterThan(0);
        for (const l of layers(model)) if (args.has(l.name)) expect(args.get(l.name), l.name).toBe(bound(l));
      }
    }
  });

  it('a model whose biases sit on their bounds saves and reopens; one LSB past is refused', () => {
    const model = buildModel({ model: 'tiny-cnn', resolution: 32, classes: 5, seed: 4 });
    for (const l of layers(model)) for (let c = 0; c < l.bias.length; c++) l.bias[c] = (c % 2 ? -1 : 1) * bound(l);
    const back = unpackModelFile(packModelFile(modelToFile(model)), 'x.tinytrain.zip');
    expect(back.layers.map((l) => Math.max(...Array.from(l.bias, Math.abs)))).toEqual(layers(model).map(bound));
    model.classifier.bias[0] += 1;
    expect(() => unpackModelFile(packModelFile(modelToFile(model)), 'x.tinytrain.zip')).toThrow(/overflows/);
  });
});
