/**
 * Forward calls whose float requantization sits at its edges (kernels-requant-edges.test.ts holds every backend to
 * the reference on them; relaxed-compare.ts holds the relaxed build to the SIMD one): ties (x.5 in both rounding
 * modes), products just inside and beyond 2^12 and 2^22 (where the SIMD builds' magic-number conversion stops being
 * exact), products between -2^25 and -2^23 (a magic sum that would turn negative), products that overflow to
 * +-inf, subnormal and negative multipliers, accumulators near the int32 limits, and zero points and clamps at the
 * ends of the int8 range. Channels with all-zero weights have acc == bias exactly, so each such channel pins one
 * product; the other channels are random.
 */
import {
  CONV_SHAPE_FIELDS,
  QUANT_FIELDS,
  convShape,
  structWords,
  type Quant,
  type RequantMode,
} from '../../compiler/kernel-abi';
import * as fw from '../../compiler/reference/forward';
import type { Arg, TypedArray } from './kernel-harness';
import { seeded } from './kernels-backward.cases';
import type { FwdCase } from './kernels-forward.cases';

/** [bias, m]: acc * m lands on a tie, a range edge, or an overflow. */
const PINNED: [number, number][] = [
  [5, 0.5],
  [-5, 0.5],
  [7, 0.5],
  [-7, 0.5],
  [255, 1],
  [-255, 1],
  [8191, 0.5],
  [-8191, 0.5],
  [8193, 0.5],
  [-8193, 0.5],
  [8192, 0.5],
  [-8192, 0.5],
  [4095, 1],
  [-4097, 1],
  [2 ** 23 + 1, 0.5],
  [-(2 ** 23) - 1, 0.5],
  [2 ** 22 + 1, 1],
  [-(2 ** 22) - 1, 1],
  [2 ** 24 + 3, 1],
  [2 ** 31 - 1, 1],
  [-(2 ** 31), 1],
  [2 ** 30, 4],
  [-(2 ** 30), 4],
  [1, 3e38],
  [3, 3e38],
  [-3, 3e38],
  [0, 3e38],
  [1e9, 1e-45],
  [-1e9, 1e-45],
  [100, -1],
  [-100, -1],
  [2 ** 31 - 1, -3e38],
  [129, -0.5],
  [-3, -0.5],
  [-(2 ** 24) - 5, 1],
  [-(2 ** 24), 1.25],
  [2 ** 24, -1.25],
];

const QUANTS: Quant[] = [
  { inZp: 5, outZp: -128, actMin: -128, actMax: 127 },
  { inZp: -128, outZp: 127, actMin: -128, actMax: 127 },
  { inZp: 0, outZp: 3, actMin: -20, actMax: 90 },
  { inZp: 127, outZp: -5, actMin: -5, actMax: 127 },
];

interface Layer {
  w: Int8Array;
  bias: Int32Array;
  mult: Float32Array;
}

/** outC channels of reduction `red`: the pinned ones first (zero weights), then random ones. */
function layer(r: () => number, outC: number, red: number): Layer {
  const w = Int8Array.from({ length: outC * red }, () => Math.floor(r() * 255) - 127);
  const bias = Int32Array.from({ length: outC }, () => Math.floor((r() - 0.5) * 40000));
  const mult = Float32Array.from({ length: outC }, () => Math.fround((0.003 + 0.03 * r()) / Math.sqrt(red)));
  PINNED.slice(0, outC).forEach(([b, m], o) => {
    w.fill(0, o * red, (o + 1) * red);
    bias[o] = b;
    mult[o] = Math.fround(m);
  });
  return { w, bias, mult };
}

const i8 = (r: () => number, n: number) => Int8Array.from({ length: n }, () => Math.floor(r() * 256) - 128);

function convCase(r: () => number, kind: 'pointwise' | 'conv', outC: number, q: Quant): FwdCase {
  const k = kind === 'conv' ? 3 : 1;
  const s = convShape({ inH: 4, inW: 5, inC: 4, outH: 4, outW: 5, outC, kernel: k, stride: 1, pad: k >> 1 });
  const { w, bias, mult } = layer(r, outC, k * k * 4);
  const mask = Uint8Array.from({ length: Math.ceil((20 * outC) / 8) }, () => Math.floor(r() * 256));
  const args: Arg[] = [structWords(CONV_SHAPE_FIELDS, s), structWords(QUANT_FIELDS, q), i8(r, 80), w, bias, mult];
  args.push(new Int8Array(20 * outC), mask, { i32: 0 }, { i32: 4 });
  const refFn = kind === 'conv' ? fw.convS8 : fw.pointwiseS8;
  const ref = (t: TypedArray[]) =>
    refFn(s, q, t[2] as Int8Array, w, bias, mult, t[6] as Int8Array, t[7] as Uint8Array, 0, 4);
  return { name: `${kind} ${outC} ${JSON.stringify(q)}`, fn: `tt_${kind}_s8`, args, ref };
}

function fcCase(r: () => number, outC: number, q: Quant): FwdCase {
  const { w, bias, mult } = layer(r, outC, 40);
  const mask = Uint8Array.from({ length: Math.ceil(outC / 8) }, () => Math.floor(r() * 256));
  const args: Arg[] = [{ i32: 40 }, { i32: outC }, structWords(QUANT_FIELDS, q), i8(r, 40), w, bias, mult];
  args.push(new Int8Array(outC), mask);
  const ref = (t: TypedArray[]) =>
    fw.fcS8(40, outC, q, t[1] as Int8Array, w, bias, mult, t[5] as Int8Array, t[6] as Uint8Array);
  return { name: `fc ${outC} ${JSON.stringify(q)}`, fn: 'tt_fc_s8', args, ref };
}

/** Pointwise, general conv and fc calls (48 and 37 outputs) for each clamp above, in one requantization mode. */
export function requantEdgeCases(requant: RequantMode): FwdCase[] {
  const r = seeded(77 + requant);
  return QUANTS.flatMap((q0) => {
    const q = { ...q0, requant };
    return [48, 37].flatMap((outC) => [
      convCase(r, 'pointwise', outC, q),
      convCase(r, 'conv', outC, q),
      fcCase(r, outC, q),
    ]);
  });
}
