import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { modelHash } from '../cli/search-cache';
import { loadWasm, paths } from '../runtime/testing/kernel-harness';
import { ContributionContext } from '../runtime/training/contribution-context';
import type { ContributionWorker } from '../runtime/training/contribution-pool';
import { fetchDataset, type DatasetSplit } from '../runtime/training/data';
import { solveSearch } from '../runtime/training/search-solve';
import { fetchModelFile } from '../runtime/training/train-backbone';
import type { KernelModule } from '../runtime/kernels/wasm';
import { presetScheme } from './compile';
import { setBackboneLoader, setTrainedStepsProbe, usePlayground } from './playground';
import { latencyUnavailable, setSearchBackend, useSearch } from './search';
import { memoryRunCache, modelSha256 } from './search-cache';

const PUBLIC = join(__dirname, '../../public');
const read = (root: string) => async (u: string) => new Uint8Array(readFileSync(join(root, u.slice(root.length + 1))));

let mod: KernelModule;
let train: DatasetSplit;
/** Runs each worker was asked for, by pool. */
const asked: string[][] = [];

beforeAll(async () => {
  mod = await loadWasm(paths.wasmSimd);
  train = (await fetchDataset(join(PUBLIC, 'data'), 'mnist', ['train'], read(join(PUBLIC, 'data')))).train;
  const models = join(PUBLIC, 'models');
  setBackboneLoader(async (m) => ({
    file: await fetchModelFile(models, m, read(models)),
    fileName: `models/${m}.bin`,
    sha256: 'f'.repeat(64),
  }));
  setSearchBackend({
    kernelSha256: async () => 'k'.repeat(64),
    cache: memoryRunCache(),
    async createPool(n, job) {
      const log: string[] = [];
      asked.push(log);
      const workers: ContributionWorker[] = Array.from({ length: n }, (_, i) => {
        const ctx = new ContributionContext(mod, job, train);
        return {
          run: async (s, steps) => {
            for (let t = 0; t < i + 1; t++) await new Promise((r) => setTimeout(r, 0));
            log.push(steps === undefined ? s : `${s} @${steps}`);
            return ctx.run(s, steps);
          },
          terminate: () => undefined,
        };
      });
      return { workers, solve: async (r) => solveSearch(r), dispose: () => undefined };
    },
  });
  usePlayground.getState().update({ model: 'tiny-cnn', resolution: 32 });
  for (let i = 0; i < 200 && usePlayground.getState().compiled.weights?.status !== 'ready'; i++)
    await new Promise((r) => setTimeout(r, 10));
  // finalists as long as the contribution runs: those that are contribution runs reuse their scores
  useSearch
    .getState()
    .setSettings({ layers: 2, steps: 10, finalistSteps: 10, validation: 30, workers: 2, budgetKb: 24 });
});

describe('search store', () => {
  it('hashes a model exactly as the CLI does', async () => {
    const m = usePlayground.getState().compiled.model!;
    expect(await modelSha256(m)).toBe(modelHash(m));
  });

  it('runs the contribution runs on the pool, searches, and caches the runs', async () => {
    await useSearch.getState().start();
    const s = useSearch.getState();
    expect(s.message).toBe(null);
    expect(s.status).toBe('done');
    const o = s.outcome!;
    expect(o.runs.map((r) => r.scheme).slice(0, 3)).toEqual(['classifier', 'bias:1', 'bias:2']);
    expect(o.runs).toHaveLength(11);
    expect(o.space.map((l) => l.conv)).toEqual([7, 8]);
    expect(o.solve.best!.peakSramBytes).toBeLessThanOrEqual(24 * 1024);
    // then the finalists: the best last-k that fits (last:1, not a contribution run: one run of its own)
    expect(o.solve.finalists.find((f) => f.reference === 'last:1')?.scheme).toBe('last:1');
    expect(o.finalistRuns).toBe(1);
    expect(s.progress).toMatchObject({ done: 1, total: 1, cached: 0 });
    expect(asked[0].length).toBe(12);
    expect(asked[0][11]).toBe('last:1 @10');
    // again: every run comes from the cache, the same answer
    await useSearch.getState().start();
    expect(useSearch.getState().progress).toMatchObject({ done: 1, cached: 1 });
    expect(asked[1]).toEqual([]);
    expect(useSearch.getState().outcome!.solve).toEqual(o.solve);
  });

  it('puts the chosen scheme into the editor', () => {
    const best = useSearch.getState().outcome!.solve.best!.scheme;
    useSearch.getState().useScheme(best);
    expect(usePlayground.getState().experiment.scheme).toEqual(presetScheme('tiny-cnn', best));
    expect(usePlayground.getState().compiled.schemeText).toBe(best);
  });

  it('asks first when the scheme change would discard a trained run', () => {
    const o = useSearch.getState().outcome!;
    const other = o.solve.candidates.find((c) => c.scheme !== usePlayground.getState().compiled.schemeText)!.scheme;
    const before = usePlayground.getState().experiment.scheme;
    setTrainedStepsProbe(() => 50);
    try {
      useSearch.getState().useScheme(other);
      expect(usePlayground.getState().experiment.scheme).toEqual(before);
      expect(usePlayground.getState().pendingEdit).toMatchObject({ what: 'the scheme', steps: 50 });
      usePlayground.getState().confirmPendingEdit();
      expect(usePlayground.getState().compiled.schemeText).toBe(other);
    } finally {
      setTrainedStepsProbe(() => 0);
    }
  });

  it('cancels a running search', async () => {
    useSearch.getState().setSettings({ steps: 11 }); // new settings: nothing cached
    const p = useSearch.getState().start();
    await new Promise((r) => setTimeout(r, 0));
    useSearch.getState().cancel();
    await p;
    expect(useSearch.getState().status).toBe('cancelled');
    expect(asked[2].length).toBeLessThan(11);
  });

  it('holds the search to a latency budget on a calibrated board, and refuses one elsewhere in one line', async () => {
    const plan = usePlayground.getState().compiled.plan;
    expect(latencyUnavailable('stm32f746', plan)).toBeNull();
    expect(latencyUnavailable('rp2040', plan)).toMatch(
      /^no latency estimate for the RP2040 \(Cortex-M0\+.*Cortex-M7 only$/,
    );
    const free = useSearch.getState().outcome!.solve;
    expect(free.latency).toEqual({ board: 'stm32f746', limitMs: null });
    // exactly classifier-only's estimate: the answer keeps within it; every scheme over it is off the front
    const limit = free.lastK[0].estStepMs!;
    expect(free.candidates.some((c) => c.estStepMs! > limit)).toBe(true);
    useSearch.getState().setSettings({ steps: 10, latencyMs: limit });
    await useSearch.getState().start();
    const timed = useSearch.getState().outcome!.solve;
    expect(timed.latency).toEqual({ board: 'stm32f746', limitMs: limit });
    expect(timed.best!.estStepMs).toBeLessThanOrEqual(limit);
    expect(timed.pareto.every((c) => c.estStepMs! <= limit)).toBe(true);
    useSearch.getState().setSettings({ latencyMs: limit * 0.9 });
    await useSearch.getState().start();
    expect(useSearch.getState().outcome!.solve.best).toBeNull(); // not even classifier-only is fast enough
    useSearch.getState().setSettings({ board: 'rp2040' });
    await useSearch.getState().start();
    expect(useSearch.getState().status).toBe('error');
    expect(useSearch.getState().message).toMatch(/RP2040.*; clear the latency budget to search by SRAM only$/);
    useSearch.getState().setSettings({ board: 'stm32f746', latencyMs: null });
  });

  it('runs the finalists that are not contribution runs, and answers with the best on validation', async () => {
    useSearch.getState().setSettings({ layers: 4, steps: 10, finalistSteps: 10, budgetKb: 30 });
    await useSearch.getState().start();
    const s = useSearch.getState();
    expect(s.status).toBe('done');
    const o = s.outcome!;
    const finals = o.solve.finalists;
    expect(finals.map((f) => f.scheme)).toContain(o.solve.summed!.scheme);
    const known = new Set(o.runs.map((r) => r.scheme));
    const fresh = finals.filter((f) => !known.has(f.scheme));
    expect(fresh.length).toBeGreaterThan(0); // some finalist updates two or more weights: a run of its own
    expect(o.finalistRuns).toBe(fresh.length);
    expect(asked[asked.length - 1].slice(-fresh.length).sort()).toEqual(fresh.map((f) => `${f.scheme} @10`).sort());
    for (const f of finals) {
      expect(f.accuracy).not.toBeNull();
      const run = o.runs.find((r) => r.scheme === f.scheme);
      if (run) expect(f.accuracy).toBe(run.accuracy);
      expect(f.peakSramBytes).toBeLessThanOrEqual(30 * 1024);
    }
    const top = Math.max(...finals.map((f) => f.accuracy!));
    expect(o.solve.best!.scheme).toBe(finals.find((f) => f.accuracy === top)!.scheme);
    // again: the finalists' runs come from the cache too
    await useSearch.getState().start();
    expect(asked[asked.length - 1]).toEqual([]);
    expect(useSearch.getState().outcome!.solve).toEqual(o.solve);
    // finalists trained longer than the contribution runs: every finalist runs, for that many steps
    useSearch.getState().setSettings({ finalistSteps: 25 });
    await useSearch.getState().start();
    const long = useSearch.getState().outcome!;
    expect(long.solve.finalists.map((f) => f.scheme)).toEqual(finals.map((f) => f.scheme));
    expect(long.finalistRuns).toBe(finals.length);
    expect(asked[asked.length - 1].sort()).toEqual(finals.map((f) => `${f.scheme} @25`).sort());
    const top25 = Math.max(...long.solve.finalists.map((f) => f.accuracy!));
    expect(long.solve.finalists.find((f) => f.accuracy === top25)!.scheme).toBe(long.solve.best!.scheme);
    useSearch.getState().setSettings({ layers: 2, budgetKb: 24, finalistSteps: 10 });
  });

  it('refuses bad settings with a one-line message', async () => {
    useSearch.getState().setSettings({ steps: 0 });
    await useSearch.getState().start();
    expect(useSearch.getState()).toMatchObject({
      status: 'error',
      message: 'steps per run must be a whole number >= 1',
    });
  });
});
