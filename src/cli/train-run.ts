/**
 * Headless training in Node with the same code as the web worker: the same transfer model (train-backbone.ts),
 * the same plan (compile), the same executor on the same WebAssembly module (wasm/tt_kernels.wasm), the same
 * TrainingSession over the same data files (public/data via data.ts). `tinytrain train` and the experiment
 * scripts call runHeadless. The learner is the WebAssembly executor (default), the reference interpreter
 * (slow; for bit-identity checks) or the fp32 baseline (fp32 SGD of the same scheme on the dequantized model).
 * The executor's arena is allocated with canary guards and checked after training.
 */
import { join } from 'node:path';
import { compile } from '../compiler/compile';
import type { RoundingName } from '../compiler/kernel-abi';
import type { ModelFile } from '../compiler/model-file';
import { buildModel, type Model } from '../compiler/models/model';
import type { PlanOptions, TrainingPlan } from '../compiler/plan';
import { parseScheme } from '../compiler/scheme/scheme';
import type { DatasetSplit } from '../runtime/training/data';
import type { RunSettings } from '../compiler/settings';
import { PlanExecutor } from '../runtime/kernels/executor';
import { transferModel } from '../runtime/training/train-backbone';
import { planInputSpec, splitExamples } from '../runtime/training/train-data';
import { datasetImages, imageInputFit } from '../runtime/training/input-fit';
import { Fp32Trainer } from '../runtime/training/train-fp32';
import { ReferenceLearner } from '../runtime/training/train-reference';
import { TrainingSession, type Learner } from '../runtime/training/train-session';
import type { KernelModule } from '../runtime/kernels/wasm';
import { defaultThreads, instantiateKernelBytes } from '../runtime/kernels/wasm-threads-node';
import { CliError, EXIT, UsageError } from './command';
import { loadModelFile, readDataset, REPO_ROOT } from './firmware-io';
import { readInputFile } from './files';
import { importedWithWeights, loadImportedModel, type ClassifierChoice } from './imported';
import { defaultBackbone } from './weights';
import { KERNEL_BUILD_FILES, preferredKernelBuild } from '../runtime/kernels/kernel-build';

export const ROOT = REPO_ROOT;
export type Engine = 'wasm' | 'reference' | 'fp32';

/** The run settings (lr, rounding, qas, seed) plus what the headless run trains on. */
export interface HeadlessOptions extends RunSettings {
  model: string;
  resolution: number;
  scheme: string;
  /** Data set of public/data (its train split trains, its test split evaluates). */
  data: string;
  steps: number;
  engine: Engine;
  /** Backbone model file manifest path (fresh classifier); null trains from the seeded random initialization. */
  pretrained: string | null;
  /** Trained model file manifest path (every layer, classifier included); replaces `pretrained` when set. */
  weights?: string | null;
  /** A .tflite / .onnx model file trained instead of a built-in (`model` is its path; imported.ts). */
  modelFile?: { path: string; classifier: ClassifierChoice } | null;
  /** Test examples for the accuracies (the first ones of the test split; Infinity: all). */
  evalExamples: number;
  /** Number of points of the loss curve. */
  curvePoints: number;
  /** Also evaluate before training (the pretrained backbone with its fresh classifier). */
  initialEval: boolean;
  /** Learning rate over the run: constant, or cosine decay from lr to 0 (updated every SCHEDULE_CHUNK steps). */
  schedule: 'constant' | 'cosine';
  options?: Partial<PlanOptions>;
  /** Path of the WebAssembly module (default: wasm/tt_kernels_mt.wasm with threads > 1, else
   * wasm/tt_kernels_relaxed.wasm where the engine has relaxed SIMD, else wasm/tt_kernels.wasm; all compute the same
   * bits). */
  wasm?: string;
  /** Kernel threads of the wasm engine (default: the cores, at most 4); results are the same for any count. */
  threads?: number;
}

export interface CurvePoint {
  step: number;
  loss: number;
  accuracy: number;
}

export interface HeadlessResult {
  model: string;
  resolution: number;
  /** The plan's input, HWC (a model file's may be non-square: [49, 40, 1]). */
  inputShape: number[];
  /** What the data set's images become to fit it (input-fit.ts): "MNIST's 28x28 gray images resized to ...". */
  dataFit: string;
  scheme: string;
  data: string;
  engine: Engine;
  steps: number;
  seed: number;
  lr: number;
  schedule: 'constant' | 'cosine';
  rounding: RoundingName | null;
  qas: boolean | null;
  pretrained: string | null;
  weights: string | null;
  /** The .tflite / .onnx file trained (its weights; null for a built-in). */
  modelFile: string | null;
  lossCurve: CurvePoint[];
  initialTestAccuracy: number | null;
  finalTestAccuracy: number;
  finalTestLoss: number;
  testExamples: number;
  samplesPerSec: number;
  trainSeconds: number;
  /** Bytes of arena the executor allocated (null for the fp32 baseline, which has no plan arena). */
  arenaBytes: number | null;
  /** Canary bytes around the arena found overwritten after training (0: intact; null: fp32). */
  arenaOverwrites: number | null;
  plan: {
    arenaBytes: number;
    peakSramBytes: number;
    trainableSramBytes: number;
    paperBudgetBytes: number;
    planSteps: number;
  };
}

const SCHEDULE_CHUNK = 10;

/** Learning rate at step t of n: lr * (1 + cos(pi t / n)) / 2 for the cosine schedule. */
export function scheduledLr(o: Pick<HeadlessOptions, 'lr' | 'schedule'>, t: number, n: number): number {
  return o.schedule === 'cosine' ? (o.lr * (1 + Math.cos((Math.PI * t) / n))) / 2 : o.lr;
}

const modules = new Map<string, Promise<KernelModule>>();
const datasets = new Map<string, Promise<Record<string, DatasetSplit>>>();

function loadDatasetFromDisk(name: string): Promise<Record<string, DatasetSplit>> {
  if (!datasets.has(name)) {
    const p = readDataset(name, ['train', 'test']);
    p.catch(() => datasets.delete(name));
    datasets.set(name, p);
  }
  return datasets.get(name)!;
}

/** A model file by its manifest path (CliError / ModelFileError when it cannot be read or is not valid). */
export function readModelFile(manifestPath: string): ModelFile {
  return loadModelFile(manifestPath);
}

/** The pretrained file to use by default: public/models/<model>.json when it exists. */
export function defaultPretrained(model: string): string | null {
  return defaultBackbone(model);
}

/** The kernel module from a file (Node), without the test harness. */
async function loadKernels(path: string, threads: number | undefined): Promise<KernelModule> {
  try {
    const bytes = new Uint8Array(readInputFile(path, 'kernel module (npm run build:wasm makes it)'));
    return await instantiateKernelBytes(bytes, threads);
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`kernel module ${path}: ${(e as Error).message}`);
  }
}

function startModel(o: HeadlessOptions, classes: number): Model {
  if (o.modelFile) {
    const m = loadImportedModel(o.modelFile.path, { classifier: o.modelFile.classifier, classes, seed: o.seed });
    return o.weights ? importedWithWeights(m, o.weights) : m;
  }
  if (o.weights) {
    const file = readModelFile(o.weights);
    if (file.classes !== classes)
      throw new UsageError(`--weights has ${file.classes} classes; data set ${o.data} has ${classes}`);
    return buildModel({ model: o.model, resolution: o.resolution, classes, pretrained: file, seed: o.seed });
  }
  const file = o.pretrained ? readModelFile(o.pretrained) : null;
  return transferModel({ model: o.model, resolution: o.resolution, classes, pretrained: file, seed: o.seed });
}

interface Built {
  learner: Learner;
  plan: TrainingPlan;
  executor: PlanExecutor | null;
}

async function buildLearner(o: HeadlessOptions, classes: number): Promise<Built> {
  const model = startModel(o, classes);
  const plan = compile(model, o.scheme, o.options);
  const settings: RunSettings = { lr: o.lr, rounding: o.rounding, qas: o.qas, seed: o.seed };
  if (o.engine === 'fp32')
    return { learner: new Fp32Trainer(model, parseScheme(o.scheme, model), o.lr), plan, executor: null };
  if (o.engine === 'reference') return { learner: new ReferenceLearner(plan, settings), plan, executor: null };
  const threads = o.threads ?? (o.wasm ? undefined : defaultThreads());
  const single = KERNEL_BUILD_FILES[preferredKernelBuild()];
  const path = o.wasm ?? join(ROOT, 'wasm', threads !== undefined && threads > 1 ? 'tt_kernels_mt.wasm' : single);
  const key = `${path} ${threads ?? ''}`;
  if (!modules.has(key)) {
    const p = loadKernels(path, threads);
    p.catch(() => modules.delete(key));
    modules.set(key, p);
  }
  const executor = PlanExecutor.load(await modules.get(key)!, plan, settings, { guardBytes: 256 });
  return { learner: executor, plan, executor };
}

/** Trains o.steps steps and evaluates; `progress` sees each loss-curve point as it is made. */
export async function runHeadless(o: HeadlessOptions, progress?: (p: CurvePoint) => void): Promise<HeadlessResult> {
  const data = await loadDatasetFromDisk(o.data);
  const classes = data.train.manifest.classes.length;
  const { learner, plan, executor } = await buildLearner(o, classes);
  const input = planInputSpec(plan);
  const set = datasetImages(data.train.manifest);
  const fit = imageInputFit(plan.input.shape, plan.model.classes, set, input.codes && plan.input);
  if (!fit.ok) {
    executor?.dispose();
    throw new CliError(`${plan.model.name}: ${fit.reason}`, EXIT.usage);
  }
  const session = new TrainingSession(
    learner,
    splitExamples(data.train, input),
    splitExamples(data.test, input),
    plan.input.bytes,
    o.seed,
  );
  const initial = o.initialEval ? session.evaluate(o.evalExamples).accuracy : null;
  const lossCurve: CurvePoint[] = [];
  const points = Math.min(o.curvePoints, o.steps);
  let trainMs = 0;
  for (let k = 0; k < points; k++) {
    const n = Math.round(((k + 1) * o.steps) / points) - Math.round((k * o.steps) / points);
    let loss = 0;
    let correct = 0;
    for (let done = 0; done < n;) {
      const m = o.schedule === 'constant' ? n - done : Math.min(SCHEDULE_CHUNK, n - done);
      learner.setLearningRate(scheduledLr(o, session.step, o.steps));
      const w = session.trainSteps(m);
      trainMs += w.ms;
      loss += w.loss * m;
      correct += w.accuracy * m;
      done += m;
    }
    const p = { step: session.step, loss: loss / n, accuracy: correct / n };
    lossCurve.push(p);
    progress?.(p);
  }
  const final = session.evaluate(o.evalExamples);
  const canaries = executor?.checkCanaries();
  executor?.dispose();
  const m = plan.metrics;
  return {
    model: o.model,
    resolution: o.resolution,
    inputShape: [...plan.input.shape],
    dataFit: fit.text,
    scheme: plan.scheme,
    data: o.data,
    engine: o.engine,
    steps: o.steps,
    seed: o.seed,
    lr: o.lr,
    schedule: o.schedule,
    rounding: o.engine === 'fp32' ? null : o.rounding,
    qas: o.engine === 'fp32' ? null : o.qas,
    pretrained: o.weights ? null : o.pretrained,
    weights: o.weights ?? null,
    modelFile: o.modelFile?.path ?? null,
    lossCurve,
    initialTestAccuracy: initial,
    finalTestAccuracy: final.accuracy,
    finalTestLoss: final.loss,
    testExamples: final.examples,
    samplesPerSec: trainMs > 0 ? (1000 * o.steps) / trainMs : 0,
    trainSeconds: trainMs / 1000,
    arenaBytes: executor ? executor.arenaBytes : null,
    arenaOverwrites: canaries ? canaries.before + canaries.after : null,
    plan: {
      arenaBytes: m.arenaBytes,
      peakSramBytes: m.peakSramBytes,
      trainableSramBytes: m.trainableSramBytes,
      paperBudgetBytes: m.paperBudgetBytes,
      planSteps: m.planSteps,
    },
  };
}
