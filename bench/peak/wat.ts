/**
 * WAT text of the peak microbenchmarks (bench/peak/peak.ts): register-resident loops, 2 "pixel" operands x nw
 * "weight" operands, one accumulator per pair (2 * nw independent chains), so the loop is bound by the multiply
 * throughput and not by a dependency chain. peak.ts times nw = 2, 3, 4 and keeps the fastest: with 4, V8 runs out
 * of the 15 xmm registers it allocates and spills.
 *
 *  dot:     i32x4.dot_i16x8_s on int8 operands sign-extended once before the loop; 8 MAC a product.
 *  relaxed: i32x4.relaxed_dot_i8x16_i7x16_add_s on the raw int8 operands; 16 MAC a product.
 *  f32:     f32x4.mul then f32x4.add (no fused multiply-add: the kernels build with -ffp-contract=off), the
 *           fp32 MAC of the backward kernels; 4 MAC a product.
 * V8's TurboFan schedules loop-invariant pure operations before the loop (and after unrolling, merges equal ones),
 * so fixed operands would time only the adds. Each iteration of the int8 loops therefore steps the two pixel
 * operands by an integer i32x4.add of 1 (one cheap op per nw products). The fp32 loop instead reloads its two
 * pixel operands from an address that alternates between two slots (p + (n & 16)): loads go to the load ports,
 * while an integer step on float data would take 2 of every 2*nw + 2 vector-unit slots from the multiplies and
 * adds (the fp32 kernels load their operands, they do not step them), so the loop measures the mul + add rate.
 * Every function takes (iterations, pointer to the operands) and returns a lane of the summed accumulators so
 * nothing is dead.
 */
export type PeakKind = 'dot' | 'relaxed' | 'f32';
export const WEIGHT_OPERANDS = [2, 3, 4];

const MAC_PER_PRODUCT: Record<PeakKind, number> = { dot: 8, relaxed: 16, f32: 4 };
export const macsPerIteration = (kind: PeakKind, nw: number) => 2 * nw * MAC_PER_PRODUCT[kind];

function product(kind: PeakKind, a: string, x: string, w: string): string {
  if (kind === 'dot')
    return `(local.set ${a} (i32x4.add (local.get ${a}) (i32x4.dot_i16x8_s (local.get ${x}) (local.get ${w}))))`;
  if (kind === 'relaxed')
    return `(local.set ${a} (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get ${x}) (local.get ${w}) (local.get ${a})))`;
  return `(local.set ${a} (f32x4.add (local.get ${a}) (f32x4.mul (local.get ${x}) (local.get ${w}))))`;
}

export function peakWat(kind: PeakKind, nw: number): string {
  const operands = ['$x0', '$x1', ...Array.from({ length: nw }, (_, i) => `$w${i}`)];
  const pairs = [0, 1].flatMap((x) => Array.from({ length: nw }, (_, w) => [`$x${x}`, `$w${w}`]));
  const accs = pairs.map((_, j) => `$a${j}`);
  const locals = [...operands, '$c', ...accs].map((n) => `(local ${n} v128)`).join(' ');
  const load = (off: number) =>
    kind === 'dot'
      ? `(i16x8.extend_low_i8x16_s (v128.load64_zero offset=${off} (local.get $p)))`
      : `(v128.load offset=${off} (local.get $p))`;
  const init = operands.map((n, i) => `(local.set ${n} ${load(i * 16)})`).join(' ');
  const body = pairs.map(([x, w], j) => product(kind, accs[j], x, w)).join('\n        ');
  const slot = '(i32.add (local.get $p) (i32.and (local.get $n) (i32.const 16)))';
  const step =
    kind === 'f32'
      ? ['$x0', '$x1'].map((x, i) => `(local.set ${x} (v128.load offset=${i * 32} ${slot}))`).join(' ')
      : ['$x0', '$x1'].map((x) => `(local.set ${x} (i32x4.add (local.get ${x}) (local.get $c)))`).join(' ');
  const add = kind === 'f32' ? 'f32x4.add' : 'i32x4.add';
  const sum = accs.slice(1).reduce((acc, a) => `(${add} ${acc} (local.get ${a}))`, `(local.get ${accs[0]})`);
  const lane = kind === 'f32' ? `(i32.trunc_sat_f32_s (f32x4.extract_lane 0 ${sum}))` : `(i32x4.extract_lane 0 ${sum})`;
  return `(module
  (memory (export "memory") 1)
  (func (export "run") (param $n i32) (param $p i32) (result i32)
    ${locals}
    ${init}
    (local.set $c (i32x4.splat (i32.const 1)))
    (loop $l
        ${body}
      ${step}
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (i32.gt_s (local.get $n) (i32.const 0))))
    ${lane}))
`;
}
