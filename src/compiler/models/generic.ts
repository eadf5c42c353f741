/**
 * A model from its parts: an input shape, a node list (nodes.ts) and the conv-like layers the layer nodes point
 * at. This is how a v2 model file of an imported model and the importer's mapping (import/to-model.ts) become
 * the same Model the built-ins are: shapes are inferred along the nodes and checked, each layer's input
 * quantization is its producer's output, and the classifier (the last node, an fc) is freshly initialized when
 * the class count asked for differs from the file's (transfer learning: init.ts initClassifier, the built-ins'
 * fresh classifier, logit range included).
 */
import { LAYER_KIND_TABLE } from '../layer-kinds';
import type { ModelFile, ModelFileLayer } from '../model-file';
import type { QParams } from '../quant';
import { layerMacs, type LayerShape } from './arch';
import { initClassifier } from './init';
import { ModelError, type ConvLayer, type Model, type RequantMode } from './model';
import { INPUT, nodeShapes, TopologyError, type ModelNode } from './nodes';

/** One conv-like layer as a file or an importer gives it: geometry, weights and output quantization. */
export type LayerSpec = Omit<ModelFileLayer, 'name'> & { name: string };

export interface ModelParts {
  name: string;
  inputShape: [number, number, number];
  input: QParams;
  /** Layers by conv index, the classifier last. */
  layers: LayerSpec[];
  nodes: ModelNode[];
  requant: RequantMode;
  source: Model['source'];
  seed: number;
}

const elements = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** A layer's full shape from its spec and the shape it reads; throws naming the layer when they disagree. */
function layerShape(spec: LayerSpec, inShape: readonly number[], block: number): LayerShape {
  const { name, kind, inC, outC, kernel: k, stride: s, relu } = spec;
  const base = { name, kind, block, inC, outC, kernel: k, stride: s, relu };
  if (kind === 'fc') {
    if (elements(inShape) !== inC)
      throw new ModelError(`${name}: an fc with ${inC} inputs reads [${inShape.join(', ')}]`);
    return { ...base, pad: 0, inH: 1, inW: 1, outH: 1, outW: 1 };
  }
  if (inShape.length !== 3 || inShape[2] !== inC)
    throw new ModelError(`${name}: a ${kind} layer with ${inC} input channels reads [${inShape.join(', ')}]`);
  const [inH, inW] = inShape;
  const pad = spec.pad ?? Math.floor(k / 2);
  const kw = spec.kernelW ?? k;
  const sw = spec.strideW ?? s;
  const padLeft = spec.padLeft ?? (spec.kernelW === undefined ? pad : Math.floor(kw / 2));
  const outH = spec.outH ?? Math.ceil(inH / s);
  const outW = spec.outW ?? Math.ceil(inW / sw);
  // padding below / right the kernels add implicitly (taps outside the input read the zero point)
  for (const [o, i, kk, ss, p] of [
    [outH, inH, k, s, pad],
    [outW, inW, kw, sw, padLeft],
  ]) {
    const after = (o - 1) * ss + kk - p - i;
    if (o < 1 || after >= kk || (o - 1) * ss - p > i - 1)
      throw new ModelError(
        `${name}: output ${outH}x${outW} does not fit input ${inH}x${inW} (k ${k}x${kw}, s ${s}x${sw}, pad ${pad},${padLeft})`,
      );
  }
  const square = kw === k && sw === s && padLeft === pad;
  const width = square ? {} : { kernelW: kw, strideW: sw, padLeft };
  return { ...base, pad, inH, inW, outH, outW, ...width };
}

/** The quantization of node r's output (reshape passes its input's through). */
function outputOf(nodes: readonly ModelNode[], layers: readonly { output: QParams }[], input: QParams, r: number) {
  for (;;) {
    if (r === INPUT) return input;
    const n = nodes[r];
    if (n.op === 'reshape') r = n.inputs[0];
    else if (n.op === 'layer') return layers[n.conv < 0 ? layers.length - 1 : n.conv].output;
    else return n.output;
  }
}

/** Assembles a Model from its parts; a fresh classifier (seeded) has `classes` outputs, else the given one's. */
export function assembleModel(p: ModelParts, classes: number, freshClassifier: boolean): Model {
  const count = p.layers.length;
  const specOf = (conv: number) => p.layers[conv < 0 ? count - 1 : conv];
  const last = p.nodes[p.nodes.length - 1];
  if (!freshClassifier && specOf(-1).outC !== classes)
    throw new ModelError(`${p.name}: the classifier has ${specOf(-1).outC} outputs, not ${classes}`);
  if (last?.op !== 'layer' || last.conv !== -1 || specOf(-1).kind !== 'fc')
    throw new ModelError(`${p.name}: the last node must be the fc classifier`);
  const shapes = new Map<number, LayerShape>();
  try {
    nodeShapes(p.nodes, p.inputShape, (conv, inShape) => {
      const node = p.nodes.find((n) => n.op === 'layer' && n.conv === conv)!;
      const spec = conv === -1 ? { ...specOf(-1), outC: classes } : specOf(conv);
      const l = layerShape(spec, inShape, node.block);
      shapes.set(conv, l);
      return LAYER_KIND_TABLE[l.kind].outShape(l);
    });
  } catch (e) {
    if (e instanceof TopologyError) throw new ModelError(`${p.name}: ${e.message}`);
    throw e;
  }
  const convs: ConvLayer[] = [];
  let classifier: ConvLayer | null = null;
  for (const n of p.nodes) {
    if (n.op !== 'layer') continue;
    const fresh = n.conv === -1 && freshClassifier;
    // a fresh classifier is linear, as the built-ins' are
    const l = fresh ? { ...shapes.get(n.conv)!, relu: false } : shapes.get(n.conv)!;
    const spec = specOf(n.conv);
    const input = outputOf(p.nodes, p.layers, p.input, n.inputs[0]);
    const init = fresh ? initClassifier(l, input, p.seed) : null;
    const w = init ?? spec;
    const layer: ConvLayer = {
      ...l,
      index: n.conv,
      input,
      weight: w.weight,
      bias: w.bias,
      weightScale: w.weightScale,
      output: w.output,
      macs: layerMacs(l),
    };
    if (n.conv === -1) classifier = layer;
    else convs[n.conv] = layer;
  }
  return {
    name: p.name,
    resolution: p.inputShape[0],
    inChannels: p.inputShape[2],
    inputShape: p.inputShape,
    classes,
    input: p.input,
    convs,
    classifier: classifier!,
    nodes: p.nodes,
    forwardMacs: convs.reduce((s, c) => s + c.macs, 0) + classifier!.macs,
    source: p.source,
    seed: p.seed,
    requant: p.requant,
  };
}

/** The model of a v2 file (any topology); `o.classes` other than the file's gives a fresh classifier. */
export function modelFromFile(file: ModelFile, o: { model: string; classes: number; seed?: number }): Model {
  if (!file.nodes || !file.inputShape) throw new ModelError(`model file for "${file.model}" has no node list`);
  if (file.model !== o.model) throw new ModelError(`model file is for "${file.model}", not "${o.model}"`);
  if (!Number.isInteger(o.classes) || o.classes < 1 || o.classes > 1000)
    throw new ModelError(`classes must be an integer from 1 to 1000, got ${o.classes}`);
  const parts: ModelParts = {
    name: file.model,
    inputShape: file.inputShape,
    input: file.input,
    layers: file.layers,
    nodes: file.nodes,
    requant: file.requant ?? 'float-half-away',
    source: 'pretrained',
    seed: o.seed ?? 1,
  };
  return assembleModel(parts, o.classes, file.classes !== o.classes);
}
