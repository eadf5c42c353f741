import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { fnv1a32 } from './dataset-format';
import {
  INPUT_QUANT,
  fetchDataset,
  pixelCodes,
  readSplit,
  resizeBilinearInto,
  resizeBilinearU8,
  toInputInt8,
} from './data';

const DATA = join(__dirname, '../../../public/data');
const file = (name: string) => new Uint8Array(readFileSync(join(DATA, name)));

/** Float reference of the same resize to r x ow (half-pixel centers, edge clamp), rounded half up. */
function resizeFloat(src: Uint8Array, h: number, w: number, r: number, ow = r): Uint8Array {
  const taps = (o: number, n: number, m: number) => {
    const s = Math.min(Math.max(((o + 0.5) * n) / m - 0.5, 0), n - 1);
    const i0 = Math.floor(s);
    return [i0, Math.min(i0 + 1, n - 1), s - i0] as const;
  };
  const out = new Uint8Array(r * ow);
  for (let y = 0; y < r; y++) {
    const [y0, y1, fy] = taps(y, h, r);
    for (let x = 0; x < ow; x++) {
      const [x0, x1, fx] = taps(x, w, ow);
      const v =
        (1 - fy) * ((1 - fx) * src[y0 * w + x0] + fx * src[y0 * w + x1]) +
        fy * ((1 - fx) * src[y1 * w + x0] + fx * src[y1 * w + x1]);
      out[y * ow + x] = Math.floor(v + 0.5 + 1e-9);
    }
  }
  return out;
}

describe('resizeBilinearU8', () => {
  it('interpolates a 1x2 row to 4 columns at the half-pixel sample points', () => {
    // sample points x = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1)
    const out = resizeBilinearU8(Uint8Array.from([0, 80]), 1, 2, 4);
    expect(Array.from(out.subarray(0, 4))).toEqual([0, 20, 60, 80]);
    for (let row = 1; row < 4; row++) expect(Array.from(out.subarray(row * 4, row * 4 + 4))).toEqual([0, 20, 60, 80]);
  });

  it('rounds exact halves up and quarters to nearest', () => {
    // 3 -> 2: sample points 0.25 and 1.75, so (3 p0 + p1) / 4 and (p1 + 3 p2) / 4
    expect(Array.from(resizeBilinearU8(Uint8Array.from([0, 2, 0]), 1, 3, 2).subarray(0, 2))).toEqual([1, 1]);
    expect(Array.from(resizeBilinearU8(Uint8Array.from([0, 1]), 1, 2, 4).subarray(0, 4))).toEqual([0, 0, 1, 1]);
  });

  it('is the identity at the same size and constant from one pixel', () => {
    const img = Uint8Array.from({ length: 28 * 28 }, (_, i) => (i * 37) % 256);
    expect(resizeBilinearU8(img, 28, 28, 28)).toEqual(img);
    expect(resizeBilinearU8(Uint8Array.from([77]), 1, 1, 5).every((v) => v === 77)).toBe(true);
  });

  it('matches a floating-point bilinear reference on random images', () => {
    let s = 12345;
    const img = Uint8Array.from({ length: 28 * 28 }, () => (s = (s * 1103515245 + 12345) >>> 0) >>> 24);
    for (const r of [7, 32, 64, 128]) expect(resizeBilinearU8(img, 28, 28, r)).toEqual(resizeFloat(img, 28, 28, r));
  });

  it('resizes to a non-square H x W (a model file such as micro_speech, 49x40) like the float reference', () => {
    let s = 777;
    const img = Uint8Array.from({ length: 28 * 28 }, () => (s = (s * 1103515245 + 12345) >>> 0) >>> 24);
    for (const [h, w] of [
      [49, 40],
      [40, 49],
      [48, 32],
      [8, 20],
    ]) {
      const out = resizeBilinearU8(img, 28, 28, h, w);
      expect(out.length).toBe(h * w);
      expect(out).toEqual(resizeFloat(img, 28, 28, h, w));
    }
    // the square call is the non-square one with W = H
    expect(resizeBilinearU8(img, 28, 28, 32, 32)).toEqual(resizeBilinearU8(img, 28, 28, 32));
    expect(() => resizeBilinearU8(img, 28, 28, 32, 0)).toThrow('bad output size 0');
  });

  it('writes into a buffer (resizeBilinearInto) the same values, strided, offset, copied and coded', () => {
    let s = 4242;
    const img = Uint8Array.from({ length: 28 * 20 }, () => (s = (s * 1103515245 + 12345) >>> 0) >>> 24);
    const gray = resizeFloat(img, 28, 20, 33, 17);
    const codes = pixelCodes({ scale: 0.02, zeroPoint: -3 });
    const three = new Int8Array(33 * 17 * 3);
    resizeBilinearInto(img, 28, 20, 33, 17, three, { stride: 3, copies: 3, codes });
    expect(three).toEqual(toInputInt8(gray, 3, undefined, codes));
    // one plane of an interleaved RGB buffer: the other bytes stay as they were
    const rgb = new Uint8Array(33 * 17 * 3).fill(9);
    resizeBilinearInto(img, 28, 20, 33, 17, rgb, { stride: 3, offset: 2 });
    for (let p = 0; p < gray.length; p++) expect([rgb[3 * p], rgb[3 * p + 1], rgb[3 * p + 2]]).toEqual([9, 9, gray[p]]);
    expect(() => resizeBilinearInto(img, 28, 20, 33, 17, new Uint8Array(33 * 17 - 1))).toThrow('cannot hold');
  });

  it('gives the same bytes as the C trainer (scripts/pretrain/data.c) on the first 5 test images', () => {
    const test = readSplit(
      JSON.parse(readFileSync(join(DATA, 'fashion-mnist.json'), 'utf8')),
      'test',
      file('fashion-mnist-test.bin.gz'),
    );
    // FNV-1a of the 5 resized images back to back, printed by a C harness calling resize_bilinear_u8
    const golden: Record<number, string> = {
      128: '0c9aa702',
      32: 'c809d81a',
      7: '0e20c26c',
      28: '1f3c8573',
      160: 'fbc36156',
    };
    for (const [r, hash] of Object.entries(golden)) {
      const R = Number(r);
      const all = new Uint8Array(5 * R * R);
      for (let i = 0; i < 5; i++) all.set(resizeBilinearU8(test.image(i), 28, 28, R), i * R * R);
      expect(fnv1a32(all), `R = ${R}`).toBe(hash);
    }
  });

  it('rejects a source of the wrong size', () => {
    expect(() => resizeBilinearU8(new Uint8Array(10), 28, 28, 32)).toThrow(/10 bytes is not 28x28/);
  });
});

describe('pixelCodes', () => {
  it("is p - 128 for the built-ins' input quantization (1/255, -128) and for null", () => {
    const want = Int8Array.from({ length: 256 }, (_, p) => p - 128);
    expect(pixelCodes(INPUT_QUANT)).toEqual(want);
    expect(pixelCodes(null)).toEqual(want);
  });

  it("quantizes the intensity p / 255 with a model file's input (micro_speech: scale 0.1017, zero point -128)", () => {
    const codes = pixelCodes({ scale: 0.10171568393707275, zeroPoint: -128 });
    // p / 255 / 0.10172 runs 0..9.83: black -128, white -128 + 10, halves rounded up
    expect([codes[0], codes[13], codes[14], codes[128], codes[255]]).toEqual([-128, -127, -127, -123, -118]);
    expect(Array.from(toInputInt8(Uint8Array.from([0, 255]), 1, undefined, codes))).toEqual([-128, -118]);
    // a symmetric input (1/128, 0) clamps white at 127 rather than wrapping
    expect(pixelCodes({ scale: 1 / 128, zeroPoint: 0 })[255]).toBe(127);
  });
});

describe('toInputInt8', () => {
  it('maps p to p - 128 on every channel (scale 1/255, zero point -128)', () => {
    expect(Array.from(toInputInt8(Uint8Array.from([0, 128, 255]), 3))).toEqual([
      -128, -128, -128, 0, 0, 0, 127, 127, 127,
    ]);
    expect(INPUT_QUANT.scale * (127 - INPUT_QUANT.zeroPoint)).toBeCloseTo(1, 6);
  });
});

describe('public/data datasets', () => {
  it.each([
    ['fashion-mnist', 6000, 1000],
    ['mnist', 7756, 2000],
  ])('%s parses with its checksums and balanced classes', async (name, nTrain, nTest) => {
    const sets = await fetchDataset(DATA, name, ['train', 'test'], async (u) => file(u.slice(DATA.length + 1)));
    expect(sets.train.count).toBe(nTrain);
    expect(sets.test.count).toBe(nTest);
    const perClass = new Array(10).fill(0);
    for (let i = 0; i < sets.test.count; i++) perClass[sets.test.label(i)]++;
    expect(perClass).toEqual(new Array(10).fill(nTest / 10));
    const x = sets.train.input(0, 32, 3);
    expect(x).toHaveLength(32 * 32 * 3);
    expect(x[0]).toBe(x[1]);
  });

  it('reports a corrupt gzip file clearly', () => {
    const manifest = JSON.parse(readFileSync(join(DATA, 'mnist.json'), 'utf8'));
    const gz = file('mnist-test.bin.gz');
    const cut = gz.subarray(0, gz.length >> 1);
    expect(() => readSplit(manifest, 'test', cut)).toThrow(/mnist-test.bin.gz: gzip data is corrupt|payload is/);
    expect(() => readSplit(manifest, 'test', gz.subarray(2))).toThrow(/not a gzip file/);
  });

  it('accepts a split the HTTP layer already inflated (a .gz served with Content-Encoding: gzip)', () => {
    const manifest = JSON.parse(readFileSync(join(DATA, 'mnist.json'), 'utf8'));
    const gz = file('mnist-test.bin.gz');
    const inflated = readSplit(manifest, 'test', gunzipSync(gz));
    const direct = readSplit(manifest, 'test', gz);
    expect(inflated.count).toBe(direct.count);
    expect(inflated.label(7)).toBe(direct.label(7));
    expect(inflated.image(7)).toEqual(direct.image(7));
  });
});
