import { describe, expect, it } from 'vitest';
import { applyJump, jumpMatrix, rngNext } from './rng-jump';
import { rngState } from '../../compiler/settings';

describe('rng jump-ahead', () => {
  it('equals n xorshift32 steps for any n and state', () => {
    for (const seed of [1, 42, 0xdeadbeef]) {
      const x0 = rngState(seed);
      let x = x0;
      for (let n = 0; n <= 3000; n++) {
        if (n % 97 === 0 || n < 5) expect(applyJump(jumpMatrix(n), x0), `n = ${n}`).toBe(x);
        x = rngNext(x);
      }
    }
  });
  it('matches the C kernel step (13, 17, 5 shifts) on a known value', () => {
    expect(rngNext(1)).toBe(270369);
  });
});
