/**
 * Randomized calls of the int8 forward kernels, each paired with the TypeScript reference that defines its result.
 * A case lists the C arguments; `ref` receives copies of the typed-array arguments (in argument order) and applies
 * the reference to them, so the expected outputs (and unchanged inputs) are exactly those copies; `ret` is the
 * expected return value of a float-returning call. Shapes are seeded and cover odd channel counts (SIMD blocks of
 * 16, 8 and 4 plus scalar tails), k 1/3/5/7, stride 1/2, uneven padding, row bands, ring buffers, masks pre-filled
 * with random bits, and MCU-sized layers.
 */
import {
  CONV_SHAPE_FIELDS,
  QUANT_FIELDS,
  convShape,
  structWords,
  type ConvShape,
  type Quant,
} from '../../compiler/kernel-abi';
import * as fw from '../../compiler/reference/forward';
import { expf, logf } from '../../compiler/reference/math';
import type { Arg, TypedArray } from './kernel-harness';

export interface FwdCase {
  name: string;
  fn: string;
  args: Arg[];
  ref: (t: TypedArray[]) => void;
  /** expected return value (float-returning kernels) */
  ret?: number;
}

export type Rand = () => number;
export type Kind = 'conv' | 'pointwise' | 'depthwise';
type ConvRef = typeof fw.convS8;

const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const i8 = (r: Rand, n: number, lo = -128, hi = 127) => Int8Array.from({ length: n }, () => int(r, lo, hi));
const bytes = (r: Rand, n: number) => Uint8Array.from({ length: n }, () => int(r, 0, 255));
const i32 = (n: number) => ({ i32: n });
const f32 = (x: number) => ({ f32: Math.fround(x) });
const REFS: Record<Kind, ConvRef> = { conv: fw.convS8, pointwise: fw.pointwiseS8, depthwise: fw.depthwiseS8 };

/** One axis of a window: its size, stride, leading pad, input length and output length (the trailing pad,
 * between 0 and kernel - 1, may differ from the leading one). */
function randomAxis(r: Rand, kernel: number, stride: number, maxPad: number) {
  const pad = int(r, 0, maxPad);
  const padEnd = int(r, 0, maxPad);
  const len = int(r, Math.max(1, kernel - pad - padEnd), 9);
  return { kernel, stride, pad, len, out: Math.floor((len + pad + padEnd - kernel) / stride) + 1 };
}

/** A random layer geometry; bottom/right padding may differ from the top/left one. Half the general convs are
 * rectangular (their own kernel width 1..8, horizontal stride 1..3 and left pad). */
export function randomShape(r: Rand, kind: Kind, maxC = 37): ConvShape {
  const kernel = kind === 'pointwise' ? 1 : pick(r, kind === 'conv' ? [1, 3, 5, 7] : [3, 5, 7]);
  const stride = kind === 'pointwise' ? 1 : int(r, 1, 2);
  const y = randomAxis(r, kernel, stride, kernel >> 1);
  const rect = kind === 'conv' && r() < 0.5;
  const kw = rect ? int(r, 1, 8) : kernel;
  const x = rect ? randomAxis(r, kw, int(r, 1, 3), kw - 1) : randomAxis(r, kernel, stride, kernel >> 1);
  const inC = kind === 'conv' ? int(r, 1, 6) : int(r, 1, maxC);
  const outC = kind === 'depthwise' ? inC : int(r, 1, 37);
  return {
    ...{ inH: y.len, inW: x.len, inC, outH: y.out, outW: x.out, outC, kernel, stride, pad: y.pad },
    ...{ inRing: y.len, outRing: y.out, kernelW: x.kernel, strideW: x.stride, padLeft: x.pad },
  };
}

/** Zero points, a clamp that bites now and then, and multipliers that spread the outputs over the int8 range. */
function layerParams(r: Rand, kind: Kind, s: ConvShape) {
  const outZp = int(r, -128, 100);
  const q: Quant = { inZp: int(r, -128, 127), outZp, actMin: r() < 0.5 ? -128 : outZp, actMax: 127 };
  const red = s.kernel * s.kernelW * (kind === 'depthwise' ? 1 : s.inC);
  const wLen = kind === 'depthwise' ? s.kernel * s.kernel * s.inC : s.outC * red;
  const bias = Int32Array.from({ length: s.outC }, () => int(r, -20000, 20000));
  const mult = Float32Array.from({ length: s.outC }, () => Math.fround((0.003 + 0.03 * r()) / Math.sqrt(red)));
  return { q, w: i8(r, wLen, -127, 127), bias, mult };
}

/** One call of a conv-like kernel on rows [r0, r1); `mask` false passes NULL. */
export function convCase(
  name: string,
  r: Rand,
  kind: Kind,
  s: ConvShape,
  r0: number,
  r1: number,
  mask: boolean,
  cols?: [number, number],
): FwdCase {
  const { q, w, bias, mult } = layerParams(r, kind, s);
  const input = i8(r, s.inRing * s.inW * s.inC);
  const out = i8(r, s.outRing * s.outW * s.outC); // rows outside the band must survive
  const m = mask ? bytes(r, Math.ceil((s.outH * s.outW * s.outC) / 8)) : null; // random bits outside the band too
  const args: Arg[] = [structWords(CONV_SHAPE_FIELDS, s), structWords(QUANT_FIELDS, q), input, w, bias, mult, out];
  args.push(m, i32(r0), i32(r1));
  if (cols) args.push(i32(cols[0]), i32(cols[1]));
  const ref = (t: TypedArray[]) =>
    REFS[kind](
      s,
      q,
      t[2] as Int8Array,
      t[3] as Int8Array,
      t[4] as Int32Array,
      t[5] as Float32Array,
      t[6] as Int8Array,
      m ? (t[7] as Uint8Array) : null,
      r0,
      r1,
      ...(cols ?? []),
    );
  const fn = `tt_${kind}_s8${cols ? '_cols' : ''}`;
  const where = `rows ${r0}-${r1}${cols ? ` columns ${cols[0]}-${cols[1]}` : ''}`;
  return { name: `${name} ${kind} ${JSON.stringify(s)} ${where}`, fn, args, ref };
}

/** The _cols entries (threads split a one-row band by columns with them): random column ranges of random bands,
 * with a mask (random bits elsewhere must survive), including first layers the SIMD build runs channels-in-lanes. */
export function columnCases(r: Rand, count: number): FwdCase[] {
  return Array.from({ length: count }, (_, t) => {
    const kind = t % 2 ? 'depthwise' : 'conv';
    const s = kind === 'conv' && t % 4 === 0 ? { ...randomShape(r, 'conv'), outC: 16 } : randomShape(r, kind);
    const r0 = int(r, 0, s.outH - 1);
    const x0 = int(r, 0, s.outW - 1);
    const cols: [number, number] = [x0, int(r, x0, s.outW)];
    return convCase('columns', r, kind, s, r0, int(r, r0 + 1, s.outH), t % 3 !== 2, cols);
  });
}

/** Whole tensors, bands and rings of random layers of one kind. */
export function layerCases(r: Rand, kind: Kind, count: number): FwdCase[] {
  const cases: FwdCase[] = [];
  for (let t = 0; t < count; t++) {
    const s = randomShape(r, kind, t % 5 === 4 ? 300 : 37); // now and then several SIMD channel groups
    cases.push(convCase('whole', r, kind, s, 0, s.outH, true));
    const r0 = int(r, 0, s.outH - 1);
    const r1 = int(r, r0 + 1, s.outH);
    cases.push(convCase('band', r, kind, s, r0, r1, true));
    // Ring buffers: the input keeps k + stride rows (a real pipeline's need), the output 1..3 rows.
    const inRing = Math.min(s.inH, s.kernel + s.stride);
    const outRing = Math.min(s.outH, int(r, 1, 3));
    const y0 = int(r, 0, s.outH - 1);
    const ring = { ...s, inRing, outRing };
    cases.push(convCase('ring', r, kind, ring, y0, Math.min(s.outH, y0 + outRing), false));
    cases.push(convCase('ring-in', r, kind, { ...s, inRing }, y0, s.outH, true));
  }
  return cases;
}

/** General convs the SIMD build runs with output channels in the lanes (tt_conv.c, first layers: in_c <= 4, out_c a
 * multiple of 16, kernel * kernel_w * in_c <= 512), and neighbours that just miss it: whole tensors, bands and rings. */
export function smallReductionCases(r: Rand, count: number): FwdCase[] {
  return Array.from({ length: count }, (_, t) => {
    const s = { ...randomShape(r, 'conv'), outC: pick(r, [16, 16, 32, 48, 8, 20]) };
    const r0 = int(r, 0, s.outH - 1);
    if (t % 3 === 0) return convCase('whole taps', r, 'conv', s, 0, s.outH, true);
    if (t % 3 === 1) return convCase('taps band', r, 'conv', s, r0, int(r, r0 + 1, s.outH), true);
    const ring = { ...s, inRing: Math.min(s.inH, s.kernel + s.stride), outRing: Math.min(s.outH, 2) };
    return convCase('taps ring', r, 'conv', ring, r0, Math.min(s.outH, r0 + ring.outRing), false);
  });
}

/** Shapes of the real backbones (mcu-backbones.json), the benchmark shapes, and the portable fallbacks. */
export function mcuCases(r: Rand): FwdCase[] {
  const sh = (inH: number, inC: number, outC: number, kernel: number, stride: number): ConvShape => {
    const pad = kernel >> 1;
    const outH = Math.floor((inH + 2 * pad - kernel) / stride) + 1;
    return convShape({ inH, inW: inH, inC, outH, outW: outH, outC, kernel, stride, pad });
  };
  // TFLite Micro's micro_speech: 49x40x1 spectrogram, 10x8 kernel, stride 2x2, SAME (top 4, left 3), 8 outputs
  const microSpeech = convShape({
    ...{ inH: 49, inW: 40, inC: 1, outH: 25, outW: 20, outC: 8, kernel: 10, stride: 2, pad: 4 },
    ...{ kernelW: 8, strideW: 2, padLeft: 3 },
  });
  return [
    convCase('mcu', r, 'pointwise', sh(16, 48, 144, 1, 1), 0, 16, true),
    convCase('mcu', r, 'pointwise', sh(8, 160, 40, 1, 1), 2, 7, true),
    convCase('mcu', r, 'depthwise', sh(32, 48, 48, 7, 2), 0, 16, true),
    convCase('mcu', r, 'depthwise', sh(4, 576, 576, 3, 1), 0, 4, true),
    convCase('mcu', r, 'depthwise', sh(16, 120, 120, 3, 2), 3, 8, true),
    convCase('mcu', r, 'conv', sh(64, 3, 16, 3, 2), 0, 32, true),
    convCase('fallback', r, 'pointwise', { ...sh(1, 4100, 3, 1, 1), inW: 2, outW: 2 }, 0, 1, true),
    convCase('fallback', r, 'conv', sh(3, 84, 5, 7, 1), 0, 3, true),
    convCase('micro_speech', r, 'conv', microSpeech, 0, 25, true),
    convCase('micro_speech', r, 'conv', microSpeech, 7, 19, false),
  ];
}

export function vectorCases(r: Rand): FwdCase[] {
  const cases: FwdCase[] = [];
  for (let t = 0; t < 8; t++) {
    const inC = t === 7 ? 4100 : int(r, 1, 600);
    const outC = int(r, 1, 40);
    const outZp = int(r, -128, 0);
    const q: Quant = { inZp: int(r, -128, 127), outZp, actMin: t % 2 ? -128 : outZp, actMax: 127 };
    const w = i8(r, inC * outC, -127, 127);
    const bias = Int32Array.from({ length: outC }, () => int(r, -5000, 5000));
    const mult = Float32Array.from({ length: outC }, () => Math.fround((0.005 + 0.02 * r()) / Math.sqrt(inC)));
    const m = t % 3 ? bytes(r, Math.ceil(outC / 8)) : null;
    const args: Arg[] = [i32(inC), i32(outC), structWords(QUANT_FIELDS, q), i8(r, inC), w, bias, mult, i8(r, outC), m];
    const ref = (x: TypedArray[]) =>
      fw.fcS8(
        inC,
        outC,
        q,
        x[1] as Int8Array,
        x[2] as Int8Array,
        x[3] as Int32Array,
        x[4] as Float32Array,
        x[5] as Int8Array,
        m ? (x[6] as Uint8Array) : null,
      );
    cases.push({ name: `fc ${inC}->${outC}`, fn: 'tt_fc_s8', args, ref });
  }
  for (let t = 0; t < 8; t++) {
    const n = int(r, 1, 300);
    const q: Quant = {
      inZp: int(r, -128, 127),
      outZp: int(r, -128, 127),
      actMin: t % 2 ? -128 : -20,
      actMax: t % 3 ? 127 : 90,
    };
    const [bZp, ma, mb] = [int(r, -128, 127), Math.fround(0.2 + r()), Math.fround(0.2 + r())];
    const m = t % 4 ? bytes(r, Math.ceil(n / 8)) : null;
    const args: Arg[] = [
      i32(n),
      structWords(QUANT_FIELDS, q),
      i32(bZp),
      f32(ma),
      f32(mb),
      i8(r, n),
      i8(r, n),
      i8(r, n),
      m,
    ];
    const ref = (x: TypedArray[]) =>
      fw.addS8(
        n,
        q,
        bZp,
        ma,
        mb,
        x[1] as Int8Array,
        x[2] as Int8Array,
        x[3] as Int8Array,
        m ? (x[4] as Uint8Array) : null,
      );
    cases.push({ name: `add n${n}`, fn: 'tt_add_s8', args, ref });
  }
  for (let t = 0; t < 6; t++) {
    const [h, w, c] = [int(r, 1, 9), int(r, 1, 9), int(r, 1, 150)];
    const [inZp, outZp, m] = [int(r, -128, 127), int(r, -128, 127), Math.fround((0.5 + 2 * r()) / (h * w))];
    const args: Arg[] = [i32(h), i32(w), i32(c), i32(inZp), i32(outZp), f32(m), i8(r, h * w * c), i8(r, c)];
    const ref = (x: TypedArray[]) => fw.avgpoolS8(h, w, c, inZp, outZp, m, x[0] as Int8Array, x[1] as Int8Array);
    cases.push({ name: `avgpool ${h}x${w}x${c}`, fn: 'tt_avgpool_s8', args, ref });
  }
  for (let t = 0; t < 4; t++) {
    const [pixels, c] = [int(r, 1, 40), int(r, 1, 50)];
    const k = int(r, 1, c);
    const ref = (x: TypedArray[]) => fw.sliceChannelsS8(pixels, c, k, x[0] as Int8Array, x[1] as Int8Array);
    const args: Arg[] = [i32(pixels), i32(c), i32(k), i8(r, pixels * c), i8(r, pixels * k)];
    cases.push({ name: `slice ${pixels}x${c}->${k}`, fn: 'tt_slice_channels_s8', args, ref });
  }
  for (let t = 0; t < 6; t++) {
    const [pixels, ka, kb] = [int(r, 1, 100), int(r, 0, 60), int(r, t === 0 ? 0 : 1, 60)];
    const ref = (x: TypedArray[]) =>
      fw.concatChannelsS8(pixels, ka, kb, x[0] as Int8Array, x[1] as Int8Array, x[2] as Int8Array);
    const [a, b, out] = [i8(r, pixels * ka), i8(r, pixels * kb), i8(r, pixels * (ka + kb))];
    const args: Arg[] = [i32(pixels), i32(ka), i32(kb), a, b, out];
    cases.push({ name: `concat ${pixels}x(${ka}+${kb})`, fn: 'tt_concat_channels_s8', args, ref });
  }
  return cases;
}

/** Softmax cross-entropy (loss returned, gradient written) and expf / logf over their ranges. */
export function mathCases(r: Rand): FwdCase[] {
  const cases: FwdCase[] = [];
  for (let t = 0; t < 12; t++) {
    const n = int(r, 2, 40);
    const [zp, scale, label] = [int(r, -50, 50), Math.fround(0.01 + 0.5 * r()), int(r, 0, n - 1)];
    const logits = i8(r, n);
    const grad = t % 4 === 3 ? null : new Float32Array(n).fill(NaN);
    const ret = fw.softmaxXentS8(n, logits, zp, scale, label, grad ? new Float32Array(n) : null);
    const ref = (x: TypedArray[]) =>
      void fw.softmaxXentS8(n, logits, zp, scale, label, grad ? (x[1] as Float32Array) : null);
    const args: Arg[] = [i32(n), logits, i32(zp), f32(scale), i32(label), grad];
    cases.push({ name: `softmax n${n} scale ${scale}`, fn: 'tt_softmax_xent_s8', args, ref, ret });
  }
  for (let t = 0; t < 400; t++) {
    const x = Math.fround(
      t < 380 ? -104 + 193 * r() : pick(r, [0, -0, 1, -87.4, 88.7, 88.72283, -103.9, 1e-30, 89, -200]),
    );
    cases.push({ name: `expf ${x}`, fn: 'tt_expf', args: [f32(x)], ref: () => {}, ret: expf(x) });
    const y = Math.fround(t < 380 ? 2 ** (-149 + 277 * r()) : pick(r, [1, 0, 2 ** -149, 3.4e38, 0.9999999, 1.0000001]));
    cases.push({ name: `logf ${y}`, fn: 'tt_logf', args: [f32(y)], ref: () => {}, ret: logf(y) });
  }
  return cases;
}
