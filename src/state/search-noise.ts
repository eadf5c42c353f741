/**
 * How far apart two finalists' validation scores must be before the search can tell them apart: each score is an
 * accuracy measured on n validation images, so it carries a binomial standard error sqrt(p (1 - p) / n). When the
 * answer leads the runner-up by less than two standard errors of the difference of two independent scores, the
 * Search tab says that the choice between them is within the noise and what would resolve it (more validation
 * images; the README's budget table found 2,000 too few for schemes 1-2 points apart).
 */

/** The binomial standard error of an accuracy `p` measured on `n` images. */
export function accuracyStdErr(p: number, n: number): number {
  return Math.sqrt((p * (1 - p)) / n);
}

export interface CloseCall {
  /** The answer and the finalist with the next best validation accuracy. */
  answer: string;
  runnerUp: string;
  /** The answer's lead over the runner-up (a fraction: 0.01 = 1 point). */
  lead: number;
  /** Two standard errors of the difference of two independent scores on `images` images. */
  noise: number;
  images: number;
}

/** The close call among finalists scored on `images` validation images, or null when the answer's lead is clear. */
export function closeCall(
  finalists: readonly { scheme: string; accuracy: number | null }[],
  answer: string | undefined,
  images: number,
): CloseCall | null {
  const best = finalists.find((f) => f.scheme === answer);
  if (!best || best.accuracy === null || !(images >= 1)) return null;
  let runnerUp: { scheme: string; accuracy: number } | null = null;
  for (const f of finalists)
    if (f.scheme !== answer && f.accuracy !== null && (!runnerUp || f.accuracy > runnerUp.accuracy))
      runnerUp = { scheme: f.scheme, accuracy: f.accuracy };
  if (!runnerUp) return null;
  const lead = best.accuracy - runnerUp.accuracy;
  const se = (p: number) => accuracyStdErr(p, images);
  const noise = 2 * Math.hypot(se(best.accuracy), se(runnerUp.accuracy));
  return lead < noise ? { answer: best.scheme, runnerUp: runnerUp.scheme, lead, noise, images } : null;
}
