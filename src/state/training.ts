/**
 * Training state: the controls (start / pause / step / reset) and the metrics stream, over the runtime contract
 * of src/runtime/training/training-api.ts. The runtime module (src/runtime/training/training-client.ts) is found with
 * import.meta.glob and loaded only when the user first trains, so it costs nothing on first load; while it is
 * missing the panel says "training runtime not available yet".
 *
 * The playground store pushes every new plan and every knob change here (sync). A new plan is loaded into the
 * worker before the next start or step (or right away when a worker is already up); knobs are sent as they
 * change, without reloading.
 */
import { create } from 'zustand';
import type { TrainingPlan } from '../compiler/plan';
import { sameRunSettings, type RunSettings } from '../compiler/settings';
import {
  defaultThreadCount,
  type ThreadInfo,
  type HeldOutSamples,
  type TrainingMetrics,
  type TrainingRuntime,
  type TrainingRuntimeModule,
  type TrainingSnapshot,
  type UserSample,
} from '../runtime/training/training-api';
import type { WeightsView } from './compile';

export type TrainingStatus = 'unavailable' | 'idle' | 'loading' | 'ready' | 'running' | 'paused' | 'error';

const runtimeModules = import.meta.glob<TrainingRuntimeModule>('../runtime/training/training-client.ts');
const loadRuntimeModule = Object.values(runtimeModules).at(0);

export interface TrainingState {
  status: TrainingStatus;
  message: string;
  history: TrainingMetrics[];
  /** The plan the worker holds (the page's compiled plan, weights included), or null. */
  loadedPlan: TrainingPlan | null;
  /**
   * The plan and knobs to train with (called on every recompile and knob change). The plan is the page's own
   * compile of its one model; `weights` says whether its weights are real (a backbone or an opened file) or
   * still placeholders (loading, or the backbone failed to load: then nothing trains and the reason is shown).
   */
  sync(plan: TrainingPlan | null, settings: RunSettings, weights: WeightsView | null): Promise<void>;
  start(): Promise<void>;
  pause(): Promise<void>;
  step(n?: number): Promise<void>;
  reset(): Promise<void>;
  setUserData(samples: UserSample[], classNames: string[]): Promise<void>;
  /** The worker's trainable tensors and step (pauses first); null when no plan is loaded. */
  snapshot(): Promise<TrainingSnapshot | null>;
  /** The first n held-out samples with the current predictions (starts the worker if needed; never pauses). */
  samples(n: number): Promise<HeldOutSamples>;
  /** Kernel threads asked for (the setting) and, once the worker reported, running. */
  threads: { requested: number; info: ThreadInfo | null };
  /** Runs the kernels on n threads: a new worker, and the run restarts from the plan's weights. */
  setThreads(n: number): Promise<void>;
}

/** Training steps of the loaded run (0 after a load or a reset). */
export function trainedSteps(): number {
  return useTraining.getState().history.at(-1)?.step ?? 0;
}

const MAX_HISTORY = 4000;

let runtime: TrainingRuntime | null = null;
let desired: { plan: TrainingPlan | null; settings: RunSettings; weights: WeightsView | null } | null = null;
let loaded: { plan: TrainingPlan; settings: RunSettings } | null = null;
let userData: UserSample[] | null = null;
/** Start was pressed while the weights were loading. */
let startWhenReady = false;

export const useTraining = create<TrainingState>((set, get) => {
  const fail = (err: unknown) => set({ status: 'error', message: err instanceof Error ? err.message : String(err) });
  const record = (m: TrainingMetrics) => set((s) => ({ history: [...s.history, m].slice(-MAX_HISTORY) }));

  async function ensureRuntime(): Promise<TrainingRuntime | null> {
    if (runtime || !loadRuntimeModule) return runtime;
    set({ status: 'loading', message: 'starting the training worker…' });
    const mod = await loadRuntimeModule();
    runtime = mod.createTrainingRuntime();
    runtime.onMetrics(record);
    // the worker's loop failed while running: the run has stopped, and the panel says why at once
    runtime.onError((message) => set({ status: 'error', message: `training stopped: ${message}` }));
    if (userData) await runtime.setUserData(userData, []);
    const want = get().threads.requested;
    const info = await (runtime.setThreads ? runtime.setThreads(want) : null);
    set({ threads: { requested: want, info } });
    return runtime;
  }

  /** Why the desired plan cannot train yet (no plan, weights still loading or failed), or null. */
  function notTrainable(): string | null {
    if (!desired?.plan) return 'no valid plan to train (see the message above)';
    const w = desired.weights;
    if (!w || w.status === 'loading') return 'waiting for the pretrained backbone to load…';
    if (w.status === 'error') return w.error ?? 'the weights could not be loaded';
    return null;
  }

  /** Brings the worker to the desired plan and knobs; false when there is nothing to train. */
  async function ensureLoaded(): Promise<boolean> {
    const rt = await ensureRuntime();
    const why = notTrainable();
    if (!rt || why) {
      if (rt) set({ status: desired?.weights?.status === 'error' ? 'error' : 'idle', message: why ?? '' });
      return false;
    }
    const { plan, settings } = desired as { plan: TrainingPlan; settings: RunSettings };
    if (loaded?.plan !== plan) {
      set({ status: 'loading', message: 'loading the plan into the worker…', history: [] });
      await rt.load(plan, settings);
      loaded = { plan, settings };
      set({ status: 'ready', message: '', loadedPlan: plan });
    } else if (!sameRunSettings(loaded.settings, settings)) {
      await rt.configure(settings);
      loaded = { plan, settings };
    }
    return true;
  }

  return {
    loadedPlan: null,
    status: loadRuntimeModule ? 'idle' : 'unavailable',
    message: loadRuntimeModule ? '' : 'training runtime not available yet',
    history: [],
    threads: { requested: defaultThreadCount(), info: null },

    async setThreads(n) {
      set({ threads: { requested: n, info: get().threads.info } });
      if (!runtime?.setThreads) return;
      try {
        if (get().status === 'running') await get().pause();
        const info = await runtime.setThreads(n);
        set((s) => ({
          threads: { requested: n, info },
          history: [],
          status: loaded ? 'ready' : s.status,
          message: loaded ? 'the thread count changed: training restarts from the plan weights' : s.message,
        }));
      } catch (err) {
        fail(err);
      }
    },

    async sync(plan, settings, weights) {
      desired = { plan, settings, weights };
      if (!runtime) return;
      // a new plan or knob is a new attempt: the last error was shown, and this one may not have it
      if (get().status === 'error') set({ status: loaded ? 'paused' : 'idle', message: '' });
      const wasRunning = get().status === 'running';
      try {
        if (wasRunning && loaded?.plan !== plan) await runtime.pause();
        if (await ensureLoaded()) {
          if (wasRunning && loaded?.plan === plan && get().status === 'running') return;
          if (wasRunning) set({ status: 'paused', message: 'the plan changed: training restarts from its weights' });
          else if (startWhenReady) {
            // Start was pressed while the weights were still loading: start now that they are here
            startWhenReady = false;
            await get().start();
          }
        }
      } catch (err) {
        fail(err);
      }
    },
    async start() {
      try {
        if (!(await ensureLoaded())) {
          // pressed before the backbone arrived: remember it (sync starts the run once the weights are loaded)
          startWhenReady = !!desired?.plan && (!desired.weights || desired.weights.status === 'loading');
          if (startWhenReady) set({ status: 'loading', message: 'waiting for the pretrained backbone to load…' });
          return;
        }
        startWhenReady = false;
        set({ status: 'running', message: '' });
        await runtime!.start();
      } catch (err) {
        fail(err);
      }
    },
    async pause() {
      startWhenReady = false;
      if (!runtime) return;
      try {
        await runtime.pause();
        set({ status: 'paused' });
      } catch (err) {
        fail(err);
      }
    },
    async step(n = 1) {
      if (get().status === 'running') return;
      try {
        if (!(await ensureLoaded())) return;
        record(await runtime!.step(n));
        set({ status: 'paused', message: '' });
      } catch (err) {
        fail(err);
      }
    },
    async reset() {
      if (!runtime) return;
      try {
        await runtime.reset();
        set({ status: 'ready', message: '', history: [] });
      } catch (err) {
        fail(err);
      }
    },
    async snapshot() {
      if (!runtime || !loaded) return null;
      if (get().status === 'running') await get().pause();
      return runtime.snapshot();
    },
    async samples(n) {
      if (!(await ensureLoaded())) throw new Error(get().message || 'nothing to train yet');
      return runtime!.samples(n);
    },
    async setUserData(samples, classNames) {
      userData = samples;
      try {
        await runtime?.setUserData(samples, classNames);
      } catch (err) {
        fail(err);
      }
    },
  };
});

/** Clears an error so the next start or step tries again. */
export function clearTrainingError(): void {
  if (useTraining.getState().status === 'error')
    useTraining.setState({ status: runtime ? 'paused' : 'idle', message: '' });
}

/**
 * Class probabilities of one image with the weights the worker has now (the "try it" view); rejects with a
 * message when there is no model to ask yet.
 */
export async function classifyImage(image: Omit<UserSample, 'label'>): Promise<number[]> {
  if (!runtime?.classify || !loaded) throw new Error('no trained model yet: press start or step first');
  return runtime.classify(image);
}
