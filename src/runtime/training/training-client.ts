/**
 * The page side of training: implements TrainingRuntime (training-api.ts) over the comlink training worker.
 * It remembers what the page asked for (the last plan, settings, user samples, running or not), so when the
 * worker dies - an 'error' event, or no answer to a heartbeat ping for HEARTBEAT_TIMEOUT_MS while idle - it
 * starts a new worker, loads that state again and resumes; calls caught in the dead worker reject with a
 * message instead of hanging. Training restarts from the plan's weights after such a restart (the page keeps
 * its metric history). `window.__tinytrain` exposes the runtime and a few probes for the e2e tests.
 */
import type { RunSettings } from '../../compiler/settings';
import * as Comlink from 'comlink';
import type { TrainingPlan } from '../../compiler/plan';
import type { LoadReport, RunnerOptions } from './train-runner';
import {
  defaultThreadCount,
  type ThreadInfo,
  type TrainingMetrics,
  type TrainingRuntime,
  type UserSample,
} from './training-api';
import type { TrainingWorkerApi } from './training-worker';

const HEARTBEAT_MS = 3000;
const HEARTBEAT_TIMEOUT_MS = 15_000;

export interface TrainingClient extends TrainingRuntime {
  /** Runs n steps now and returns every loss and the trainable weights after them (bit-identity tests). */
  trace(n: number): Promise<{ losses: number[]; trainable: { name: string; data: Int8Array | Int32Array }[] }>;
  evaluate(limit?: number): Promise<{ accuracy: number; loss: number; examples: number; confusion?: number[][] }>;
  classify(image: Omit<UserSample, 'label'>): Promise<number[]>;
  canaries(): Promise<{ guardBytes: number; before: number; after: number }>;
  /** The report of the last load. */
  lastLoad(): LoadReport | null;
  /** How many times the worker was restarted. */
  restarts(): number;
  /** Terminates the worker as if it had crashed (tests). */
  kill(): void;
  threads(): Promise<ThreadInfo>;
  setThreads(n: number): Promise<ThreadInfo>;
}

interface Handle {
  worker: Worker;
  api: Comlink.Remote<TrainingWorkerApi>;
  /** Rejects when this worker is declared dead. */
  dead: Promise<never>;
  alive: boolean;
  die(reason: string): void;
}

function baseUrl(dir: string): string {
  return new URL(dir, document.baseURI).href;
}

export function createTrainingRuntime(opts: Partial<RunnerOptions> = {}): TrainingClient {
  const listeners = new Set<(m: TrainingMetrics) => void>();
  const emit = Comlink.proxy((m: TrainingMetrics) => listeners.forEach((cb) => cb(m)));
  const errorListeners = new Set<(message: string) => void>();
  /** The worker's loop failed: the run has stopped there, so it is not resumed after a worker restart. */
  const stopped = Comlink.proxy((message: string) => {
    running = false;
    errorListeners.forEach((cb) => cb(message));
  });
  let loaded: TrainingPlan | null = null;
  let settings: RunSettings | null = null;
  let userData: UserSample[] = [];
  let running = false;
  let report: LoadReport | null = null;
  let restartCount = 0;
  let inflight = 0;
  let disposed = false;
  let threadCount = defaultThreadCount();
  let threadInfo: ThreadInfo | null = null;
  let handle: Promise<Handle> = spawn();

  function spawn(): Promise<Handle> {
    const worker = new Worker(new URL('./training-worker.ts', import.meta.url), { type: 'module', name: 'training' });
    const api = Comlink.wrap<TrainingWorkerApi>(worker);
    let reject: (e: Error) => void = () => undefined;
    const dead = new Promise<never>((_, r) => (reject = r));
    dead.catch(() => undefined);
    const h: Handle = {
      worker,
      api,
      dead,
      alive: true,
      die: (reason) => ((h.alive = false), reject(new Error(reason))),
    };
    worker.addEventListener('error', (e) => restart(h, `the training worker crashed: ${e.message || 'error event'}`));
    return api.init({ data: baseUrl('data/') }, opts, threadCount).then((info) => ((threadInfo = info), h));
  }

  /** Replaces a dead worker and brings the new one back to the page's state. */
  function restart(h: Handle, reason: string, crashed = true): void {
    if (!h.alive) return;
    h.die(reason);
    h.worker.terminate();
    if (disposed) return;
    if (crashed) {
      restartCount++;
      console.warn(`${reason}; restarting it`);
    }
    const wasRunning = running;
    handle = spawn().then(async (n) => {
      if (settings && loaded) {
        report = await n.api.load(loaded, settings);
        if (userData.length) await n.api.setUserData(userData);
        if (wasRunning) await n.api.start(emit, stopped);
      }
      return n;
    });
    handle.catch((e: unknown) => console.error('the training worker could not be restarted', e));
  }

  /** Calls the worker; rejects instead of hanging when the worker dies meanwhile. */
  async function call<T>(f: (api: Comlink.Remote<TrainingWorkerApi>) => Promise<T>): Promise<T> {
    const h = await handle;
    inflight++;
    try {
      return await Promise.race([f(h.api), h.dead]);
    } finally {
      inflight--;
    }
  }

  const timer = setInterval(() => {
    if (inflight > 0 || disposed) return;
    void handle.then(
      (h) => {
        const t = setTimeout(() => restart(h, 'the training worker stopped answering'), HEARTBEAT_TIMEOUT_MS);
        void Promise.race([h.api.ping(), h.dead]).then(
          () => clearTimeout(t),
          () => clearTimeout(t),
        );
      },
      () => undefined,
    );
  }, HEARTBEAT_MS);

  const rt: TrainingClient = {
    async load(plan, s) {
      running = false;
      report = await call((api) => api.load(plan, s));
      loaded = plan;
      settings = { ...s };
    },
    async configure(s) {
      await call((api) => api.configure(s));
      settings = { ...s };
    },
    async start() {
      await call((api) => api.start(emit, stopped));
      running = true;
    },
    async pause() {
      running = false;
      await call((api) => api.pause());
    },
    step: (n) => call((api) => api.step(n)),
    reset: () => call((api) => api.reset()),
    async setUserData(samples) {
      await call((api) => api.setUserData(samples));
      userData = samples.slice();
    },
    onMetrics(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    onError(cb) {
      errorListeners.add(cb);
      return () => errorListeners.delete(cb);
    },
    dispose() {
      disposed = true;
      clearInterval(timer);
      void handle.then((h) => {
        h.die('the training runtime was disposed');
        h.worker.terminate();
      });
      listeners.clear();
      errorListeners.clear();
    },
    trace: (n) => call((api) => api.trace(n)),
    evaluate: (limit) => call((api) => api.evaluate(limit)),
    classify: (image) => call((api) => api.classify(image)),
    canaries: () => call((api) => api.canaries()),
    snapshot: () => call((api) => api.snapshot()),
    samples: (n) => call((api) => api.samples(n)),
    lastLoad: () => report,
    restarts: () => restartCount,
    kill() {
      void handle.then((h) => restart(h, 'the training worker was killed'));
    },
    async threads() {
      await handle;
      return threadInfo as ThreadInfo;
    },
    async setThreads(n) {
      if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error(`threads must be 1..64, got ${n}`);
      const h = await handle;
      if (n === threadCount) return threadInfo as ThreadInfo;
      threadCount = n;
      restart(h, 'the thread count changed', false);
      await handle;
      return threadInfo as ThreadInfo;
    },
  };
  (globalThis as { __tinytrain?: TrainingClient }).__tinytrain = rt;
  return rt;
}
