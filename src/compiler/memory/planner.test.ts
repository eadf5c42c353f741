import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../models/init';
import { alignUp, checkOverlaps, dumpPlan, GreedyPlanner } from './planner';

function randomBuffers(seed: number, n: number, steps: number) {
  const r = mulberry32(seed);
  return Array.from({ length: n }, () => {
    const a = Math.floor(r() * steps);
    const b = Math.min(steps - 1, a + Math.floor(r() * r() * steps));
    return { size: 1 + Math.floor(r() * r() * 5000), firstUse: a, lastUse: b };
  });
}

function place(bufs: ReturnType<typeof randomBuffers>) {
  const p = new GreedyPlanner();
  bufs.forEach((b, i) => p.addBuffer(b.size, b.firstUse, b.lastUse, `b${i}`));
  const { offsets, arenaBytes } = p.plan();
  return {
    arenaBytes,
    placed: bufs.map((b, i) => ({
      offset: offsets[i],
      bytes: b.size,
      firstStep: b.firstUse,
      lastStep: b.lastUse,
      name: `b${i}`,
    })),
  };
}

describe('greedy arena planner', () => {
  it('never overlaps live buffers and stays between the live-bytes bound and the sum of sizes', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const bufs = randomBuffers(seed, 5 + (seed % 50), 40);
      const { arenaBytes, placed } = place(bufs);
      expect(checkOverlaps(placed, arenaBytes)).toEqual([]);
      let maxLive = 0;
      for (let t = 0; t < 40; t++)
        maxLive = Math.max(
          maxLive,
          bufs.reduce((s, b) => s + (b.firstUse <= t && t <= b.lastUse ? alignUp(b.size) : 0), 0),
        );
      expect(arenaBytes).toBeGreaterThanOrEqual(maxLive);
      expect(arenaBytes).toBeLessThanOrEqual(bufs.reduce((s, b) => s + alignUp(b.size), 0));
      expect(arenaBytes).toBeLessThanOrEqual(maxLive * 1.6);
    }
  });

  it('reuses memory of dead buffers: a chain of equal buffers needs two slots', () => {
    const p = new GreedyPlanner();
    for (let i = 0; i < 10; i++) p.addBuffer(1000, i, i + 1);
    const { arenaBytes, offsets } = p.plan();
    expect(arenaBytes).toBe(2 * alignUp(1000));
    expect(offsets.every((o) => o % 16 === 0)).toBe(true);
  });

  it('the overlap checker catches overlapping live buffers and misalignment', () => {
    const bad = [
      { offset: 0, bytes: 100, firstStep: 0, lastStep: 5, name: 'a' },
      { offset: 96, bytes: 100, firstStep: 5, lastStep: 9, name: 'b' },
      { offset: 8, bytes: 8, firstStep: 20, lastStep: 21, name: 'c' },
    ];
    const problems = checkOverlaps(bad, 1000);
    expect(problems.some((p) => p.includes('a [0, 100)') && p.includes('overlaps b'))).toBe(true);
    expect(problems.some((p) => p.includes('c: offset 8 is not 16-aligned'))).toBe(true);
    expect(checkOverlaps([{ offset: 0, bytes: 64, firstStep: 0, lastStep: 1 }], 32)[0]).toMatch(/beyond the arena/);
  });

  it('dumps one line per buffer with its range and lifetime', () => {
    const { arenaBytes, placed } = place(randomBuffers(3, 6, 10));
    const text = dumpPlan(placed, arenaBytes, 10);
    const lines = text.split('\n');
    expect(lines[0]).toBe(`arena ${arenaBytes} bytes, 6 buffers, 10 steps`);
    expect(lines.length).toBe(7);
    expect(lines[1]).toMatch(/^\s+0\.\.\d+\s+\d+ B {2}steps\s+\d+-\d+\s+\|[ #]+\| b\d$/);
  });
});
