import { describe, expect, it } from 'vitest';
import { ThreadMode } from './executor-mode';

/** Runs `n` runs over `key`, each taking split or whole ms; returns the way each went (true: split). */
function drive(m: ThreadMode, n: number, key: string, ms: { split: number; whole: number }): boolean[] {
  return Array.from({ length: n }, () => {
    const split = m.begin(key) === 0;
    m.end(split ? ms.split : ms.whole);
    return split;
  });
}

const T = true;
const F = false;

describe('ThreadMode', () => {
  it('times blocks of split and whole runs in a window and keeps the faster way until the next', () => {
    const m = new ThreadMode({ period: 12, block: 2, warm: 2 });
    // runs 0-1 go the current way (split); 2-9 are the window: split, whole, split, whole blocks of 2
    expect(drive(m, 12, '0:9', { split: 3, whole: 5 })).toEqual([T, T, T, T, F, F, T, T, F, F, T, T]);
    expect(m.split).toBe(true);
    expect(drive(m, 12, '0:9', { split: 5, whole: 3 })).toEqual([T, T, T, T, F, F, T, T, F, F, F, F]);
    expect(m.split).toBe(false);
    expect([m.runs, m.splitRuns]).toEqual([24, 14]);
  });

  it('does not time the first run of a split block (a kernel thread waking up)', () => {
    const m = new ThreadMode({ period: 100, block: 2, warm: 0 });
    const ways: boolean[] = [];
    for (let i = 0; i < 8; i++) {
      const split = m.begin('0:9') === 0;
      ways.push(split);
      // a slow first split run of each block, then split faster than whole
      m.end(split ? (i % 4 === 0 ? 100 : 2) : 3);
    }
    expect(ways).toEqual([T, T, F, F, T, T, F, F]);
    expect(m.split).toBe(true);
  });

  it('times only runs over the window range; others go the current way', () => {
    const m = new ThreadMode({ period: 100, block: 2, warm: 0 });
    m.split = false;
    const seen: boolean[] = [];
    const runs: [string, number][] = [
      ['0:9', 50], // split, first of its block: not timed
      ['4:9', 0.001], // another range: the current way (whole), not timed
      ['0:9', 2],
      ['0:9', 9],
      ['0:9', 9],
      ['4:9', 0.001],
      ['0:9', 50],
      ['0:9', 2],
      ['0:9', 9],
      ['0:9', 9],
    ];
    for (const [key, ms] of runs) {
      seen.push(m.begin(key) === 0);
      m.end(ms);
    }
    expect(seen).toEqual([T, F, T, F, F, F, T, T, F, F]);
    expect(m.split).toBe(true);
  });

  it('with three ways (pipelined, split, whole) times each in turn and keeps the fastest', () => {
    const m = new ThreadMode({ period: 100, block: 2, warm: 0 }, 3);
    const seen: number[] = [];
    const ms = [2, 3, 4];
    for (let i = 0; i < 14; i++) {
      const way = m.begin('0:9');
      seen.push(way);
      // the first run of a threaded block is slow and not timed
      m.end(way < 2 && i % 2 === 0 ? 100 : ms[way]);
    }
    expect(seen).toEqual([0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2, 0, 0]);
    expect(m.way).toBe(0);
    expect(m.split).toBe(true);
    const n = new ThreadMode({ period: 100, block: 1, warm: 0 }, 3);
    for (let i = 0; i < 6; i++) {
      const way = n.begin('0:9');
      n.end([5, 1, 3][way]);
    }
    // block 1: every threaded block's only run is its first, untimed; so only whole is timed, and no way is
    // chosen without a time for each
    expect(n.way).toBe(0);
  });

  it('decides by the median: one run the OS held up does not decide, most runs held up do', () => {
    const m = new ThreadMode({ period: 100, block: 4, warm: 0 });
    // split blocks: an untimed first run, then 2, 2, 90 and 2, 2, 2; whole runs all take 3 (mean of split: 16.7)
    const split = [50, 2, 2, 90, 50, 2, 2, 2];
    let k = 0;
    for (let i = 0; i < 16; i++) m.end(m.begin('0:9') === 0 ? split[k++] : 3);
    expect(m.split).toBe(true);
    const busy = [50, 9, 9, 2, 50, 9, 2, 9];
    k = 0;
    const n = new ThreadMode({ period: 100, block: 4, warm: 0 });
    for (let i = 0; i < 16; i++) n.end(n.begin('0:9') === 0 ? busy[k++] : 3);
    expect(n.split).toBe(false);
  });
});
