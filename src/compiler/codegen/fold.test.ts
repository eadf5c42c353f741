import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../models/init';
import { foldCalls, unfold, type Call, type CallArg } from './fold';

const call = (kernel: string, args: CallArg[], step: number, unique = false): Call => ({
  kernel,
  args,
  step,
  unique,
});

describe('loop folding', () => {
  it('folds a band schedule into one loop with linear row bounds', () => {
    const calls: Call[] = [];
    for (let b = 0; b < 10; b++) {
      calls.push(call('tt_conv_s8', ['&s0', 'ARENA_I8(0)', b * 2, b * 2 + 2], calls.length));
      calls.push(call('tt_add_s8', ['&q', { fmt: 'ARENA_I8(#)', n: 512 * b }, b, b + 1], calls.length));
    }
    const f = foldCalls(calls);
    expect(f).toHaveLength(1);
    expect(f[0].kind).toBe('loop');
    if (f[0].kind !== 'loop') return;
    expect(f[0].reps).toBe(10);
    expect(f[0].body[0].args.slice(2)).toEqual([
      { base: 0, delta: 2 },
      { base: 2, delta: 2 },
    ]);
    expect(f[0].body[1].args[1]).toEqual({ base: 0, delta: 512, fmt: 'ARENA_I8(#)' });
    expect(unfold(f)).toEqual(calls.map(({ kernel, args }) => ({ kernel, args })));
  });

  it('never folds a unique call (the loss) and leaves short runs alone', () => {
    const calls = [0, 1, 2, 3].map((i) => call('tt_softmax_xent_s8', ['x', i], i, true));
    expect(foldCalls(calls).every((f) => f.kind === 'call')).toBe(true);
    const two = [call('k', [0], 0), call('k', [1], 1)];
    expect(foldCalls(two).map((f) => f.kind)).toEqual(['call', 'call']);
  });

  it('unfold(fold(x)) == x on random call lists with repeated structure', () => {
    const rand = mulberry32(11);
    for (let t = 0; t < 200; t++) {
      const calls: Call[] = [];
      while (calls.length < 60) {
        const period = 1 + Math.floor(rand() * 4);
        const reps = 1 + Math.floor(rand() * 6);
        const kinds = Array.from({ length: period }, () => `k${Math.floor(rand() * 3)}`);
        const base = Array.from({ length: period }, () => Math.floor(rand() * 9) - 4);
        const delta = Array.from({ length: period }, () => (rand() < 0.3 ? Math.floor(rand() * 5) - 2 : 1));
        for (let r = 0; r < reps; r++) {
          kinds.forEach((k, j) => {
            const noise = rand() < 0.05 ? 100 : 0;
            const off = { fmt: rand() < 0.02 ? 'B(#)' : 'A(#)', n: 16 * (base[j] + r * delta[j]) };
            calls.push(call(k, [rand() < 0.02 ? 'other' : 'p', base[j] + r * delta[j] + noise, off, 7], calls.length));
          });
        }
      }
      const f = foldCalls(calls);
      expect(unfold(f)).toEqual(calls.map(({ kernel, args }) => ({ kernel, args })));
      const covered = f.reduce((a, x) => a + (x.kind === 'call' ? 1 : x.calls.length), 0);
      expect(covered).toBe(calls.length);
    }
  });
});
