/**
 * `--model PATH.tflite|.onnx` in plan / firmware and `tinytrain export`: a TFLite Micro model plans, exports to
 * .tflite, .onnx and the TinyTrain model file, and each export plans again to the same figures; the classifier
 * choice; a model file's refusals are one line with exit 1 (exit 2 for options that do not go with it).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importModel } from '../compiler/import';
import { REPO_ROOT } from './firmware-io';
import { main } from './main';

const MODELS = join(REPO_ROOT, '..', 'shared', 'models');
const MICRO = join(MODELS, 'micro_speech_quantized.tflite');
const HELLO = join(MODELS, 'hello_world_int8.tflite');
const dir = mkdtempSync(join(tmpdir(), 'tinytrain-import-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out, err };
}

const figures = async (...model: string[]) => {
  const r = await run('plan', '--model', ...model, '--repeat', '1', '--json');
  expect(r.err).toEqual([]);
  const { model: _name, compileMs: _ms, ...rest } = JSON.parse(r.out[0]);
  return rest;
};

describe.skipIf(!existsSync(MICRO))('tinytrain with a model file', () => {
  it('plans micro_speech (49x40 input, 4 classes) and its three exports plan to the same figures', async () => {
    const want = await figures(MICRO);
    expect(want).toMatchObject({ resolution: 49, classes: 4, planSteps: 12 });
    for (const [format, file] of [
      ['tflite', 'ms.tflite'],
      ['onnx', 'ms.onnx'],
      ['tinytrain', 'ms.tinytrain.zip'],
    ]) {
      const r = await run('export', '--model', MICRO, '--format', format, '--out', join(dir, file));
      expect(r.code, r.err.join()).toBe(0);
      expect(r.out[0]).toMatch(new RegExp(`as ${format} \\(\\d+ bytes, 4 classes, requant tflite-fixed\\)`));
    }
    expect(importModel(new Uint8Array(readFileSync(join(dir, 'ms.tflite'))), 'ms.tflite').producer).toMatch(
      /requant tflite-fixed/,
    );
    expect(await figures(join(dir, 'ms.tflite'))).toEqual(want);
    expect(await figures(join(dir, 'ms.onnx'))).toEqual(want);
    expect(await figures(MICRO, '--weights', join(dir, 'ms.tinytrain.zip'))).toEqual(want);
  }, 60_000);

  it('--classifier and --classes pick and size the classifier', async () => {
    expect((await figures(HELLO)).classes).toBe(1);
    expect((await figures(HELLO, '--classes', '3')).classes).toBe(3);
    const cut = await figures(HELLO, '--classifier', '1', '--classes', '5');
    expect(cut.classes).toBe(5);
    expect(cut.planSteps).toBeLessThan((await figures(HELLO)).planSteps);
    const keep = await run('plan', '--model', HELLO, '--classifier', 'keep', '--classes', '3');
    expect(keep).toMatchObject({ code: 2, out: [] });
    expect(keep.err[0]).toMatch(/--classifier keep keeps the file's 1 classes/);
    const far = await run('plan', '--model', HELLO, '--classifier', '3');
    expect(far.code).toBe(2);
    expect(far.err[0]).toMatch(/the model has 3 fully connected layers/);
  }, 60_000);

  it('refusals: SVDF named (exit 1), --resolution with a file (exit 2), an input that is no image for train (exit 2)', async () => {
    const svdf = await run('plan', '--model', join(MODELS, 'keyword_scrambled_8bit.tflite'));
    expect(svdf).toMatchObject({ code: 1, out: [] });
    expect(svdf.err).toHaveLength(1);
    expect(svdf.err[0]).toMatch(/^tinytrain plan: keyword_scrambled_8bit\.tflite: operator #1 is SVDF, which is not/);
    expect((await run('plan', '--model', MICRO, '--resolution', '32')).code).toBe(2);
    // micro_speech's 49x40 input trains (train-model-file.test.ts); hello_world's one value cannot take an image
    const train = await run('train', '--model', HELLO, '--steps', '1');
    expect(train.code).toBe(2);
    expect(train.err[0]).toMatch(/hello_world_int8: the model's input is 1 value, not an image/);
  });

  it('firmware: a bundle for micro_speech with synthetic samples', async () => {
    const r = await run('firmware', '--model', MICRO, '--out', join(dir, 'fw.zip'));
    expect(r.code, r.err.join()).toBe(0);
    expect(r.out[0]).toMatch(/micro_speech_quantized 49x40, scheme full/);
    expect(existsSync(join(dir, 'fw.zip'))).toBe(true);
    expect((await run('firmware', '--model', MICRO, '--dataset', 'mnist', '--out', join(dir, 'x'))).code).toBe(2);
  }, 60_000);
});
