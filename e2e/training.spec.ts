/**
 * Training in the browser worker (issue #4), against the production build in Chromium:
 *  - bit-identity: N steps in the worker, in Node (same executor, same WebAssembly file) and through the
 *    TypeScript reference interpreter give the same losses and the same int8 weights for the same seed;
 *  - speed and learning: mcunet-5fps at 128x128 with paper:99kb trains in the worker; the spec prints the
 *    samples/s and the test accuracy over the first minute, and asserts the accuracy rises (not the speed);
 *  - the training panel drives the same runtime (start shows samples/s), and a killed worker is restarted.
 * The runtime is reached through `window.__tinytrain` (training-client.ts), created by the panel's first step.
 */
import type { RunSettings } from '../src/compiler/settings';
import { expect, test, type Page } from '@playwright/test';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from '../src/compiler/compile';
import { fetchDataset } from '../src/runtime/training/data';
import { PlanExecutor } from '../src/runtime/kernels/executor';
import { loadWasm, paths } from '../src/runtime/testing/kernel-harness';
import { fetchModelFile, transferModel } from '../src/runtime/training/train-backbone';
import { splitExamples } from '../src/runtime/training/train-data';
import { ReferenceLearner } from '../src/runtime/training/train-reference';
import { TrainingSession, type Learner } from '../src/runtime/training/train-session';
import type { TrainingClient } from '../src/runtime/training/training-client';
import type { TrainingMetrics } from '../src/runtime/training/training-api';
import { describeModel } from '../src/state/compile';
import { defaultFieldValues, type Backbone, type Experiment } from '../src/state/experiment';
import { encodeExperiment } from '../src/state/url';
import { parseScheme } from '../src/compiler/scheme/scheme';

/** An experiment as the page compiles it: pretrained backbone, scheme text, settings. */
interface PlanSpec {
  model: Backbone;
  resolution: number;
  scheme: string;
  classes: number;
  seed: number;
}

/** The share fragment of a spec + settings (the page compiles exactly this). */
function fragment(spec: PlanSpec, s: RunSettings): string {
  const info = describeModel(spec.model);
  const sch = parseScheme(spec.scheme, { name: spec.model, convs: info.convs });
  const e: Experiment = {
    ...defaultFieldValues(),
    model: spec.model,
    resolution: spec.resolution,
    classes: spec.classes,
    seed: spec.seed,
    preset: 'custom',
    scheme: sch.bias.map((bias, i) => ({ bias, ratio: sch.weight[i] as Experiment['scheme'][number]['ratio'] })),
    lr: s.lr,
    rounding: s.rounding,
    qas: s.qas,
  };
  return `#${encodeExperiment(e)}`;
}

declare global {
  interface Window {
    __tinytrain?: TrainingClient;
    __metrics?: TrainingMetrics[];
  }
}

/**
 * Opens the page on an experiment and lets the training panel create the runtime (its first step starts the
 * worker and loads the page's plan); then resets the run, so a test starts from the compiled weights at step 0.
 */
async function openRuntime(page: Page, hash = ''): Promise<void> {
  await page.goto(`/${hash}`);
  await expect(page.getByTestId('train.weights')).toHaveAttribute('data-status', 'ready', { timeout: 30_000 });
  await expect(page.getByTestId('train.step')).toBeEnabled({ timeout: 30_000 });
  await page.getByTestId('train.step').click();
  await page.waitForFunction(() => window.__tinytrain !== undefined, null, { timeout: 30_000 });
  // wait for that step to finish, so it cannot land on the plan a test loads next
  await expect(page.getByTestId('train.speed')).toHaveText(/^\d+ samples\/s$/, { timeout: 60_000 });
  await page.evaluate(() => window.__tinytrain!.reset());
}

/** Trains n steps in Node from the same spec and seed, with `learner(plan)`; losses and trainable weights. */
async function nodeRun(spec: PlanSpec, s: RunSettings, n: number, reference: boolean) {
  const read = async (p: string) => new Uint8Array(readFileSync(p));
  const file = await fetchModelFile(join(paths.root, 'public', 'models'), spec.model, read);
  const plan = compile(transferModel({ ...spec, pretrained: file }), spec.scheme, {
    reorder: true,
    fusion: true,
    split: true,
  });
  const mod = await loadWasm(paths.wasmSimd);
  const learner: Learner & { trainable(): { name: string; data: ArrayLike<number> }[] } = reference
    ? new ReferenceLearner(plan, s)
    : PlanExecutor.load(mod, plan, s);
  const get = async (p: string) => new Uint8Array(readFileSync(p));
  const data = await fetchDataset(join(paths.root, 'public', 'data'), 'mnist', ['train', 'test'], get);
  const input = { resolution: spec.resolution, channels: plan.input.shape[2] };
  const session = new TrainingSession(
    learner,
    splitExamples(data.train, input),
    splitExamples(data.test, input),
    plan.input.bytes,
    s.seed,
  );
  const losses: number[] = [];
  session.trainSteps(n, (l) => losses.push(Math.fround(l)));
  return { losses, trainable: learner.trainable().map((t) => ({ name: t.name, data: Array.from(t.data) })) };
}

test.describe('training in the worker', () => {
  const cases: [PlanSpec, RunSettings, number][] = [
    [
      { model: 'tiny-cnn', resolution: 32, scheme: 'bias:6;w:4@1/2,7@1,8@1', classes: 10, seed: 3 },
      { lr: 0.05, rounding: 'stochastic', qas: true, seed: 3 },
      40,
    ],
    [
      { model: 'mcunet-5fps', resolution: 48, scheme: 'paper:99kb', classes: 10, seed: 2 },
      { lr: 0.003, rounding: 'nearest', qas: true, seed: 2 },
      4,
    ],
  ];
  for (const [spec, settings, n] of cases) {
    test(`worker, Node and the reference interpreter agree bit for bit: ${spec.model} ${spec.scheme}`, async ({
      page,
    }) => {
      test.setTimeout(120_000);
      await openRuntime(page, fragment(spec, settings));
      const browser = await page.evaluate(async (n) => {
        const rt = window.__tinytrain!;
        const t = await rt.trace(n);
        return {
          load: rt.lastLoad()!,
          losses: t.losses,
          trainable: t.trainable.map((w) => ({ name: w.name, data: Array.from(w.data) })),
        };
      }, n);
      expect(browser.load.arenaBytes).toBe(browser.load.planArenaBytes);
      const node = await nodeRun(spec, settings, n, false);
      const reference = await nodeRun(spec, settings, n, true);
      expect(browser.losses.map(Math.fround)).toEqual(node.losses);
      expect(node.losses).toEqual(reference.losses);
      expect(browser.trainable).toEqual(node.trainable);
      expect(node.trainable).toEqual(reference.trainable);
      console.log(
        `bit-identity: ${n} steps of ${spec.model}@${spec.resolution} (${spec.scheme}), ${browser.trainable.length} trainable tensors, losses ${browser.losses.map((l) => l.toFixed(4)).join(' ')}`,
      );
    });
  }

  test('mcunet-5fps at 128x128 with paper:99kb: samples/s, and the accuracy rises within a minute', async ({
    page,
  }) => {
    test.setTimeout(240_000);
    const seconds = Number(process.env.TRAIN_SECONDS ?? 60);
    const pretrained = existsSync(join(paths.root, 'public', 'models', 'mcunet-5fps.json'));
    const spec: PlanSpec = { model: 'mcunet-5fps', resolution: 128, scheme: 'paper:99kb', classes: 10, seed: 1 };
    const lr = Number(process.env.TRAIN_LR ?? 0.01);
    const settings: RunSettings = { lr, rounding: 'nearest', qas: true, seed: 1 };
    await openRuntime(page, fragment(spec, settings));
    const load = await page.evaluate(async () => {
      const rt = window.__tinytrain!;
      window.__metrics = [];
      rt.onMetrics((m) => window.__metrics!.push(m));
      return rt.lastLoad()!;
    });
    expect(load.arenaBytes).toBe(load.planArenaBytes);
    const t0 = Date.now();
    await page.evaluate(() => window.__tinytrain!.start());
    await page.waitForTimeout(seconds * 1000);
    await page.evaluate(() => window.__tinytrain!.pause());
    const wall = (Date.now() - t0) / 1000;
    const metrics = await page.evaluate(() => window.__metrics!);
    const tests = metrics.filter((m) => m.testAccuracy !== undefined);
    const steps = metrics[metrics.length - 1].step;
    const rates = metrics.slice(1).map((m) => m.samplesPerSec);
    const mean = rates.reduce((a, b) => a + b, 0) / Math.max(1, rates.length);
    console.log(
      `chromium worker, mcunet-5fps@128 paper:99kb (${pretrained ? 'pretrained on Fashion-MNIST' : 'RANDOM weights: no public/models/mcunet-5fps.json yet'}), ` +
        `MNIST, lr ${settings.lr}: ${steps} steps in ${wall.toFixed(0)} s, ${mean.toFixed(1)} samples/s while training ` +
        `(${(steps / wall).toFixed(1)} overall, evaluations included); arena ${load.arenaBytes} B`,
    );
    console.log(
      `test accuracy (256 images) by step: ${tests.map((m) => `${m.step}: ${(100 * m.testAccuracy!).toFixed(1)}%`).join(', ')}`,
    );
    expect(tests.length).toBeGreaterThanOrEqual(3);
    expect(tests[tests.length - 1].testAccuracy!).toBeGreaterThan(tests[0].testAccuracy! + 0.1);
    expect(await page.evaluate(() => window.__tinytrain!.canaries())).toMatchObject({ before: 0, after: 0 });
  });

  test('the panel trains through the runtime, and a dead worker is restarted', async ({ page }) => {
    test.setTimeout(120_000);
    await openRuntime(page);
    await page.getByTestId('train.start').click();
    await expect(page.getByTestId('train.speed')).toHaveText(/^[1-9]\d* samples\/s$/, { timeout: 30_000 });
    await page.getByTestId('train.pause').click();
    const before = await page.evaluate(() => window.__tinytrain!.restarts());
    await page.evaluate(() => window.__tinytrain!.kill());
    const m = await page.evaluate(() => window.__tinytrain!.step(5));
    expect(m.step).toBe(5);
    expect(await page.evaluate(() => window.__tinytrain!.restarts())).toBe(before + 1);
  });
});
