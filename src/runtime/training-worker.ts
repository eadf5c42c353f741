/**
 * The training worker (comlink): loads the kernel module and the built-in data set, then runs TrainRunner
 * (train-runner.ts) on the plans the page sends. Every method's failure reaches the page as a rejected
 * promise with the error's message; metrics while running go through a callback the page passes to start().
 */
import * as Comlink from 'comlink';
import { compile } from '../compiler/compile';
import type { ModelFile } from '../compiler/model-file';
import type { PlanOptions, TrainingPlan } from '../compiler/plan';
import { fetchDataset } from './data';
import { fetchModelFile, transferModel } from './train-backbone';
import { TrainRunner, type LoadReport, type RunnerOptions } from './train-runner';
import type { RunSettings } from '../compiler/settings';
import type { TrainingMetrics, UserSample } from './training-api';
import { instantiateKernels } from './wasm';

// Referenced through `new URL` (like kernel-worker.ts) so the site still builds while the module is missing.
const WASM_URL = new URL('../../wasm/tt_kernels.wasm', import.meta.url).href;

/** The built-in data set: fine-tuning on MNIST (the backbones were pretrained on Fashion-MNIST). */
export const BUILTIN_DATASET = 'mnist';

let runner: TrainRunner | null = null;
let modelsBase = '';
const backbones = new Map<string, Promise<ModelFile>>();

/** A plan the worker compiles itself (benchmarks, e2e tests): the transfer model of a pretrained backbone. */
export interface PlanSpec {
  model: string;
  resolution: number;
  scheme: string;
  classes: number;
  /** Start from public/models/<model> (else from the seeded random initialization). */
  pretrained: boolean;
  seed: number;
  options?: Partial<PlanOptions>;
}

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
  /** Loads the kernels; the bases are the URLs of public/data/ and public/models/ as the page sees them. */
  async init(bases: { data: string; models: string }, opts: Partial<RunnerOptions> = {}): Promise<void> {
    if (runner) return;
    modelsBase = bases.models.replace(/\/$/, '');
    const dataBase = bases.data;
    const mod = await instantiateKernels(await fetchBytes(WASM_URL));
    const base = dataBase.replace(/\/$/, '');
    const loadBuiltin = async () => {
      const d = await fetchDataset(base, BUILTIN_DATASET, ['train', 'test'], fetchBytes);
      return { train: d.train, test: d.test };
    };
    runner = new TrainRunner(mod, loadBuiltin, opts);
  },
  load: (plan: TrainingPlan, settings: RunSettings): Promise<LoadReport> => loaded().load(plan, settings),
  /** Compiles a plan here (a pretrained backbone is fetched once) and loads it. */
  async loadSpec(spec: PlanSpec, settings: RunSettings): Promise<LoadReport & { compileMs: number }> {
    const r = loaded();
    let file: ModelFile | null = null;
    if (spec.pretrained) {
      if (!backbones.has(spec.model)) backbones.set(spec.model, fetchModelFile(modelsBase, spec.model, fetchBytes));
      file = await backbones.get(spec.model)!.catch((e: unknown) => {
        backbones.delete(spec.model);
        throw e;
      });
    }
    const t0 = performance.now();
    const model = transferModel({ ...spec, pretrained: file });
    const plan = compile(model, spec.scheme, spec.options);
    const compileMs = performance.now() - t0;
    return { ...(await r.load(plan, settings)), compileMs };
  },
  configure: (settings: RunSettings) => loaded().configure(settings),
  start: (emit: (m: TrainingMetrics) => void) => loaded().start(emit),
  pause: () => loaded().pause(),
  step: (n: number, evaluate = false) => loaded().step(n, evaluate),
  reset: () => loaded().reset(),
  setUserData: (samples: UserSample[]) => loaded().setUserData(samples),
  evaluate: (limit?: number) => loaded().evaluate(limit),
  trace: (n: number) => loaded().trace(n),
  canaries: () => loaded().canaries(),
  ping: () => 'pong' as const,
};

export type TrainingWorkerApi = typeof api;

Comlink.expose(api);
