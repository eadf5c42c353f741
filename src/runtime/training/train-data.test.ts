import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../compiler/models/init';
import { holdOut } from './train-data';
import type { UserSample } from './training-api';

/** `counts[c]` distinct 4x4 random RGBA images of class c. */
function samples(counts: number[], seed = 1): UserSample[] {
  const rand = mulberry32(seed);
  return counts.flatMap((n, label) =>
    Array.from({ length: n }, () => ({
      label,
      width: 4,
      height: 4,
      rgba: new Uint8ClampedArray(64).map(() => Math.floor(rand() * 256)),
    })),
  );
}

const perClass = (s: UserSample[], idx: number[]) =>
  idx.reduce<Record<number, number>>((m, i) => ({ ...m, [s[i].label]: (m[s[i].label] ?? 0) + 1 }), {});

describe('holdOut', () => {
  it('holds out about 20% of every class, at least one, and never a whole class', () => {
    const s = samples([10, 2, 7, 3, 50, 1]);
    const split = holdOut(s, 3);
    expect(perClass(s, split.test)).toEqual({ 0: 2, 1: 1, 2: 1, 3: 1, 4: 10 });
    expect(perClass(s, split.train)).toEqual({ 0: 8, 1: 1, 2: 6, 3: 2, 4: 40, 5: 1 });
    expect(split.trainOnly).toEqual([5]);
    expect([...split.train, ...split.test].sort((a, b) => a - b)).toEqual(s.map((_, i) => i));
  });

  it('is a function of the seed and the images: same inputs, same split; another seed, another split', () => {
    const s = samples([20, 20]);
    expect(holdOut(s, 7)).toEqual(holdOut(samples([20, 20]), 7));
    expect(holdOut(s, 8).test).not.toEqual(holdOut(s, 7).test);
    // the order the images were added in does not matter, only which images they are
    const reversed = s.slice().reverse();
    const pixels = (list: UserSample[], idx: number[]) => idx.map((i) => list[i].rgba.join()).sort();
    expect(pixels(reversed, holdOut(reversed, 7).test)).toEqual(pixels(s, holdOut(s, 7).test));
  });

  it('adding an image to a class moves at most one of the other images between training and held out', () => {
    const s = samples([12, 12]);
    for (const extra of [1, 2, 3, 4, 5]) {
      const more = [...s, ...samples([0, 1], extra * 100)];
      const before = new Set(holdOut(s, 4).test);
      const after = new Set(holdOut(more, 4).test);
      const moved = s.filter((_, i) => before.has(i) !== after.has(i)).length;
      expect(moved).toBeLessThanOrEqual(1);
    }
  });

  it('orders the held-out images across classes (a prefix is not one class)', () => {
    const s = samples([50, 50]);
    const first10 = holdOut(s, 2).test.slice(0, 10);
    expect(new Set(first10.map((i) => s[i].label)).size).toBe(2);
  });

  it('empty input and single images: nothing held out', () => {
    expect(holdOut([], 1)).toEqual({ train: [], test: [], trainOnly: [] });
    expect(holdOut(samples([1, 1]), 1)).toEqual({ train: [0, 1], test: [], trainOnly: [0, 1] });
  });
});
