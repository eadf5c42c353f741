import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { QUANT_FIELDS, Requant } from '../kernel-abi';
import { fixedAddMultipliers, fixedMultipliers, quantizeMultiplier } from '../quant';
import { addS8Fixed, convS8, meanS8 } from './forward';
import {
  requantChannel,
  requantFixed,
  roundHalfEven,
  roundingDivideByPot,
  satRoundingDoublingHighMul,
} from './requant';

/** a * b / 2^31 rounded half up, in BigInt: the doubling high mul written the obvious way. */
const highMulBig = (a: number, b: number) => {
  const p = BigInt(a) * BigInt(b) + (1n << 30n);
  const q = p >> 31n; // BigInt >> is floor
  return Number(q);
};

describe('TFLite fixed-point requantization', () => {
  it('QuantizeMultiplier gives TFLite values: frexp mantissa rounded to Q31, and the shift', () => {
    expect(quantizeMultiplier(0.5)).toEqual([2 ** 30, 0]);
    expect(quantizeMultiplier(0.25)).toEqual([2 ** 30, -1]);
    expect(quantizeMultiplier(1)).toEqual([2 ** 30, 1]);
    expect(quantizeMultiplier(0.75)).toEqual([1610612736, 0]);
    expect(quantizeMultiplier(0.1)).toEqual([1717986918, -3]); // 0.8 * 2^31 = 1717986918.4
    expect(quantizeMultiplier(1 / 3)).toEqual([1431655765, -1]);
    expect(quantizeMultiplier(1.25)).toEqual([1342177280, 1]);
    expect(quantizeMultiplier(1 - 2 ** -40)).toEqual([2 ** 30, 1]); // the mantissa rounds up to 2^31
    expect(quantizeMultiplier(2 ** -32)).toEqual([2 ** 30, -31]);
    expect(quantizeMultiplier(2 ** -33)).toEqual([0, 0]); // below 2^-32: flushed to zero
    expect(quantizeMultiplier(0)).toEqual([0, 0]);
    // a typical conv: s_x 0.0235, s_W 0.0031, s_y 0.0472 (float32 scales, double math)
    const [sx, sw, sy] = [Math.fround(0.0235), Math.fround(0.0031), Math.fround(0.0472)];
    const [m, s] = quantizeMultiplier((sx * sw) / sy);
    expect(s).toBe(-9);
    expect(Math.abs(m * 2 ** (s - 31) - (sx * sw) / sy)).toBeLessThan(2 ** -31 * 2 ** (s - 1));
    expect(Array.from(fixedMultipliers(0.5, [0.25, 0.5], 0.1))).toEqual([1342177280, 1, 1342177280, 2]);
  });

  it('the doubling high mul matches BigInt floor(a b / 2^31 + 1/2) and saturates on INT32_MIN^2', () => {
    let s = 12345;
    const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32 - 0.5) * 2 ** 32;
    for (let i = 0; i < 2000; i++) {
      const [a, b] = [Math.trunc(rnd()), Math.trunc(rnd())];
      expect(satRoundingDoublingHighMul(a, b)).toBe(highMulBig(a, b));
    }
    expect(satRoundingDoublingHighMul(3, 2 ** 30)).toBe(2); // 1.5 -> 2
    expect(satRoundingDoublingHighMul(-3, 2 ** 30)).toBe(-1); // -1.5 -> -1: ties toward +inf
    expect(satRoundingDoublingHighMul(-(2 ** 31), -(2 ** 31))).toBe(2 ** 31 - 1);
  });

  it('the rounding right shift rounds half away from zero; negative shifts and ties', () => {
    expect([5, -5, 6, -6, 7, -7].map((x) => roundingDivideByPot(x, 1))).toEqual([3, -3, 3, -3, 4, -4]);
    expect([-5, -6, -7].map((x) => roundingDivideByPot(x, 2))).toEqual([-1, -2, -2]);
    expect(roundingDivideByPot(-(2 ** 31), 31)).toBe(-1);
    expect(roundingDivideByPot(7, 0)).toBe(7);
    // MultiplyByQuantizedMultiplier with 0.1 = {1717986918, -3}: 25 * 0.1 = 2.5 -> 3, -25 -> -3
    expect([100, 25, -25].map((x) => requantFixed(x, 1717986918, -3))).toEqual([10, 3, -3]);
    expect(requantFixed(1000, 1610612736, 2)).toBe(3000); // 3 = 0.75 * 2^2: a left shift first
    expect(requantFixed(2 ** 30 - 1, 2 ** 30, 3)).toBe(2 ** 30); // the left shift saturates at INT32_MAX
  });

  it('an end-to-end 1x1 conv computed by hand: m = 0.5 * 0.25 / 0.1 = 1.25 = {1342177280, 1}', () => {
    // acc = bias + (x - zp) * w: 7 -> 8.75 -> 9 (+3 = 12), -3 -> -3.75 -> -4 (-1), 1 -> 1.25 -> 1 (4)
    const shape = {
      inH: 1,
      inW: 3,
      inC: 1,
      outH: 1,
      outW: 3,
      outC: 1,
      kernel: 1,
      stride: 1,
      pad: 0,
      kernelW: 1,
      strideW: 1,
      padLeft: 0,
      inRing: 1,
      outRing: 1,
    };
    const q = { inZp: 1, outZp: 3, actMin: -128, actMax: 127, requant: Requant['tflite-fixed'] };
    const out = new Int8Array(3);
    const table = fixedMultipliers(0.5, [0.25], 0.1);
    convS8(shape, q, Int8Array.of(4, -1, 1), Int8Array.of(2), Int32Array.of(1), table, out, null, 0, 1);
    expect(Array.from(out)).toEqual([12, -1, 4]);
  });

  it('ADD and MEAN in TFLite arithmetic', () => {
    // equal scales: s_a / 2s = 1/2, and 2s / (2^20 s) = 2^-19
    const p = fixedAddMultipliers(
      { scale: 0.1, zeroPoint: 0 },
      { scale: 0.1, zeroPoint: 0 },
      { scale: 0.1, zeroPoint: 0 },
    );
    expect(Array.from(p)).toEqual([2 ** 30, 0, 2 ** 30, 0, 2 ** 30, -18]);
    const out = new Int8Array(3);
    const q = { inZp: 1, outZp: 5, actMin: -128, actMax: 127, requant: Requant['tflite-fixed'] };
    addS8Fixed(3, q, 2, p, Int8Array.of(4, -128, 10), Int8Array.of(0, -128, 2), out, null);
    expect(Array.from(out)).toEqual([6, -128, 14]);
    // mean of 4 pixels with s_in == s_out: sum(x - zp) = 2 -> (2 + 2) / 4 = 1; float half even: 0.5 -> 0
    const mq = { inZp: 0, outZp: 0, actMin: -128, actMax: 127, requant: Requant['tflite-fixed'] };
    const px = Int8Array.of(1, 0, 0, 1);
    meanS8(2, 2, 1, mq, Int32Array.of(2 ** 30, 1), px, out);
    expect(out[0]).toBe(1);
    meanS8(2, 2, 1, { ...mq, requant: Requant['float-half-even'] }, Float32Array.of(0.25), px, out);
    expect(out[0]).toBe(0);
  });
});

describe('float requantization, round half to even', () => {
  it('ties go to the even neighbour; the modes differ exactly on ties', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999998].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, -2, 2]);
    const m = Float32Array.of(0.5);
    const base = { inZp: 0, outZp: 0, actMin: -128, actMax: 127 };
    const away = [1, 3, 5, -1, -3].map((a) => requantChannel(a, m, 0, base));
    const even = [1, 3, 5, -1, -3].map((a) =>
      requantChannel(a, m, 0, { ...base, requant: Requant['float-half-even'] }),
    );
    expect(away).toEqual([1, 2, 3, -1, -2]);
    expect(even.map((v) => v + 0)).toEqual([0, 2, 2, 0, -2]);
  });
});

describe('the TypeScript copy of the mode enum and tt_quant', () => {
  const header = readFileSync(new URL('../../../kernels-c/include/tt_kernels.h', import.meta.url), 'utf8');
  it('names the C enum tt_requant_mode value for value', () => {
    const c = [...header.matchAll(/TT_REQUANT_(\w+) = (\d+)/g)].map(([, n, v]) => [
      n.toLowerCase().replace(/_/g, '-'),
      +v,
    ]);
    expect(Object.fromEntries(c)).toEqual(Requant);
  });
  it('lists the fields of tt_quant in C order', () => {
    const body = /typedef struct \{([^}]*)\} tt_quant;/.exec(header)![1].replace(/\/\*[\s\S]*?\*\//g, '');
    const fields = [...body.matchAll(/int32_t (\w+);/g)].map(([, n]) =>
      n.replace(/_(\w)/g, (_, x: string) => x.toUpperCase()),
    );
    expect(fields).toEqual([...QUANT_FIELDS]);
  });
});
