import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '../../compiler/models/model';
import { searchSpace } from '../../compiler/search/space';
import type { KernelModule } from '../kernels/wasm';
import { loadWasm, paths } from '../testing/kernel-harness';
import { contributionRuns, type RunScore } from './contribution';
import { ContributionContext, type ContributionJob } from './contribution-context';
import {
  dispatchOrder,
  etaMs,
  PoolCancelled,
  runPool,
  type ContributionWorker,
  type PoolProgress,
} from './contribution-pool';
import { fetchDataset, type DatasetSplit } from './data';

const score = (scheme: string, accuracy = scheme.length / 100): RunScore => ({
  scheme,
  accuracy,
  loss: 1,
  examples: 10,
});

/** A stand-in worker that answers after `delay(scheme)` ticks, logging what it ran. */
function fake(delay: (s: string) => number, log: string[], name: string): ContributionWorker & { dead: boolean } {
  const w = {
    dead: false,
    run: async (s: string) => {
      for (let i = 0; i < delay(s); i++) await Promise.resolve();
      if (w.dead) throw new Error('terminated');
      if (s === 'boom') throw new Error('run "boom" failed');
      log.push(`${name}:${s}`);
      return score(s);
    },
    terminate: () => void (w.dead = true),
  };
  return w;
}

describe('contribution pool', () => {
  const schemes = ['a', 'bb', 'ccc', 'dddd', 'eeeee', 'ffffff', 'g'];

  it('returns the scores in run order whatever order the workers finish in', async () => {
    const log: string[] = [];
    const slowFirst = (s: string) => (s.length % 2 ? 40 : 1);
    const pool = [fake(slowFirst, log, 'w0'), fake((s) => 7 - s.length, log, 'w1'), fake(() => 3, log, 'w2')];
    const got = await runPool(schemes, pool);
    expect(got).toEqual(schemes.map((s) => score(s)));
    // they really finished out of order, on several workers
    expect(log.map((l) => l.split(':')[1])).not.toEqual(schemes);
    expect(new Set(log.map((l) => l.split(':')[0])).size).toBeGreaterThan(1);
    expect(await runPool(schemes, [fake(() => 1, [], 'one')])).toEqual(got);
  });

  it('hands runs out in the order asked for and still returns them in run order', async () => {
    const log: string[] = [];
    const order = [...schemes].reverse();
    expect(await runPool(schemes, [fake(() => 1, log, 'w')], { order })).toEqual(schemes.map((s) => score(s)));
    expect(log.map((l) => l.split(':')[1])).toEqual(order);
    await expect(runPool(schemes, [fake(() => 1, [], 'w')], { order: order.slice(1) })).rejects.toThrow(
      /not a permutation/,
    );
  });

  it('hands out all the biases first, then the extra runs, the weight runs and the other bias runs', () => {
    const model = buildModel({ model: 'tiny-cnn', resolution: 32, classes: 10, seed: 2 });
    const runs = contributionRuns(searchSpace(model, 2));
    const order = dispatchOrder(runs, ['last:4']);
    expect(order.slice(0, 3)).toEqual(['bias:2', 'last:4', 'bias:2;w:7@1/8']);
    expect(order.slice(-2)).toEqual(['bias:1', 'classifier']);
    expect([...order].sort()).toEqual([...runs.map((r) => r.scheme), 'last:4'].sort());
  });

  it('reports progress with an ETA and skips runs it already has', async () => {
    let t = 0;
    const seen: PoolProgress[] = [];
    const got = await runPool(schemes, [fake(() => 1, [], 'w')], {
      now: () => (t += 1000),
      cached: (s) => (s === 'bb' ? score(s, 0.5) : undefined),
      onProgress: (p) => seen.push(p),
    });
    expect(got[1].accuracy).toBe(0.5);
    expect(seen.map((p) => p.done)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(seen[0]).toMatchObject({ cached: true, etaMs: null, total: 7 });
    // after the first computed run: 5 runs left at the rate of that one run (cache hits do not count)
    expect(seen[1].etaMs).toBe(etaMs(1, 5, seen[1].elapsedMs));
    expect(seen[6].etaMs).toBe(0);
  });

  it('cancels: stops handing out runs, terminates the workers and rejects', async () => {
    const ctl = new AbortController();
    const log: string[] = [];
    const workers = [fake(() => 5, log, 'w0'), fake(() => 5, log, 'w1')];
    const p = runPool(schemes, workers, {
      signal: ctl.signal,
      onProgress: (q) => q.done === 2 && ctl.abort(),
    });
    await expect(p).rejects.toBeInstanceOf(PoolCancelled);
    expect(workers.every((w) => w.dead)).toBe(true);
    expect(log.length).toBeLessThan(schemes.length);
  });

  it('fails with the failing run and stops the other workers', async () => {
    const workers = [fake(() => 1, [], 'w0'), fake(() => 50, [], 'w1')];
    await expect(runPool(['a', 'boom', 'c', 'd'], workers)).rejects.toThrow('run "boom" failed');
    expect(workers.every((w) => w.dead)).toBe(true);
  });

  it('estimates the time left from the throughput so far', () => {
    expect(etaMs(0, 10, 5000)).toBe(null);
    expect(etaMs(4, 6, 8000)).toBe(12000);
    expect(etaMs(3, 0, 100)).toBe(0);
  });
});

describe('contribution runs on a pool of contexts', () => {
  let mod: KernelModule;
  let train: DatasetSplit;
  beforeAll(async () => {
    mod = await loadWasm(paths.wasmSimd);
    const DATA = join(__dirname, '../../../public/data');
    const read = async (u: string) => new Uint8Array(readFileSync(join(DATA, u.slice(DATA.length + 1))));
    train = (await fetchDataset(DATA, 'mnist', ['train'], read)).train;
  });

  it('scores the same, bit for bit, on two workers with prefix caches as on one without', async () => {
    const model = buildModel({ model: 'tiny-cnn', resolution: 32, classes: 10, seed: 2 });
    const runs = contributionRuns(searchSpace(model, 2)).map((r) => r.scheme);
    const job = (prefixCache: boolean): ContributionJob => ({
      model,
      settings: { lr: 0.05, rounding: 'nearest', qas: true, seed: 4, steps: 12 },
      validation: 40,
      options: {},
      prefixCache,
    });
    const asWorker = (ctx: ContributionContext, ticks: number): ContributionWorker => ({
      run: async (s) => {
        for (let i = 0; i < ticks; i++) await Promise.resolve();
        return ctx.run(s);
      },
      terminate: () => undefined,
    });
    const cached = [new ContributionContext(mod, job(true), train), new ContributionContext(mod, job(true), train)];
    const two = await runPool(runs, [asWorker(cached[0], 3), asWorker(cached[1], 1)]);
    const one = await runPool(runs, [asWorker(new ContributionContext(mod, job(false), train), 0)]);
    expect(two).toEqual(one);
    expect(two.map((s) => s.scheme)).toEqual(runs);
    expect(cached.every((c) => (c.cache?.hits ?? 0) > 0)).toBe(true);
  });
});
