/**
 * Architectures: the stem and the inverted-bottleneck blocks of each backbone, transcribed from
 * mcu-backbones.json (arch.test.ts checks them against that file at 128x128), plus the small demo CNN.
 * A block row is [expanded channels (0: no pw1, the depthwise runs on the input), depthwise kernel, depthwise
 * stride, output channels, residual (1/0)]. Spatial sizes follow pad = k//2 and out = ceil(in / stride).
 */
import { LAYER_KIND_TABLE } from '../layer-kinds';
import type { LayerKind } from '../model-file';
import { INPUT, type TopoNode } from './nodes';

export type BlockRow = readonly [mid: number, k: number, stride: number, out: number, residual: 0 | 1];

export interface ArchSpec {
  stem: readonly [out: number, k: number, stride: number];
  blocks: readonly BlockRow[];
  defaultResolution: number;
  /** One line for the UI. */
  description: string;
}

export const ARCHS = {
  'mcunet-5fps': {
    description: 'MCUNet (5 FPS on STM32F746), 14 blocks, 42 convs',
    defaultResolution: 128,
    stem: [16, 3, 2],
    blocks: [
      [0, 3, 1, 8, 0],
      [32, 3, 2, 16, 0],
      [48, 3, 1, 16, 1],
      [48, 7, 2, 24, 0],
      [120, 3, 1, 24, 1],
      [120, 3, 2, 40, 0],
      [160, 7, 1, 40, 1],
      [160, 5, 1, 48, 0],
      [144, 3, 1, 48, 1],
      [192, 3, 1, 48, 1],
      [240, 7, 2, 96, 0],
      [384, 5, 1, 96, 1],
      [384, 5, 1, 96, 1],
      [576, 3, 1, 160, 0],
    ],
  },
  'mbv2-w0.35': {
    description: 'MobileNetV2 width 0.35, 17 blocks, 51 convs',
    defaultResolution: 128,
    stem: [16, 3, 2],
    blocks: [
      [0, 3, 1, 8, 0],
      [48, 3, 2, 8, 0],
      [48, 3, 1, 8, 1],
      [48, 3, 2, 16, 0],
      [96, 3, 1, 16, 1],
      [96, 3, 1, 16, 1],
      [96, 3, 2, 24, 0],
      [144, 3, 1, 24, 1],
      [144, 3, 1, 24, 1],
      [144, 3, 1, 24, 1],
      [144, 3, 1, 32, 0],
      [192, 3, 1, 32, 1],
      [192, 3, 1, 32, 1],
      [192, 3, 2, 56, 0],
      [336, 3, 1, 56, 1],
      [336, 3, 1, 56, 1],
      [336, 3, 1, 112, 0],
    ],
  },
  'proxyless-w0.3': {
    description: 'ProxylessNAS (mobile) width 0.3, 20 blocks, 60 convs',
    defaultResolution: 128,
    stem: [16, 3, 2],
    blocks: [
      [0, 3, 1, 8, 0],
      [24, 5, 2, 16, 0],
      [48, 3, 1, 16, 1],
      [48, 7, 2, 16, 0],
      [48, 3, 1, 16, 1],
      [48, 5, 1, 16, 1],
      [48, 5, 1, 16, 1],
      [96, 7, 2, 24, 0],
      [72, 5, 1, 24, 1],
      [72, 5, 1, 24, 1],
      [72, 5, 1, 24, 1],
      [144, 5, 1, 32, 0],
      [96, 5, 1, 32, 1],
      [96, 5, 1, 32, 1],
      [96, 5, 1, 32, 1],
      [192, 7, 2, 64, 0],
      [384, 7, 1, 64, 1],
      [192, 7, 1, 64, 1],
      [192, 7, 1, 64, 1],
      [384, 7, 1, 96, 0],
    ],
  },
  /**
   * The quick demo: 32x32 input, conv3x3 s2 3->8, a dw/pw block, a stride-2 inverted bottleneck and a residual
   * one, avgpool, fc. About 0.37 M MACs forward at 32x32: a training step is a millisecond in WebAssembly.
   */
  'tiny-cnn': {
    description: 'Small demo CNN (32x32): 3 blocks, 9 convs, trains in seconds',
    defaultResolution: 32,
    stem: [8, 3, 2],
    blocks: [
      [0, 3, 1, 16, 0],
      [32, 3, 2, 16, 0],
      [32, 3, 1, 16, 1],
    ],
  },
} as const satisfies Record<string, ArchSpec>;

export type ModelName = keyof typeof ARCHS;
export const MODEL_NAMES = Object.keys(ARCHS) as ModelName[];

/** Shape of one conv-like layer at a given input size. */
export interface LayerShape {
  name: string;
  kind: LayerKind;
  /** Block index, -1 for the stem and the classifier. */
  block: number;
  inC: number;
  outC: number;
  kernel: number;
  stride: number;
  pad: number;
  inH: number;
  inW: number;
  outH: number;
  outW: number;
  /** ReLU6-like clamp at z_y: stem, pw1, dw. pw2 and the classifier are linear. */
  relu: boolean;
  /** A rectangular general conv (imported): kernel width, horizontal stride, left padding. Absent: square, the
   * same as kernel, stride and pad. */
  kernelW?: number;
  strideW?: number;
  padLeft?: number;
}

export interface BlockShape {
  index: number;
  name: string;
  /** Conv indices of the block's layers (pw1 is -1 when absent). */
  pw1: number;
  dw: number;
  pw2: number;
  residual: boolean;
}

/** Conv indices of a block's layers in forward order (pw1 when present, dw, pw2): the one walk of a block. */
export function blockLayers(b: Pick<BlockShape, 'pw1' | 'dw' | 'pw2'>): number[] {
  return b.pw1 >= 0 ? [b.pw1, b.dw, b.pw2] : [b.dw, b.pw2];
}

/**
 * The node list of an architecture (nodes.ts), in the order the fixed walk always visited it: the stem, each
 * block's layers (blockLayers) and residual add, the global pool, the classifier. Node i's inputs are earlier
 * nodes; names match the graph's op names (`blocks.2.add`, `pool`).
 */
export function archNodes(blocks: readonly BlockShape[], convs: readonly Pick<LayerShape, 'name'>[]): TopoNode[] {
  const nodes: TopoNode[] = [];
  const push = (n: TopoNode) => nodes.push(n) - 1;
  const layerNode = (conv: number, x: number, block: number) =>
    push({ op: 'layer', name: conv < 0 ? 'classifier' : convs[conv].name, inputs: [x], conv, block });
  let x = layerNode(0, INPUT, -1);
  for (const b of blocks) {
    const blockIn = x;
    for (const i of blockLayers(b)) x = layerNode(i, x, b.index);
    if (b.residual) x = push({ op: 'add', name: `${b.name}.add`, inputs: [blockIn, x], block: b.index });
  }
  x = push({ op: 'mean', name: 'pool', inputs: [x], block: -1 });
  layerNode(-1, x, -1);
  return nodes;
}

function layer(
  name: string,
  kind: LayerKind,
  block: number,
  inC: number,
  outC: number,
  k: number,
  s: number,
  h: number,
  w: number,
  relu: boolean,
): LayerShape {
  const outH = Math.ceil(h / s);
  const outW = Math.ceil(w / s);
  return {
    name,
    kind,
    block,
    inC,
    outC,
    kernel: k,
    stride: s,
    pad: Math.floor(k / 2),
    inH: h,
    inW: w,
    outH,
    outW,
    relu,
  };
}

/** The conv layers (forward order), blocks, classifier and node list of an architecture at resolution x resolution. */
export function archShapes(spec: ArchSpec, resolution: number, inChannels: number, classes: number) {
  const convs: LayerShape[] = [];
  const blocks: BlockShape[] = [];
  const [stemOut, stemK, stemS] = spec.stem;
  let cur = layer('first_conv', 'conv', -1, inChannels, stemOut, stemK, stemS, resolution, resolution, true);
  convs.push(cur);
  spec.blocks.forEach(([mid, k, s, out, residual], b) => {
    const name = `blocks.${b}`;
    const inC = cur.outC;
    let pw1 = -1;
    if (mid > 0) {
      pw1 = convs.length;
      cur = layer(`${name}.pw1`, 'pointwise', b, inC, mid, 1, 1, cur.outH, cur.outW, true);
      convs.push(cur);
    }
    const dw = convs.length;
    cur = layer(`${name}.dw`, 'depthwise', b, cur.outC, cur.outC, k, s, cur.outH, cur.outW, true);
    convs.push(cur);
    const pw2 = convs.length;
    cur = layer(`${name}.pw2`, 'pointwise', b, cur.outC, out, 1, 1, cur.outH, cur.outW, false);
    convs.push(cur);
    if (residual && (s !== 1 || inC !== out)) throw new Error(`${name}: a residual block needs stride 1 and in == out`);
    blocks.push({ index: b, name, pw1, dw, pw2, residual: residual === 1 });
  });
  const classifier = layer('classifier', 'fc', -1, cur.outC, classes, 1, 1, 1, 1, false);
  return { convs, blocks, classifier, nodes: archNodes(blocks, convs) };
}

/** Multiply-accumulates of one layer. */
export const layerMacs = (l: LayerShape): number => LAYER_KIND_TABLE[l.kind].macs(l);
