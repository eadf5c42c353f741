/**
 * `tinytrain train --model FILE.tflite` on a model whose input is not the data set's shape: micro_speech
 * (49x40x1) trains on MNIST resized to its input and reports its accuracy; hello_world (one value in) is
 * refused in one line with exit 2. The files of ../shared/models are skipped when absent; a non-square model
 * built here always runs.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nonSquareTflite } from '../compiler/testing/non-square';
import { REPO_ROOT } from './firmware-io';
import { main } from './main';

const MODELS = join(REPO_ROOT, '..', 'shared', 'models');
const MICRO = join(MODELS, 'micro_speech_quantized.tflite');
const HELLO = join(MODELS, 'hello_world_int8.tflite');
const dir = mkdtempSync(join(tmpdir(), 'tinytrain-train-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out, err };
}

describe('tinytrain train on a model file of another input shape', () => {
  it('a 48x32 RGB model trains on MNIST resized to 48x32 and says so', async () => {
    const path = join(dir, 'wide.tflite');
    writeFileSync(path, nonSquareTflite(48, 32, 10));
    const r = await run('train', '--model', path, '--steps', '30', '--eval', '200', '--threads', '1', '--curve', '3');
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out[0]).toMatch(/^wide 48x32, scheme full,/);
    expect(r.out[2]).toBe(
      "  data       MNIST's 28x28 gray images resized to 48x32, gray copied to RGB, intensity 0..1 at the input's " +
        'scale 0.003922 and zero point -128',
    );
    expect(r.out.join('\n')).toMatch(/test accuracy {2}\d+\.\d\d% on 200 examples/);
  }, 60_000);

  it.skipIf(!existsSync(MICRO))(
    'micro_speech trains 200 steps on MNIST and reports its accuracy',
    async () => {
      const r = await run('train', '--model', MICRO, '--data', 'mnist', '--steps', '200', '--json', '--threads', '1');
      expect(r.err).toEqual([]);
      expect(r.code).toBe(0);
      const j = JSON.parse(r.out[0]);
      expect(j.inputShape).toEqual([49, 40, 1]);
      expect(j.dataFit).toMatch(
        /^MNIST's 28x28 gray images resized to 49x40, grayscale, intensity 0\.\.1 at the input's scale 0\.1017 and zero point -128$/,
      );
      expect(j.testExamples).toBe(2000);
      console.log(`tinytrain train micro_speech 200 steps on MNIST: test accuracy ${j.finalTestAccuracy}`);
      // 10 classes from a fresh classifier: well above chance (0.1) after 200 steps
      expect(j.finalTestAccuracy).toBeGreaterThan(0.3);
    },
    60_000,
  );

  it.skipIf(!existsSync(HELLO))('hello_world (one value in) is refused in one line, exit 2', async () => {
    const r = await run('train', '--model', HELLO, '--data', 'mnist', '--steps', '200');
    expect(r.code).toBe(2);
    expect(r.out).toEqual([]);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(
      /^tinytrain train: hello_world_int8: the model's input is 1 value, not an image, so it cannot train on MNIST \(training needs an input of at least 8x8 with 1 or 3 channels\)/,
    );
  });
});
