/**
 * The kernel ABI as TypeScript sees it: the int32-only parameter structs of kernels-c/include/tt_kernels.h,
 * field by field in the same order. The WebAssembly executor writes a struct as one Int32Array at
 * `fieldIndex * 4`; the TypeScript reference reads the same objects. Change both files together.
 */

export interface ConvShape {
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  /** kernel height */
  kernel: number;
  /** vertical stride */
  stride: number;
  /** zero-point padding rows at the top */
  pad: number;
  /** rows physically stored in the input buffer (== inH unless it is a ring buffer) */
  inRing: number;
  /** rows physically stored in the output buffer (== outH unless it is a ring buffer) */
  outRing: number;
  /** kernel width (== kernel for pointwise and depthwise) */
  kernelW: number;
  /** horizontal stride (== stride for pointwise and depthwise) */
  strideW: number;
  /** zero-point padding columns at the left (== pad for pointwise and depthwise) */
  padLeft: number;
}
// prettier-ignore
export const CONV_SHAPE_FIELDS = [
  'inH', 'inW', 'inC', 'outH', 'outW', 'outC', 'kernel', 'stride', 'pad', 'inRing', 'outRing',
  'kernelW', 'strideW', 'padLeft',
] as const satisfies readonly (keyof ConvShape)[];

/**
 * Requantization modes (tt_requant_mode): how a forward kernel turns its int32 accumulator into the output integer.
 * 'float-half-away': float32 multiply, round half away from zero (the built-in models);
 * 'tflite-fixed': Q31 multiplier and shift, integer only (TFLite's reference int8 kernels, CMSIS-NN);
 * 'float-half-even': float32 multiply, round half to even (ONNX Runtime, PyTorch);
 * 'tflite-xnnpack': what TFLite's XNNPACK delegate computes (the TFLite web runtime, TFLite on phones and
 *   desktops): conv-like layers and the mean as 'float-half-even' (the graph gives them mode 2), the residual add
 *   XNNPACK's 20-bit fixed point (tt_add_s8_fixed reads the mode; no other kernel is given 3).
 */
export const Requant = { 'float-half-away': 0, 'tflite-fixed': 1, 'float-half-even': 2, 'tflite-xnnpack': 3 } as const;
export type RequantName = keyof typeof Requant;
export type RequantMode = (typeof Requant)[RequantName];

export interface Quant {
  inZp: number;
  outZp: number;
  actMin: number;
  actMax: number;
  /** tt_requant_mode; absent means 0, 'float-half-away' */
  requant?: RequantMode;
}
export const QUANT_FIELDS = [
  'inZp',
  'outZp',
  'actMin',
  'actMax',
  'requant',
] as const satisfies readonly (keyof Quant)[];

export const Rounding = { truncate: 0, nearest: 1, stochastic: 2 } as const;
export type RoundingName = keyof typeof Rounding;
export type RoundingMode = (typeof Rounding)[RoundingName];

export interface UpdateParams {
  rows: number;
  cols: number;
  rowStride: number;
  rowsPerChannel: number;
  /** 1: gscale is indexed by column (depthwise); 0: by row / rowsPerChannel */
  channelIsCol: number;
  rounding: RoundingMode;
}
// prettier-ignore
export const UPDATE_PARAMS_FIELDS = [
  'rows', 'cols', 'rowStride', 'rowsPerChannel', 'channelIsCol', 'rounding',
] as const satisfies readonly (keyof UpdateParams)[];

/** Stochastic-rounding PRNG state (xorshift32, never 0); mutated in place like the C tt_rng. */
export interface Rng {
  state: number;
}

/** Field order of a struct, for writing it into WebAssembly memory. */
export function structWords<T extends object>(fields: readonly (keyof T)[], value: T): Int32Array {
  return Int32Array.from(fields, (f) => (value[f] as number | undefined) ?? 0);
}

/** The width geometry of a shape: a rectangular general conv or pool gives its own, a square one repeats
 * kernel, stride and pad. */
export type WidthGeometry = Pick<ConvShape, 'kernelW' | 'strideW' | 'padLeft'>;

/** A whole-tensor conv shape (no ring buffers). Without width fields it is square: they are filled explicitly
 * with kernel, stride and pad (the struct the kernels read always carries all three). */
export function convShape(s: Omit<ConvShape, 'inRing' | 'outRing' | keyof WidthGeometry> & Partial<WidthGeometry>) {
  const { kernel, stride, pad } = s;
  const width: WidthGeometry = {
    kernelW: s.kernelW ?? kernel,
    strideW: s.strideW ?? stride,
    padLeft: s.padLeft ?? pad,
  };
  return { ...s, ...width, inRing: s.inH, outRing: s.outH } satisfies ConvShape;
}

/** Whether a shape is square (kernel_w == kernel, stride_w == stride, pad_left == pad). */
export const isSquare = (s: ConvShape) => s.kernelW === s.kernel && s.strideW === s.stride && s.padLeft === s.pad;
