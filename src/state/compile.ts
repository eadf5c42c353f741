/**
 * The one place the page calls the compiler: model facts for the editor, presets, and compiling the
 * experiment into the plan the panels draw (plus the same scheme with reordering flipped, for comparison).
 */
import { ARCHS, archShapes } from '../compiler/models/arch';
import type { BlockShape, LayerShape } from '../compiler/models/arch';
import type { TrainingPlan } from '../compiler/plan';
import { paperBudgets } from '../compiler/scheme/paper';
import { emptyScheme, parseScheme, printScheme, updatedChannels } from '../compiler/scheme/scheme';
import type { Scheme, SchemeTarget } from '../compiler/scheme/scheme';
import type { Backbone, Experiment, LayerUpdate } from './experiment';

export interface Preset {
  id: string;
  label: string;
  description: string;
}

export interface ModelInfo {
  name: Backbone;
  description: string;
  convCount: number;
  convs: LayerShape[];
  blocks: BlockShape[];
  presets: Preset[];
  defaultPreset: string;
}

export interface CompiledView {
  plan: TrainingPlan | null;
  /** the same experiment with reordering flipped */
  other: TrainingPlan | null;
  /** why the experiment cannot be compiled, in the compiler's words */
  error: string | null;
  /** hints about fitting (what to change when the plan does not fit) */
  advice: string[];
  /** canonical text of the scheme (the CLI's --scheme) */
  schemeText: string;
  ms: number;
}

const infoCache = new Map<Backbone, ModelInfo>();

function target(info: ModelInfo): SchemeTarget {
  return { name: info.name, convs: info.convs };
}

export function describeModel(model: Backbone): ModelInfo {
  const hit = infoCache.get(model);
  if (hit) return hit;
  const arch = ARCHS[model];
  const { convs, blocks } = archShapes(arch, arch.defaultResolution, 3, 10);
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
    blocks,
    presets,
    defaultPreset: budgets.length ? `paper:${budgets[budgets.length - 1]}` : 'last:4',
  };
  infoCache.set(model, info);
  return info;
}

export function toScheme(model: Backbone, updates: readonly LayerUpdate[]): Scheme {
  return { model, bias: updates.map((u) => u.bias), weight: updates.map((u) => u.ratio) };
}

export function presetScheme(model: Backbone, id: string): LayerUpdate[] {
  const info = describeModel(model);
  let s: Scheme;
  try {
    s = parseScheme(id, target(info));
  } catch {
    s = emptyScheme(target(info));
  }
  return s.bias.map((bias, i) => ({ bias, ratio: s.weight[i] }));
}

/** Why a weight ratio is impossible for conv `index` (a whole number of channels is needed), or null. */
export function ratioProblem(model: Backbone, index: number, ratio: number): string | null {
  const conv = describeModel(model).convs[index];
  if (!conv || ratio === 0) return null;
  const k = updatedChannels(conv, ratio);
  if (Number.isInteger(k)) return null;
  const n = conv.kind === 'depthwise' ? conv.outC : conv.inC;
  return `${ratio} of ${n} ${conv.kind === 'depthwise' ? 'channels' : 'input channels'} is not a whole number of channels`;
}

export function schemeText(e: Experiment): string {
  const info = describeModel(e.model);
  return printScheme(toScheme(e.model, e.scheme), target(info));
}

export function compileExperiment(e: Experiment): CompiledView {
  const t0 = performance.now();
  return {
    plan: null,
    other: null,
    error: 'the compiler is not available yet',
    advice: [],
    schemeText: schemeText(e),
    ms: performance.now() - t0,
  };
}
