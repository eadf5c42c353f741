import { describe, expect, it } from 'vitest';
import { ThreadMode } from './executor-mode';

/** Runs `n` runs over `key`, each taking split or whole ms; returns the way each went (true: split). */
function drive(m: ThreadMode, n: number, key: string, ms: { split: number; whole: number }): boolean[] {
  return Array.from({ length: n }, () => {
    const split = m.begin(key);
    m.end(split ? ms.split : ms.whole);
    return split;
  });
}

describe('ThreadMode', () => {
  it('times both ways in a window and keeps the faster one until the next', () => {
    const m = new ThreadMode({ period: 10, probe: 2, warm: 2 });
    const ways = drive(m, 10, '0:9', { split: 3, whole: 5 });
    expect(ways).toEqual([true, true, true, false, true, false, true, true, true, true]);
    expect(m.split).toBe(true);
    const next = drive(m, 10, '0:9', { split: 5, whole: 3 });
    expect(next).toEqual([true, true, true, false, true, false, false, false, false, false]);
    expect(m.split).toBe(false);
    expect([m.runs, m.splitRuns]).toEqual([20, 12]);
  });

  it('times only runs over the window range; others go the current way', () => {
    const m = new ThreadMode({ period: 100, probe: 1, warm: 0 });
    m.split = false;
    expect(m.begin('0:9')).toBe(true);
    m.end(1);
    expect(m.begin('4:9')).toBe(false);
    m.end(0.001);
    expect(m.begin('0:9')).toBe(false);
    m.end(2);
    expect(m.split).toBe(true);
    expect(m.begin('4:9')).toBe(true);
  });
});
