/**
 * The one place the page calls the compiler: model facts for the editor, presets, and compiling the
 * experiment into the plan the panels draw (plus the same scheme with reordering flipped, for comparison).
 */
import { compileWithGraph } from '../compiler/compile';
import type { Graph } from '../compiler/ir/graph';
import { layerKind } from '../compiler/layer-kinds';
import { ARCHS, archShapes } from '../compiler/models/arch';
import type { ModelFile } from '../compiler/model-file';
import { buildModel } from '../compiler/models/model';
import type { Model } from '../compiler/models/model';
import { weightsChecksum } from '../compiler/models/trained';
import { transferModel } from '../compiler/models/transfer';
import type { LayerShape } from '../compiler/models/arch';
import type { TopoNode } from '../compiler/models/nodes';
import type { TrainingPlan } from '../compiler/plan';
import { paperBudgets } from '../compiler/scheme/paper';
import { emptyScheme, parseScheme, printScheme, updatedChannels } from '../compiler/scheme/scheme';
import type { Scheme, SchemeTarget } from '../compiler/scheme/scheme';
import type { Backbone, Experiment, LayerUpdate, ModelChoice } from './experiment';
import { IMPORTED, importedFile, importedModel } from './imported';

export interface Preset {
  id: string;
  label: string;
  description: string;
}

export interface ModelInfo {
  name: ModelChoice;
  description: string;
  convCount: number;
  convs: LayerShape[];
  /** The topology (the node list the graph view draws). */
  nodes: TopoNode[];
  presets: Preset[];
  defaultPreset: string;
}

/**
 * Where the page's weights come from. The page compiles ONE model - the pretrained backbone of the chosen
 * architecture (public/models/), or a model file the user opened - and everything (graph, timeline, training,
 * firmware, share link) describes that model. Until the file has arrived the plan is compiled from seeded
 * random weights so the memory views can draw (memory does not depend on weights), but nothing trains or
 * exports it: status says why.
 */
export interface WeightsSource {
  status: 'loading' | 'ready' | 'error';
  /** The architecture these weights are for ('imported': the opened .tflite / .onnx, imported.ts). */
  model: ModelChoice;
  /** 'backbone': public/models/<model> (fresh classifier); 'file': a model the user opened (its classifier kept). */
  origin: 'backbone' | 'file';
  file: ModelFile | null;
  /** The file's name as the user sees it ('public/models/mcunet-5fps.bin', 'my-model.tinytrain.zip'). */
  fileName: string;
  /** SHA-256 of the file's bytes, hex (when ready). */
  sha256?: string;
  /** Why the file could not be loaded (status 'error'). */
  error?: string;
}

/** What the compiled plan's weights are, for the panels and the firmware README. */
export interface WeightsView {
  status: WeightsSource['status'];
  origin: WeightsSource['origin'];
  fileName: string;
  sha256?: string;
  error?: string;
  /** FNV-1a of the compiled model's weights and biases (weightsChecksum). */
  checksum: string;
}

export interface CompiledView {
  plan: TrainingPlan | null;
  /** The model the plan was compiled from (trained weights map back onto it). */
  model: Model | null;
  weights: WeightsView | null;
  /** the pruned, scheduled training graph the plan was lowered from */
  graph: Graph | null;
  /** the same experiment with reordering flipped */
  other: TrainingPlan | null;
  /** why the experiment cannot be compiled, in the compiler's words */
  error: string | null;
  /** hints about fitting (what to change when the plan does not fit), and why the comparison is missing */
  advice: string[];
  /** why the comparison plan (reordering flipped) could not be compiled, in the compiler's words */
  comparisonError?: string;
  /** canonical text of the scheme (the CLI's --scheme) */
  schemeText: string;
  ms: number;
  /** nothing compiled yet (the page is starting) */
  pending?: boolean;
}

export const PENDING: CompiledView = {
  plan: null,
  model: null,
  weights: null,
  graph: null,
  other: null,
  error: null,
  advice: [],
  schemeText: '',
  ms: 0,
  pending: true,
};

const infoCache = new Map<Backbone, ModelInfo>();
let importedInfo: { file: unknown; info: ModelInfo } | null = null;

/** The preset a backbone opens with: its largest published scheme (it fits 256 KB at 128x128; tested). */
export const DEFAULT_PRESETS: Record<Backbone, string> = {
  'mcunet-5fps': 'paper:148kb',
  'mbv2-w0.35': 'paper:138kb',
  'proxyless-w0.3': 'paper:148kb',
  'tiny-cnn': 'last:4',
};

function target(info: ModelInfo): SchemeTarget {
  return { name: info.name, convs: info.convs };
}

/** Presets of an imported model: no published schemes, the generic ones that fit its conv count (default: the
 * last 2 convs, the last one on a one-conv model such as micro_speech). */
function describeImported(): ModelInfo {
  const f = importedFile();
  if (importedInfo?.file === f) return importedInfo.info;
  const m = f ? importedModel(f.outputs || 2, 1) : null;
  const convs: LayerShape[] = m ? m.convs : [];
  // last:1 only where there is no last:2 (on larger models last:2 is the smallest step past the classifier)
  const lastK = [convs.length < 2 ? 1 : 2, 4, 8].filter((k) => k <= convs.length);
  const presets: Preset[] = [
    { id: 'classifier', label: 'classifier only', description: 'update only the classifier' },
    { id: 'bias-only', label: 'all biases', description: 'update every bias and the classifier' },
    ...lastK.map((k) => ({
      id: `last:${k}`,
      label: k === 1 ? 'last layer' : `last ${k} layers`,
      description:
        k === 1 ? 'update weights and biases of the last conv' : `update weights and biases of the last ${k} convs`,
    })),
    ...(convs.length ? [{ id: 'full', label: 'full update', description: 'update every weight and bias' }] : []),
  ];
  const info: ModelInfo = {
    name: IMPORTED,
    description: f ? `imported from ${f.fileName}` : 'an imported model (open its file)',
    convCount: convs.length,
    convs,
    nodes: m ? m.nodes : [],
    presets,
    defaultPreset: lastK.length ? `last:${lastK[0]}` : 'classifier',
  };
  importedInfo = { file: f, info };
  return info;
}

export function describeModel(model: ModelChoice): ModelInfo {
  if (model === IMPORTED) return describeImported();
  const hit = infoCache.get(model);
  if (hit) return hit;
  const arch = ARCHS[model];
  const { convs, nodes } = archShapes(arch, arch.defaultResolution, 3, 10);
  const budgets = paperBudgets(model);
  const presets: Preset[] = [
    ...budgets.map((b) => ({
      id: `paper:${b}`,
      label: `paper ${b}`,
      description: `the paper's published scheme for a ${b} budget`,
    })),
    { id: 'classifier', label: 'classifier only', description: 'update only the classifier' },
    { id: 'bias-only', label: 'all biases', description: 'update every bias and the classifier' },
    ...[2, 4, 8].map((k) => ({
      id: `last:${k}`,
      label: `last ${k} layers`,
      description: `update weights and biases of the last ${k} convs`,
    })),
    { id: 'full', label: 'full update', description: 'update every weight and bias (does not fit any MCU)' },
  ];
  const info: ModelInfo = {
    name: model,
    description: arch.description,
    convCount: convs.length,
    convs,
    nodes,
    presets,
    defaultPreset: DEFAULT_PRESETS[model],
  };
  infoCache.set(model, info);
  return info;
}

export function toScheme(model: ModelChoice, updates: readonly LayerUpdate[]): Scheme {
  return { model, bias: updates.map((u) => u.bias), weight: updates.map((u) => u.ratio) };
}

/** A preset that does not exist for a backbone (or does not parse for it); the message says which and why. */
export class PresetError extends Error {}

/**
 * The per-layer updates of preset `id` (scheme text: a listed preset such as paper:99kb or last:4). An unknown or
 * malformed preset throws a PresetError naming it, never an empty scheme in its place.
 */
export function presetScheme(model: ModelChoice, id: string): LayerUpdate[] {
  const info = describeModel(model);
  let s: Scheme;
  try {
    s = parseScheme(id, target(info));
  } catch (err) {
    throw new PresetError(`${model} has no preset "${id}": ${message(err)}`);
  }
  return s.bias.map((bias, i) => ({ bias, ratio: s.weight[i] }));
}

/** The scheme that updates nothing, one entry per conv of the backbone. */
export function emptyUpdates(model: ModelChoice): LayerUpdate[] {
  const s = emptyScheme(target(describeModel(model)));
  return s.bias.map((bias, i) => ({ bias, ratio: s.weight[i] }));
}

/** Why a weight ratio is impossible for conv `index` (a whole number of channels is needed), or null. */
export function ratioProblem(model: ModelChoice, index: number, ratio: number): string | null {
  const conv = describeModel(model).convs[index];
  if (!conv || ratio === 0) return null;
  const k = updatedChannels(conv, ratio);
  if (Number.isInteger(k)) return null;
  const row = layerKind(conv);
  return `${ratio} of ${row.ratioChannels(conv)} ${row.ratioWhat} is not a whole number of channels`;
}

let modelCache: { key: string; weights: WeightsSource | null; model: Model } | null = null;

/** Whether the weights source applies to this experiment's architecture. */
function usable(e: Experiment, w: WeightsSource | null): w is WeightsSource & { file: ModelFile } {
  return !!w && w.status === 'ready' && w.model === e.model && w.file !== null;
}

/**
 * The model of an experiment: the weights source's file when it is ready for this architecture (a backbone gets
 * a fresh classifier for e.classes; a user's trained file keeps its classifier when the class count matches),
 * else seeded random int8 weights (memory does not depend on them; the page does not train or export them).
 */
export function experimentModel(e: Experiment, w: WeightsSource | null = null): Model {
  if (e.model === IMPORTED) return importedModel(e.classes, e.seed);
  const key = `${e.model}|${e.resolution}|${e.classes}|${e.seed}`;
  const src = usable(e, w) ? w : null;
  if (modelCache?.key !== key || modelCache.weights !== src) {
    const model = src
      ? transferModel({
          model: e.model,
          resolution: e.resolution,
          classes: e.classes,
          pretrained: src.file,
          seed: e.seed,
          keepClassifier: src.origin === 'file',
        })
      : buildModel({ model: e.model, resolution: e.resolution, classes: e.classes, seed: e.seed });
    modelCache = { key, weights: src, model };
  }
  return modelCache.model;
}

function weightsView(e: Experiment, w: WeightsSource | null, model: Model): WeightsView {
  const checksum = weightsChecksum(model);
  if (!w || w.model !== e.model)
    return { status: 'loading', origin: 'backbone', fileName: `models/${e.model}`, checksum };
  return { status: w.status, origin: w.origin, fileName: w.fileName, sha256: w.sha256, error: w.error, checksum };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** What to try when a plan does not fit. */
function fitAdvice(plan: TrainingPlan, other: TrainingPlan | null, e: Experiment): string[] {
  const budget = e.budgetKb * 1024;
  const m = plan.metrics;
  if (m.peakSramBytes <= budget) return [];
  const kb = (b: number) => `${(b / 1024).toFixed(1)} KB`;
  const over = m.peakSramBytes - budget;
  const tips: string[] = [];
  if (!e.reorder && other && other.metrics.peakSramBytes < m.peakSramBytes) {
    tips.push(`operator reordering would bring it to ${kb(other.metrics.peakSramBytes)}`);
  }
  if (!e.fusion) tips.push('fusing the frozen blocks shrinks the forward peak');
  const convs = plan.layers.filter((l) => l.index >= 0);
  const earliest = convs.filter((l) => l.gradient).sort((a, b) => a.index - b.index)[0];
  if (earliest && earliest.index < convs.length / 3) {
    tips.push(
      `gradients reach ${earliest.name} (${earliest.inH}×${earliest.inH}); updating only later layers keeps the backward pass off the large early activations`,
    );
  }
  if (m.trainableSramBytes > over)
    tips.push(`update fewer or smaller weights (${kb(m.trainableSramBytes)} are trainable)`);
  if (e.model !== IMPORTED && e.resolution > 64) tips.push('a lower input resolution shrinks every activation');
  return [
    `Does not fit: peak ${kb(m.peakSramBytes)} is ${kb(over)} over the ${e.budgetKb} KB budget` +
      ` (arena ${kb(m.arenaBytes)} + trainable ${kb(m.trainableSramBytes)}).` +
      (tips.length ? ` Try: ${tips.join('; ')}.` : ''),
  ];
}

/** Compiles the experiment as it is; `other` stays null (see withComparison). */
export function compileExperiment(e: Experiment, w: WeightsSource | null = null): CompiledView {
  const t0 = performance.now();
  const empty = { plan: null, model: null, weights: null, graph: null, other: null, advice: [], schemeText: '' };
  let model: Model;
  try {
    model = experimentModel(e, w);
  } catch (err) {
    return { ...empty, error: message(err), ms: performance.now() - t0 };
  }
  const scheme = toScheme(e.model, e.scheme);
  let text = '';
  try {
    text = printScheme(scheme, model);
    const { plan, graph } = compileWithGraph(model, scheme, { reorder: e.reorder, fusion: e.fusion, split: e.split });
    return {
      plan,
      model,
      weights: weightsView(e, w, model),
      graph,
      other: null,
      error: null,
      advice: fitAdvice(plan, null, e),
      schemeText: text,
      ms: performance.now() - t0,
    };
  } catch (err) {
    return { ...empty, schemeText: text, error: message(err), ms: performance.now() - t0 };
  }
}

/** The fit advice, then why the comparison plan is missing (when its compile failed). */
function advice(plan: TrainingPlan, other: TrainingPlan | null, e: Experiment, comparisonError?: string): string[] {
  const tips = fitAdvice(plan, other, e);
  if (comparisonError === undefined) return tips;
  const flipped = e.reorder ? 'without' : 'with';
  return [
    ...tips,
    `No comparison: the same scheme ${flipped} operator reordering does not compile: ${comparisonError}`,
  ];
}

/** The same compiled plan for an edit that needs no new plan (board, budget, run-time knobs): advice redone. */
export function sameView(view: CompiledView, e: Experiment): CompiledView {
  return view.plan ? { ...view, advice: advice(view.plan, view.other, e, view.comparisonError) } : view;
}

/**
 * Adds the same experiment compiled with reordering flipped (for the comparison), and the advice using it. When
 * that compile fails, `other` stays null and the advice says why (the comparison is not silently left out).
 */
export function withComparison(view: CompiledView, e: Experiment): CompiledView {
  if (!view.plan || !view.model) return view;
  try {
    const other = compileWithGraph(view.model, toScheme(e.model, e.scheme), {
      reorder: !e.reorder,
      fusion: e.fusion,
      split: e.split,
    }).plan;
    return { ...view, other, comparisonError: undefined, advice: advice(view.plan, other, e) };
  } catch (err) {
    const comparisonError = message(err);
    return { ...view, other: null, comparisonError, advice: advice(view.plan, null, e, comparisonError) };
  }
}
