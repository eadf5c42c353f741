/**
 * Training state: the controls (start / pause / step / reset) and the metrics stream, over the runtime contract
 * of src/runtime/training-api.ts. The runtime module (src/runtime/training-client.ts) is found with
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
import type {
  TrainingMetrics,
  TrainingRuntime,
  TrainingRuntimeModule,
  TrainingSpec,
  UserSample,
} from '../runtime/training-api';

export type TrainingStatus = 'unavailable' | 'idle' | 'loading' | 'ready' | 'running' | 'paused' | 'error';

const runtimeModules = import.meta.glob<TrainingRuntimeModule>('../runtime/training-client.ts');
const loadRuntimeModule = Object.values(runtimeModules).at(0);

export interface TrainingState {
  status: TrainingStatus;
  message: string;
  history: TrainingMetrics[];
  /** Where the weights come from: a pretrained backbone, or the plan's seeded random ones. */
  weights: 'pretrained' | 'random' | null;
  /**
   * The plan and knobs to train with (called on every recompile and knob change); `spec` describes the same
   * experiment so the worker can start it from a pretrained backbone when one is available.
   */
  sync(plan: TrainingPlan | null, settings: RunSettings, spec?: TrainingSpec): Promise<void>;
  start(): Promise<void>;
  pause(): Promise<void>;
  step(n?: number): Promise<void>;
  reset(): Promise<void>;
  setUserData(samples: UserSample[], classNames: string[]): Promise<void>;
}

const MAX_HISTORY = 4000;

let runtime: TrainingRuntime | null = null;
let desired: { plan: TrainingPlan | null; settings: RunSettings; spec?: TrainingSpec } | null = null;
let loaded: { plan: TrainingPlan; settings: RunSettings } | null = null;
let userData: UserSample[] | null = null;

export const useTraining = create<TrainingState>((set, get) => {
  const fail = (err: unknown) => set({ status: 'error', message: err instanceof Error ? err.message : String(err) });
  const record = (m: TrainingMetrics) => set((s) => ({ history: [...s.history, m].slice(-MAX_HISTORY) }));

  async function ensureRuntime(): Promise<TrainingRuntime | null> {
    if (runtime || !loadRuntimeModule) return runtime;
    set({ status: 'loading', message: 'starting the training worker…' });
    const mod = await loadRuntimeModule();
    runtime = mod.createTrainingRuntime();
    runtime.onMetrics(record);
    if (userData) await runtime.setUserData(userData, []);
    return runtime;
  }

  /** Brings the worker to the desired plan and knobs; false when there is nothing to train. */
  async function ensureLoaded(): Promise<boolean> {
    const rt = await ensureRuntime();
    if (!rt || !desired?.plan) {
      if (rt) set({ status: 'idle', message: desired?.plan ? '' : 'no valid plan to train (see the message above)' });
      return false;
    }
    const { plan, settings, spec } = desired;
    if (loaded?.plan !== plan) {
      set({ status: 'loading', message: 'loading the plan into the worker…', history: [] });
      set({ weights: await loadInto(rt, plan, settings, spec) });
      loaded = { plan, settings };
      set({ status: 'ready', message: '' });
    } else if (!sameRunSettings(loaded.settings, settings)) {
      await rt.configure(settings);
      loaded = { plan, settings };
    }
    return true;
  }

  /** Loads the pretrained backbone when the runtime can and the file exists, else the page's plan. */
  async function loadInto(rt: TrainingRuntime, plan: TrainingPlan, settings: RunSettings, spec?: TrainingSpec) {
    if (spec && rt.loadSpec) {
      try {
        await rt.loadSpec({ ...spec, pretrained: true }, settings);
        return 'pretrained' as const;
      } catch {
        // no pretrained file for this backbone (yet): train the page's plan from its seeded weights
      }
    }
    await rt.load(plan, settings);
    return 'random' as const;
  }

  return {
    weights: null,
    status: loadRuntimeModule ? 'idle' : 'unavailable',
    message: loadRuntimeModule ? '' : 'training runtime not available yet',
    history: [],

    async sync(plan, settings, spec) {
      desired = { plan, settings, spec };
      if (!runtime || get().status === 'error') return;
      const wasRunning = get().status === 'running';
      try {
        if (wasRunning && loaded?.plan !== plan) await runtime.pause();
        if (await ensureLoaded()) {
          if (wasRunning && loaded?.plan === plan && get().status === 'running') return;
          if (wasRunning) set({ status: 'paused', message: 'the plan changed: training restarts from its weights' });
        }
      } catch (err) {
        fail(err);
      }
    },
    async start() {
      try {
        if (!(await ensureLoaded())) return;
        set({ status: 'running', message: '' });
        await runtime!.start();
      } catch (err) {
        fail(err);
      }
    },
    async pause() {
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
