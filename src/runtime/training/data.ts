/**
 * Datasets for training on the page and in Node: reads the files of public/data/ (format in
 * src/runtime/training/dataset-format.ts), and turns a 28x28 gray image into the network's int8 input.
 *
 * Input quantization (the pretrained models of public/models/ use it): pixel p in 0..255 becomes
 * x_q = p - 128 with scale 1/255 and zero point -128, i.e. the real input is p / 255. The same bytes read with
 * a randomly initialized model's input (scale 1/128, zero point 0) mean (p - 128) / 128. A model file's input
 * (scale s, zero point z) gets the intensity p / 255 quantized with its own parameters (pixelCodes):
 * x_q = clamp(round(p / 255 / s) + z, -128, 127), which is p - 128 again for the common s = 1/255, z = -128.
 *
 * Resize: bilinear, half-pixel centers, in exact integer arithmetic so Node, the browser and the C trainer
 * (scripts/pretrain/data.c, same formula) produce identical bytes. For output coordinate o of R and an input
 * of N pixels the sample point is (o + 1/2) N / R - 1/2 = num / den with num = (2o + 1) N - R, den = 2R:
 *   num <= 0 -> (i0, f) = (0, 0); else i0 = floor(num / den), f = num mod den; i0 >= N - 1 -> (N - 1, 0)
 *   value = floor((sum over the 4 neighbours of p * wy * wx + den^2 / 2) / den^2), weights (den - f, f).
 */
import { gunzipSync } from 'fflate';
import { decodeSplit, parseDatasetManifest, pixelsPerImage, type DatasetManifest } from './dataset-format';

/** Quantization of the int8 input produced by toInputInt8. */
export const INPUT_QUANT = { scale: Math.fround(1 / 255), zeroPoint: -128 } as const;

function axisTaps(o: number, n: number, r: number): [i0: number, i1: number, f: number] {
  const num = (2 * o + 1) * n - r;
  const den = 2 * r;
  let i0 = 0;
  let f = 0;
  if (num > 0) {
    i0 = Math.floor(num / den);
    f = num - i0 * den;
    if (i0 >= n - 1) [i0, f] = [n - 1, 0];
  }
  return [i0, Math.min(i0 + 1, n - 1), f];
}

/**
 * Bilinear resize of a gray inH x inW image to R x outW (outW = R: square; see the header for the exact
 * arithmetic). A non-square output has a denominator per axis, 2R down and 2 outW across, so
 * value = floor((sum of p * wy * wx + denY * denX / 2) / (denY * denX)), the square formula when they agree.
 */
export function resizeBilinearU8(src: Uint8Array, inH: number, inW: number, r: number, outW = r): Uint8Array {
  const out = new Uint8Array(r * outW);
  resizeBilinearInto(src, inH, inW, r, outW, out);
  return out;
}

/** Horizontal sums of the input rows (resizeBilinearInto), reused from call to call. */
let rowSums = new Int32Array(0);

/**
 * resizeBilinearU8 written straight into `dst`: output pixel p's value v goes to dst[offset + p * stride + c] for
 * c < copies, as codes[v] when codes are given (the network input's int8 codes), else v. The same integers as
 * the formula in the header, computed separably: every input row's horizontal sums p[x0] * (denX - fx) +
 * p[x1] * fx once, then one vertical blend per output pixel (the training loop resizes an image every step).
 */
export function resizeBilinearInto(
  src: Uint8Array,
  inH: number,
  inW: number,
  r: number,
  outW: number,
  dst: Uint8Array | Int8Array,
  opts: { stride?: number; offset?: number; copies?: number; codes?: Int8Array } = {},
): void {
  if (src.length !== inH * inW) throw new Error(`resize: ${src.length} bytes is not ${inH}x${inW}`);
  for (const n of [r, outW])
    if (!Number.isInteger(n) || n < 1 || n > 1024) throw new Error(`resize: bad output size ${n}`);
  const { stride = 1, offset = 0, copies = 1, codes } = opts;
  if (offset + (r * outW - 1) * stride + copies > dst.length)
    throw new Error(`resize: ${dst.length} bytes cannot hold ${r}x${outW} pixels of stride ${stride}`);
  const denY = 2 * r;
  const denX = 2 * outW;
  const den2 = denY * denX;
  const half = den2 / 2;
  const ys = taps(inH, r);
  const xs = taps(inW, outW);
  if (rowSums.length < inH * outW) rowSums = new Int32Array(inH * outW);
  const h = rowSums;
  for (let y = 0; y < inH; y++) {
    const row = y * inW;
    const at = y * outW;
    for (let ox = 0; ox < outW; ox++) {
      const fx = xs[3 * ox + 2];
      h[at + ox] = src[row + xs[3 * ox]] * (denX - fx) + src[row + xs[3 * ox + 1]] * fx;
    }
  }
  for (let oy = 0, q = offset; oy < r; oy++) {
    const top = ys[3 * oy] * outW;
    const bot = ys[3 * oy + 1] * outW;
    const fy = ys[3 * oy + 2];
    const wy = denY - fy;
    // exact: the sum is a non-negative integer below 2^31 and den2 < 2^22, so the float quotient truncates right
    if (codes && copies === 3)
      for (let ox = 0; ox < outW; ox++, q += stride) {
        const code = codes[((h[top + ox] * wy + h[bot + ox] * fy + half) / den2) | 0];
        dst[q] = code;
        dst[q + 1] = code;
        dst[q + 2] = code;
      }
    else
      for (let ox = 0; ox < outW; ox++, q += stride) {
        const v = ((h[top + ox] * wy + h[bot + ox] * fy + half) / den2) | 0;
        const code = codes ? codes[v] : v;
        for (let c = 0; c < copies; c++) dst[q + c] = code;
      }
  }
}

/** axisTaps of every output coordinate of an axis of n inputs resized to r, flat (i0, i1, f), kept per (n, r):
 * the training loop resizes every image with the same few pairs. */
const tapTables = new Map<number, Int32Array>();
function taps(n: number, r: number): Int32Array {
  const key = n * 2048 + r;
  let t = tapTables.get(key);
  if (!t) {
    t = new Int32Array(3 * r);
    for (let o = 0; o < r; o++) t.set(axisTaps(o, n, r), 3 * o);
    if (tapTables.size > 64) tapTables.clear();
    tapTables.set(key, t);
  }
  return t;
}

/**
 * The int8 code of every pixel value 0..255 for an input quantized with `q`: the intensity p / 255 quantized,
 * clamp(round(p / 255 / scale) + zeroPoint, -128, 127) (round: halves up, Math.round); null: p - 128.
 */
export function pixelCodes(q: { scale: number; zeroPoint: number } | null): Int8Array {
  const codes = new Int8Array(256);
  for (let p = 0; p < 256; p++)
    codes[p] = q ? Math.max(-128, Math.min(127, Math.round(p / 255 / q.scale) + q.zeroPoint)) : p - 128;
  return codes;
}

/** codes of pixelCodes(null): x_q = p - 128. */
const DEFAULT_CODES = pixelCodes(null);

/** Gray bytes -> int8 HWC input with `channels` copies of x_q = codes[p] (default p - 128). */
export function toInputInt8(gray: Uint8Array, channels: number, out?: Int8Array, codes?: Int8Array): Int8Array {
  const x = out ?? new Int8Array(gray.length * channels);
  if (x.length !== gray.length * channels)
    throw new Error(`input buffer holds ${x.length}, need ${gray.length * channels}`);
  if (channels === 1) {
    for (let p = 0; p < gray.length; p++) x[p] = codes ? codes[gray[p]] : gray[p] - 128;
    return x;
  }
  for (let p = 0, q = 0; p < gray.length; p++) {
    const v = codes ? codes[gray[p]] : gray[p] - 128;
    for (let c = 0; c < channels; c++) x[q++] = v;
  }
  return x;
}

/** One split of a dataset, decoded and checked. */
export class DatasetSplit {
  constructor(
    readonly manifest: DatasetManifest,
    readonly name: string,
    readonly images: Uint8Array,
    readonly labels: Uint8Array,
  ) {}

  get count(): number {
    return this.labels.length;
  }

  /** The raw gray image i (height * width bytes). */
  image(i: number): Uint8Array {
    if (!Number.isInteger(i) || i < 0 || i >= this.count) throw new RangeError(`image ${i} of ${this.count}`);
    const n = pixelsPerImage(this.manifest);
    return this.images.subarray(i * n, (i + 1) * n);
  }

  label(i: number): number {
    if (!Number.isInteger(i) || i < 0 || i >= this.count) throw new RangeError(`label ${i} of ${this.count}`);
    return this.labels[i];
  }

  /** Image i resized to R x R and quantized as the network input (INPUT_QUANT), `channels` copies. */
  input(i: number, r: number, channels: number, out?: Int8Array): Int8Array {
    return this.inputShaped(i, r, r, channels, out);
  }

  /** Image i resized to h x w (bilinear, exact integers), `channels` copies of codes[p] (default p - 128). */
  inputShaped(i: number, h: number, w: number, channels: number, out?: Int8Array, codes?: Int8Array): Int8Array {
    if (this.manifest.image.channels !== 1) throw new Error('input(): only gray datasets are supported');
    const { height, width } = this.manifest.image;
    const x = out ?? new Int8Array(h * w * channels);
    if (x.length !== h * w * channels) throw new Error(`input buffer holds ${x.length}, need ${h * w * channels}`);
    resizeBilinearInto(this.image(i), height, width, h, w, x, {
      stride: channels,
      copies: channels,
      codes: codes ?? DEFAULT_CODES,
    });
    return x;
  }
}

/** Decodes one split from its file bytes (gzipped or not, as the manifest says). */
export function readSplit(manifestJson: unknown, split: string, file: Uint8Array): DatasetSplit {
  const m = parseDatasetManifest(manifestJson);
  const info = m.splits[split];
  if (!info) throw new Error(`dataset ${m.name} has no split "${split}" (have ${Object.keys(m.splits).join(', ')})`);
  let payload = file;
  if (info.gzip) {
    if (file.length < 2 || file[0] !== 0x1f || file[1] !== 0x8b) {
      // Servers that send .gz files with Content-Encoding: gzip (vite preview does) hand fetch the inflated bytes.
      try {
        const d = decodeSplit(m, split, file);
        return new DatasetSplit(m, split, d.images, d.labels);
      } catch {
        throw new Error(`${info.file}: not a gzip file`);
      }
    }
    try {
      payload = gunzipSync(file);
    } catch (e) {
      throw new Error(`${info.file}: gzip data is corrupt (${(e as Error).message})`);
    }
  }
  const d = decodeSplit(m, split, payload);
  return new DatasetSplit(m, split, d.images, d.labels);
}

/** Fetches `<base>/<name>.json` and the requested splits (the page passes fetch; Node tests a file reader). */
export async function fetchDataset(
  base: string,
  name: string,
  splits: string[],
  get: (url: string) => Promise<Uint8Array> = async (u) => new Uint8Array(await (await fetch(u)).arrayBuffer()),
): Promise<Record<string, DatasetSplit>> {
  const manifestText = new TextDecoder().decode(await get(`${base}/${name}.json`));
  const m = parseDatasetManifest(manifestText);
  const out: Record<string, DatasetSplit> = {};
  for (const s of splits) {
    const info = m.splits[s];
    if (!info) throw new Error(`dataset ${name} has no split "${s}"`);
    out[s] = readSplit(m, s, await get(`${base}/${info.file}`));
  }
  return out;
}
