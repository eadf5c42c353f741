/**
 * The run settings of a plan: the knobs that need no recompilation (plan.ts). One type for the page, the
 * worker, the executor, the CLI and the firmware generator, and the one mapping of a seed to the tt_rng state
 * that the executor and the generated firmware both start from (so a firmware run replays a playground run).
 */
import type { RoundingName } from './kernel-abi';

export interface RunSettings {
  /** Learning rate (float32 at run time). */
  lr: number;
  rounding: RoundingName;
  /** Quantization-aware gradient scaling on or off. */
  qas: boolean;
  /** Seeds the stochastic-rounding rng (any integer; 0 is mapped to a fixed non-zero state). */
  seed: number;
}

/** A non-zero xorshift32 tt_rng state from any integer seed. */
export function rngState(seed: number): number {
  const s = Math.imul((seed | 0) ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  return s === 0 ? 0x6d2b79f5 : s;
}

/** Whether two settings are the same run. */
export const sameRunSettings = (a: RunSettings, b: RunSettings): boolean =>
  a.lr === b.lr && a.rounding === b.rounding && a.qas === b.qas && a.seed === b.seed;

/** The run settings of anything that carries them (an experiment, parsed options), as a fresh object. */
export const runSettingsOf = (x: RunSettings): RunSettings => ({
  lr: x.lr,
  rounding: x.rounding,
  qas: x.qas,
  seed: x.seed,
});
