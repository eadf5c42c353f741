/**
 * Pretrained model files: `<name>.json` (manifest) + `<name>.bin` (little-endian blob). The manifest lists one
 * entry per conv in forward order and the classifier last; tensor data are (offset in bytes, length in elements)
 * ranges of the blob: weights int8 (layout of tt_kernels.h: conv [o][k][k][i], pointwise / fc [o][i],
 * depthwise [k][k][c]), biases int32 (units s_W[c] * s_x), weight scales float32 per output channel.
 *
 *   {"format":"tinytrain-model","version":1,"model":"mcunet-5fps","resolution":128,"inChannels":3,"classes":10,
 *    "input":{"scale":s,"zeroPoint":z},
 *    "layers":[{"name":"blocks.3.pw1","kind":"pointwise","inC":16,"outC":48,"kernel":1,"stride":1,
 *               "weight":{"offset":0,"length":768},"bias":{...},"weightScale":{...},
 *               "output":{"scale":s,"zeroPoint":z},"relu":true}, ...],
 *    "residuals":[{"block":2,"output":{"scale":s,"zeroPoint":z}}],
 *    "pool":{"output":{"scale":s,"zeroPoint":z}}, "meta":{...free-form...}}
 *
 * Version 2 carries the model's topology itself (any model, built-in or imported): "nodes" (models/nodes.ts,
 * parsed by model-file-nodes.ts) replaces "residuals" and "pool", "inputShape" [h, w, c] may be non-square,
 * "requant" names the rounding, layers may be fc anywhere (the classifier is the last) and carry their
 * "pad" (top / left) and output size "outH" / "outW". Files without nodes are still written as version 1.
 *
 * parseModelFile validates everything that can be checked without the architecture (types, ranges, lengths
 * implied by the layer shape, blob bounds) and throws ModelFileError naming the offending field; buildModel
 * checks the layers against the backbone (v2: against the nodes).
 */
import type { QParams } from './quant';
import { jsonFields, type Json } from './json-fields';
import { parseNodes } from './model-file-nodes';
import type { ModelNode } from './models/nodes';
import { REQUANT_MODES as REQUANT, type RequantMode } from './models/model';

export type LayerKind = 'conv' | 'pointwise' | 'depthwise' | 'fc';
export const LAYER_KINDS: readonly LayerKind[] = ['conv', 'pointwise', 'depthwise', 'fc'];

export interface ModelFileLayer {
  name: string;
  kind: LayerKind;
  inC: number;
  outC: number;
  kernel: number;
  stride: number;
  weight: Int8Array;
  bias: Int32Array;
  weightScale: Float32Array;
  output: QParams;
  /** ReLU-like clamp at the output zero point (act_min = zeroPoint). */
  relu: boolean;
  /** v2: zero padding at the top and left (default kernel // 2) and the output size (default ceil(in / stride)). */
  pad?: number;
  outH?: number;
  outW?: number;
  /** v2, general conv only: a rectangular kernel's width, the horizontal stride and the left padding (default
   * kernel, stride and pad: a square layer). */
  kernelW?: number;
  strideW?: number;
  padLeft?: number;
}

export interface ModelFile {
  model: string;
  resolution: number;
  inChannels: number;
  classes: number;
  input: QParams;
  layers: ModelFileLayer[];
  residuals: { block: number; output: QParams }[];
  /** v1: the global pool's output quantization (v2 files keep it on their mean node). */
  pool?: { output: QParams };
  /** v2: the topology; absent in v1 files, whose topology is their architecture's. */
  nodes?: ModelNode[];
  /** v2: input [h, w, c] (v1: resolution x resolution x inChannels). */
  inputShape?: [number, number, number];
  /** v2: the requantization rounding (v1: 'float-half-away'). */
  requant?: RequantMode;
  meta: Record<string, unknown>;
}

export class ModelFileError extends Error {
  constructor(message: string) {
    super(`model file: ${message}`);
    this.name = 'ModelFileError';
  }
}

function fail(path: string, msg: string): never {
  throw new ModelFileError(`${path}: ${msg}`);
}
const { obj, int, str } = jsonFields(fail);
function qparams(v: unknown, path: string): QParams {
  const o = obj(v, path);
  const scale = o.scale;
  if (typeof scale !== 'number' || !Number.isFinite(scale) || scale <= 0)
    fail(`${path}.scale`, 'expected a positive finite number');
  if (scale < SCALE_MIN || scale > SCALE_MAX) fail(`${path}.scale`, `${scale} is outside ${SCALE_RANGE}`);
  return { scale, zeroPoint: int(o.zeroPoint, `${path}.zeroPoint`, -128, 127) };
}

/*
 * Value ranges that keep every kernel's arithmetic exact (no int32 overflow, no infinite or zero float32).
 *
 * Accumulator: acc = b + sum over the fan-in F of (x - z_x) * w in int32 (tt_kernels.h), with x and z_x in
 * [-128, 127] so |x - z_x| <= 255, and w in [-127, 127] (symmetric). Every partial sum is therefore bounded by
 * |b| + F * 255 * 127, and it fits in int32 exactly when |b| <= 2^31 - 1 - F * 32385. F is kernel^2 * inC for a
 * conv, kernel^2 for a depthwise, inC for a pointwise / fc layer; a layer with F * 32385 > 2^31 - 1
 * (F > 66311) overflows with any bias and is refused.
 *
 * Scales: the compiler derives float32 multipliers s_W * s_x / s_y (requantization), s_a / s_y (residual add),
 * 1 / s_W and 1 / (s_W * s_x) (QAS gradient scales). With every scale in [2^-32, 2^32] each of them lies in
 * [2^-96, 2^96], a normal finite float32 (float32 spans 2^-126 .. 2^128), so no multiplier is 0 or infinite.
 */
const TERM_MAX = 255 * 127;
const INT32_MAX = 2 ** 31 - 1;
export const SCALE_MIN = 2 ** -32;
export const SCALE_MAX = 2 ** 32;
const SCALE_RANGE = '[2^-32, 2^32] (a wider scale makes a kernel multiplier 0 or infinite in float32)';

/** Fan-in of one output: the number of (x - z_x) * w terms in its accumulator. */
export function fanIn(kind: LayerKind, inC: number, kernel: number, kernelW = kernel): number {
  if (kind === 'depthwise') return kernel * kernel;
  if (kind === 'conv') return kernel * kernelW * inC;
  return inC;
}

/** The largest |bias| that keeps this layer's int32 accumulator from overflowing (negative: none does). */
export function biasBound(kind: LayerKind, inC: number, kernel: number, kernelW = kernel): number {
  return INT32_MAX - fanIn(kind, inC, kernel, kernelW) * TERM_MAX;
}

function checkRanges(
  where: string,
  l: Pick<ModelFileLayer, 'kind' | 'inC' | 'kernel' | 'kernelW' | 'bias' | 'weightScale'>,
) {
  const bound = biasBound(l.kind, l.inC, l.kernel, l.kernelW);
  const f = fanIn(l.kind, l.inC, l.kernel, l.kernelW);
  if (bound < 0) fail(where, `fan-in ${f} is too large: the int32 accumulator overflows (at most 66311)`);
  for (let c = 0; c < l.bias.length; c++) {
    if (Math.abs(l.bias[c]) > bound)
      fail(`${where}.bias[${c}]`, `${l.bias[c]} is outside +-${bound}: the int32 accumulator (fan-in ${f}) overflows`);
  }
  for (let c = 0; c < l.weightScale.length; c++) {
    const s = l.weightScale[c];
    if (!(s > 0) || !Number.isFinite(s)) fail(`${where}.weightScale[${c}]`, `must be positive and finite, got ${s}`);
    if (s < SCALE_MIN || s > SCALE_MAX) fail(`${where}.weightScale[${c}]`, `${s} is outside ${SCALE_RANGE}`);
  }
}

/** Number of weight elements of a layer, from its shape. */
export function weightLength(kind: LayerKind, inC: number, outC: number, kernel: number, kernelW = kernel): number {
  if (kind === 'depthwise') return kernel * kernel * outC;
  if (kind === 'conv') return outC * kernel * kernelW * inC;
  return outC * inC;
}

const BYTES = { int8: 1, int32: 4, float32: 4 } as const;

/** A typed view (or an aligned little-endian copy) of `length` elements at byte `offset` of the blob. */
function slice<T extends 'int8' | 'int32' | 'float32'>(
  blob: Uint8Array,
  v: unknown,
  path: string,
  dtype: T,
  length: number,
) {
  const o = obj(v, path);
  const offset = int(o.offset, `${path}.offset`, 0, Number.MAX_SAFE_INTEGER);
  const len = int(o.length, `${path}.length`, 0, Number.MAX_SAFE_INTEGER);
  if (len !== length) fail(`${path}.length`, `expected ${length} elements for this layer shape, got ${len}`);
  const bytes = len * BYTES[dtype];
  if (offset + bytes > blob.byteLength)
    fail(path, `bytes ${offset}..${offset + bytes} exceed the blob (${blob.byteLength} bytes)`);
  const at = blob.byteOffset + offset;
  const buf = blob.buffer as ArrayBuffer;
  if (dtype === 'int8') return new Int8Array(buf, at, len);
  const Ctor = dtype === 'int32' ? Int32Array : Float32Array;
  if (at % 4 === 0) return new Ctor(buf, at, len);
  return new Ctor(blob.slice(offset, offset + bytes).buffer as ArrayBuffer, 0, len);
}

function parseLayer(v: unknown, path: string, blob: Uint8Array, v2: boolean): ModelFileLayer {
  const o = obj(v, path);
  const name = str(o.name, `${path}.name`);
  const where = `${path} (${name})`;
  const kind = o.kind as LayerKind;
  if (!LAYER_KINDS.includes(kind))
    fail(`${where}.kind`, `expected one of ${LAYER_KINDS.join(', ')}, got ${JSON.stringify(o.kind)}`);
  const inC = int(o.inC, `${where}.inC`, 1, 1 << 16);
  const outC = int(o.outC, `${where}.outC`, 1, 1 << 16);
  const kernel = int(o.kernel, `${where}.kernel`, 1, 11);
  const stride = int(o.stride, `${where}.stride`, 1, 2);
  if (kind === 'depthwise' && inC !== outC) fail(where, `a depthwise layer needs inC == outC, got ${inC} and ${outC}`);
  if ((kind === 'pointwise' || kind === 'fc') && (kernel !== 1 || stride !== 1))
    fail(where, `a ${kind} layer has kernel 1 and stride 1`);
  if (typeof o.relu !== 'boolean') fail(`${where}.relu`, 'expected a boolean');
  const width = parseWidth(o, where, kind, v2);
  const kernelW = width.kernelW ?? kernel;
  const length = weightLength(kind, inC, outC, kernel, kernelW);
  const weight = slice(blob, o.weight, `${where}.weight`, 'int8', length) as Int8Array;
  const bias = slice(blob, o.bias, `${where}.bias`, 'int32', outC) as Int32Array;
  const weightScale = slice(blob, o.weightScale, `${where}.weightScale`, 'float32', outC) as Float32Array;
  checkRanges(where, { kind, inC, kernel, kernelW, bias, weightScale });
  for (let i = 0; i < weight.length; i++)
    if (weight[i] === -128) fail(`${where}.weight[${i}]`, 'weights are symmetric int8 in [-127, 127]');
  const extra: Pick<ModelFileLayer, 'pad' | 'outH' | 'outW'> = {};
  if (v2 && o.pad !== undefined) extra.pad = int(o.pad, `${where}.pad`, 0, kernel - 1);
  if (v2 && o.outH !== undefined) extra.outH = int(o.outH, `${where}.outH`, 1, 1 << 12);
  if (v2 && o.outW !== undefined) extra.outW = int(o.outW, `${where}.outW`, 1, 1 << 12);
  if (width.padLeft !== undefined && width.padLeft >= kernelW)
    fail(`${where}.padLeft`, `${width.padLeft} is not smaller than the kernel width ${kernelW}`);
  return {
    name,
    kind,
    inC,
    outC,
    kernel,
    stride,
    weight,
    bias,
    weightScale,
    output: qparams(o.output, `${where}.output`),
    relu: o.relu,
    ...extra,
    ...width,
  };
}

/** v2 general convs: the optional width geometry of a rectangular kernel (kernelW, strideW, padLeft). */
function parseWidth(o: Record<string, unknown>, where: string, kind: LayerKind, v2: boolean) {
  const width: Pick<ModelFileLayer, 'kernelW' | 'strideW' | 'padLeft'> = {};
  const given = ['kernelW', 'strideW', 'padLeft'].filter((k) => o[k] !== undefined);
  if (given.length === 0) return width;
  if (!v2 || kind !== 'conv') fail(`${where}.${given[0]}`, 'only a general conv of a v2 file has a width geometry');
  if (o.kernelW !== undefined) width.kernelW = int(o.kernelW, `${where}.kernelW`, 1, 11);
  if (o.strideW !== undefined) width.strideW = int(o.strideW, `${where}.strideW`, 1, 2);
  if (o.padLeft !== undefined) width.padLeft = int(o.padLeft, `${where}.padLeft`, 0, 10);
  return width;
}

/** Parses and validates a manifest (object or JSON text) and its blob. Throws ModelFileError. */
export function parseModelFile(manifest: unknown, bin: ArrayBuffer | Uint8Array): ModelFile {
  let m: unknown = manifest;
  if (typeof manifest === 'string') {
    try {
      m = JSON.parse(manifest);
    } catch (e) {
      fail('manifest', `not valid JSON (${(e as Error).message})`);
    }
  }
  const o = obj(m, 'manifest');
  if (o.format !== 'tinytrain-model') fail('format', `expected "tinytrain-model", got ${JSON.stringify(o.format)}`);
  if (o.version !== 1 && o.version !== 2) fail('version', `expected 1 or 2, got ${JSON.stringify(o.version)}`);
  const v2 = o.version === 2;
  const blob = bin instanceof Uint8Array ? bin : new Uint8Array(bin);
  if (!Array.isArray(o.layers) || o.layers.length < (v2 ? 1 : 2))
    fail('layers', `expected an array of at least ${v2 ? 'one layer' : 'two layers'}`);
  const layers = o.layers.map((l, i) => parseLayer(l, `layers[${i}]`, blob, v2));
  const classes = int(o.classes, 'classes', 1, 1 << 16);
  const last = layers[layers.length - 1];
  if (last.kind !== 'fc') fail(`layers[${layers.length - 1}]`, 'the last layer must be the fc classifier');
  if (last.outC !== classes)
    fail(`layers[${layers.length - 1}].outC`, `the classifier has ${last.outC} outputs but classes is ${classes}`);
  if (!v2)
    layers
      .slice(0, -1)
      .forEach((l, i) => l.kind === 'fc' && fail(`layers[${i}] (${l.name})`, 'only the last layer may be fc'));
  const common = {
    model: str(o.model, 'model'),
    resolution: int(o.resolution, 'resolution', 1, 1024),
    inChannels: int(o.inChannels, 'inChannels', 1, 1 << 16),
    classes,
    input: qparams(o.input, 'input'),
    layers,
    meta: o.meta === undefined ? {} : obj(o.meta, 'meta'),
  };
  if (v2) return { ...common, ...parseV2(o, layers.length) };
  const residuals = o.residuals === undefined ? [] : o.residuals;
  if (!Array.isArray(residuals)) fail('residuals', 'expected an array');
  return {
    model: str(o.model, 'model'),
    resolution: int(o.resolution, 'resolution', 8, 1024),
    inChannels: int(o.inChannels, 'inChannels', 1, 64),
    classes,
    input: qparams(o.input, 'input'),
    layers,
    residuals: residuals.map((r, i) => {
      const ro = obj(r, `residuals[${i}]`);
      return {
        block: int(ro.block, `residuals[${i}].block`, 0, 1 << 10),
        output: qparams(ro.output, `residuals[${i}].output`),
      };
    }),
    pool: { output: qparams(obj(o.pool, 'pool').output, 'pool.output') },
    meta: o.meta === undefined ? {} : obj(o.meta, 'meta'),
  };
}

/** The v2 fields: nodes, input shape, requantization. */
function parseV2(o: Json, layerCount: number): Pick<ModelFile, 'nodes' | 'inputShape' | 'requant' | 'residuals'> {
  const nodes = parseNodes(o.nodes, layerCount, fail, qparams);
  if (!Array.isArray(o.inputShape) || o.inputShape.length !== 3) fail('inputShape', 'expected [h, w, c]');
  const s = o.inputShape as unknown[];
  const inputShape: [number, number, number] = [
    int(s[0], 'inputShape[0]', 1, 4096),
    int(s[1], 'inputShape[1]', 1, 1 << 16),
    int(s[2], 'inputShape[2]', 1, 1 << 16),
  ];
  const requant = (o.requant ?? 'float-half-away') as RequantMode;
  if (!REQUANT.includes(requant))
    fail('requant', `expected one of ${REQUANT.join(', ')}, got ${JSON.stringify(o.requant)}`);
  return { nodes, inputShape, requant, residuals: [] };
}

/** Writes a model file: the manifest object and its blob (each tensor 4-byte aligned). */
export function writeModelFile(file: ModelFile): { manifest: Json; bin: Uint8Array } {
  let size = 0;
  const place = (bytes: number) => {
    const at = size;
    size += Math.ceil(bytes / 4) * 4;
    return at;
  };
  const placed = file.layers.map((l) => ({
    w: place(l.weight.byteLength),
    b: place(l.bias.byteLength),
    s: place(l.weightScale.byteLength),
  }));
  const bin = new Uint8Array(size);
  const put = (a: Int8Array | Int32Array | Float32Array, at: number) =>
    bin.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
  const layers = file.layers.map((l, i) => {
    put(l.weight, placed[i].w);
    put(l.bias, placed[i].b);
    put(l.weightScale, placed[i].s);
    const { name, kind, inC, outC, kernel, stride, output, relu, pad, outH, outW, kernelW, strideW, padLeft } = l;
    const shape = file.nodes ? { pad, outH, outW, kernelW, strideW, padLeft } : {};
    return {
      name,
      kind,
      inC,
      outC,
      kernel,
      stride,
      weight: { offset: placed[i].w, length: l.weight.length },
      bias: { offset: placed[i].b, length: l.bias.length },
      weightScale: { offset: placed[i].s, length: l.weightScale.length },
      output,
      relu,
      ...shape,
    };
  });
  const { model, resolution, inChannels, classes, input, residuals, pool, meta } = file;
  if (file.nodes) {
    const v2 = { model, resolution, inChannels, inputShape: file.inputShape, requant: file.requant, classes };
    return { manifest: { format: 'tinytrain-model', version: 2, ...v2, input, layers, nodes: file.nodes, meta }, bin };
  }
  const manifest = {
    format: 'tinytrain-model',
    version: 1,
    model,
    resolution,
    inChannels,
    classes,
    input,
    layers,
    residuals,
    pool,
    meta,
  };
  return { manifest, bin };
}
