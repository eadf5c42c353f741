/**
 * Training state: the controls (start / pause / step / reset) and the metrics stream, over the runtime contract
 * of src/runtime/training-api.ts. The runtime module is found at build time with import.meta.glob, so the page
 * builds and says "training runtime not available yet" until src/runtime/training-client.ts exists.
 */
import { create } from 'zustand';
import type { TrainingPlan } from '../compiler/plan';
import type {
  TrainingMetrics,
  TrainingRuntime,
  TrainingRuntimeModule,
  TrainingSettings,
  UserSample,
} from '../runtime/training-api';

export type TrainingStatus = 'unavailable' | 'idle' | 'loading' | 'ready' | 'running' | 'paused' | 'error';

const runtimeModules = import.meta.glob<TrainingRuntimeModule>('../runtime/training-client.ts');
const loadRuntimeModule = Object.values(runtimeModules).at(0);

export interface TrainingState {
  status: TrainingStatus;
  message: string;
  history: TrainingMetrics[];
  /** Gives the runtime the current plan and knobs (called by the playground store on every recompile). */
  sync(plan: TrainingPlan | null, settings: TrainingSettings): Promise<void>;
  start(): Promise<void>;
  pause(): Promise<void>;
  step(n?: number): Promise<void>;
  reset(): Promise<void>;
  setUserData(samples: UserSample[], classNames: string[]): Promise<void>;
}

let runtime: TrainingRuntime | null = null;
let unsubscribe: (() => void) | null = null;
let loadedPlan: TrainingPlan | null = null;

const MAX_HISTORY = 2000;

export const useTraining = create<TrainingState>((set, get) => {
  const fail = (err: unknown) =>
    set({ status: 'error', message: `training runtime error: ${err instanceof Error ? err.message : String(err)}` });
  const record = (m: TrainingMetrics) => set((s) => ({ history: [...s.history, m].slice(-MAX_HISTORY) }));

  async function ensureRuntime(): Promise<TrainingRuntime | null> {
    if (runtime) return runtime;
    if (!loadRuntimeModule) return null;
    const mod = await loadRuntimeModule();
    runtime = mod.createTrainingRuntime();
    unsubscribe = runtime.onMetrics(record);
    return runtime;
  }

  return {
    status: loadRuntimeModule ? 'idle' : 'unavailable',
    message: loadRuntimeModule ? '' : 'training runtime not available yet',
    history: [],

    async sync(plan, settings) {
      if (get().status === 'unavailable') return;
      if (!plan) {
        if (get().status === 'running') await runtime?.pause();
        set({ status: 'idle', message: 'no valid plan to train' });
        return;
      }
      try {
        const rt = await ensureRuntime();
        if (!rt) return;
        if (plan === loadedPlan) {
          await rt.configure(settings);
          return;
        }
        set({ status: 'loading', message: 'loading the plan into the worker…', history: [] });
        await rt.load(plan, settings);
        loadedPlan = plan;
        set({ status: 'ready', message: '' });
      } catch (err) {
        fail(err);
      }
    },
    async start() {
      if (!runtime || !loadedPlan) return;
      set({ status: 'running' });
      await runtime.start().catch(fail);
    },
    async pause() {
      if (!runtime) return;
      await runtime.pause().catch(fail);
      set({ status: 'paused' });
    },
    async step(n = 1) {
      if (!runtime || !loadedPlan || get().status === 'running') return;
      try {
        record(await runtime.step(n));
        set({ status: 'paused' });
      } catch (err) {
        fail(err);
      }
    },
    async reset() {
      if (!runtime) return;
      await runtime.reset().catch(fail);
      set({ status: 'ready', history: [] });
    },
    async setUserData(samples, classNames) {
      const rt = await ensureRuntime().catch(() => null);
      await rt?.setUserData(samples, classNames).catch(fail);
    },
  };
});

/** For tests: stop the worker and forget it. */
export function disposeTrainingRuntime(): void {
  unsubscribe?.();
  runtime?.dispose();
  runtime = null;
  loadedPlan = null;
}
