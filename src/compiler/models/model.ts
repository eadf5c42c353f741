/**
 * buildModel: an architecture at a resolution, with int8 weights and quantization parameters attached, either
 * from a pretrained model file (model-file.ts) or from the deterministic random initializer (init.ts).
 * Conv indices (conv 0 .. count-1, forward order, classifier not counted, PAPER-FACTS section 3) are the
 * indices schemes and the UI's per-layer table use. When `classes` differs from the file's, the classifier is
 * freshly initialized for the new classes (transfer learning); every other layer keeps its pretrained values.
 */
import {
  ARCHS,
  MODEL_NAMES,
  archShapes,
  blockLayers,
  layerMacs,
  type BlockShape,
  type LayerShape,
  type ModelName,
} from './arch';
import { DEFAULT_INPUT, DEFAULT_INPUT_M2, initAdd, initClassifier, initLayer } from './init';
import type { ModelFile, ModelFileLayer } from '../model-file';
import type { QParams } from '../quant';
import { modelFromFile } from './generic';
import type { ModelNode } from './nodes';

/**
 * How requantization rounds (the arithmetic the plan follows): the built-ins' float multiply with ties away
 * from zero, TFLite's int32 fixed-point multiplier and shift, or a float multiply with ties to even (ONNX
 * Runtime, PyTorch), or what TFLite's XNNPACK delegate computes (ties to even, its own fixed-point add). The
 * compiler passes it on to the plan (kernel-abi.ts Requant) and every forward kernel follows it.
 */
export type RequantMode = 'float-half-away' | 'tflite-fixed' | 'float-half-even' | 'tflite-xnnpack';
export const REQUANT_MODES: readonly RequantMode[] = [
  'float-half-away',
  'tflite-fixed',
  'float-half-even',
  'tflite-xnnpack',
];

export interface ConvLayer extends LayerShape {
  /** Conv index in forward order; -1 for the classifier. */
  index: number;
  /** Quantization of the layer's input tensor (the producer's output). */
  input: QParams;
  output: QParams;
  /** int8 weights, layout of tt_kernels.h (conv [o][k][k][i], pointwise / fc [o][i], depthwise [k][k][c]). */
  weight: Int8Array;
  /** int32 biases in units s_W[c] * s_x. */
  bias: Int32Array;
  /** s_W[c], float32 per output channel. */
  weightScale: Float32Array;
  macs: number;
}

interface Block extends BlockShape {
  /** Quantization of the residual sum (null without a residual). */
  addOutput: QParams | null;
}

export interface Model {
  /** A built-in backbone's name (ARCHS) or an imported model's. */
  name: string;
  /** Input height (the built-ins' inputs are square: resolution x resolution). */
  resolution: number;
  inChannels: number;
  /** Input [h, w, c] (a vector input [n] is [1, 1, n]). */
  inputShape: [number, number, number];
  classes: number;
  input: QParams;
  /** Conv-like layers by conv index (forward order, the classifier not counted). */
  convs: ConvLayer[];
  /** The fc layer whose outputs are the logits (conv index -1): the last node. */
  classifier: ConvLayer;
  /** The topology: every node in forward order, the classifier last. */
  nodes: ModelNode[];
  forwardMacs: number;
  source: 'random' | 'pretrained' | 'imported';
  seed: number;
  requant: RequantMode;
}

export interface BuildModelOptions {
  model: string;
  resolution?: number;
  classes: number;
  inChannels?: number;
  /** A parsed model file; its layers must match the architecture. */
  pretrained?: ModelFile;
  /** Seed of the random initializer (default 1). */
  seed?: number;
}

export class ModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelError';
  }
}

/** The input resolutions a backbone accepts (pixels, height = width): the compiler's check and the UI's list. */
export function resolutionRange(name: ModelName): { min: number; max: number } {
  return { min: name === 'tiny-cnn' ? 8 : 32, max: 224 };
}

function checkOptions(o: BuildModelOptions): { name: ModelName; resolution: number; inChannels: number } {
  if (!(MODEL_NAMES as string[]).includes(o.model))
    throw new ModelError(`unknown model "${o.model}"; available: ${MODEL_NAMES.join(', ')}`);
  const name = o.model as ModelName;
  const resolution = o.resolution ?? ARCHS[name].defaultResolution;
  const { min, max } = resolutionRange(name);
  if (!Number.isInteger(resolution) || resolution < min || resolution > max)
    throw new ModelError(`resolution must be an integer from ${min} to ${max}, got ${o.resolution}`);
  if (!Number.isInteger(o.classes) || o.classes < 2 || o.classes > 1000)
    throw new ModelError(`classes must be an integer from 2 to 1000, got ${o.classes}`);
  const inChannels = o.inChannels ?? o.pretrained?.inChannels ?? 3;
  if (!Number.isInteger(inChannels) || inChannels < 1 || inChannels > 16)
    throw new ModelError(`inChannels must be an integer from 1 to 16, got ${inChannels}`);
  return { name, resolution, inChannels };
}

function checkLayer(f: ModelFileLayer, l: LayerShape, i: number): void {
  const want = `${l.name} ${l.kind} ${l.inC}->${l.outC} k${l.kernel} s${l.stride}`;
  const got = `${f.name} ${f.kind} ${f.inC}->${f.outC} k${f.kernel} s${f.stride}`;
  if (want !== got) throw new ModelError(`model file layers[${i}]: expected ${want}, the file has ${got}`);
}

/** Attaches weights to every layer shape; `from(i, l, input)` supplies layer i's values. */
function attach(
  shapes: ReturnType<typeof archShapes>,
  input: QParams,
  from: (
    i: number,
    l: LayerShape,
    input: QParams,
    m2: number,
  ) => { layer: Omit<ConvLayer, keyof LayerShape | 'index' | 'input' | 'macs'>; m2: number },
  addFrom: (b: number, m2a: number, m2b: number) => { output: QParams; m2: number },
) {
  const convs: ConvLayer[] = [];
  const blocks: Block[] = [];
  let q = input;
  let m2 = DEFAULT_INPUT_M2;
  const push = (l: LayerShape) => {
    const r = from(convs.length, l, q, m2);
    const c: ConvLayer = { ...l, ...r.layer, index: convs.length, input: q, macs: layerMacs(l) };
    convs.push(c);
    q = c.output;
    m2 = r.m2;
  };
  push(shapes.convs[0]);
  for (const b of shapes.blocks) {
    const m2In = m2;
    for (const i of blockLayers(b)) push(shapes.convs[i]);
    let addOutput: QParams | null = null;
    if (b.residual) {
      const a = addFrom(b.index, m2In, m2);
      addOutput = a.output;
      q = a.output;
      m2 = a.m2;
    }
    blocks.push({ ...b, addOutput });
  }
  return { convs, blocks, poolIn: q, m2 };
}

/** Builds a model: shapes at the resolution, weights from the file or the seeded initializer. */
export function buildModel(o: BuildModelOptions): Model {
  if (o.pretrained?.nodes && !(MODEL_NAMES as string[]).includes(o.model)) return modelFromFile(o.pretrained, o);
  const { name, resolution, inChannels } = checkOptions(o);
  const seed = o.seed ?? 1;
  const shapes = archShapes(ARCHS[name], resolution, inChannels, o.classes);
  const file = o.pretrained;
  if (file) {
    if (file.model !== name) throw new ModelError(`model file is for "${file.model}", not "${name}"`);
    if (file.inChannels !== inChannels)
      throw new ModelError(`model file has ${file.inChannels} input channels, not ${inChannels}`);
    if (file.layers.length !== shapes.convs.length + 1)
      throw new ModelError(
        `model file has ${file.layers.length} layers; ${name} has ${shapes.convs.length} convs + the classifier`,
      );
    shapes.convs.forEach((l, i) => checkLayer(file.layers[i], l, i));
  }
  const input = file?.input ?? DEFAULT_INPUT;
  const fromFile = (i: number, _l: LayerShape, _q: QParams, m2: number) => {
    const f = file!.layers[i];
    return {
      layer: { weight: f.weight, bias: f.bias, weightScale: f.weightScale, output: f.output, relu: f.relu },
      m2,
    };
  };
  const fromInit = (_i: number, l: LayerShape, q: QParams, m2: number) => {
    const r = initLayer(l, q, m2, seed);
    return { layer: { weight: r.weight, bias: r.bias, weightScale: r.weightScale, output: r.output }, m2: r.m2 };
  };
  const addFrom = (b: number, m2a: number, m2b: number) => {
    if (!file) return initAdd(m2a, m2b);
    const r = fileResiduals(file).find((x) => x.block === b);
    if (!r) throw new ModelError(`model file: residual block ${b} (blocks.${b}) has no "residuals" entry`);
    return { output: r.output, m2: m2a + m2b };
  };
  const { convs, blocks, poolIn, m2 } = attach(shapes, input, file ? fromFile : fromInit, addFrom);
  const poolOut = (file && filePool(file)) ?? poolIn;
  const cls = shapes.classifier;
  const clsFile = file && file.classes === o.classes ? file.layers[file.layers.length - 1] : null;
  if (clsFile) checkLayer(clsFile, cls, file!.layers.length - 1);
  // on a pretrained backbone: the transfer-learning classifier every model shares; random: one more layer
  const clsInit = clsFile ? null : file ? initClassifier(cls, poolOut, seed) : initLayer(cls, poolOut, m2, seed);
  const classifier: ConvLayer = {
    ...cls,
    index: -1,
    input: poolOut,
    macs: layerMacs(cls),
    relu: false,
    weight: clsFile?.weight ?? clsInit!.weight,
    bias: clsFile?.bias ?? clsInit!.bias,
    weightScale: clsFile?.weightScale ?? clsInit!.weightScale,
    output: clsFile?.output ?? clsInit!.output,
  };
  const nodes = shapes.nodes.map((n): ModelNode => {
    if (n.op === 'add') return { ...n, output: blocks[n.block].addOutput! };
    return n.op === 'mean' ? { ...n, output: poolOut } : (n as ModelNode);
  });
  if (file?.nodes) checkFileNodes(file.nodes, nodes);
  return {
    name,
    resolution,
    inChannels,
    inputShape: [resolution, resolution, inChannels],
    classes: o.classes,
    input,
    convs,
    classifier,
    nodes,
    forwardMacs: convs.reduce((s, c) => s + c.macs, 0) + classifier.macs,
    source: file ? 'pretrained' : 'random',
    seed,
    requant: 'float-half-away',
  };
}

/** A v2 file of a built-in: its nodes must be the architecture's (same ops, names and wiring). */
function checkFileNodes(fileNodes: readonly ModelNode[], nodes: readonly ModelNode[]): void {
  const sig = (n: ModelNode) => `${n.op} ${n.name} <- ${n.inputs.join(',')}`;
  const bad = nodes.findIndex((n, i) => !fileNodes[i] || sig(fileNodes[i]) !== sig(n));
  if (bad >= 0 || fileNodes.length !== nodes.length) {
    const i = bad >= 0 ? bad : nodes.length;
    const got = fileNodes[i] ? sig(fileNodes[i]) : 'nothing';
    throw new ModelError(
      `model file nodes[${i}]: expected ${nodes[i] ? sig(nodes[i]) : 'no node'}, the file has ${got}`,
    );
  }
}

/** The residual sums' quantization of a built-in's file: v1 `residuals`, v2 its add nodes (`blocks.<b>.add`). */
function fileResiduals(file: ModelFile): { block: number; output: QParams }[] {
  if (!file.nodes) return file.residuals;
  return file.nodes.flatMap((n) => (n.op === 'add' ? [{ block: n.block, output: n.output }] : []));
}

/** The global pool's output quantization of a built-in's file (v1 `pool`, v2 its mean node). */
function filePool(file: ModelFile): QParams | undefined {
  if (!file.nodes) return file.pool?.output;
  const mean = file.nodes.find((n) => n.op === 'mean');
  return mean?.op === 'mean' ? mean.output : undefined;
}

/** The quantization of node r's output (INPUT: the model input; a reshape passes its input's through). */
export function nodeOutput(m: Pick<Model, 'name' | 'nodes' | 'input' | 'convs' | 'classifier'>, r: number): QParams {
  for (;;) {
    if (r < 0) return m.input;
    const n = m.nodes[r];
    if (n.op === 'reshape') r = n.inputs[0];
    else if (n.op === 'layer') return layerAt(m, n.conv).output;
    else return n.output;
  }
}

/** The layer with conv index `index` (-1: the classifier). */
export function layerAt(m: Pick<Model, 'name' | 'convs' | 'classifier'>, index: number): ConvLayer {
  const l = index === -1 ? m.classifier : m.convs[index];
  if (!l) throw new Error(`${m.name} has no layer with conv index ${index}`);
  return l;
}

/** The model as a (version 2) model file, for tests and for saving a trained model. Shares the model's arrays. */
export function modelToFile(m: Model, meta: Record<string, unknown> = {}): ModelFile {
  const layer = (c: ConvLayer): ModelFileLayer => ({
    name: c.name,
    kind: c.kind,
    inC: c.inC,
    outC: c.outC,
    kernel: c.kernel,
    stride: c.stride,
    weight: c.weight,
    bias: c.bias,
    weightScale: c.weightScale,
    output: c.output,
    relu: c.relu,
    ...(c.kind === 'fc' ? {} : { pad: c.pad, outH: c.outH, outW: c.outW }),
    ...(c.kernelW === undefined ? {} : { kernelW: c.kernelW, strideW: c.strideW, padLeft: c.padLeft }),
  });
  return {
    model: m.name,
    resolution: m.resolution,
    inChannels: m.inChannels,
    inputShape: m.inputShape,
    requant: m.requant,
    classes: m.classes,
    input: m.input,
    layers: [...m.convs.map(layer), layer(m.classifier)],
    residuals: [],
    nodes: m.nodes,
    meta,
  };
}
