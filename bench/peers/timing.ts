/** How the peers bench times one implementation's step (shared by Node and the Chromium worker: no Node imports). */

/**
 * ms of one call of `step(i)` on a loaded machine: one warm-up step, then batches of about 20 ms (at least one
 * step) for ~seconds, at least 3 batches; the fastest batch's mean, i.e. the batches other processes disturbed
 * least (this machine is shared: a plain mean mostly measures the other jobs).
 */
export function msPerStep(step: (i: number) => void, seconds: number): number {
  let t0 = performance.now();
  step(0);
  const est = performance.now() - t0;
  const batch = Math.max(1, Math.round(20 / Math.max(est, 1e-3)));
  let best = Infinity;
  let done = 1;
  const start = performance.now();
  for (let b = 0; b < 3 || performance.now() - start < seconds * 1000; b++) {
    t0 = performance.now();
    for (let i = 0; i < batch; i++) step(done++);
    best = Math.min(best, (performance.now() - t0) / batch);
  }
  return best;
}
