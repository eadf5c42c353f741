/**
 * Builders of the windowed ops an imported model places between its convolutions: average pool, max pool and
 * zero-point pad (TFLite AVERAGE_POOL_2D, MAX_POOL_2D, PAD; ONNX AveragePool, MaxPool, Pad). Each appends one
 * forward op and its output activation to a GraphBuilder and returns the output tensor id; autodiff derives the
 * backward ops from grad-rules.ts. Window geometry follows TFLite: SAME pads (total - total/2 at the end, so the
 * extra row or column of an odd total goes to the bottom / right), VALID pads nothing; only in-bounds taps are
 * averaged (tt_kernels.h, tt_avgpool2d_s8).
 */
import { convShape, type ConvShape } from '../kernel-abi';
import type { QParams } from '../quant';
import type { GraphBuilder } from './graph';

/** Padding of the four sides, in rows / columns. */
export interface Padding {
  top: number;
  bottom: number;
  left: number;
  right: number;
}
/** A window: kernel [height, width], strides [vertical, horizontal] and padding. */
export interface Window {
  kernel: readonly [number, number];
  stride: readonly [number, number];
  padding: Padding;
}
/** Output clamp in stored units (a fused ReLU / ReLU6), default [-128, 127]. */
export interface Clamp {
  min: number;
  max: number;
}

/** TFLite's padding of one axis: SAME gives ceil(len / stride) outputs, VALID floor((len - k) / stride) + 1. */
function axis(
  mode: 'same' | 'valid',
  len: number,
  k: number,
  stride: number,
): [out: number, lead: number, end: number] {
  if (mode === 'valid') return [Math.floor((len - k) / stride) + 1, 0, 0];
  const out = Math.ceil(len / stride);
  const total = Math.max(0, (out - 1) * stride + k - len);
  return [out, Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** The window of a TFLite-style 'same' or 'valid' op on an inH x inW input. */
export function tfliteWindow(
  mode: 'same' | 'valid',
  inH: number,
  inW: number,
  kernel: readonly [number, number],
  stride: readonly [number, number],
): Window {
  const [, top, bottom] = axis(mode, inH, kernel[0], stride[0]);
  const [, left, right] = axis(mode, inW, kernel[1], stride[1]);
  return { kernel, stride, padding: { top, bottom, left, right } };
}

/** The ConvShape of a window on an [h, w, c] input with `outC` outputs (pools, pad: outC == c). */
export function windowShape(input: readonly number[], win: Window, outC = input[2]): ConvShape {
  const [inH, inW, inC] = input;
  const { kernel, stride, padding: p } = win;
  const outH = Math.floor((inH + p.top + p.bottom - kernel[0]) / stride[0]) + 1;
  const outW = Math.floor((inW + p.left + p.right - kernel[1]) / stride[1]) + 1;
  if (!(outH >= 1 && outW >= 1)) throw new Error(`a ${kernel.join('x')} window does not fit a ${inH}x${inW} input`);
  return convShape({
    ...{ inH, inW, inC, outH, outW, outC, kernel: kernel[0], stride: stride[0], pad: p.top },
    ...{ kernelW: kernel[1], strideW: stride[1], padLeft: p.left },
  });
}

function activation(b: GraphBuilder, name: string, s: ConvShape, quant: QParams): number {
  return b.tensor({ name, shape: [s.outH, s.outW, s.outC], dtype: 'int8', varType: 'activation', quant });
}
function inputQuant(b: GraphBuilder, x: number): QParams {
  const q = b.tensors[x].quant;
  if (!q) throw new Error(`${b.tensors[x].name} is not a quantized activation`);
  return q;
}
const sameQuant = (a: QParams, o: QParams) =>
  Math.fround(a.scale) === Math.fround(o.scale) && a.zeroPoint === o.zeroPoint;

/**
 * Average pool. Output quantization equal to the input's (what TFLite's converter produces) selects TFLite's
 * integer average; any other adds the count-multiplier table s_in / (s_out * n), n = 1 .. kernel taps.
 */
export function addAvgPool2d(
  b: GraphBuilder,
  x: number,
  spec: { name: string; window: Window; output: QParams; clamp?: Clamp },
): number {
  const inQ = inputQuant(b, x);
  const s = windowShape(b.tensors[x].shape, spec.window);
  const { min, max } = spec.clamp ?? { min: -128, max: 127 };
  const quant = { inZp: inQ.zeroPoint, outZp: spec.output.zeroPoint, actMin: min, actMax: max };
  const y = activation(b, `${spec.name}:out`, s, spec.output);
  const rule = sameQuant(inQ, spec.output) ? 'tflite' : 'requant';
  const inputs = [x];
  if (rule === 'requant') {
    const taps = s.kernel * s.kernelW;
    const data = Float32Array.from({ length: taps }, (_, n) => inQ.scale / (spec.output.scale * (n + 1)));
    inputs.push(b.tensor({ name: `${spec.name}.count_mult`, shape: [taps], dtype: 'float32', varType: 'const', data }));
  }
  b.op({
    kind: 'avgpool2d',
    name: spec.name,
    phase: 'forward',
    inputs,
    outputs: [y],
    attrs: { shape: s, quant, rule },
  });
  return y;
}

/** Max pool: the output shares the input's quantization (the max of stored values is the stored max). */
export function addMaxPool2d(
  b: GraphBuilder,
  x: number,
  spec: { name: string; window: Window; clamp?: Clamp },
): number {
  const inQ = inputQuant(b, x);
  const s = windowShape(b.tensors[x].shape, spec.window);
  const { min, max } = spec.clamp ?? { min: -128, max: 127 };
  const quant = { inZp: inQ.zeroPoint, outZp: inQ.zeroPoint, actMin: min, actMax: max };
  const y = activation(b, `${spec.name}:out`, s, inQ);
  b.op({ kind: 'maxpool2d', name: spec.name, phase: 'forward', inputs: [x], outputs: [y], attrs: { shape: s, quant } });
  return y;
}

/** Zero-point pad of the spatial sides (real value 0); the output shares the input's quantization. */
export function addPad(b: GraphBuilder, x: number, spec: { name: string; padding: Padding }): number {
  const inQ = inputQuant(b, x);
  const p = spec.padding;
  if (Math.min(p.top, p.bottom, p.left, p.right) < 0) throw new Error(`${spec.name}: negative padding is a crop`);
  const s = windowShape(b.tensors[x].shape, { kernel: [1, 1], stride: [1, 1], padding: p });
  const y = activation(b, `${spec.name}:out`, s, inQ);
  b.op({
    kind: 'pad',
    name: spec.name,
    phase: 'forward',
    inputs: [x],
    outputs: [y],
    attrs: { shape: s, zp: inQ.zeroPoint },
  });
  return y;
}
