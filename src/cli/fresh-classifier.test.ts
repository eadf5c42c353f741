/**
 * Transfer learning on an imported model trains like the built-in: tiny-cnn (pretrained on Fashion-MNIST)
 * exported to .tflite and imported with a fresh classifier learns MNIST as the built-in backbone with its fresh
 * classifier does. The imported one's logits used to be sized from the tiny initial ones and it stayed at
 * chance (10%); src/compiler/models/fresh-classifier.test.ts checks both start from the same classifier.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './firmware-io';
import { main } from './main';
import { trainOptions } from './train';
import { runHeadless } from './train-run';

const dir = mkdtempSync(join(tmpdir(), 'tinytrain-fresh-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MOBILENET = join(REPO_ROOT, 'scripts', 'quantize', 'fashion_mobilenet_int8.onnx');

const train = (model: string, ...extra: string[]) => {
  const common = ['--scheme', 'last:4', '--lr', '0.03', '--data', 'mnist', '--steps', '1000', '--eval', '500'];
  return runHeadless({ ...trainOptions(['--model', model, ...common, '--threads', '1', ...extra]), curvePoints: 1 });
};

describe('an imported model with a fresh classifier', () => {
  it('learns MNIST on the Fashion-MNIST tiny-cnn backbone as the built-in does (1,000 steps)', async () => {
    const file = join(dir, 'tiny-cnn.tflite');
    const quiet = { out: () => {}, err: (t: string) => expect.fail(t) };
    expect(await main(['export', '--model', 'tiny-cnn', '--format', 'tflite', '--out', file], quiet)).toBe(0);
    const builtIn = await train('tiny-cnn');
    const imported = await train(file, '--classifier', '0');
    expect(builtIn.finalTestAccuracy).toBeGreaterThan(0.4);
    expect(imported.finalTestAccuracy).toBeGreaterThan(0.4);
    expect(Math.abs(imported.finalTestAccuracy - builtIn.finalTestAccuracy)).toBeLessThan(0.05);
  }, 60_000);

  it('an ONNX MobileNet (ReLUs folded into its quantization) learns MNIST with a fresh classifier, int8 and fp32', async () => {
    const int8 = await train(MOBILENET, '--classifier', '0');
    const fp32 = await train(MOBILENET, '--classifier', '0', '--fp32');
    expect(int8.finalTestAccuracy).toBeGreaterThan(0.25);
    expect(fp32.finalTestAccuracy).toBeGreaterThan(0.25);
  }, 60_000);

  it('the fp32 baseline computes the ONNX MobileNet as its int8 model does (its own classifier, Fashion-MNIST)', async () => {
    const evaluate = (...extra: string[]) =>
      train(MOBILENET, '--classifier', 'keep', '--data', 'fashion-mnist', '--steps', '0', ...extra);
    const int8 = (await evaluate()).finalTestAccuracy;
    const fp32 = (await evaluate('--fp32')).finalTestAccuracy;
    expect(int8).toBeGreaterThan(0.7);
    expect(Math.abs(fp32 - int8)).toBeLessThan(0.03);
  }, 60_000);
});
