import { beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../compiler/compile';
import { mulberry32 } from '../compiler/models/init';
import { buildModel } from '../compiler/models/model';
import type { DatasetManifest } from '../../scripts/data/format';
import { DatasetSplit } from './data';
import { loadWasm, paths } from './kernel-harness';
import { splitExamples } from './train-data';
import { ReferenceLearner } from './train-reference';
import { TrainRunner, type BuiltinData } from './train-runner';
import { TrainingSession } from './train-session';
import type { RunSettings } from '../compiler/settings';
import type { TrainingMetrics } from './training-api';
import type { KernelModule } from './wasm';

/** 4 classes of 28x28 gray images: a bright 10x10 square in quadrant `label`, on noise. */
function quadrants(count: number, seed: number): DatasetSplit {
  const rand = mulberry32(seed);
  const images = new Uint8Array(count * 784);
  const labels = new Uint8Array(count);
  for (let n = 0; n < count; n++) {
    const c = Math.floor(rand() * 4);
    labels[n] = c;
    const oy = 2 + 14 * (c >> 1) + Math.floor(rand() * 3);
    const ox = 2 + 14 * (c & 1) + Math.floor(rand() * 3);
    for (let p = 0; p < 784; p++) images[n * 784 + p] = Math.floor(rand() * 60);
    for (let y = oy; y < oy + 10; y++) for (let x = ox; x < ox + 10; x++) images[n * 784 + y * 28 + x] = 200;
  }
  const manifest = {
    name: 'quadrants',
    classes: ['tl', 'tr', 'bl', 'br'],
    image: { height: 28, width: 28, channels: 1 },
  } as unknown as DatasetManifest;
  return new DatasetSplit(manifest, 'train', images, labels);
}

const data: BuiltinData = { train: quadrants(400, 1), test: quadrants(100, 2) };
const settings: RunSettings = { lr: 0.05, rounding: 'nearest', qas: true, seed: 5 };
const plan = compile(buildModel({ model: 'tiny-cnn', resolution: 24, classes: 4, seed: 2 }), 'full');

let mod: KernelModule;
beforeAll(async () => {
  mod = await loadWasm(paths.wasmSimd);
});

const runner = (o = {}) => new TrainRunner(mod, async () => data, { evalSize: 100, evalMs: 20, reportMs: 10, ...o });

describe('TrainRunner', () => {
  it('allocates the planned arena and really trains: test accuracy from chance to > 85%', async () => {
    const r = runner({ guardBytes: 1024 });
    const report = await r.load(plan, settings);
    expect(report.arenaBytes).toBe(plan.arenaBytes);
    expect(report).toMatchObject({ trainExamples: 400, testExamples: 100 });
    const before = r.evaluate().accuracy;
    expect(before).toBeLessThan(0.5);
    const m = r.step(400);
    expect(m.step).toBe(400);
    expect(m.accuracy).toBeGreaterThan(0.6);
    expect(r.evaluate().accuracy).toBeGreaterThan(0.85);
    expect(r.canaries()).toEqual({ guardBytes: 1024, before: 0, after: 0 });
    r.dispose();
  });

  it('streams metrics while running, evaluates at the start, and pauses', async () => {
    const r = runner();
    await r.load(plan, settings);
    const got: TrainingMetrics[] = [];
    r.start((m) => got.push(m));
    while (got.filter((m) => m.testAccuracy !== undefined).length < 3) await new Promise((ok) => setTimeout(ok, 5));
    await r.pause();
    const n = got.length;
    await new Promise((ok) => setTimeout(ok, 30));
    expect(got.length).toBe(n);
    expect(got[0].testAccuracy).toBeDefined();
    for (let i = 1; i < got.length; i++) expect(got[i].step).toBeGreaterThan(got[i - 1].step);
    expect(got.every((m) => m.samplesPerSec > 0 && Number.isFinite(m.loss))).toBe(true);
    expect(r.step(3).step).toBe(got[got.length - 1].step + 3);
    r.dispose();
  });

  it('is deterministic from the seed, resets exactly, and matches the reference interpreter step for step', async () => {
    const r = runner();
    await r.load(plan, settings);
    const a = r.trace(12);
    await r.reset();
    const b = r.trace(12);
    expect(b).toEqual(a);
    const ref = new ReferenceLearner(plan, settings);
    const input = { resolution: 24, channels: 3 };
    const session = new TrainingSession(
      ref,
      splitExamples(data.train, input),
      splitExamples(data.test, input),
      plan.input.bytes,
      5,
    );
    const losses: number[] = [];
    session.trainSteps(12, (l) => losses.push(l));
    expect(a.losses.map(Math.fround)).toEqual(losses);
    expect(a.trainable).toEqual(ref.trainable());
    r.configure({ ...settings, seed: 6 });
    expect(r.trace(12).losses).not.toEqual(a.losses);
    r.dispose();
  });

  it('reports errors as messages: class mismatch, bad labels, calls before a plan', async () => {
    const r = runner();
    expect(() => r.step(1)).toThrow('no plan loaded');
    const five = compile(buildModel({ model: 'tiny-cnn', resolution: 16, classes: 5 }), 'classifier');
    await expect(r.load(five, settings)).rejects.toThrow('the plan has 5 classes; the data set quadrants has 4');
    await r.setUserData([{ label: 7, width: 2, height: 2, rgba: new Uint8ClampedArray(16) }]);
    await expect(r.load(plan, settings)).rejects.toThrow('a sample has label 7, but the plan has 4 classes');
    expect(() => r.configure({ ...settings, lr: NaN })).toThrow('no plan loaded');
  });

  it('trains on user samples', async () => {
    const r = runner();
    await r.load(plan, settings);
    // an 8x8 RGBA picture per class: a bright 4x4 quadrant (the class) in one colour channel
    const px = (c: number) =>
      new Uint8ClampedArray(4 * 64).map((_, i) => {
        const [p, ch] = [i >> 2, i & 3];
        const inside = ((p >> 3) >> 2) * 2 + ((p & 7) >> 2) === c;
        return ch === 3 ? 255 : inside && ch === c % 3 ? 250 : 10;
      });
    await r.setUserData([0, 1, 2, 3].map((label) => ({ label, width: 8, height: 8, rgba: px(label) })));
    r.step(200);
    expect(r.evaluate()).toMatchObject({ examples: 4, accuracy: 1 });
    r.dispose();
  });
});
