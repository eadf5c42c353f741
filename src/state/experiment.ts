/**
 * The experiment: everything a shared URL restores (model, resolution, classes, board and budget, sparse-update
 * scheme, hyper-parameters, seed). One declared table of fields, TensorFlow Playground style; the URL codec
 * (url.ts) reads and writes exactly this table.
 */
import { MODEL_NAMES } from '../compiler/models/arch';
import type { ModelName } from '../compiler/models/arch';
import { RATIOS } from '../compiler/scheme/scheme';
import type { Ratio } from '../compiler/scheme/scheme';
import { BOARD_IDS } from '../compiler/boards';
import type { BoardId } from '../compiler/boards';
import { boolField, enumField, floatField, intField, patternField } from './fields';
import type { Field } from './fields';

/** Backbones the compiler knows (the paper's three and a small demo CNN). */
export const BACKBONES = MODEL_NAMES;
export type Backbone = ModelName;
/** What the experiment trains: a built-in backbone or the .tflite / .onnx file opened on the page (imported.ts). */
export type ModelChoice = Backbone | 'imported';
export const MODEL_CHOICES: readonly ModelChoice[] = [...MODEL_NAMES, 'imported'];

/** Weight update ratios a scheme may use (fraction of input channels; for depthwise, of channels). */
export { RATIOS };
export type { Ratio };

export const ROUNDINGS = ['truncate', 'nearest', 'stochastic'] as const;
export type RoundingChoice = (typeof ROUNDINGS)[number];

/**
 * How the page made an imported int8 model from a float32 ONNX file (quantize-page.ts): calibrated on the last
 * `count` training images of the page's data set, pixels given in `range`. The same file, count and range give
 * the same int8 bytes, so a link that names those bytes by hash can be reproduced from the float file.
 */
export interface Quantization {
  count: number;
  range: [number, number];
}

/** What one conv layer updates: its bias or not, and what fraction of its weight. */
export interface LayerUpdate {
  bias: boolean;
  ratio: Ratio;
}

export interface Experiment {
  /** a built-in backbone, or 'imported' (the opened .tflite / .onnx file; modelFile names it) */
  model: ModelChoice;
  /** input height = width, pixels */
  resolution: number;
  classes: number;
  board: BoardId;
  /** SRAM budget, KB (the paper's headline is 256 KB) */
  budgetKb: number;
  /** name of the scheme preset the scheme started from, or 'custom' */
  preset: string;
  /** one entry per conv in forward order (the classifier is always updated and not listed) */
  scheme: LayerUpdate[];
  /** operator reordering: apply each gradient right after it is computed */
  reorder: boolean;
  /** run frozen blocks band by band (fused) so their expanded tensors never exist whole */
  fusion: boolean;
  /** store a partially updated weight split: its updated head in SRAM, the frozen rest in flash */
  split: boolean;
  lr: number;
  rounding: RoundingChoice;
  qas: boolean;
  seed: number;
  /**
   * The first 16 hex digits of the SHA-256 of the model file the weights come from when the user opened one
   * ('' for the architecture's pretrained backbone). A link never carries weights: it names the file to open.
   */
  modelFile: string;
  /** How the imported model was quantized on the page from its float32 file; null: it was not (or a backbone). */
  quantization: Quantization | null;
}

/** A scheme in the URL: one digit per conv, 2 * ratio index + bias bit (so 0..9). */
function schemeField(key: string): Field<LayerUpdate[]> {
  return {
    key,
    default: [],
    encode: (s) => s.map((u) => String(RATIOS.indexOf(u.ratio) * 2 + (u.bias ? 1 : 0))).join(''),
    decode: (str) =>
      /^[0-9]{0,256}$/.test(str)
        ? [...str].map((ch) => ({ bias: Number(ch) % 2 === 1, ratio: RATIOS[Math.floor(Number(ch) / 2)] }))
        : undefined,
    accepts: 'one digit 0-9 per conv layer',
  };
}

/** The quantize step's input range bound (ui/QuantizeStep.tsx takes LO and HI within ±1000). */
const RANGE_BOUND = 1000;
const rangeEnd = floatField('', -RANGE_BOUND, RANGE_BOUND, 0);
const calibrationCount = intField('', 1, 1_000_000, 1);

/** A quantization in the URL: '' (none) or N,LO,HI, e.g. "120,-1,1" (the CLI's --calibration and --input-range). */
function quantizationField(key: string): Field<Quantization | null> {
  return {
    key,
    default: null,
    encode: (q) => (q ? `${q.count},${q.range[0]},${q.range[1]}` : ''),
    decode: (str) => {
      if (str === '') return null;
      const parts = str.split(',');
      if (parts.length !== 3) return undefined;
      const [count, lo, hi] = [calibrationCount.decode(parts[0]), rangeEnd.decode(parts[1]), rangeEnd.decode(parts[2])];
      if (count === undefined || lo === undefined || hi === undefined || !(lo < hi)) return undefined;
      return { count, range: [lo, hi] };
    },
    accepts: `empty, or N,LO,HI: N calibration images in [1, 1000000], an input range LO < HI within ±${RANGE_BOUND}`,
  };
}

/** The declared table: every experiment field, its URL key, range and default. */
export const EXPERIMENT_FIELDS: { [K in keyof Experiment]: Field<Experiment[K]> } = {
  model: enumField('m', MODEL_CHOICES, 'mcunet-5fps'),
  resolution: intField('r', 16, 224, 128, 16),
  classes: intField('c', 2, 1000, 10),
  board: enumField('b', BOARD_IDS, 'stm32f746'),
  budgetKb: intField('kb', 16, 8192, 256),
  preset: patternField('p', /^[a-z][a-z0-9.:-]{0,31}$/, 'custom', 'a preset name'),
  scheme: schemeField('s'),
  reorder: boolField('o', true),
  fusion: boolField('f', true),
  split: boolField('sp', true),
  lr: floatField('lr', 1e-6, 10, 0.01),
  rounding: enumField('rd', ROUNDINGS, 'nearest'),
  qas: boolField('q', true),
  seed: intField('seed', 0, 2 ** 31 - 1, 1),
  modelFile: patternField('w', /^([0-9a-f]{16})?$/, '', "16 hex digits of a model file's SHA-256"),
  quantization: { ...quantizationField('qz'), since: 2 },
};

export const EXPERIMENT_KEYS = Object.keys(EXPERIMENT_FIELDS) as (keyof Experiment)[];

export function defaultFieldValues(): Experiment {
  const out = {} as Record<keyof Experiment, unknown>;
  for (const k of EXPERIMENT_KEYS) out[k] = structuredClone(EXPERIMENT_FIELDS[k].default);
  return out as Experiment;
}
