/**
 * A model file whose input is not the data set's shape trains on the page and in the CLI: the page's plan on the
 * worker's engine (TrainRunner over the WebAssembly kernels) and `tinytrain train` (runHeadless) on the same
 * file, scheme and seed give the same losses bit for bit; the panel's data line says what the images become.
 * micro_speech and hello_world (../shared/models) are skipped when absent; a non-square model built here is not.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHeadless } from '../cli/train-run';
import { readDataset } from '../cli/firmware-io';
import { runSettingsOf } from '../compiler/settings';
import { nonSquareTflite } from '../compiler/testing/non-square';
import type { DatasetSplit } from '../runtime/training/data';
import { loadWasm, paths } from '../runtime/testing/kernel-harness';
import { TrainRunner } from '../runtime/training/train-runner';
import type { KernelModule } from '../runtime/kernels/wasm';
import { defaultFieldValues } from './experiment';
import { openModelBytes } from './model-io';
import { usePlayground } from './playground';
import { trainingDataFit } from './training-data';
import { encodeExperiment } from './url';

const MODELS = join(__dirname, '../../../shared/models');
const MICRO = join(MODELS, 'micro_speech_quantized.tflite');
const HELLO = join(MODELS, 'hello_world_int8.tflite');
const dir = mkdtempSync(join(tmpdir(), 'tinytrain-data-fit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let mod: KernelModule;
let mnist: Record<string, DatasetSplit>;
beforeAll(async () => {
  mod = await loadWasm(paths.wasmSimd);
  mnist = await readDataset('mnist', ['train', 'test']);
});

const runner = () =>
  new TrainRunner(mod, async () => ({ train: mnist.train, test: mnist.test }), { evalSize: 500, evalMs: 0 });

/** Opens a model file on the page (with `classes` classes: the file's own classifier when it has that many). */
async function open(bytes: Uint8Array, name: string, classes = 10) {
  usePlayground
    .getState()
    .loadFragment(encodeExperiment({ ...defaultFieldValues(), model: 'tiny-cnn', resolution: 32, classes }));
  expect(await openModelBytes(bytes, name)).toBe(true);
  const s = usePlayground.getState();
  expect(s.compiled.error).toBeNull();
  return { plan: s.compiled.plan!, settings: runSettingsOf(s.experiment) };
}

/** The page's plan of a model file on the worker engine vs `tinytrain train` on the file: losses of n steps. */
async function pageAndCli(bytes: Uint8Array, name: string, steps: number) {
  const { plan, settings } = await open(bytes, `${name}.tflite`);
  const r = runner();
  const report = await r.load(plan, settings);
  expect(report.trainExamples).toBe(mnist.train.count);
  const page = r.trace(steps);
  r.dispose();
  const path = join(dir, `${name}.tflite`);
  writeFileSync(path, bytes);
  const cli = await runHeadless({
    ...settings,
    model: name,
    resolution: plan.input.shape[0],
    scheme: plan.scheme,
    data: 'mnist',
    steps,
    engine: 'wasm',
    pretrained: null,
    modelFile: { path, classifier: undefined },
    evalExamples: 100,
    curvePoints: steps,
    initialEval: false,
    schedule: 'constant',
    threads: 1,
  });
  expect(cli.inputShape).toEqual(plan.input.shape);
  expect(cli.plan.arenaBytes).toBe(plan.arenaBytes);
  return { plan, page: page.losses, cli: cli.lossCurve.map((p) => p.loss), dataFit: cli.dataFit };
}

describe('training a model file whose input is not the data set shape', () => {
  it('48x32 RGB: the page plan on the worker engine and tinytrain train give the same losses bit for bit', async () => {
    const { plan, page, cli, dataFit } = await pageAndCli(nonSquareTflite(48, 32, 10), 'wide', 40);
    expect(plan.input.shape).toEqual([48, 32, 3]);
    const text =
      "MNIST's 28x28 gray images resized to 48x32, gray copied to RGB, intensity 0..1 at the input's scale " +
      '0.003922 and zero point -128';
    expect(trainingDataFit(plan, false)).toEqual({ ok: true, resized: true, text });
    expect(dataFit).toBe(text);
    expect(cli).toEqual(page);
    expect(new Set(page).size).toBeGreaterThan(20); // it really stepped
  }, 120_000);

  it.skipIf(!existsSync(MICRO))(
    'micro_speech, 10 classes: page and CLI give the same losses bit for bit',
    async () => {
      const { page, cli } = await pageAndCli(new Uint8Array(readFileSync(MICRO)), 'micro_speech', 60);
      expect(cli).toEqual(page);
      expect(new Set(page).size).toBeGreaterThan(30);
    },
    120_000,
  );

  it.skipIf(!existsSync(MICRO))(
    'micro_speech (49x40x1) with its own 4 classes trains on MNIST 0-3 on the page',
    async () => {
      const { plan, settings } = await open(new Uint8Array(readFileSync(MICRO)), 'micro_speech_quantized.tflite', 4);
      expect(usePlayground.getState().editNotices[0].text).toMatch(/its classifier is kept/);
      expect(plan.input.shape).toEqual([49, 40, 1]);
      expect(plan.model.classes).toBe(4);
      const fit = trainingDataFit(plan, false);
      expect(fit).toMatchObject({ ok: true });
      expect(fit!.ok && fit!.text).toMatch(/resized to 49x40, grayscale, .*; the first 4 of its 10 classes$/);
      const r = runner();
      const report = await r.load(plan, settings);
      // only the examples of the first 4 classes (0, 1, 2, 3)
      const four = Array.from(mnist.train.labels).filter((l) => l < 4).length;
      expect(report.trainExamples).toBe(four);
      const before = r.evaluate(500).accuracy;
      const m = r.step(200);
      const after = r.evaluate(500);
      console.log(
        `micro_speech on the page's engine, MNIST 0-3: test accuracy ${before.toFixed(3)} -> ${after.accuracy.toFixed(3)} after 200 steps (train window ${m.accuracy.toFixed(3)})`,
      );
      expect(after.accuracy).toBeGreaterThan(0.5);
      expect(r.samples(3).samples.every((s) => s.label < 4 && s.image.length === 49 * 40)).toBe(true);
      r.dispose();
    },
    120_000,
  );

  it.skipIf(!existsSync(HELLO))(
    'hello_world (1 value in): the data line and the worker refuse it with the reason',
    async () => {
      const { plan, settings } = await open(new Uint8Array(readFileSync(HELLO)), 'hello_world_int8.tflite');
      const fit = trainingDataFit(plan, false);
      expect(fit).toMatchObject({ ok: false });
      const reason = fit!.ok ? '' : fit!.reason;
      expect(reason).toMatch(/^the model's input is 1 value, not an image, so it cannot train on MNIST/);
      await expect(runner().load(plan, settings)).rejects.toThrow(reason);
      // the user's own images cannot feed it either
      expect(trainingDataFit(plan, true)).toMatchObject({ ok: false });
    },
  );
});
