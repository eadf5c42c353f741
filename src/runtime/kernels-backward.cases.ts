/**
 * Randomized calls of the backward, update and fused kernels, each paired with the TypeScript reference that
 * defines its result. A case lists the C arguments; `ref` receives copies of the typed-array arguments (in
 * argument order) and applies the reference to them, so the expected outputs are exactly those copies.
 * Shapes are seeded and cover odd channel counts (SIMD blocks of 16 and 4 plus scalar tails), k 3/5/7,
 * stride 1/2, uneven padding, partial k with a strided saved input, accumulate on/off and every rounding mode.
 */
import {
  CONV_SHAPE_FIELDS,
  UPDATE_PARAMS_FIELDS,
  structWords,
  type ConvShape,
  type Rng,
  type RoundingMode,
  type UpdateParams,
} from '../compiler/kernel-abi';
import * as bw from '../compiler/reference/backward';
import * as up from '../compiler/reference/update';
import type { Arg, TypedArray } from './kernel-harness';

export interface Case {
  name: string;
  fn: string;
  args: Arg[];
  ref: (t: TypedArray[]) => void;
  /** indices (among the typed-array arguments) of scratch buffers whose contents are not specified */
  ignore?: number[];
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
const shapeArg = (s: ConvShape) => structWords(CONV_SHAPE_FIELDS, s);
const rngOf = (t: TypedArray): Rng => ({ state: t[0] });

/** A random conv geometry; padding at the bottom/right may differ from the top/left one. */
export function randomShape(r: Rand, kind: 'conv' | 'depthwise' | 'pointwise', big = false): ConvShape {
  const kernel = kind === 'pointwise' ? 1 : pick(r, [3, 5, 7]);
  const stride = kind === 'pointwise' ? 1 : int(r, 1, 2);
  const pad = kind === 'pointwise' ? 0 : int(r, 0, kernel >> 1);
  const padEnd = kind === 'pointwise' ? 0 : int(r, 0, kernel >> 1);
  const inH = int(r, Math.max(1, kernel - pad - padEnd), big ? 12 : 8);
  const inW = int(r, Math.max(1, kernel - pad - padEnd), big ? 12 : 8);
  const inC = kind === 'conv' ? int(r, 1, big ? 9 : 5) : int(r, 1, big ? 45 : 37);
  const outC = kind === 'depthwise' ? inC : int(r, 1, kind === 'conv' ? 37 : 41);
  const outH = Math.floor((inH + pad + padEnd - kernel) / stride) + 1;
  const outW = Math.floor((inW + pad + padEnd - kernel) / stride) + 1;
  return { inH, inW, inC, outH, outW, outC, kernel, stride, pad, inRing: inH, outRing: outH };
}

const wLen = (kind: string, s: ConvShape) =>
  kind === 'depthwise' ? s.kernel * s.kernel * s.inC : s.outC * s.kernel * s.kernel * s.inC;

export function elementwiseCases(r: Rand): Case[] {
  const out: Case[] = [];
  for (let t = 0; t < 6; t++) {
    const n = int(r, 1, 70);
    const acc = t % 2;
    out.push({
      name: `clamp n${n}`,
      fn: 'tt_clamp_f32_bwd',
      args: [{ i32: n }, f32(r, n), mask(r, n)],
      ref: ([g, m]) => bw.clampF32Bwd(n, g as Float32Array, m as Uint8Array),
    });
    out.push({
      name: `add n${n} acc${acc}`,
      fn: 'tt_add_f32_bwd_input',
      args: [{ i32: n }, f32(r, n), mask(r, n), f32(r, n), { i32: acc }],
      ref: ([go, m, gi]) => bw.addF32BwdInput(n, go as Float32Array, m as Uint8Array, gi as Float32Array, acc),
    });
    const [h, w, c] = [int(r, 1, 7), int(r, 1, 7), int(r, 1, 21)];
    out.push({
      name: `avgpool ${h}x${w}x${c} acc${acc}`,
      fn: 'tt_avgpool_f32_bwd_input',
      args: [{ i32: h }, { i32: w }, { i32: c }, f32(r, c), f32(r, h * w * c), { i32: acc }],
      ref: ([go, gi]) => bw.avgpoolF32BwdInput(h, w, c, go as Float32Array, gi as Float32Array, acc),
    });
    const [p, ch] = [int(r, 1, 40), int(r, 1, 37)];
    out.push({
      name: `bias ${p}x${ch}`,
      fn: 'tt_bias_f32_bwd',
      args: [{ i32: p }, { i32: ch }, f32(r, p * ch), new Float32Array(ch)],
      ref: ([go, gb]) => bw.biasF32Bwd(p, ch, go as Float32Array, gb as Float32Array),
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

/** Input and weight gradients of pointwise, conv and depthwise layers, and fc. */
export function gradientCases(r: Rand): Case[] {
  const out: Case[] = [];
  for (let t = 0; t < 36; t++) {
    const kind = (['pointwise', 'conv', 'depthwise'] as const)[t % 3];
    const s = randomShape(r, kind, t % 6 < 2);
    const acc = int(r, 0, 1);
    const tag = `${kind} ${s.inH}x${s.inW}x${s.inC}->${s.outC} k${s.kernel} s${s.stride} p${s.pad}`;
    const nOut = s.outH * s.outW * s.outC;
    const nIn = s.inH * s.inW * s.inC;
    out.push({
      name: `${tag} bwd_input acc${acc}`,
      fn: `tt_${kind}_f32_bwd_input`,
      args: [
        shapeArg(s),
        f32(r, nOut),
        i8(r, wLen(kind, s), -127),
        f32(r, s.outC, 0.001, 0.05),
        f32(r, nIn),
        { i32: acc },
      ],
      ref: ([, go, w, ws, gi]) =>
        bwdInput[kind](s, go as Float32Array, w as Int8Array, ws as Float32Array, gi as Float32Array, acc),
    });
    const k = t % 4 === 0 ? s.inC : int(r, 1, s.inC);
    const inStride = int(r, k, s.inC);
    const [zp, sx] = [int(r, -128, 127), Math.fround(0.001 + 0.1 * r())];
    const gLen = (kind === 'depthwise' ? 1 : s.outC) * s.kernel * s.kernel * k;
    out.push({
      name: `${tag} bwd_weight k${k}/${s.inC} stride${inStride}`,
      fn: `tt_${kind}_f32_bwd_weight`,
      args: [
        shapeArg(s),
        f32(r, nOut),
        i8(r, s.inH * s.inW * inStride),
        { i32: inStride },
        { i32: zp },
        { f32: sx },
        { i32: k },
        new Float32Array(gLen),
      ],
      ref: ([, go, x, gw]) =>
        bwdWeight[kind](s, go as Float32Array, x as Int8Array, inStride, zp, sx, k, gw as Float32Array),
    });
  }
  for (let t = 0; t < 8; t++) {
    const [inC, outC, acc] = [int(r, 1, 90), int(r, 1, 21), t % 2];
    const k = int(r, 1, inC);
    const [zp, sx] = [int(r, -128, 127), Math.fround(0.01 + r())];
    out.push({
      name: `fc ${inC}->${outC} bwd_input acc${acc}`,
      fn: 'tt_fc_f32_bwd_input',
      args: [
        { i32: inC },
        { i32: outC },
        f32(r, outC),
        i8(r, inC * outC, -127),
        f32(r, outC, 0.001, 0.05),
        f32(r, inC),
        { i32: acc },
      ],
      ref: ([go, w, ws, gi]) =>
        bw.fcF32BwdInput(inC, outC, go as Float32Array, w as Int8Array, ws as Float32Array, gi as Float32Array, acc),
    });
    out.push({
      name: `fc ${inC}->${outC} bwd_weight k${k}`,
      fn: 'tt_fc_f32_bwd_weight',
      args: [
        { i32: inC },
        { i32: outC },
        f32(r, outC),
        i8(r, inC),
        { i32: zp },
        { f32: sx },
        { i32: k },
        new Float32Array(outC * k),
      ],
      ref: ([go, x, gw]) =>
        bw.fcF32BwdWeight(inC, outC, go as Float32Array, x as Int8Array, zp, sx, k, gw as Float32Array),
    });
  }
  return out;
}

/** tt_update_s8 / tt_update_s32 in every rounding mode, with steps from sub-LSB to saturating. */
export function updateCases(r: Rand): Case[] {
  const out: Case[] = [];
  for (let t = 0; t < 18; t++) {
    const rounding = (t % 3) as RoundingMode;
    const rows = int(r, 1, 12);
    const cols = int(r, 1, 19);
    const colMode = int(r, 0, 1);
    const rpc = int(r, 1, 3);
    const p: UpdateParams = {
      rows,
      cols,
      rowStride: cols + int(r, 0, 5),
      rowsPerChannel: rpc,
      channelIsCol: colMode,
      rounding,
    };
    const nCh = colMode ? cols : Math.ceil(rows / rpc);
    const lr = Math.fround(0.01 + 2 * r());
    out.push({
      name: `update_s8 ${rows}x${cols} col${colMode} rounding${rounding}`,
      fn: 'tt_update_s8',
      args: [
        structWords(UPDATE_PARAMS_FIELDS, p),
        f32(r, rows * cols, -3, 3),
        f32(r, nCh, 0.2, 30),
        { f32: lr },
        i8(r, (rows - 1) * p.rowStride + cols, -127),
        Uint32Array.of(int(r, 1, 2 ** 31)),
      ],
      ref: ([, g, gs, w, rng]) =>
        withRng(rng, (st) => up.updateS8(p, g as Float32Array, gs as Float32Array, lr, w as Int8Array, st)),
    });
    const n = int(r, 1, 40);
    const b = Int32Array.from({ length: n }, () => int(r, -50000, 50000) + (r() < 0.1 ? 2 ** 31 - 50001 : 0));
    out.push({
      name: `update_s32 n${n} rounding${rounding}`,
      fn: 'tt_update_s32',
      args: [
        { i32: n },
        { i32: rounding },
        f32(r, n, -3, 3),
        f32(r, n, 0.5, 3000),
        { f32: lr },
        b,
        Uint32Array.of(int(r, 1, 2 ** 31)),
      ],
      ref: ([g, gs, bq, rng]) =>
        withRng(rng, (st) =>
          up.updateS32(n, rounding, g as Float32Array, gs as Float32Array, lr, bq as Int32Array, st),
        ),
    });
  }
  return out;
}

/** Runs a reference with an Rng view of a Uint32Array(1) and writes the state back. */
function withRng(t: TypedArray, run: (rng: Rng) => void): void {
  const rng = rngOf(t);
  run(rng);
  t[0] = rng.state;
}

const fusedRef = { pointwise: up.pointwiseBwdUpdateS8, conv: up.convBwdUpdateS8, depthwise: up.depthwiseBwdUpdateS8 };

/** The fused weight-gradient + update kernels (pointwise, conv, depthwise, fc), every rounding mode. */
export function fusedCases(r: Rand): Case[] {
  const out: Case[] = [];
  for (let t = 0; t < 24; t++) {
    const kind = (['pointwise', 'conv', 'depthwise', 'fc'] as const)[t % 4];
    const rounding = (t % 3) as RoundingMode;
    const s = randomShape(r, kind === 'fc' ? 'pointwise' : kind);
    if (kind === 'fc') Object.assign(s, { inH: 1, inW: 1, outH: 1, outW: 1, inRing: 1, outRing: 1 });
    const k = int(r, 1, s.inC);
    const inStride = kind === 'fc' ? s.inC : int(r, k, s.inC);
    const [zp, sx, lr] = [int(r, -128, 127), Math.fround(0.005 + 0.05 * r()), Math.fround(0.05 + r())];
    const nOut = s.outH * s.outW * s.outC;
    const taps = s.kernel * s.kernel;
    const scratch = new Float32Array((kind === 'conv' ? taps : 1) * k);
    const gs = f32(r, s.outC, 1, 60);
    const common = [f32(r, nOut), i8(r, s.inH * s.inW * inStride)];
    const tail = [
      { i32: zp },
      { f32: sx },
      { i32: k },
      gs,
      { f32: lr },
      { i32: rounding },
      i8(r, wLen(kind === 'fc' ? 'pointwise' : kind, s), -127),
      Uint32Array.of(int(r, 1, 2 ** 31)),
      scratch,
    ];
    const name = `fused ${kind} ${s.inH}x${s.inW}x${s.inC}->${s.outC} k${s.kernel} s${s.stride} k${k} rounding${rounding}`;
    if (kind === 'fc') {
      out.push({
        name,
        fn: 'tt_fc_bwd_update_s8',
        args: [{ i32: s.inC }, { i32: s.outC }, ...common, ...tail],
        ignore: [5],
        ref: ([go, x, g, w, rng]) =>
          withRng(rng, (st) =>
            up.fcBwdUpdateS8(
              s.inC,
              s.outC,
              go as Float32Array,
              x as Int8Array,
              zp,
              sx,
              k,
              g as Float32Array,
              lr,
              rounding,
              w as Int8Array,
              st,
            ),
          ),
      });
    } else {
      out.push({
        name,
        fn: `tt_${kind}_bwd_update_s8`,
        args: [shapeArg(s), common[0], common[1], { i32: inStride }, ...tail],
        ignore: [6],
        ref: ([, go, x, g, w, rng]) =>
          withRng(rng, (st) =>
            fusedRef[kind](
              s,
              go as Float32Array,
              x as Int8Array,
              inStride,
              zp,
              sx,
              k,
              g as Float32Array,
              lr,
              rounding,
              w as Int8Array,
              st,
            ),
          ),
      });
    }
  }
  return out;
}
