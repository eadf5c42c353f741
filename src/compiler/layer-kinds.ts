/**
 * The layer-kind table: one row per conv-like layer kind (conv, depthwise, pointwise, fc) holding every fact
 * that differs by kind, so no other file asks `kind === 'depthwise'`. Layouts follow tt_kernels.h: activations
 * [h, w, c] (fc: [c]); weights conv [o][k][k][i], depthwise [k][k][c], pointwise / fc [o][i]. A depthwise layer
 * has inC == outC; its weight update ratio counts its channels, every other kind's counts input channels.
 */
import type { ConvKind } from './ir/graph';
import type { UpdateParams } from './kernel-abi';
import { bwdUpdateScratchBytes } from './kernels';

/** The channel counts and kernel size of a layer (a LayerShape, a ConvShape, a model file layer). `kernel` is the
 * kernel height; `kernelW` the width of a rectangular general conv (a ConvShape always carries it; the built-in
 * model layers are square and leave it out, which means kernelW == kernel). */
export interface Geometry {
  inC: number;
  outC: number;
  kernel: number;
  kernelW?: number;
}

/** Kernel width of a layer (square layers: its kernel). */
export const kernelWidth = (g: Geometry) => g.kernelW ?? g.kernel;
/** Geometry with the spatial sizes. */
export interface Spatial extends Geometry {
  inH: number;
  inW: number;
  outH: number;
  outW: number;
}

export interface LayerKindRow {
  /** Short label for diagrams: 'conv3', 'dw5', 'pw', 'fc'. */
  tag(kernel: number): string;
  /** Shape of the input activation, with `c` channels (default inC). */
  inShape(s: Spatial, c?: number): number[];
  /** Shape of the output activation. */
  outShape(s: Spatial): number[];
  /** Shape of the weight, or of its gradient over the first k ratio channels (default all). */
  weightShape(g: Geometry, k?: number): number[];
  /** Weights summed into one output value. */
  fanIn(g: Geometry): number;
  /** The output channel (per-channel scale index) of weight element e. */
  channelOf(g: Geometry): (e: number) => number;
  /** The channels a weight-update ratio counts: k = ratio * ratioChannels (the k of *_bwd_weight). */
  ratioChannels(g: Pick<Geometry, 'inC' | 'outC'>): number;
  /** What the ratio channels are called in messages. */
  ratioWhat: 'channels' | 'input channels';
  /** tt_update_params geometry of updating the first k ratio channels (the rounding is set at run time). */
  update(g: Geometry, k: number): Omit<UpdateParams, 'rounding'>;
  /** Bytes of scratch of the fused weight-gradient-and-update kernel for the first k ratio channels. */
  updateScratchBytes(g: Geometry, k: number): number;
  /** Whether the weight can be stored split by ratio channels (each output row's first k in SRAM, the rest in
   * flash): only [o][i] layouts, where the updated channels of a row are contiguous. */
  splittable: boolean;
  /** Multiply-accumulates of one forward pass. */
  macs(s: Spatial): number;
}

const hwc = (h: number, w: number, c: number) => [h, w, c];

/** Rows whose input channels are the innermost weight dimension (conv, pointwise, fc). */
function dense(kind: 'conv' | 'pointwise' | 'fc', spatial: boolean): LayerKindRow {
  const taps = (g: Geometry) => (kind === 'conv' ? g.kernel * kernelWidth(g) : 1);
  return {
    tag: (k) => (kind === 'conv' ? `conv${k}` : kind === 'pointwise' ? 'pw' : 'fc'),
    inShape: (s, c = s.inC) => (spatial ? hwc(s.inH, s.inW, c) : [c]),
    outShape: (s) => (spatial ? hwc(s.outH, s.outW, s.outC) : [s.outC]),
    weightShape: (g, k = g.inC) => (kind === 'conv' ? [g.outC, g.kernel, kernelWidth(g), k] : [g.outC, k]),
    fanIn: (g) => taps(g) * g.inC,
    channelOf: (g) => {
      const per = taps(g) * g.inC;
      return (e) => Math.floor(e / per);
    },
    ratioChannels: (g) => g.inC,
    ratioWhat: 'input channels',
    update: (g, k) => ({
      rows: g.outC * taps(g),
      cols: k,
      rowStride: g.inC,
      rowsPerChannel: taps(g),
      channelIsCol: 0,
    }),
    updateScratchBytes: (g, k) => bwdUpdateScratchBytes(kind, g.kernel * kernelWidth(g), k),
    splittable: kind !== 'conv',
    macs: (s) => (spatial ? s.outH * s.outW : 1) * taps(s) * s.inC * s.outC,
  };
}

const depthwise: LayerKindRow = {
  tag: (k) => `dw${k}`,
  inShape: (s, c = s.inC) => hwc(s.inH, s.inW, c),
  outShape: (s) => hwc(s.outH, s.outW, s.outC),
  weightShape: (g, k = g.inC) => [g.kernel, g.kernel, k],
  fanIn: (g) => g.kernel * g.kernel,
  channelOf: (g) => (e) => e % g.outC,
  ratioChannels: (g) => g.outC,
  ratioWhat: 'channels',
  update: (g, k) => ({ rows: g.kernel * g.kernel, cols: k, rowStride: g.outC, rowsPerChannel: 1, channelIsCol: 1 }),
  updateScratchBytes: (g, k) => bwdUpdateScratchBytes('depthwise', g.kernel * g.kernel, k),
  splittable: false,
  macs: (s) => s.outH * s.outW * s.kernel * s.kernel * s.outC,
};

export const LAYER_KIND_TABLE: { readonly [K in ConvKind]: LayerKindRow } = {
  conv: dense('conv', true),
  pointwise: dense('pointwise', true),
  depthwise,
  fc: dense('fc', false),
};

/** The row of a layer's kind. */
export const layerKind = (l: { kind: ConvKind }): LayerKindRow => LAYER_KIND_TABLE[l.kind];
