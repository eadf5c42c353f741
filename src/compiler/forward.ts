/**
 * The forward (inference) graph of a model, one walk of its node list (models/nodes.ts): conv / pointwise /
 * depthwise / fc layers, adds, the global average pool, reshapes (views: an fc reads the tensor as it is) and
 * the softmax cross-entropy loss on the classifier's logits. No masks yet (autodiff adds them).
 * Per-layer derived constants (requantization multipliers, QAS gradient scales) are computed once per model
 * layer and cached, so recompiling for another scheme allocates no per-channel arrays; weights, biases and
 * weight scales alias the model's arrays. The model's requantization mode (Model.requant) sets every forward op's
 * tt_quant.requant and the form of its multipliers: float32 m (float modes) or TFLite {M, S} pairs (tflite-fixed),
 * and outside the default mode makes the residual add follow it (TFLite's ADD when fixed) and the pool a tt_mean_s8.
 * 'tflite-xnnpack' is 'float-half-even' for every op but the residual add, which gets XNNPACK's fixed point.
 */
import { convShape, Requant, type Quant, type RequantName } from './kernel-abi';
import { GraphBuilder, type Graph } from './ir/graph';
import { addAvgPool2d, addMaxPool2d, addPad, type Window } from './ir/window-ops';
import { layerKind } from './layer-kinds';
import { layerAt, ModelError, type ConvLayer, type Model } from './models/model';
import { walkNodes, type ModelNode, type NodeOf, type NodeOp, type Window2d } from './models/nodes';
import {
  activationRange,
  addMultipliers,
  avgpoolMultiplier,
  biasGradScale,
  fixedAddMultipliers,
  fixedMeanMultiplier,
  fixedMultipliers,
  onnxMultipliers,
  requantMultipliers,
  weightGradScale,
  xnnpackAddMultipliers,
} from './quant';

/** Cached per-layer constants. */
export interface LayerConsts {
  mult: Float32Array;
  gscaleW: { qas: Float32Array; plain: Float32Array };
  gscaleB: { qas: Float32Array; plain: Float32Array };
}
const cache = new WeakMap<ConvLayer, LayerConsts>();

export function layerConsts(l: ConvLayer): LayerConsts {
  let c = cache.get(l);
  if (!c) {
    c = {
      mult: requantMultipliers(l.input.scale, l.weightScale, l.output.scale),
      gscaleW: { qas: weightGradScale(l.weightScale, true), plain: weightGradScale(l.weightScale, false) },
      gscaleB: {
        qas: biasGradScale(l.weightScale, l.input.scale, true),
        plain: biasGradScale(l.weightScale, l.input.scale, false),
      },
    };
    cache.set(l, c);
  }
  return c;
}

/** The mode a conv-like layer or the mean runs in: XNNPACK requantizes them as ONNX Runtime does. */
const layerMode = (mode: RequantName) => (mode === 'tflite-xnnpack' ? 'float-half-even' : mode);

const tableCache = {
  'tflite-fixed': new WeakMap<ConvLayer, Int32Array>(),
  'float-half-even': new WeakMap<ConvLayer, Float32Array>(),
};

/**
 * The layer's requantization table in a mode (cached): float32 m[c] from double math (the built-ins'), TFLite
 * {M, S} pairs, or float32 m[c] computed in float32 as ONNX Runtime does (half-even).
 */
export function layerMultTable(l: ConvLayer, name: RequantName): Float32Array | Int32Array {
  const mode = layerMode(name);
  if (mode === 'float-half-away') return layerConsts(l).mult;
  const cache = tableCache[mode] as WeakMap<ConvLayer, Float32Array | Int32Array>;
  let t = cache.get(l);
  if (!t) {
    const make = mode === 'tflite-fixed' ? fixedMultipliers : onnxMultipliers;
    cache.set(l, (t = make(l.input.scale, l.weightScale, l.output.scale)));
  }
  return t;
}

export function layerQuant(l: ConvLayer, name: RequantName = 'float-half-away'): Quant {
  const mode = layerMode(name);
  const q = { inZp: l.input.zeroPoint, outZp: l.output.zeroPoint, ...activationRange(l.output, l.relu) };
  return mode === 'float-half-away' ? q : { ...q, requant: Requant[mode] };
}

export function layerConvShape(l: ConvLayer) {
  return convShape({
    inH: l.inH,
    inW: l.inW,
    inC: l.inC,
    outH: l.outH,
    outW: l.outW,
    outC: l.outC,
    kernel: l.kernel,
    stride: l.stride,
    pad: l.pad,
    kernelW: l.kernelW,
    strideW: l.strideW,
    padLeft: l.padLeft,
  });
}

/** Appends one conv-like layer reading tensor x; returns its output tensor. */
function addLayer(b: GraphBuilder, l: ConvLayer, x: number, mode: RequantName): number {
  const shape = layerConvShape(l);
  const param = (suffix: string, t: Omit<Parameters<GraphBuilder['tensor']>[0], 'name' | 'layer'>) =>
    b.tensor({ ...t, name: `${l.name}.${suffix}`, layer: l.index });
  const row = layerKind(l);
  const w = param('weight', { shape: row.weightShape(l), dtype: 'int8', varType: 'weight', data: l.weight });
  const bias = param('bias', { shape: [l.outC], dtype: 'int32', varType: 'bias', data: l.bias });
  const table = layerMultTable(l, mode);
  const dtype = table instanceof Int32Array ? 'int32' : 'float32';
  const mult = param('mult', { shape: [table.length], dtype, varType: 'const', data: table });
  const yShape = row.outShape(l);
  const y = b.tensor({
    name: l.index === -1 ? 'logits' : `${l.name}:out`,
    shape: yShape,
    dtype: 'int8',
    varType: 'activation',
    quant: l.output,
  });
  b.op({
    kind: l.kind,
    name: l.name,
    phase: 'forward',
    inputs: [x, w, bias, mult],
    outputs: [y],
    attrs: { shape, quant: layerQuant(l, mode) },
    layer: l.index,
  });
  return y;
}

/** Appends an add of two earlier tensors (a residual: the block's input plus its last layer's output). */
function addSum(b: GraphBuilder, n: NodeOf<ModelNode, 'add'>, blockIn: number, x: number, mode: RequantName): number {
  const out = n.output;
  const a = b.tensors[blockIn];
  const p = b.tensors[x];
  const { ma, mb } = addMultipliers(a.quant!, p.quant!, out);
  const y = b.tensor({ name: `${n.name}:out`, shape: p.shape, dtype: 'int8', varType: 'activation', quant: out });
  const quant: Quant = { inZp: a.quant!.zeroPoint, outZp: out.zeroPoint, actMin: -128, actMax: 127 };
  // XNNPACK refuses an add whose scale ratios it cannot represent: TFLite runs its own ADD then
  const xnn = mode === 'tflite-xnnpack' ? xnnpackAddMultipliers(a.quant!, p.quant!, out) : null;
  const addMode = mode === 'tflite-xnnpack' && !xnn ? 'tflite-fixed' : mode;
  if (addMode !== 'float-half-away') quant.requant = Requant[addMode];
  const fixed = xnn ?? (addMode === 'tflite-fixed' ? fixedAddMultipliers(a.quant!, p.quant!, out) : undefined);
  b.op({
    kind: 'add',
    name: n.name,
    phase: 'forward',
    inputs: [blockIn, x],
    outputs: [y],
    attrs: { quant, bZp: p.quant!.zeroPoint, ma, mb, ...(fixed && { fixed }) },
  });
  return y;
}

/** Appends the global average pool reading x ([h, w, c]); returns the pooled vector. */
function addPool(b: GraphBuilder, n: NodeOf<ModelNode, 'mean'>, x: number, name: RequantName): number {
  const mode = layerMode(name);
  const t = b.tensors[x];
  if (t.shape.length !== 3)
    throw new ModelError(`${n.name}: a global pool reads [h, w, c], got [${t.shape.join(', ')}]`);
  const [h, w, c] = t.shape;
  const input = t.quant!;
  const out = n.output;
  const pooled = b.tensor({ name: `${n.name}:out`, shape: [c], dtype: 'int8', varType: 'activation', quant: out });
  const m0 = avgpoolMultiplier(input, out, h, w);
  const [inZp, outZp] = [input.zeroPoint, out.zeroPoint];
  const mean =
    mode === 'float-half-away'
      ? undefined
      : {
          quant: { inZp, outZp, actMin: -128, actMax: 127, requant: Requant[mode] },
          table: mode === 'tflite-fixed' ? fixedMeanMultiplier(input, out) : Float32Array.of(m0),
        };
  b.op({
    kind: 'avgpool',
    name: n.name,
    phase: 'forward',
    inputs: [x],
    outputs: [pooled],
    attrs: { h, w, c, inZp, outZp, m: m0, ...(mean && { mean }) },
  });
  return pooled;
}

/** A node's window as the window-op builders take it. */
const windowOf = (w: Window2d): Window => ({ kernel: w.kernel, stride: w.stride, padding: w.pad });

/** Node ops the graph cannot build (the importer refuses models using them, naming the op): none since the
 * windowed pools and explicit padding have kernels. A new node op without kernels goes here first. */
export const NODES_WITHOUT_KERNELS: ReadonlySet<NodeOp> = new Set<NodeOp>();

/** The forward graph of a model (inference form). */
export function buildForwardGraph(m: Model): Graph {
  const b = new GraphBuilder();
  const input = b.tensor({
    name: 'input',
    shape: [...m.inputShape],
    dtype: 'int8',
    varType: 'input',
    quant: m.input,
  });
  const label = b.tensor({ name: 'label', shape: [1], dtype: 'int32', varType: 'label' });
  const mode = m.requant ?? 'float-half-away';
  if (!(mode in Requant))
    throw new Error(`unknown requantization mode "${mode}"; known: ${Object.keys(Requant).join(', ')}`);
  const logits = walkNodes(m.nodes, input, {
    layer: (n, [x]) => addLayer(b, layerAt(m, n.conv), x, mode),
    add: (n, [a, x]) => addSum(b, n, a, x, mode),
    mean: (n, [x]) => addPool(b, n, x, mode),
    reshape: (_n, [x]) => x,
    avgpool: (n, [x]) => addAvgPool2d(b, x, { name: n.name, window: windowOf(n.window), output: n.output }),
    maxpool: (n, [x]) => addMaxPool2d(b, x, { name: n.name, window: windowOf(n.window) }),
    pad: (n, [x]) => addPad(b, x, { name: n.name, padding: n.pad }),
  });
  const loss = b.tensor({ name: 'loss', shape: [1], dtype: 'float32', varType: 'loss' });
  const lq = m.classifier.output;
  b.op({
    kind: 'softmax_xent',
    name: 'loss',
    phase: 'forward',
    inputs: [logits, label],
    outputs: [loss],
    attrs: { n: m.classes, zp: lq.zeroPoint, scale: Math.fround(lq.scale) },
  });
  return b.build({ input, label, logits, loss });
}
