/**
 * The search's contribution runs feed a model file of another input shape the same data as the worker and the
 * CLI (train-data.ts modelInputSpec): a 48x32 model scores runs on MNIST resized to 48x32, and its examples are
 * the bytes planInputSpec gives the training session.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/compile';
import { importModel } from '../../compiler/import';
import { descriptionToModel } from '../../compiler/import/to-model';
import { nonSquareTflite } from '../../compiler/testing/non-square';
import { loadWasm, paths } from '../testing/kernel-harness';
import { carveValidation } from './contribution';
import { ContributionContext } from './contribution-context';
import { fetchDataset } from './data';
import { modelInputSpec, planInputSpec, splitExamples } from './train-data';

const DATA = join(__dirname, '../../../public/data');

describe('contribution runs on a non-square model file', () => {
  it('score runs on MNIST resized to 48x32, with the bytes the training session gets', async () => {
    const model = descriptionToModel(importModel(nonSquareTflite(48, 32, 10), 'wide.tflite'), { name: 'wide' });
    const { train } = await fetchDataset(DATA, 'mnist', ['train'], async (u) =>
      readFileSync(join(DATA, u.slice(DATA.length + 1))),
    );
    const plan = compile(model, 'classifier');
    const spec = modelInputSpec(model);
    expect(spec).toEqual(planInputSpec(plan));
    const carved = carveValidation(train, spec, 100);
    const a = new Int8Array(plan.input.bytes);
    const b = new Int8Array(plan.input.bytes);
    carved.validation.image(3, a);
    splitExamples(train, planInputSpec(plan)).image(train.count - 100 + 3, b);
    expect(a).toEqual(b);
    const settings = { lr: 0.01, rounding: 'nearest' as const, qas: true, seed: 1, steps: 30 };
    const ctx = new ContributionContext(
      await loadWasm(paths.wasmSimd),
      {
        model,
        settings,
        validation: 100,
        options: {},
        prefixCache: false,
      },
      train,
    );
    const score = ctx.run('classifier');
    expect(score).toMatchObject({ scheme: 'classifier', examples: 100 });
    expect(score.accuracy).toBeGreaterThanOrEqual(0);
  }, 60_000);
});
