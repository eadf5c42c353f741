/**
 * Contribution runs fanned out over a pool of workers (web workers on the page, worker_threads in the bench,
 * in-process stand-ins in tests). Each run is independent and seeded (contribution.ts), so the order in which
 * workers finish does not matter: every score is filed under its run's key (the scheme text) and the result is
 * returned in the runs' fixed order, identical to one worker doing them one after another.
 *
 * Scheduling: each idle worker takes the next run in order. Cancel (an AbortSignal) stops handing out runs and
 * terminates the workers (a run in flight cannot be interrupted otherwise); the promise rejects with
 * PoolCancelled. A failed run rejects the pool with its message and terminates the other workers.
 */
import type { ContributionRun, RunScore } from './contribution';

/** One worker as the pool sees it. */
export interface ContributionWorker {
  /**
   * Fine-tunes and scores one scheme (the worker already holds the model, data and settings); `steps` overrides
   * the settings' steps (the search's finalists).
   */
  run(scheme: string, steps?: number): Promise<RunScore>;
  terminate(): void;
}

export interface PoolProgress {
  /** Runs scored (cached ones included). */
  done: number;
  total: number;
  elapsedMs: number;
  /** Estimated milliseconds left; null until a run has been computed. */
  etaMs: number | null;
  /** The score just filed and whether it came from the cache. */
  last: RunScore;
  cached: boolean;
}

export class PoolCancelled extends Error {
  constructor() {
    super('search cancelled');
    this.name = 'PoolCancelled';
  }
}

/**
 * Time left from the throughput so far: computed runs took elapsedMs (with `workers` running at once), so the
 * `remaining` uncomputed runs take remaining * elapsedMs / computed. Null before the first computed run.
 */
export function etaMs(computed: number, remaining: number, elapsedMs: number): number | null {
  if (remaining <= 0) return 0;
  if (computed <= 0) return null;
  return (remaining * elapsedMs) / computed;
}

export interface PoolOptions {
  signal?: AbortSignal;
  onProgress?(p: PoolProgress): void;
  /** A score known already (the page's IndexedDB cache): the run is not sent to a worker. */
  cached?(scheme: string): RunScore | undefined | Promise<RunScore | undefined>;
  /** Clock (tests). */
  now?(): number;
  /** The order to hand runs out in (a permutation of the schemes; default: their order). Results keep theirs. */
  order?: readonly string[];
  /** Steps of every run, instead of the workers' job's (the search's finalists). */
  steps?: number;
}

/**
 * A good hand-out order for a search's runs with frozen-prefix caches: first bias:K (all the space's biases:
 * its cut is the earliest of the space, shared by every weight run, and every later bias run can resume from
 * it), then the `extra` runs (published schemes: cuts of their own, the longest runs, so early for balance),
 * then the weight runs, then the other bias runs.
 */
export function dispatchOrder(runs: readonly ContributionRun[], extra: readonly string[]): string[] {
  const bias = runs.filter((r) => r.role.kind === 'bias').map((r) => r.scheme);
  const all = bias.pop();
  const weights = runs.filter((r) => r.role.kind === 'weight').map((r) => r.scheme);
  return [...(all === undefined ? [] : [all]), ...extra, ...weights, ...bias.reverse()];
}

/** Scores every scheme on the workers; resolves with the scores in the order of `schemes`. */
export async function runPool(
  schemes: readonly string[],
  workers: readonly ContributionWorker[],
  opts: PoolOptions = {},
): Promise<RunScore[]> {
  if (workers.length === 0) throw new Error('the pool has no workers');
  const now = opts.now ?? (() => performance.now());
  const t0 = now();
  const byKey = new Map<string, RunScore>();
  let done = 0;
  let computed = 0;
  const file = (score: RunScore, scheme: string, cached: boolean) => {
    if (score.scheme !== scheme) throw new Error(`run "${scheme}" came back as "${score.scheme}"`);
    byKey.set(scheme, score);
    done++;
    if (!cached) computed++;
    const elapsedMs = now() - t0;
    opts.onProgress?.({
      done,
      total: schemes.length,
      elapsedMs,
      etaMs: etaMs(computed, schemes.length - done, elapsedMs),
      last: score,
      cached,
    });
  };
  const order = opts.order ?? schemes;
  if (order.length !== schemes.length || new Set([...order, ...schemes]).size !== new Set(schemes).size)
    throw new Error('the hand-out order is not a permutation of the runs');
  const todo: string[] = [];
  for (const s of order) {
    if (opts.signal?.aborted) throw new PoolCancelled();
    const hit = await opts.cached?.(s);
    if (hit) file(hit, s, true);
    else todo.push(s);
  }
  let next = 0;
  let stop: Error | null = null;
  const terminateAll = () => workers.forEach((w) => w.terminate());
  const cancelled = new Promise<never>((_, reject) => {
    const onAbort = () => ((stop = new PoolCancelled()), terminateAll(), reject(stop));
    if (opts.signal?.aborted) onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
  cancelled.catch(() => undefined);
  const lane = async (w: ContributionWorker) => {
    while (!stop && next < todo.length) {
      const scheme = todo[next++];
      const score = await w.run(scheme, opts.steps);
      if (stop) return;
      file(score, scheme, false);
    }
  };
  const lanes = Promise.all(workers.map(lane)).catch((e: unknown) => {
    if (!stop) {
      stop = e instanceof Error ? e : new Error(String(e));
      terminateAll();
    }
    throw stop;
  });
  await Promise.race([lanes, cancelled]);
  return schemes.map((s) => {
    const score = byKey.get(s);
    if (!score) throw new Error(`run "${s}" has no score`);
    return score;
  });
}
