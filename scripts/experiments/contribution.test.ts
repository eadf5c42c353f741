import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { averaged, contributionKey, loadRuns, makeRuns, type StoredRun } from './contribution';

const ids = { modelSha256: (seed: number) => `m${seed}`, dataSha256: 'd', kernelSha256: 'k' };
const plan = { steps: 10, lr: 0.1, seeds: [1, 2], validation: 5 };

describe('contribution runs', () => {
  let dir = '';
  afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('splits the (seed, scheme) runs over parts, stores each once and reuses stored runs', () => {
    dir = mkdtempSync(join(tmpdir(), 'contrib-'));
    const file = join(dir, 'runs.jsonl');
    const made: string[] = [];
    const run = (scheme: string, seed: number) => {
      made.push(`${scheme}/${seed}`);
      return { scheme, accuracy: seed / 10 + scheme.length / 100, loss: 1, examples: 5 };
    };
    makeRuns(file, ['a', 'bb'], plan, ids, run, { index: 0, count: 2 });
    expect(made).toEqual(['a/1', 'a/2']);
    makeRuns(file, ['a', 'bb'], plan, ids, run, { index: 1, count: 2 });
    expect(made).toEqual(['a/1', 'a/2', 'bb/1', 'bb/2']);
    makeRuns(file, ['a', 'bb'], plan, ids, run); // everything stored: nothing runs again
    expect(made).toHaveLength(4);
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(4);
    // a different rate is a different run
    makeRuns(file, ['a'], { ...plan, lr: 0.03, seeds: [1] }, ids, run);
    expect(made).toHaveLength(5);
    const key = contributionKey({ ...ids, modelSha256: 'm2' }, { steps: 10, lr: 0.1, validation: 5 }, 'bb', 2);
    expect(loadRuns(file).get(key)?.accuracy).toBeCloseTo(0.22, 12);
  });

  it('averages accuracy and loss over seeds, and is null while a seed is missing', () => {
    const r = (scheme: string, seed: number, accuracy: number, loss: number): StoredRun => ({
      key: `${scheme}/${seed}`,
      scheme,
      seed,
      accuracy,
      loss,
      examples: 5,
    });
    const all = new Map([r('a', 1, 0.5, 2), r('a', 2, 0.7, 1), r('b', 1, 0.2, 3)].map((x) => [x.key, x]));
    const get = (s: string, seed: number) => all.get(`${s}/${seed}`);
    expect(averaged(['a'], [1, 2], get)).toEqual([{ scheme: 'a', accuracy: 0.6, loss: 1.5, examples: 5 }]);
    expect(averaged(['a', 'b'], [1, 2], get)).toBeNull();
  });
});

describe('contribution parts', () => {
  it('takes a part from the end with reverse, seed by seed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'contrib-'));
    const made: string[] = [];
    const run = (scheme: string, seed: number) => {
      made.push(`${scheme}/${seed}`);
      return { scheme, accuracy: 0.5, loss: 1, examples: 5 };
    };
    makeRuns(join(dir, 'r.jsonl'), ['a', 'b', 'c'], plan, ids, run, { index: 0, count: 2, reverse: true });
    rmSync(dir, { recursive: true, force: true });
    expect(made).toEqual(['c/1', 'a/1', 'b/2']);
  });
});
