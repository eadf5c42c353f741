/**
 * The forward reference against cases worked out by hand from the formulas in tt_kernels.h, its band, ring and
 * arena-view behaviour, the float32 details of round / expf / logf, and the softmax cross-entropy gradient
 * against finite differences of the loss.
 */
import { describe, expect, it } from 'vitest';
import { convShape, type ConvShape, type Quant } from '../kernel-abi';
import {
  addS8,
  avgpoolS8,
  concatChannelsS8,
  convS8,
  depthwiseS8,
  fcS8,
  pointwiseS8,
  sliceChannelsS8,
  softmaxXentS8,
} from './forward';
import { expf, logf, round } from './math';

const quant = (inZp: number, outZp: number, actMin = -128, actMax = 127): Quant => ({ inZp, outZp, actMin, actMax });
const bits = (mask: Uint8Array, n: number) => Array.from({ length: n }, (_, e) => (mask[e >> 3] >> (e & 7)) & 1);

describe('round, expf, logf', () => {
  it('round adds 0.5 in float32, half away from zero, then truncates', () => {
    expect([2.5, -2.5, 0.4, -0.4, -0.5, 3].map(round)).toEqual([3, -3, 0, 0, -1, 3]);
    // 0.49999997 + 0.5 = 1 - 2^-25 is a float32 tie and rounds to even (1.0): the C tt_round gives 1, not 0.
    expect(round(Math.fround(0.49999997))).toBe(1);
    expect(round(8388609)).toBe(8388610); // 2^23 + 1 + 0.5 rounds to even in float32
  });

  it('expf is within 2 ulp of exp over [-88, 88] and exact at 0', () => {
    let worst = 0;
    for (let i = 0; i <= 4000; i++) {
      const x = Math.fround(-88 + (176 * i) / 4000 + 1e-3 * Math.sin(i));
      const want = Math.exp(x);
      const ulp = 2 ** (Math.floor(Math.log2(want)) - 23);
      worst = Math.max(worst, Math.abs(expf(x) - want) / ulp);
    }
    expect(worst).toBeLessThanOrEqual(2);
    expect(expf(0)).toBe(1);
    expect(expf(100)).toBe(Infinity);
    expect(expf(-200)).toBe(0);
    expect(expf(-100)).toBe(Math.fround(Math.exp(-100))); // a subnormal result
  });

  it('logf is within 2 ulp of log over the normal floats and exact at 1', () => {
    let worst = 0;
    for (let i = 0; i < 4000; i++) {
      const x = Math.fround(2 ** (-126 + (253 * i) / 4000) * (1 + 0.37 * Math.abs(Math.sin(i))));
      const want = Math.log(x);
      if (want === 0) continue;
      const ulp = 2 ** (Math.floor(Math.log2(Math.abs(want))) - 23);
      worst = Math.max(worst, Math.abs(logf(x) - want) / ulp);
    }
    expect(worst).toBeLessThanOrEqual(2);
    expect(logf(1)).toBe(0);
    expect(logf(0)).toBe(-Infinity);
    expect(logf(-1)).toBeNaN();
    expect(Math.abs(logf(2 ** -140) - Math.log(2 ** -140))).toBeLessThan(1e-4); // subnormal input
  });
});

describe('forward kernels: hand-computed cases', () => {
  it('pointwise: dot product, bias, rounding half away from zero, clamp and mask', () => {
    // pixel 0: x - zp = [2, -2, 0]. o0: 4 - 2 + 10 = 12, * 0.25 = 3, -5 -> -2.
    // o1: -6 - 7 = -13, * 0.5 = -6.5 -> -7, -5 -> -12, below act_min -10: clamped, mask bit cleared.
    // pixel 1 reads the zero point everywhere: 10 * 0.25 = 2.5 -> 3 -> -2; -7 * 0.5 = -3.5 -> -4 -> -9.
    const s = convShape({ inH: 1, inW: 2, inC: 3, outH: 1, outW: 2, outC: 2, kernel: 1, stride: 1, pad: 0 });
    const out = new Int8Array(4);
    const mask = new Uint8Array([0xff]);
    const args = [Int8Array.of(3, -1, 1, 1, 1, 1), Int8Array.of(2, 1, -1, -3, 0, 4), Int32Array.of(10, -7)] as const;
    pointwiseS8(s, quant(1, -5, -10), ...args, Float32Array.of(0.25, 0.5), out, mask, 0, 1);
    expect([...out]).toEqual([-2, -10, -2, -9]);
    expect(mask[0]).toBe(0xfd); // bit 1 cleared, bits 4..7 (not outputs) untouched

    const fc = new Int8Array(2);
    fcS8(3, 2, quant(1, -5, -10), ...args, Float32Array.of(0.25, 0.5), fc, null);
    expect([...fc]).toEqual([-2, -10]);
  });

  it('conv 3x3 stride 2 pad 1: padding contributes 0, not -zp * w', () => {
    // Input 1..9 with zp 1 (x - zp = 0..8). o0 all ones: windows {0,1,3,4} {1,2,4,5} {3,4,6,7} {4,5,7,8}
    // = 8 12 20 24, * 0.5 -> 4 6 10 12. o1 centre tap only, bias 3: x at (0,0) (0,2) (2,0) (2,2) -> 3 5 9 11.
    const s = convShape({ inH: 3, inW: 3, inC: 1, outH: 2, outW: 2, outC: 2, kernel: 3, stride: 2, pad: 1 });
    const w = new Int8Array(18).fill(1, 0, 9);
    w[9 + 4] = 1;
    const out = new Int8Array(8);
    const input = Int8Array.from({ length: 9 }, (_, i) => i + 1);
    convS8(s, quant(1, 0), input, w, Int32Array.of(0, 3), Float32Array.of(0.5, 1), out, null, 0, 2);
    expect([...out]).toEqual([4, 3, 6, 5, 10, 9, 12, 11]);
  });

  it('depthwise 3x3 pad 1 on 2x2x2', () => {
    // ch0 all-ones kernel: every window covers the whole input, (1+2+3+4) - 4 * zp = 6.
    // ch1 only tap (0,0), weight 2: reads (y-1, x-1), inside only for output (1,1): 2 * (-1 - 1) = -4.
    const s = convShape({ inH: 2, inW: 2, inC: 2, outH: 2, outW: 2, outC: 2, kernel: 3, stride: 1, pad: 1 });
    const w = new Int8Array(18);
    for (let t = 0; t < 9; t++) w[t * 2] = 1;
    w[1] = 2;
    const out = new Int8Array(8);
    const input = Int8Array.of(1, -1, 2, -2, 3, -3, 4, -4);
    depthwiseS8(s, quant(1, 0), input, w, Int32Array.of(0, 0), Float32Array.of(1, 1), out, null, 0, 2);
    expect([...out]).toEqual([6, 0, 6, 0, 6, 0, 6, -4]);
  });

  it('add, avgpool and slice', () => {
    // add: (10+2)*0.5 + 4 = 10 -> 11; -126*0.5 = -63 -> -62; 129*0.5 + 127 = 191.5 -> 193 -> 127 (mask 0);
    // -1*0.5 = -0.5 -> round -1 -> 0.
    const out = new Int8Array(4);
    const mask = new Uint8Array(1);
    addS8(4, quant(-2, 1), 0, 0.5, 1, Int8Array.of(10, -128, 127, -3), Int8Array.of(4, 0, 127, 0), out, mask);
    expect([...out]).toEqual([11, -62, 127, 0]);
    expect(bits(mask, 4)).toEqual([1, 1, 0, 1]);

    // avgpool 2x1x2, zp -1: (3 + 4 + 2) * 0.5 = 4.5 -> 5; (-256 + 2) * 0.5 = -127.
    const pooled = new Int8Array(2);
    avgpoolS8(2, 1, 2, -1, 0, 0.5, Int8Array.of(3, -128, 4, -128), pooled);
    expect([...pooled]).toEqual([5, -127]);

    const arena = Int8Array.of(1, 2, 3, 4, 5, 6);
    sliceChannelsS8(2, 3, 2, arena, arena); // in place
    expect([...arena.subarray(0, 4)]).toEqual([1, 2, 4, 5]);

    // concat undoes the slice: 2 pixels of 2 + 1 channels.
    const joined = new Int8Array(6);
    concatChannelsS8(2, 2, 1, arena.subarray(0, 4), Int8Array.of(3, 6), joined);
    expect([...joined]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('saturates huge multipliers through the 2^30 clamp', () => {
    const s = convShape({ inH: 1, inW: 1, inC: 1, outH: 1, outW: 1, outC: 2, kernel: 1, stride: 1, pad: 0 });
    const out = new Int8Array(2);
    const mask = new Uint8Array([0xff]);
    pointwiseS8(
      s,
      quant(0, 0),
      Int8Array.of(1),
      Int8Array.of(1, -1),
      new Int32Array(2),
      Float32Array.of(1e30, 1e30),
      out,
      mask,
      0,
      1,
    );
    expect([...out]).toEqual([127, -128]);
    expect(mask[0]).toBe(0xfc);
  });
});

describe('forward kernels: bands, rings and arena views', () => {
  // 7x5x3 input, 3x3 depthwise and conv, stride 2 pad 1 -> 4x3.
  const dw = convShape({ inH: 7, inW: 5, inC: 3, outH: 4, outW: 3, outC: 3, kernel: 3, stride: 2, pad: 1 });
  const q = quant(-7, 3, -20, 100);
  const input = Int8Array.from({ length: 7 * 5 * 3 }, (_, i) => ((i * 37) % 256) - 128);
  const w = Int8Array.from({ length: 9 * 3 }, (_, i) => ((i * 11) % 41) - 20);
  const bias = Int32Array.of(50, -400, 7);
  const mult = Float32Array.of(0.05, 0.02, 0.11);
  const whole = () => {
    const out = new Int8Array(36);
    const mask = new Uint8Array(5);
    depthwiseS8(dw, q, input, w, bias, mult, out, mask, 0, 4);
    return { out, mask };
  };

  it('band by band equals the whole tensor and leaves other rows and their mask bits alone', () => {
    const ref = whole();
    expect(bits(ref.mask, 36)).toContain(0); // the clamp is active somewhere
    expect(bits(ref.mask, 36)).toContain(1);
    const out = new Int8Array(36).fill(99);
    const mask = new Uint8Array(5).fill(0xa5);
    depthwiseS8(dw, q, input, w, bias, mult, out, mask, 1, 3);
    expect([...out.subarray(0, 9), ...out.subarray(27)]).toEqual(new Array(18).fill(99));
    expect(bits(mask, 40).slice(0, 9)).toEqual(bits(Uint8Array.of(0xa5, 0xa5), 9));
    expect(bits(mask, 40).slice(27)).toEqual(bits(new Uint8Array(5).fill(0xa5), 40).slice(27));
    depthwiseS8(dw, q, input, w, bias, mult, out, mask, 0, 1);
    depthwiseS8(dw, q, input, w, bias, mult, out, mask, 3, 4);
    expect(out).toEqual(ref.out);
    expect(bits(mask, 36)).toEqual(bits(ref.mask, 36));
  });

  it('ring-buffered input and output give the same rows', () => {
    const ref = whole();
    const ring: ConvShape = { ...dw, inRing: 4, outRing: 2 };
    const rin = new Int8Array(4 * 5 * 3);
    const rout = new Int8Array(2 * 3 * 3);
    for (let y = 0; y < 4; y++) {
      for (let iy = 2 * y - 1; iy <= 2 * y + 1; iy++)
        if (iy >= 0 && iy < 7) rin.set(input.subarray(iy * 15, iy * 15 + 15), (iy % 4) * 15);
      rin.fill(-128, ((2 * y + 2) % 4) * 15, ((2 * y + 2) % 4) * 15 + 15); // the one row nobody may read
      depthwiseS8(ring, q, rin, w, bias, mult, rout, null, y, y + 1);
      expect(rout.subarray((y % 2) * 9, (y % 2) * 9 + 9)).toEqual(ref.out.subarray(y * 9, y * 9 + 9));
    }
  });

  it('reads and writes subarray views of one arena', () => {
    const ref = whole();
    const arena = new ArrayBuffer(1024);
    const view = <T extends Int8Array | Int32Array | Float32Array>(
      ctor: new (b: ArrayBuffer, o: number, n: number) => T,
      at: number,
      src: T,
    ) => {
      const v = new ctor(arena, at, src.length);
      v.set(src as never);
      return v;
    };
    const out = new Int8Array(arena, 900, 36);
    const mask = new Uint8Array(arena, 1000, 5);
    depthwiseS8(
      dw,
      q,
      view(Int8Array, 3, input),
      view(Int8Array, 200, w),
      view(Int32Array, 240, bias),
      view(Float32Array, 260, mult),
      out,
      mask,
      0,
      4,
    );
    expect(out).toEqual(ref.out);
    expect([...mask]).toEqual([...ref.mask]);
  });
});

describe('softmax cross-entropy', () => {
  it('matches the loss computed in double precision, and a NULL grad changes nothing', () => {
    const logits = Int8Array.of(3, 1, 1);
    const grad = new Float32Array(3);
    const loss = softmaxXentS8(3, logits, 1, 0.5, 0, grad); // z = 1, 0, 0
    const sum = 1 + 2 * Math.exp(-1);
    expect(loss).toBeCloseTo(Math.log(sum), 6);
    expect(grad[0]).toBeCloseTo(1 / sum - 1, 6);
    expect(grad[1]).toBeCloseTo(Math.exp(-1) / sum, 6);
    expect(softmaxXentS8(3, logits, 1, 0.5, 0, null)).toBe(loss);
  });

  it('its gradient matches central differences of the loss', () => {
    // A unit step of a logit moves z by `scale`: dL/dz_i ~ (L(l_i + 1) - L(l_i - 1)) / (2 scale).
    const scale = 0.01;
    for (let trial = 0; trial < 20; trial++) {
      const n = 3 + (trial % 8);
      const logits = Int8Array.from({ length: n }, (_, i) => ((i * 73 + trial * 31) % 201) - 100);
      const label = trial % n;
      const grad = new Float32Array(n);
      softmaxXentS8(n, logits, 4, scale, label, grad);
      for (let i = 0; i < n; i++) {
        const at = (d: number) => {
          const l = logits.slice();
          l[i] += d;
          return softmaxXentS8(n, l, 4, scale, label, null);
        };
        const fd = (at(1) - at(-1)) / (2 * scale);
        expect(Math.abs(fd - grad[i]), `trial ${trial} logit ${i}`).toBeLessThan(1e-4);
      }
    }
  });
});
