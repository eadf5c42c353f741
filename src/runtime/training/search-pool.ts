/**
 * The page's search pool: n instances of the training web worker (training-worker.ts, comlink), each holding
 * the search's job and the training split (contribution-context.ts), seen by the pool (contribution-pool.ts)
 * as ContributionWorkers. One per core: navigator.hardwareConcurrency, capped at MAX_SEARCH_WORKERS.
 */
import * as Comlink from 'comlink';
import type { RunScore } from './contribution';
import type { ContributionJob } from './contribution-context';
import type { ContributionWorker } from './contribution-pool';
import type { SolveRequest, SolveResult } from './search-solve';
import type { TrainingWorkerApi } from './training-worker';

export const MAX_SEARCH_WORKERS = 8;

/** Workers for this machine: one per core, at least 1, at most MAX_SEARCH_WORKERS. */
export function defaultPoolSize(cores = globalThis.navigator?.hardwareConcurrency ?? 1): number {
  return Math.max(1, Math.min(MAX_SEARCH_WORKERS, Math.floor(cores) || 1));
}

export interface SearchPool {
  workers: ContributionWorker[];
  /** The evolutionary search in the first worker (its compiles stay off the page's thread). */
  solve(r: SolveRequest): Promise<SolveResult>;
  dispose(): void;
}

interface Member extends ContributionWorker {
  api: Comlink.Remote<TrainingWorkerApi>;
  /** Rejects when the worker crashes or is terminated (calls in flight race it, so none hangs). */
  died: Promise<never>;
}

function member(): Member {
  const worker = new Worker(new URL('./training-worker.ts', import.meta.url), { type: 'module', name: 'search' });
  const api = Comlink.wrap<TrainingWorkerApi>(worker);
  let dead: (e: Error) => void = () => undefined;
  const died = new Promise<never>((_, reject) => (dead = reject));
  died.catch(() => undefined);
  worker.addEventListener('error', (e) => dead(new Error(`a search worker crashed: ${e.message || 'error event'}`)));
  // Cancel terminates the pool's workers and the search's `finally` disposes the pool again: stopping twice, or
  // calling a stopped worker, must reject quietly (a released Comlink proxy throws, an uncaught page error).
  let stopped = false;
  return {
    api,
    died,
    run: (scheme: string, steps?: number): Promise<RunScore> =>
      stopped ? died : Promise.race([api.searchRun(scheme, steps), died]),
    terminate() {
      if (stopped) return;
      stopped = true;
      dead(new Error('the search worker was stopped'));
      api[Comlink.releaseProxy]();
      worker.terminate();
    },
  };
}

/** Starts n workers and hands each the job and the built-in data set `data` (public/data/<data>.json). */
export async function createSearchPool(n: number, job: ContributionJob, data: string): Promise<SearchPool> {
  const members = Array.from({ length: n }, member);
  const dataUrl = new URL('data/', document.baseURI).href;
  try {
    await Promise.all(members.map((m) => m.api.init({ data: dataUrl }).then(() => m.api.searchInit(job, data))));
  } catch (e) {
    members.forEach((m) => m.terminate());
    throw e;
  }
  return {
    workers: members,
    solve: (r) => Promise.race([members[0].api.searchSolve(r), members[0].died]),
    dispose: () => members.forEach((m) => m.terminate()),
  };
}

// Referenced through `new URL` like training-worker.ts, so the page hashes the very module the workers load.
const WASM_URL = new URL('../../../wasm/tt_kernels.wasm', import.meta.url).href;

/** SHA-256 (hex) of the kernel build the workers load: part of every cached run's key. */
export async function kernelBuildSha256(): Promise<string> {
  const res = await fetch(WASM_URL);
  if (!res.ok) throw new Error(`${WASM_URL} is missing (HTTP ${res.status})`);
  const digest = await crypto.subtle.digest('SHA-256', await res.arrayBuffer());
  return [...new Uint8Array(digest)].map((x) => x.toString(16).padStart(2, '0')).join('');
}
