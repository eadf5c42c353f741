import { beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../compiler/compile';
import { mulberry32 } from '../../compiler/models/init';
import { buildModel, type Model } from '../../compiler/models/model';
import type { PlanOptions } from '../../compiler/plan';
import { PlanExecutor } from '../kernels/executor';
import type { KernelModule } from '../kernels/wasm';
import { loadWasm, paths } from '../testing/kernel-harness';
import { runContribution } from './contribution';
import { PrefixCache, PrefixCachedLearner, prefixCut } from './prefix-cache';
import { TrainingSession, type ExampleSource } from './train-session';

let mod: KernelModule;
beforeAll(async () => {
  mod = await loadWasm(paths.wasmSimd);
});

/** n seeded random int8 images of `bytes` bytes with labels < classes. */
function source(n: number, bytes: number, classes: number, seed: number): ExampleSource {
  const rand = mulberry32(seed);
  const images = Array.from({ length: n }, () =>
    Int8Array.from({ length: bytes }, () => Math.floor(rand() * 256) - 128),
  );
  const labels = images.map(() => Math.floor(rand() * classes));
  return { size: n, label: (i) => labels[i], image: (i, dst) => dst.set(images[i]) };
}

const settings = { lr: 0.05, rounding: 'stochastic' as const, qas: true, seed: 9 };

/** Trains `steps` steps (every loss), evaluates, returns everything a run produces. */
function trace(model: Model, scheme: string, cache: PrefixCache | null, options: Partial<PlanOptions> = {}) {
  const plan = compile(model, scheme, options);
  const exec = PlanExecutor.load(mod, plan, settings, { guardBytes: 64 });
  const learner = cache ? new PrefixCachedLearner(exec, cache) : exec;
  const train = source(7, plan.input.bytes, model.classes, 1);
  const test = source(5, plan.input.bytes, model.classes, 2);
  const session = new TrainingSession(learner, train, test, plan.input.bytes, settings.seed);
  const losses: number[] = [];
  session.trainSteps(20, (l) => losses.push(l));
  const ev = session.evaluate();
  const out = { losses, ev: [ev.accuracy, ev.loss], trainable: exec.trainable(), canaries: exec.checkCanaries() };
  exec.dispose();
  return out;
}

describe('frozen-prefix cache', () => {
  const tiny = buildModel({ model: 'tiny-cnn', resolution: 32, classes: 5, seed: 3 });

  it('cuts before the first call that reads a trainable const or a run-time value', () => {
    const plan = compile(tiny, 'bias:2;w:7@1/2');
    const cut = prefixCut(plan, plan);
    expect(cut.at).toBeGreaterThan(0);
    expect(plan.steps.slice(0, cut.at).every((s) => s.phase === 'forward')).toBe(true);
    const first = plan.steps[cut.at];
    const sram = first.args.some((a) => a.kind === 'const' && plan.consts[a.id].storage === 'sram');
    expect(sram || first.args.some((a) => a.kind === 'label')).toBe(true);
    expect(cut.bytes).toBeGreaterThan(0);
    // the cut falls on the first trainable layer's forward call
    const layerAtCut = (scheme: string) => {
      const p = compile(tiny, scheme);
      const at = prefixCut(p, p).at;
      return at === 0 ? null : p.steps[at].layer;
    };
    expect(first.layer).toBe(tiny.convs[7].name);
    expect(layerAtCut('bias:1')).toBe(tiny.convs[8].name);
    expect(layerAtCut('classifier')).toBe('classifier');
    // updating every bias leaves no frozen prefix to cache
    expect(layerAtCut('bias-only')).toBe(null);
  });

  for (const [name, options] of [
    ['default options', {}],
    ['no reordering, no fusion', { reorder: false, fusion: false }],
  ] as const) {
    it(`gives bit-identical losses, weights and scores with and without the cache (${name})`, () => {
      for (const scheme of ['classifier', 'bias:3', 'bias:3;w:7@1/2,8@1']) {
        const cache = new PrefixCache();
        const plain = trace(tiny, scheme, null, options);
        const cached = trace(tiny, scheme, cache, options);
        expect(cached).toEqual(plain);
        // 7 training images over 20 steps and one evaluation: most visits are hits
        expect(cache.hits).toBeGreaterThan(10);
        expect(cached.canaries.before + cached.canaries.after).toBe(0);
      }
    });
  }

  it('shares entries between schemes whose prefixes agree, still bit-identical', () => {
    const cache = new PrefixCache();
    trace(tiny, 'bias:3;w:7@1/2', cache);
    const hitsBefore = cache.hits;
    const plain = trace(tiny, 'bias:3;w:8@1', null);
    const cached = trace(tiny, 'bias:3;w:8@1', cache);
    expect(cached).toEqual(plain);
    // the second scheme found every image of its first epoch already cached
    expect(cache.misses).toBe(12);
    expect(cache.hits - hitsBefore).toBe(25);
  });

  it('resumes a later cut from an earlier one another scheme left, still bit-identical', () => {
    for (const options of [{}, { reorder: false, fusion: false }]) {
      const cache = new PrefixCache();
      trace(tiny, 'bias:3;w:7@1/2', cache, options);
      expect(cache.chained).toBe(0);
      const hits = cache.hits;
      expect(trace(tiny, 'bias:1', cache, options)).toEqual(trace(tiny, 'bias:1', null, options));
      // its 7 training and 5 test images were all resumed from the bias:3 cut, then hit on later visits
      expect(cache.chained).toBe(12);
      expect(cache.hits - hits).toBe(13);
    }
  });

  it('keeps mcunet residual blocks bit-identical (a cut inside the stack of inverted residuals)', () => {
    const mcunet = buildModel({ model: 'mcunet-5fps', resolution: 48, classes: 4, seed: 5 });
    const plain = trace(mcunet, 'bias:6;w:30@1/4', null);
    const cache = new PrefixCache();
    expect(trace(mcunet, 'bias:6;w:30@1/4', cache)).toEqual(plain);
    expect(cache.hits).toBeGreaterThan(0);
  });

  it('stops adding entries at its byte limit and stays exact', () => {
    const cache = new PrefixCache(1);
    expect(trace(tiny, 'bias:2', cache)).toEqual(trace(tiny, 'bias:2', null));
    expect([cache.hits, cache.bytesUsed]).toEqual([0, 0]);
  });

  it('gives runContribution the same score with and without it', () => {
    const data = { train: source(9, 32 * 32 * 3, 5, 4), validation: source(6, 32 * 32 * 3, 5, 5) };
    const s = { ...settings, steps: 15 };
    const cache = new PrefixCache();
    for (const scheme of ['bias:2', 'bias:2;w:7@1/4'])
      expect(runContribution(mod, tiny, scheme, s, data, {}, cache)).toEqual(
        runContribution(mod, tiny, scheme, s, data),
      );
    expect(cache.hits).toBeGreaterThan(0);
  });
});
