import { describe, expect, it } from 'vitest';
import { convShape, type ConvShape, type Quant } from '../kernel-abi';
import { windowShape } from '../ir/window-ops';
import * as pool from './pool';

const shape = (inH: number, inW: number, c: number, k: [number, number], s: [number, number], p: [number, number]) =>
  windowShape([inH, inW, c], { kernel: k, stride: s, padding: { top: p[0], left: p[1], bottom: 0, right: 0 } });
const q0: Quant = { inZp: 0, outZp: 0, actMin: -128, actMax: 127 };

/** A seeded generator for the adjoint checks. */
function rand(seed: number) {
  let s = seed;
  return () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
}
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((t, v, i) => t + v * b[i], 0);

describe('TFLite integer average pool', () => {
  it('divides the stored-value sum with ties away from zero, as TFLite rounds', () => {
    expect([5, 6, 7, -5, -6, -7].map((raw) => pool.divRound(raw, 2))).toEqual([3, 3, 4, -3, -3, -4]);
    expect(pool.divRound(-2, 4)).toBe(-1); // -0.5 -> -1
    expect(pool.divRound(9, 6)).toBe(2); // 1.5 -> 2
  });

  it('counts only in-bounds pixels under SAME padding (TFLite pads bottom / right at stride 2, even sizes)', () => {
    const s = windowShape([3, 3, 1], {
      kernel: [2, 2],
      stride: [2, 2],
      padding: { top: 0, left: 0, bottom: 1, right: 1 },
    });
    const out = new Int8Array(4);
    pool.avgpool2dS8(s, q0, null, Int8Array.of(10, 20, 30, 40, 50, 60, 70, 80, 91), out, null);
    expect(Array.from(out)).toEqual([30, 45, 75, 91]);
  });

  it('rounds the sum of stored values, not the zero-point-shifted sum', () => {
    // stored -1, -1, 0, 0 with zero point 3: TFLite averages -2 / 4 -> -1; (sum - n z) / n + z would give 0 at -0.5 + 3
    const s = shape(1, 4, 1, [1, 4], [1, 1], [0, 0]);
    const out = new Int8Array(1);
    pool.avgpool2dS8(s, { ...q0, inZp: 3, outZp: 3 }, null, Int8Array.of(-1, -1, 0, 0), out, null);
    expect(out[0]).toBe(-1);
  });

  it('requantizes with the count multiplier when the output quantization differs', () => {
    const s = shape(2, 2, 1, [2, 2], [1, 1], [1, 1]); // 2x2 outputs: the windows count 1, 2, 2 and 4 pixels
    const cm = Float32Array.from({ length: 4 }, (_, n) => 0.5 / (n + 1));
    const out = new Int8Array(4);
    pool.avgpool2dS8(s, { inZp: 2, outZp: -3, actMin: -128, actMax: 127 }, cm, Int8Array.of(10, 12, 14, 16), out, null);
    // the first window holds only pixel 0: (10 - 2) * 0.5 = 4 -> 4 - 3; the last all four: 44 * 0.125 = 5.5 -> 6
    expect(out[0]).toBe(1);
    expect(out[1]).toBe(Math.round((10 - 2 + 12 - 2) * 0.25) - 3); // 4.5 -> 5 (half away from zero)
    expect(out[3]).toBe(3);
  });
});

describe('max pool', () => {
  it('takes the window max and records the clamp in the mask', () => {
    const s = shape(2, 2, 1, [2, 2], [1, 1], [0, 0]);
    const out = new Int8Array(1);
    const mask = new Uint8Array(1);
    pool.maxpool2dS8(s, { ...q0, actMax: 5 }, Int8Array.of(1, 9, 3, -4), out, mask);
    expect([out[0], mask[0]]).toEqual([5, 0]);
  });

  it('routes the gradient to the first maximum in window order', () => {
    const s = shape(2, 2, 1, [2, 2], [1, 1], [0, 0]);
    const gIn = new Float32Array(4);
    pool.maxpool2dF32BwdInput(s, Int8Array.of(1, 9, 9, 9), Float32Array.of(2.5), gIn, 0);
    expect(Array.from(gIn)).toEqual([0, 2.5, 0, 0]);
  });
});

describe('backward kernels are the adjoints of the real-valued forward maps', () => {
  const cases: ConvShape[] = [
    shape(5, 6, 3, [3, 2], [2, 1], [1, 1]),
    shape(7, 4, 2, [2, 3], [1, 3], [0, 2]),
    windowShape([4, 5, 2], { kernel: [1, 1], stride: [1, 1], padding: { top: 2, bottom: 1, left: 0, right: 3 } }),
  ];

  it.each(cases.slice(0, 2))('average pool %#: <g_in, dx> = <g_out, window mean of dx>', (s) => {
    const r = rand(7);
    const dx = Float64Array.from({ length: s.inH * s.inW * s.inC }, r);
    const gOut = Float32Array.from({ length: s.outH * s.outW * s.outC }, r);
    const gIn = new Float32Array(dx.length);
    pool.avgpool2dF32BwdInput(s, gOut, gIn, 0);
    const mean = new Float64Array(gOut.length);
    for (let y = 0; y < s.outH; y++)
      for (let x = 0; x < s.outW; x++) {
        const w = pool.windowOf(s, y, x);
        for (let c = 0; c < s.inC; c++) {
          let sum = 0;
          for (let iy = w.r0; iy < w.r1; iy++)
            for (let ix = w.c0; ix < w.c1; ix++) sum += dx[(iy * s.inW + ix) * s.inC + c];
          mean[(y * s.outW + x) * s.inC + c] = sum / ((w.r1 - w.r0) * (w.c1 - w.c0));
        }
      }
    expect(dot(gIn, dx)).toBeCloseTo(dot(gOut, mean), 4);
  });

  it.each(cases.slice(0, 2))('max pool %#: every output gradient lands on one window argmax', (s) => {
    const r = rand(9);
    const x = Int8Array.from({ length: s.inH * s.inW * s.inC }, () => Math.round(r() * 4)); // ties
    const gOut = Float32Array.from({ length: s.outH * s.outW * s.outC }, () => 1 + Math.abs(r()));
    const gIn = new Float32Array(x.length);
    pool.maxpool2dF32BwdInput(s, x, gOut, gIn, 0);
    const y = new Int8Array(gOut.length);
    pool.maxpool2dS8(s, q0, x, y, null);
    // total mass is kept, and it sits only on pixels holding their window's max
    expect(gIn.reduce((a, v) => a + v, 0)).toBeCloseTo(
      gOut.reduce((a, v) => a + v, 0),
      3,
    );
    gIn.forEach((g, e) => {
      if (g !== 0) expect(y.includes(x[e])).toBe(true);
    });
  });

  it('pad: <g_in, dx> = <g_out, pad(dx, 0)>, accumulating adds', () => {
    const s = cases[2];
    const r = rand(3);
    const dx = Int8Array.from({ length: s.inH * s.inW * s.inC }, () => Math.round(r() * 100));
    const padded = new Int8Array(s.outH * s.outW * s.outC);
    pool.padS8(s, 0, dx, padded);
    const gOut = Float32Array.from(padded, r);
    const gIn = new Float32Array(dx.length).fill(1);
    pool.padF32BwdInput(s, gOut, gIn, 1);
    expect(dot(gIn, dx) - dot(new Float32Array(dx.length).fill(1), dx)).toBeCloseTo(dot(gOut, padded), 3);
  });
});

describe('window geometry', () => {
  it('convShape fills the width fields of a square shape explicitly', () => {
    const s = convShape({ inH: 8, inW: 8, inC: 3, outH: 4, outW: 4, outC: 8, kernel: 3, stride: 2, pad: 1 });
    expect([s.kernelW, s.strideW, s.padLeft]).toEqual([3, 2, 1]);
  });
});
