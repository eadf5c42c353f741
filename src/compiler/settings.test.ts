import { describe, expect, it } from 'vitest';
import { rngState, runSettingsOf, sameRunSettings, type RunSettings } from './settings';

/** The seed hash in exact integer arithmetic (independent of Math.imul's wrap-around). */
const hash = (seed: number) => Number(((BigInt(seed >>> 0) ^ 0x9e3779b9n) * 0x85ebca6bn) % 2n ** 32n);

describe('rngState', () => {
  it('is the multiplicative hash of the seed, as a uint32', () => {
    for (const seed of [1, 42, -5, 2 ** 31 - 1, 123456, -(2 ** 31)]) expect(rngState(seed)).toBe(hash(seed));
    expect(rngState(0)).toBe(3238976083);
  });

  it('never returns the xorshift fixed point 0', () => {
    // 0x9e3779b9 as an int32 is the one seed whose hash is 0
    expect(hash(0x9e3779b9 | 0)).toBe(0);
    expect(rngState(0x9e3779b9 | 0)).toBe(0x6d2b79f5);
  });
});

describe('run settings', () => {
  it('picks the four knobs out of a larger object and compares them', () => {
    const e = { lr: 0.01, rounding: 'stochastic', qas: false, seed: 7, model: 'tiny-cnn' } as const;
    const s: RunSettings = runSettingsOf(e);
    expect(s).toEqual({ lr: 0.01, rounding: 'stochastic', qas: false, seed: 7 });
    expect(sameRunSettings(s, e)).toBe(true);
    expect(sameRunSettings(s, { ...s, seed: 8 })).toBe(false);
    expect(sameRunSettings(s, { ...s, rounding: 'nearest' })).toBe(false);
  });
});
