/**
 * Randomized calls of the windowed pools and pad (tt_pool.c), forward and input gradient, each paired with the
 * TypeScript reference (compiler/reference/pool.ts). Shapes are seeded: rectangular windows 1..4 x 1..4, strides
 * 1..3, leading pads below the window, TFLite SAME geometry (micro-model sizes), wide channel counts (several
 * chunks), masks pre-filled with random bits, both average rules (TFLite integer, count-multiplier requant),
 * outputs spread so the clamp both passes and clips, and max pools with ties (small value ranges).
 */
import { CONV_SHAPE_FIELDS, QUANT_FIELDS, structWords, type ConvShape, type Quant } from '../../compiler/kernel-abi';
import { tfliteWindow, windowShape } from '../../compiler/ir/window-ops';
import * as pool from '../../compiler/reference/pool';
import type { Case, Rand } from './kernels-backward.cases';
import type { FwdCase } from './kernels-forward.cases';
import type { TypedArray } from './kernel-harness';

// Forward refs receive copies of every typed-array argument in order, the structs included (index 0: shape).
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const i8 = (r: Rand, n: number, lo = -128, hi = 127) => Int8Array.from({ length: n }, () => int(r, lo, hi));
const f32 = (r: Rand, n: number) =>
  Float32Array.from({ length: n }, () => (r() < 0.04 ? -0 : Math.fround(2 * r() - 1)));
const bytes = (r: Rand, n: number) => Uint8Array.from({ length: n }, () => int(r, 0, 255));

/** A random pool window on a random input (every window reads at least one pixel). */
export function randomPoolShape(r: Rand, t: number): ConvShape {
  const [h, w, c] = [int(r, 1, 9), int(r, 1, 9), t % 4 === 3 ? int(r, 65, 140) : int(r, 1, 20)];
  if (t % 5 === 0) {
    const k = [int(r, 1, 3), int(r, 1, 3)] as const;
    return windowShape([h, w, c], tfliteWindow('same', h, w, k, [int(r, 1, 2), int(r, 1, 2)]));
  }
  const [kh, kw] = [int(r, 1, 4), int(r, 1, 4)];
  const [sy, sx] = [int(r, 1, 3), int(r, 1, 3)];
  const padding = { top: int(r, 0, kh - 1), left: int(r, 0, kw - 1), bottom: 0, right: 0 };
  padding.bottom = int(r, 0, kh - 1);
  padding.right = int(r, 0, kw - 1);
  const fits = h + padding.top + padding.bottom >= kh && w + padding.left + padding.right >= kw;
  if (!fits) return randomPoolShape(r, t + 1);
  const s = windowShape([h, w, c], { kernel: [kh, kw], stride: [sy, sx], padding });
  // every window must read a pixel: the last one must start before the input ends
  const reads = (s.outH - 1) * sy - padding.top < h && (s.outW - 1) * sx - padding.left < w;
  return reads ? s : randomPoolShape(r, t + 1);
}

const n3 = (s: ConvShape, out: boolean) => (out ? s.outH * s.outW * s.outC : s.inH * s.inW * s.inC);
const name = (s: ConvShape) =>
  `${s.inH}x${s.inW}x${s.inC} k${s.kernel}x${s.kernelW} s${s.stride}x${s.strideW} p${s.pad}/${s.padLeft} -> ${s.outH}x${s.outW}`;

/** Forward calls: average (TFLite rule and requant), max (ties), pad. */
export function poolForwardCases(r: Rand, count: number): FwdCase[] {
  const out: FwdCase[] = [];
  for (let t = 0; t < count; t++) {
    const s = randomPoolShape(r, t);
    const zp = int(r, -100, 100);
    const q: Quant = { inZp: zp, outZp: zp, actMin: r() < 0.5 ? -128 : int(r, -60, 0), actMax: r() < 0.5 ? 127 : 60 };
    const x = i8(r, n3(s, false), t % 3 === 0 ? -3 : -128, t % 3 === 0 ? 3 : 127); // narrow ranges tie the max
    const [y, m] = [i8(r, n3(s, true)), bytes(r, Math.ceil(n3(s, true) / 8))];
    const [sh, qa] = [structWords(CONV_SHAPE_FIELDS, s), structWords(QUANT_FIELDS, q)];
    out.push({
      name: `avgpool2d tflite ${name(s)}`,
      fn: 'tt_avgpool2d_s8',
      args: [sh, qa, null, x, y, m],
      ref: (a: TypedArray[]) => pool.avgpool2dS8(s, q, null, a[2] as Int8Array, a[3] as Int8Array, a[4] as Uint8Array),
    });
    const rq: Quant = { ...q, outZp: int(r, -100, 100) };
    const cm = Float32Array.from({ length: s.kernel * s.kernelW }, (_, n) => (0.2 + 2 * r()) / (n + 1));
    const rqa = structWords(QUANT_FIELDS, rq);
    out.push({
      name: `avgpool2d requant ${name(s)}`,
      fn: 'tt_avgpool2d_s8',
      args: [sh, rqa, cm, x, y, m],
      ref: (a: TypedArray[]) =>
        pool.avgpool2dS8(s, rq, a[2] as Float32Array, a[3] as Int8Array, a[4] as Int8Array, a[5] as Uint8Array),
    });
    out.push({
      name: `maxpool2d ${name(s)} mask ${t % 2}`,
      fn: 'tt_maxpool2d_s8',
      args: [sh, qa, x, y, t % 2 ? m : null],
      ref: (a: TypedArray[]) =>
        pool.maxpool2dS8(s, q, a[2] as Int8Array, a[3] as Int8Array, t % 2 ? (a[4] as Uint8Array) : null),
    });
    const p = windowShape([s.inH, s.inW, s.inC], {
      ...{ kernel: [1, 1], stride: [1, 1] },
      padding: { top: int(r, 0, 3), bottom: int(r, 0, 3), left: int(r, 0, 3), right: int(r, 0, 3) },
    });
    const py = i8(r, n3(p, true));
    out.push({
      name: `pad ${name(p)}`,
      fn: 'tt_pad_s8',
      args: [structWords(CONV_SHAPE_FIELDS, p), { i32: zp }, x, py],
      ref: (a: TypedArray[]) => pool.padS8(p, zp, a[1] as Int8Array, a[2] as Int8Array),
    });
  }
  return out;
}

/** Input gradients: average, max (on tie-heavy inputs), pad; stored and accumulated. */
export function poolGradientCases(r: Rand, count: number): Case[] {
  const out: Case[] = [];
  for (let t = 0; t < count; t++) {
    const s = randomPoolShape(r, t);
    const acc = t % 2;
    const sh = structWords(CONV_SHAPE_FIELDS, s);
    const [go, gi] = [f32(r, n3(s, true)), f32(r, n3(s, false))];
    const x = i8(r, n3(s, false), t % 3 === 0 ? -2 : -128, t % 3 === 0 ? 2 : 127);
    out.push({
      name: `avgpool2d bwd ${name(s)} acc${acc}`,
      fn: 'tt_avgpool2d_f32_bwd_input',
      args: [sh, go, gi, { i32: acc }],
      ref: (the) => pool.avgpool2dF32BwdInput(s, the(go), the(gi), acc),
    });
    out.push({
      name: `maxpool2d bwd ${name(s)} acc${acc}`,
      fn: 'tt_maxpool2d_f32_bwd_input',
      args: [sh, x, go, gi, { i32: acc }],
      ref: (the) => pool.maxpool2dF32BwdInput(s, the(x), the(go), the(gi), acc),
    });
    const p = windowShape([s.inH, s.inW, s.inC], {
      ...{ kernel: [1, 1], stride: [1, 1] },
      padding: { top: int(r, 0, 2), bottom: int(r, 0, 2), left: int(r, 0, 2), right: int(r, 0, 2) },
    });
    const pgo = f32(r, n3(p, true));
    out.push({
      name: `pad bwd ${name(p)} acc${acc}`,
      fn: 'tt_pad_f32_bwd_input',
      args: [structWords(CONV_SHAPE_FIELDS, p), pgo, gi, { i32: acc }],
      ref: (the) => pool.padF32BwdInput(p, the(pgo), the(gi), acc),
    });
  }
  return out;
}
