/**
 * The training worker (comlink): loads the kernel module and the built-in data set, then runs TrainRunner
 * (train-runner.ts) on the plan the page compiled and sends (weights included: the worker never compiles). Every method's failure reaches the page as a rejected
 * promise with the error's message; metrics while running go through a callback the page passes to start(), and
 * a failure of the background loop through a second one (it stops the run even while no call is pending).
 */
import * as Comlink from 'comlink';
import type { TrainingPlan } from '../../compiler/plan';
import { fetchDataset } from './data';
import { TrainRunner, type LoadReport, type RunnerOptions } from './train-runner';
import type { RunSettings } from '../../compiler/settings';
import type { TrainingMetrics, UserSample } from './training-api';
import { instantiateKernels, type KernelModule } from '../kernels/wasm';
import { loadPreferredBuild } from '../kernels/kernel-build';
import { instantiateThreadedKernels, sharedMemoryAvailable } from '../kernels/wasm-threads-start';
import { spawnBrowserThread } from '../kernels/wasm-threads-browser';
import type { ThreadInfo } from './training-api';
import { ContributionContext, type ContributionJob } from './contribution-context';
import { solveSearch, type SolveRequest } from './search-solve';

// Referenced through `new URL` (like kernel-worker.ts) so the site still builds while the module is missing.
const WASM_URL = new URL('../../../wasm/tt_kernels.wasm', import.meta.url).href;
const RELAXED_URL = new URL('../../../wasm/tt_kernels_relaxed.wasm', import.meta.url).href;
const WASM_MT_URL = new URL('../../../wasm/tt_kernels_mt.wasm', import.meta.url).href;

/** The built-in data set: fine-tuning on MNIST (the backbones were pretrained on Fashion-MNIST). */
export const BUILTIN_DATASET = 'mnist';

let runner: TrainRunner | null = null;
let threadInfo: ThreadInfo = { requested: 1, running: 1, isolated: false };

/** The kernels on `threads` threads when shared memory is available here, else on this one. */
async function loadKernels(threads: number): Promise<KernelModule> {
  const isolated = sharedMemoryAvailable();
  threadInfo = { requested: threads, running: 1, isolated };
  if (threads > 1 && isolated) {
    try {
      const mod = await instantiateThreadedKernels(await fetchBytes(WASM_MT_URL), threads, spawnBrowserThread);
      threadInfo = { requested: threads, running: threads, isolated };
      return mod;
    } catch (e) {
      // the single-thread module computes the same bits: train on it rather than not at all
      console.warn(`kernel threads unavailable (${(e as Error).message}); training on one thread`);
    }
  }
  // one thread: the relaxed-SIMD build where the engine has it (same bits as the SIMD build)
  const urls = { relaxed: RELAXED_URL, simd: WASM_URL };
  const { loaded } = await loadPreferredBuild(urls, async (url) => instantiateKernels(await fetchBytes(url)));
  return loaded;
}

let kernels: KernelModule | null = null;
let dataBase = '';
/** The search's contribution runs (a pool worker: search-pool.ts); null until searchInit. */
let search: ContributionContext | null = null;

async function fetchBytes(url: string): Promise<Uint8Array<ArrayBuffer>> {
  const res = await fetch(url);
  const type = res.headers.get('content-type') ?? '';
  if (!res.ok || type.includes('text/html')) throw new Error(`${url} is missing (HTTP ${res.status})`);
  return new Uint8Array(await res.arrayBuffer());
}

function loaded(): TrainRunner {
  if (!runner) throw new Error('the training worker is not initialized');
  return runner;
}

const api = {
  /**
   * Loads the kernels on `threads` threads (one where shared memory is unavailable: no cross-origin
   * isolation); `bases.data` is the URL of public/data/ as the page sees it.
   */
  async init(bases: { data: string }, opts: Partial<RunnerOptions> = {}, threads = 1): Promise<ThreadInfo> {
    if (runner) return threadInfo;
    const mod = await loadKernels(threads);
    const base = bases.data.replace(/\/$/, '');
    kernels = mod;
    dataBase = base;
    const loadBuiltin = async () => {
      const d = await fetchDataset(base, BUILTIN_DATASET, ['train', 'test'], fetchBytes);
      return { train: d.train, test: d.test };
    };
    runner = new TrainRunner(mod, loadBuiltin, opts);
    return threadInfo;
  },
  threads: () => threadInfo,
  load: (plan: TrainingPlan, settings: RunSettings): Promise<LoadReport> => loaded().load(plan, settings),
  configure: (settings: RunSettings) => loaded().configure(settings),
  start: (emit: (m: TrainingMetrics) => void, stopped?: (message: string) => void) => loaded().start(emit, stopped),
  pause: () => loaded().pause(),
  step: (n: number, evaluate = false) => loaded().step(n, evaluate),
  reset: () => loaded().reset(),
  setUserData: (samples: UserSample[]) => loaded().setUserData(samples),
  evaluate: (limit?: number) => loaded().evaluate(limit),
  /** Class probabilities of one RGBA image with the current weights (the "try it" view). */
  classify: (image: Omit<UserSample, 'label'>) => loaded().classify(image),
  trace: (n: number) => loaded().trace(n),
  canaries: () => loaded().canaries(),
  snapshot: () => loaded().snapshot(),
  samples: (n: number) => loaded().samples(n),
  ping: () => 'pong' as const,
  /** Search pool: takes the job and the built-in data set `data` (its training split only) for searchRun. */
  async searchInit(job: ContributionJob, data: string): Promise<void> {
    if (!kernels) throw new Error('the training worker is not initialized');
    const d = await fetchDataset(dataBase, data, ['train'], fetchBytes);
    search = new ContributionContext(kernels, job, d.train);
  },
  searchRun(scheme: string, steps?: number) {
    if (!search) throw new Error('the search worker has no job (searchInit)');
    return search.run(scheme, steps);
  },
  /** The evolutionary search over the gains, with every scheme it priced (search-solve.ts). */
  searchSolve: (r: SolveRequest) => solveSearch(r),
};

export type TrainingWorkerApi = typeof api;

Comlink.expose(api);
