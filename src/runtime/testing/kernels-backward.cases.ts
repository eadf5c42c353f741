/**
 * Randomized calls of the backward, update and fused kernels, each paired with the TypeScript reference that
 * defines its result. A case lists the C arguments; `ref(the)` runs the reference on copies of the typed-array
 * arguments (`the(x)` is the copy of argument x), so the expected outputs are exactly those copies.
 * Shapes are seeded and cover odd channel counts (SIMD blocks of 16 and 4 plus scalar tails), k 3/5/7,
 * stride 1/2, uneven padding, partial k with a strided saved input, accumulate on/off and every rounding mode.
 */
import {
  CONV_SHAPE_FIELDS,
  UPDATE_PARAMS_FIELDS,
  convShape,
  structWords,
  type ConvShape,
  type Rng,
  type RoundingMode,
  type UpdateParams,
} from '../../compiler/kernel-abi';
import * as bw from '../../compiler/reference/backward';
import * as up from '../../compiler/reference/update';
import type { Arg, TypedArray } from './kernel-harness';

/** The copy of a typed-array argument that the reference works on. */
export type CopyOf = <T extends TypedArray>(arg: T) => T;

export interface Case {
  name: string;
  fn: string;
  args: Arg[];
  ref: (the: CopyOf) => void;
  /** scratch arguments whose contents after the call are not specified */
  ignore?: TypedArray[];
}

export type Rand = () => number;

export function seeded(seed: number): Rand {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const i8 = (r: Rand, n: number, lo = -128, hi = 127) => Int8Array.from({ length: n }, () => int(r, lo, hi));
/** Floats in [lo, hi) with some exact zeros and negative zeros (sign-of-zero bugs show up bit-exactly). */
const f32 = (r: Rand, n: number, lo = -1, hi = 1) =>
  Float32Array.from({ length: n }, () => {
    const u = r();
    return u < 0.03 ? 0 : u < 0.06 ? -0 : lo + (hi - lo) * r();
  });
const mask = (r: Rand, n: number) => Uint8Array.from({ length: Math.ceil(n / 8) }, () => int(r, 0, 255));
const seed = (r: Rand) => Uint32Array.of(int(r, 1, 2 ** 31));
const i32 = (v: number) => ({ i32: v });
const shapeArg = (s: ConvShape) => structWords(CONV_SHAPE_FIELDS, s);

/** Runs a reference with an Rng view of a Uint32Array(1) state and writes the new state back into it. */
function withRng(state: Uint32Array, run: (rng: Rng) => void): void {
  const rng = { state: state[0] };
  run(rng);
  state[0] = rng.state;
}

type ConvKind = 'conv' | 'depthwise' | 'pointwise';

/** One axis: kernel, stride, leading pad (the trailing one may differ), input and output length. */
function randomAxis(r: Rand, kernel: number, stride: number, maxPad: number, maxLen: number) {
  const pad = int(r, 0, maxPad);
  const padEnd = int(r, 0, maxPad);
  const len = int(r, Math.max(1, kernel - pad - padEnd), maxLen);
  return { kernel, stride, pad, len, out: Math.floor((len + pad + padEnd - kernel) / stride) + 1 };
}

/** A random conv geometry; padding at the bottom/right may differ from the top/left one. Every other general
 * conv is rectangular (kernel width 1..8, horizontal stride 1..3, its own left pad). */
export function randomShape(r: Rand, kind: ConvKind, big = false): ConvShape {
  const kernel = kind === 'pointwise' ? 1 : pick(r, [3, 5, 7]);
  const stride = kind === 'pointwise' ? 1 : int(r, 1, 2);
  const maxPad = kind === 'pointwise' ? 0 : kernel >> 1;
  const y = randomAxis(r, kernel, stride, maxPad, big ? 12 : 8);
  const rect = kind === 'conv' && r() < 0.5;
  const kw = rect ? int(r, 1, 8) : kernel;
  const x = rect ? randomAxis(r, kw, int(r, 1, 3), kw - 1, 10) : randomAxis(r, kernel, stride, maxPad, big ? 12 : 8);
  const inC = kind === 'conv' ? int(r, 1, big ? 9 : 5) : int(r, 1, big ? 45 : 37);
  const outC = kind === 'depthwise' ? inC : int(r, 1, kind === 'conv' ? 37 : 41);
  return {
    ...{ inH: y.len, inW: x.len, inC, outH: y.out, outW: x.out, outC, kernel, stride, pad: y.pad },
    ...{ inRing: y.len, outRing: y.out, kernelW: x.kernel, strideW: x.stride, padLeft: x.pad },
  };
}

const wLen = (kind: ConvKind, s: ConvShape) =>
  kind === 'depthwise' ? s.kernel * s.kernel * s.inC : s.outC * s.kernel * s.kernelW * s.inC;

export function elementwiseCases(r: Rand): Case[] {
  const out: Case[] = [];
  for (let t = 0; t < 6; t++) {
    const [n, acc] = [int(r, 1, 70), t % 2];
    const [g, m, go, gi] = [f32(r, n), mask(r, n), f32(r, n), f32(r, n)];
    out.push({
      name: `clamp n${n}`,
      fn: 'tt_clamp_f32_bwd',
      args: [i32(n), g, m],
      ref: (the) => bw.clampF32Bwd(n, the(g), the(m)),
    });
    out.push({
      name: `add n${n} acc${acc}`,
      fn: 'tt_add_f32_bwd_input',
      args: [i32(n), go, m, gi, i32(acc)],
      ref: (the) => bw.addF32BwdInput(n, the(go), the(m), the(gi), acc),
    });
    const [h, w, c] = [int(r, 1, 7), int(r, 1, 7), int(r, 1, 21)];
    const [pg, pgi] = [f32(r, c), f32(r, h * w * c)];
    out.push({
      name: `avgpool ${h}x${w}x${c} acc${acc}`,
      fn: 'tt_avgpool_f32_bwd_input',
      args: [i32(h), i32(w), i32(c), pg, pgi, i32(acc)],
      ref: (the) => bw.avgpoolF32BwdInput(h, w, c, the(pg), the(pgi), acc),
    });
    const [p, ch] = [int(r, 1, 40), int(r, 1, 37)];
    const [bg, gb] = [f32(r, p * ch), new Float32Array(ch)];
    out.push({
      name: `bias ${p}x${ch}`,
      fn: 'tt_bias_f32_bwd',
      args: [i32(p), i32(ch), bg, gb],
      ref: (the) => bw.biasF32Bwd(p, ch, the(bg), the(gb)),
    });
  }
  return out;
}

const bwdInput = { pointwise: bw.pointwiseF32BwdInput, conv: bw.convF32BwdInput, depthwise: bw.depthwiseF32BwdInput };
const bwdWeight = {
  pointwise: bw.pointwiseF32BwdWeight,
  conv: bw.convF32BwdWeight,
  depthwise: bw.depthwiseF32BwdWeight,
};

/** The input and the weight gradient of one layer (a random k <= in_c columns and input row stride). */
function gradientPair(r: Rand, kind: ConvKind, s: ConvShape, t: number): Case[] {
  const acc = int(r, 0, 1);
  const tag = `${kind} ${s.inH}x${s.inW}x${s.inC}->${s.outC} k${s.kernel}x${s.kernelW} s${s.stride}x${s.strideW} p${s.pad}/${s.padLeft}`;
  const [go, w, ws, gi] = [
    f32(r, s.outH * s.outW * s.outC),
    i8(r, wLen(kind, s), -127),
    f32(r, s.outC, 0.001, 0.05),
    f32(r, s.inH * s.inW * s.inC),
  ];
  const k = t % 4 === 0 ? s.inC : int(r, 1, s.inC);
  const inStride = int(r, k, s.inC);
  const [zp, sx] = [int(r, -128, 127), Math.fround(0.001 + 0.1 * r())];
  const x = i8(r, s.inH * s.inW * inStride);
  const gw = new Float32Array((kind === 'depthwise' ? 1 : s.outC) * s.kernel * s.kernelW * k);
  return [
    {
      name: `${tag} bwd_input acc${acc}`,
      fn: `tt_${kind}_f32_bwd_input`,
      args: [shapeArg(s), go, w, ws, gi, i32(acc)],
      ref: (the) => bwdInput[kind](s, the(go), the(w), the(ws), the(gi), acc),
    },
    {
      name: `${tag} bwd_weight k${k}/${s.inC} stride${inStride}`,
      fn: `tt_${kind}_f32_bwd_weight`,
      args: [shapeArg(s), go, x, i32(inStride), i32(zp), { f32: sx }, i32(k), gw],
      ref: (the) => bwdWeight[kind](s, the(go), the(x), inStride, zp, sx, k, the(gw)),
    },
  ];
}

/** Input and weight gradients of pointwise, conv and depthwise layers, and pointwise layers of more pixels than
 * the SIMD weight gradient stages at once (128: sums carried across stages). */
export function convGradientCases(r: Rand): Case[] {
  const out: Case[] = [];
  for (let t = 0; t < 36; t++) {
    const kind = (['pointwise', 'conv', 'depthwise'] as const)[t % 3];
    out.push(...gradientPair(r, kind, randomShape(r, kind, t % 6 < 2), t));
  }
  for (const [h, w, inC, outC] of [
    [13, 23, 35, 19],
    [16, 16, 48, 144],
  ]) {
    const s = { ...randomShape(r, 'pointwise'), inH: h, inW: w, inC, outH: h, outW: w, outC, inRing: h, outRing: h };
    out.push(...gradientPair(r, 'pointwise', s, 0));
  }
  return [...out, ...depthwiseRowCases(r), ...depthwiseInputRowsCases(r)];
}

/** Depthwise weight gradients the WebAssembly SIMD build computes a kernel row at a time (stride 1, kernel 3/5/7,
 * k a multiple of 4, tt_dw_weight_simd.c), with uneven padding and a strided saved input. */
function depthwiseRowCases(r: Rand): Case[] {
  return [3, 5, 7, 5].map((kernel, t) => {
    const [pad, padEnd, inH, inW, inC] = [
      int(r, 0, kernel >> 1),
      int(r, 0, kernel >> 1),
      int(r, kernel, 10),
      int(r, kernel, 11),
      20,
    ];
    const [outH, outW] = [inH + pad + padEnd - kernel + 1, inW + pad + padEnd - kernel + 1];
    const s = convShape({ inH, inW, inC, outH, outW, outC: inC, kernel, stride: 1, pad });
    const [k, inStride] = t % 2 ? [8, 12] : [20, 20];
    const [zp, sx] = [int(r, -128, 127), Math.fround(0.001 + 0.1 * r())];
    const [go, x, gw] = [f32(r, outH * outW * inC), i8(r, inH * inW * inStride), new Float32Array(kernel * kernel * k)];
    return {
      name: `depthwise ${inH}x${inW}x${inC} k${kernel} s1 p${pad}/${padEnd} bwd_weight k${k}/${inC} stride${inStride}`,
      fn: 'tt_depthwise_f32_bwd_weight',
      args: [shapeArg(s), go, x, i32(inStride), i32(zp), { f32: sx }, i32(k), gw],
      ref: (the) => bwdWeight.depthwise(s, the(go), the(x), inStride, zp, sx, k, the(gw)),
    };
  });
}

/** Input and weight gradients of fully connected layers. */
export function fcGradientCases(r: Rand): Case[] {
  const out: Case[] = [];
  for (let t = 0; t < 8; t++) {
    const [inC, outC, acc] = [int(r, 1, 90), int(r, 1, 21), t % 2];
    const [go, w, ws, gi, x] = [
      f32(r, outC),
      i8(r, inC * outC, -127),
      f32(r, outC, 0.001, 0.05),
      f32(r, inC),
      i8(r, inC),
    ];
    out.push({
      name: `fc ${inC}->${outC} bwd_input acc${acc}`,
      fn: 'tt_fc_f32_bwd_input',
      args: [i32(inC), i32(outC), go, w, ws, gi, i32(acc)],
      ref: (the) => bw.fcF32BwdInput(inC, outC, the(go), the(w), the(ws), the(gi), acc),
    });
    const [k, zp, sx] = [int(r, 1, inC), int(r, -128, 127), Math.fround(0.01 + r())];
    const gw = new Float32Array(outC * k);
    out.push({
      name: `fc ${inC}->${outC} bwd_weight k${k}`,
      fn: 'tt_fc_f32_bwd_weight',
      args: [i32(inC), i32(outC), go, x, i32(zp), { f32: sx }, i32(k), gw],
      ref: (the) => bw.fcF32BwdWeight(inC, outC, the(go), the(x), zp, sx, k, the(gw)),
    });
  }
  return out;
}

/** tt_update_s8 / tt_update_s32 in every rounding mode, with steps from sub-LSB to saturating. */
export function updateCases(r: Rand): Case[] {
  const out: Case[] = [];
  for (let t = 0; t < 18; t++) {
    const rounding = (t % 3) as RoundingMode;
    const [rows, cols, channelIsCol, rowsPerChannel] = [int(r, 1, 12), int(r, 1, 19), int(r, 0, 1), int(r, 1, 3)];
    const p: UpdateParams = { rows, cols, rowStride: cols + int(r, 0, 5), rowsPerChannel, channelIsCol, rounding };
    const lr = Math.fround(0.01 + 2 * r());
    const g = f32(r, rows * cols, -3, 3);
    const gs = f32(r, channelIsCol ? cols : Math.ceil(rows / rowsPerChannel), 0.2, 30);
    const [w, st] = [i8(r, (rows - 1) * p.rowStride + cols, -127), seed(r)];
    out.push({
      name: `update_s8 ${rows}x${cols} col${channelIsCol} rounding${rounding}`,
      fn: 'tt_update_s8',
      args: [structWords(UPDATE_PARAMS_FIELDS, p), g, gs, { f32: lr }, w, st],
      ref: (the) => withRng(the(st), (rng) => up.updateS8(p, the(g), the(gs), lr, the(w), rng)),
    });
    const n = int(r, 1, 40);
    // a layer's bias bound (2^31 - 1 - F * 32385; F = 0: the int32 range), biases near it on both sides
    const bound = 2 ** 31 - 1 - (t % 2 ? 0 : int(r, 1, 3000)) * 32385;
    const near = () => (r() < 0.1 ? bound - 50001 : r() < 0.1 ? -(bound - 50001) : 0);
    const b = Int32Array.from({ length: n }, () => int(r, -50000, 50000) + near());
    const [bg, bgs, bst] = [f32(r, n, -3, 3), f32(r, n, 0.5, 3000), seed(r)];
    out.push({
      name: `update_s32 n${n} bound${bound} rounding${rounding}`,
      fn: 'tt_update_s32',
      args: [i32(n), i32(bound), i32(rounding), bg, bgs, { f32: lr }, b, bst],
      ref: (the) => withRng(the(bst), (rng) => up.updateS32(n, bound, rounding, the(bg), the(bgs), lr, the(b), rng)),
    });
  }
  return out;
}

const fusedRef = { pointwise: up.pointwiseBwdUpdateS8, conv: up.convBwdUpdateS8, depthwise: up.depthwiseBwdUpdateS8 };

/** One fused weight-gradient + update call; fc is a 1x1 layer on one pixel with its own argument list. */
function fusedCase(r: Rand, kind: ConvKind | 'fc', rounding: RoundingMode, shape?: ConvShape): Case {
  const s = shape ?? randomShape(r, kind === 'fc' ? 'pointwise' : kind);
  if (kind === 'fc') Object.assign(s, { inH: 1, inW: 1, outH: 1, outW: 1, inRing: 1, outRing: 1 });
  const k = int(r, 1, s.inC);
  const inStride = kind === 'fc' ? s.inC : int(r, k, s.inC);
  const [zp, sx, lr] = [int(r, -128, 127), Math.fround(0.005 + 0.05 * r()), Math.fround(0.05 + r())];
  const [go, x, gs] = [f32(r, s.outH * s.outW * s.outC), i8(r, s.inH * s.inW * inStride), f32(r, s.outC, 1, 60)];
  const [w, st] = [i8(r, wLen(kind === 'fc' ? 'pointwise' : kind, s), -127), seed(r)];
  const scratch = new Float32Array((kind === 'conv' ? s.kernel * s.kernelW : 1) * k);
  const tail: Arg[] = [i32(zp), { f32: sx }, i32(k), gs, { f32: lr }, i32(rounding), w, st, scratch];
  const geo = `k${s.kernel}x${s.kernelW} s${s.stride}x${s.strideW} p${s.pad}/${s.padLeft}`;
  const name = `fused ${kind} ${s.inH}x${s.inW}x${s.inC}->${s.outC} ${geo} k${k} rounding${rounding}`;
  if (kind === 'fc') {
    return {
      name,
      fn: 'tt_fc_bwd_update_s8',
      args: [i32(s.inC), i32(s.outC), go, x, ...tail],
      ignore: [scratch],
      ref: (the) =>
        withRng(the(st), (rng) =>
          up.fcBwdUpdateS8(s.inC, s.outC, the(go), the(x), zp, sx, k, the(gs), lr, rounding, the(w), rng),
        ),
    };
  }
  return {
    name,
    fn: `tt_${kind}_bwd_update_s8`,
    args: [shapeArg(s), go, x, i32(inStride), ...tail],
    ignore: [scratch],
    ref: (the) =>
      withRng(the(st), (rng) =>
        fusedRef[kind](s, the(go), the(x), inStride, zp, sx, k, the(gs), lr, rounding, the(w), rng),
      ),
  };
}

/** The fused kernels (pointwise, conv, depthwise, fc) in every rounding mode. */
export function fusedCases(r: Rand): Case[] {
  const kinds = ['pointwise', 'conv', 'depthwise', 'fc'] as const;
  const whole = Array.from({ length: 24 }, (_, t) => fusedCase(r, kinds[t % 4], (t % 3) as RoundingMode));
  return [...whole, ...updateRangeCases(r)];
}

/** The entry a thread updates a pointwise layer's output channels [c0, c1) with (a thread split's part). */
function updateRangeCases(r: Rand): Case[] {
  const out: Case[] = [];
  for (let t = 0; t < 6; t++) {
    const rounding = (t % 3) as RoundingMode;
    const s = randomShape(r, 'pointwise');
    const k = int(r, 1, s.inC);
    const c0 = int(r, 0, s.outC - 1);
    const c1 = int(r, c0 + 1, s.outC);
    const [zp, sx, lr] = [int(r, -128, 127), Math.fround(0.005 + 0.05 * r()), Math.fround(0.05 + r())];
    const [go, x, gs] = [f32(r, s.outH * s.outW * s.outC), i8(r, s.inH * s.inW * s.inC), f32(r, s.outC, 1, 60)];
    const [w, st, scratch] = [i8(r, s.outC * s.inC, -127), seed(r), new Float32Array(k)];
    out.push({
      name: `pointwise update range [${c0}, ${c1}) of ${s.outC} k${k} rounding${rounding}`,
      fn: 'tt_pointwise_bwd_update_s8_range',
      args: [
        shapeArg(s),
        go,
        x,
        i32(s.inC),
        i32(zp),
        { f32: sx },
        i32(k),
        gs,
        { f32: lr },
        i32(rounding),
        w,
        st,
        scratch,
        i32(c0),
        i32(c1),
      ],
      ignore: [scratch],
      ref: (the) =>
        withRng(the(st), (rng) =>
          up.pointwiseBwdUpdateS8Range(
            s,
            the(go),
            the(x),
            s.inC,
            zp,
            sx,
            k,
            the(gs),
            lr,
            rounding,
            the(w),
            rng,
            undefined,
            c0,
            c1,
          ),
        ),
    });
  }
  return out;
}

/** The entry a thread computes input rows [r0, r1) of a depthwise input gradient with (a thread split's part). */
function depthwiseInputRowsCases(r: Rand): Case[] {
  const out: Case[] = [];
  for (let t = 0; t < 6; t++) {
    const d = randomShape(r, 'depthwise', true);
    const [r0, r1] = [int(r, 0, d.inH), int(r, 0, d.inH)].sort((a, b) => a - b);
    const acc = t % 2;
    const [dgo, dw, dws, dgi] = [
      f32(r, d.outH * d.outW * d.outC),
      i8(r, wLen('depthwise', d), -127),
      f32(r, d.outC, 0.001, 0.05),
      f32(r, d.inH * d.inW * d.inC),
    ];
    out.push({
      name: `depthwise ${d.inH}x${d.inW}x${d.inC} k${d.kernel} s${d.stride} bwd_input rows [${r0}, ${r1}) acc${acc}`,
      fn: 'tt_depthwise_f32_bwd_input_rows',
      args: [shapeArg(d), dgo, dw, dws, dgi, i32(acc), i32(r0), i32(r1)],
      ref: (the) => bw.depthwiseF32BwdInputRows(d, the(dgo), the(dw), the(dws), the(dgi), acc, r0, r1),
    });
  }
  return out;
}

/** Depthwise layers with rows wide enough for the WebAssembly SIMD register-tiled paths (groups of pixels a stride
 * apart, clipped at both edges, 8 channels a pass plus tails): input and weight gradients and the fused update,
 * stride 1 and 2, kernel 3/5/7; then planes too large for the float stages (the unstaged paths). */
export function depthwiseWideCases(r: Rand): Case[] {
  const out: Case[] = [];
  for (let t = 0; t < 12; t++) {
    const [kernel, stride] = [[3, 5, 7][t % 3], 1 + (Math.floor(t / 3) % 2)];
    const [inH, inW, inC] = [int(r, kernel, 9), int(r, 13, 27), pick(r, [8, 13, 20, 27, 48])];
    out.push(...depthwiseTrio(r, t, { inH, inW, inC, kernel, stride }));
  }
  const large = [
    { inH: 46, inW: 46, inC: 8, kernel: 3, stride: 1 },
    { inH: 47, inW: 45, inC: 12, kernel: 5, stride: 2 },
    { inH: 9, inW: 14, inC: 88, kernel: 7, stride: 1 },
  ];
  large.forEach((g, j) => out.push(...depthwiseTrio(r, j, g)));
  return out;
}

type DwGeometry = { inH: number; inW: number; inC: number; kernel: number; stride: number };

/** Input gradient, weight gradient (k all channels or a multiple of 4 half the time) and fused update of one layer. */
function depthwiseTrio(r: Rand, t: number, { inH, inW, inC, kernel, stride }: DwGeometry): Case[] {
  const [pad, padEnd] = [int(r, 0, kernel >> 1), int(r, 0, kernel >> 1)];
  const [outH, outW] = [inH, inW].map((n) => Math.floor((n + pad + padEnd - kernel) / stride) + 1);
  const s: ConvShape = {
    ...{ inH, inW, inC, outH, outW, outC: inC, kernel, stride, pad, inRing: inH, outRing: outH },
    ...{ kernelW: kernel, strideW: stride, padLeft: pad },
  };
  const tag = `depthwise wide ${inH}x${inW}x${inC} k${kernel} s${stride} p${pad}/${padEnd}`;
  const acc = t % 2;
  const [go, w, ws] = [f32(r, outH * outW * inC), i8(r, wLen('depthwise', s), -127), f32(r, inC, 0.001, 0.05)];
  const g = f32(r, inH * inW * inC);
  const k = t % 4 === 0 ? inC : t % 4 === 1 ? 4 * int(r, 1, inC >> 2) : int(r, 1, inC);
  const inStride = int(r, k, inC);
  const [zp, sx] = [int(r, -128, 127), Math.fround(0.001 + 0.1 * r())];
  const [x, gw] = [i8(r, inH * inW * inStride), new Float32Array(kernel * kernel * k)];
  return [
    {
      name: `${tag} bwd_input acc${acc}`,
      fn: 'tt_depthwise_f32_bwd_input',
      args: [shapeArg(s), go, w, ws, g, i32(acc)],
      ref: (the) => bw.depthwiseF32BwdInput(s, the(go), the(w), the(ws), the(g), acc),
    },
    {
      name: `${tag} bwd_weight k${k}/${inC} stride${inStride}`,
      fn: 'tt_depthwise_f32_bwd_weight',
      args: [shapeArg(s), go, x, i32(inStride), i32(zp), { f32: sx }, i32(k), gw],
      ref: (the) => bw.depthwiseF32BwdWeight(s, the(go), the(x), inStride, zp, sx, k, the(gw)),
    },
    fusedCase(r, 'depthwise', (t % 3) as RoundingMode, s),
  ];
}
