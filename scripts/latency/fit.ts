/**
 * The fits of the latency model (src/compiler/codegen/latency.ts):
 *   fitLinear: instructions = c0 + c1 * w1 + c2 * w2 ... on one kernel's calls, every coefficient >= 0, least
 *              squared relative error (best non-negative subset of the features);
 *   calibrate: one factor k with time = k * instructions over several (instructions, measured time) points,
 *              minimizing the squared relative error: k = sum(x/t) / sum((x/t)^2); plus the leave-one-out
 *              prediction of each point from the others.
 */

import { callInstructions } from '../../src/compiler/codegen/latency';

export interface Sample {
  work: number[];
  instr: number;
}

/** Solves the normal equations A^T A c = A^T y (Gaussian elimination with partial pivoting); null if singular. */
function leastSquares(rows: number[][], y: number[]): number[] | null {
  const n = rows[0].length;
  const m = Array.from({ length: n }, (_, i) => [
    ...Array.from({ length: n }, (_, j) => rows.reduce((s, r) => s + r[i] * r[j], 0)),
    rows.reduce((s, r, k) => s + r[i] * y[k], 0),
  ]);
  const tiny = 1e-12 * Math.max(...m.map((r, i) => Math.abs(r[i])));
  for (let col = 0; col < n; col++) {
    let p = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r][col]) > Math.abs(m[p][col])) p = r;
    if (!(Math.abs(m[p][col]) > tiny)) return null;
    [m[col], m[p]] = [m[p], m[col]];
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = m[r][col] / m[col][col];
      for (let c = col; c <= n; c++) m[r][c] -= f * m[col][c];
    }
  }
  return m.map((r, i) => r[n] / r[i]);
}

/**
 * Non-negative coefficients [c0, c1, ...] (length 1 + features) minimizing the squared *relative* error of the
 * calls (weights 1 / instr^2, so a small call counts as much as a large one): every subset of the coefficients
 * (at most as many as there are calls) is solved by weighted least squares, subsets with a negative coefficient
 * are discarded, and the one of least error wins (ties: fewer coefficients). Features are scaled to unit mean
 * before solving so the normal equations stay well conditioned (MACs reach 1e6, the intercept is 1).
 */
export function fitLinear(samples: Sample[]): number[] {
  if (samples.length === 0) throw new Error('no samples to fit');
  const nf = samples[0].work.length;
  const scale = [
    1,
    ...Array.from({ length: nf }, (_, j) => {
      const mean = samples.reduce((s, x) => s + Math.abs(x.work[j]), 0) / samples.length;
      return mean > 0 ? mean : 1;
    }),
  ];
  const w = samples.map((s) => 1 / Math.max(1, s.instr));
  const feature = (s: Sample, j: number) => (j === 0 ? 1 : s.work[j - 1] / scale[j]);
  let best: { coef: number[]; err: number; size: number } | null = null;
  for (let mask = 1; mask < 1 << (nf + 1); mask++) {
    const active = Array.from({ length: nf + 1 }, (_, j) => j).filter((j) => mask & (1 << j));
    if (active.length > samples.length) continue;
    const sol = leastSquares(
      samples.map((s, k) => active.map((j) => feature(s, j) * w[k])),
      samples.map((s, k) => s.instr * w[k]),
    );
    if (!sol || sol.some((v) => v < 0)) continue;
    const coef = new Array(nf + 1).fill(0);
    active.forEach((j, k) => (coef[j] = sol[k] / scale[j]));
    const err = samples.reduce((e, s, k) => e + ((callInstructions(coef, s.work) - s.instr) * w[k]) ** 2, 0);
    if (!best || err < best.err * (1 - 1e-9) || (err <= best.err * (1 + 1e-9) && active.length < best.size))
      best = { coef, err, size: active.length };
  }
  // nothing non-negative (e.g. an overhead measured as negative): a constant, the mean, floored at 0
  if (!best) return [Math.max(0, samples.reduce((a, s) => a + s.instr, 0) / samples.length), ...new Array(nf).fill(0)];
  return best.coef;
}

export interface Calibration {
  /** time = factor * instructions. */
  factor: number;
  points: { predicted: number; measured: number; error: number; looPredicted: number; looError: number }[];
}

const factorOf = (pts: { x: number; t: number }[]) =>
  pts.reduce((s, p) => s + p.x / p.t, 0) / pts.reduce((s, p) => s + (p.x / p.t) ** 2, 0);

/** One factor over (x, measured t) points, with relative errors in sample and left out (see the module comment). */
export function calibrate(pts: { x: number; t: number }[]): Calibration {
  if (pts.length < 2) throw new Error('calibration needs at least two points');
  const factor = factorOf(pts);
  return {
    factor,
    points: pts.map((p, i) => {
      const loo = factorOf(pts.filter((_, j) => j !== i)) * p.x;
      const predicted = factor * p.x;
      return { predicted, measured: p.t, error: predicted / p.t - 1, looPredicted: loo, looError: loo / p.t - 1 };
    }),
  };
}
