/**
 * The dataset file format of public/data/ (no dependency on the rest of src/: the page worker, the data scripts
 * and tests share it). A dataset is `<name>.json` (manifest) plus one binary per split, optionally gzipped:
 *
 *   split payload (after gunzip) = images (count * height * width * channels uint8, row-major, HWC)
 *                                  ++ labels (count uint8, each < classes.length)
 *   checksum = FNV-1a 32-bit of the whole payload, as 8 lowercase hex digits
 *
 *   {"format":"tinytrain-dataset","version":1,"name":"fashion-mnist","classes":["T-shirt/top",...],
 *    "image":{"height":28,"width":28,"channels":1},
 *    "splits":{"train":{"file":"fashion-mnist-train.bin.gz","gzip":true,"count":6000,"bytes":4710000,
 *                       "checksum":"89abcdef","perClass":[600,...]}, "test":{...}},
 *    "source":"...","license":"...","selection":"...","command":"npm run data"}
 *
 * parseDatasetManifest and decodeSplit throw DatasetFormatError naming the offending field or byte range.
 */
import { jsonFields } from '../../compiler/json-fields';

export const DATASET_FORMAT = 'tinytrain-dataset';
export const DATASET_VERSION = 1;

export interface SplitInfo {
  file: string;
  gzip: boolean;
  count: number;
  /** Payload length after decompression: count * (pixels per image + 1). */
  bytes: number;
  checksum: string;
  perClass: number[];
}

export interface DatasetManifest {
  format: typeof DATASET_FORMAT;
  version: typeof DATASET_VERSION;
  name: string;
  classes: string[];
  image: { height: number; width: number; channels: number };
  splits: Record<string, SplitInfo>;
  source: string;
  license: string;
  selection: string;
  command: string;
}

export interface DecodedSplit {
  count: number;
  /** count images of height * width * channels bytes each */
  images: Uint8Array;
  labels: Uint8Array;
}

export class DatasetFormatError extends Error {
  constructor(message: string) {
    super(`dataset file: ${message}`);
    this.name = 'DatasetFormatError';
  }
}

function fail(path: string, msg: string): never {
  throw new DatasetFormatError(`${path}: ${msg}`);
}
const { obj, int, str } = jsonFields(fail);

/** FNV-1a, 32 bit: h = (h ^ byte) * 16777619 mod 2^32 from h = 2166136261. */
export function fnv1a32(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

export function pixelsPerImage(m: Pick<DatasetManifest, 'image'>): number {
  return m.image.height * m.image.width * m.image.channels;
}

function parseSplit(v: unknown, path: string, pixels: number, classes: number): SplitInfo {
  const o = obj(v, path);
  const file = str(o.file, `${path}.file`);
  if (file.includes('/') || file.includes('\\')) fail(`${path}.file`, 'must be a bare file name next to the manifest');
  if (typeof o.gzip !== 'boolean') fail(`${path}.gzip`, 'expected a boolean');
  const count = int(o.count, `${path}.count`, 1, 10_000_000);
  const bytes = int(o.bytes, `${path}.bytes`, 0, Number.MAX_SAFE_INTEGER);
  if (bytes !== count * (pixels + 1))
    fail(`${path}.bytes`, `expected ${count} * (${pixels} + 1) = ${count * (pixels + 1)}, got ${bytes}`);
  const checksum = str(o.checksum, `${path}.checksum`);
  if (!/^[0-9a-f]{8}$/.test(checksum)) fail(`${path}.checksum`, 'expected 8 lowercase hex digits (FNV-1a 32)');
  if (!Array.isArray(o.perClass) || o.perClass.length !== classes)
    fail(`${path}.perClass`, `expected an array of ${classes} counts`);
  const perClass = o.perClass.map((c, i) => int(c, `${path}.perClass[${i}]`, 0, count));
  const sum = perClass.reduce((a, b) => a + b, 0);
  if (sum !== count) fail(`${path}.perClass`, `sums to ${sum}, not count ${count}`);
  return { file, gzip: o.gzip, count, bytes, checksum, perClass };
}

/** Validates a manifest (object or JSON text). */
export function parseDatasetManifest(manifest: unknown): DatasetManifest {
  let m = manifest;
  if (typeof m === 'string') {
    try {
      m = JSON.parse(m);
    } catch (e) {
      fail('manifest', `not valid JSON (${(e as Error).message})`);
    }
  }
  const o = obj(m, 'manifest');
  if (o.format !== DATASET_FORMAT) fail('format', `expected "${DATASET_FORMAT}", got ${JSON.stringify(o.format)}`);
  if (o.version !== DATASET_VERSION) fail('version', `expected ${DATASET_VERSION}, got ${JSON.stringify(o.version)}`);
  if (!Array.isArray(o.classes) || o.classes.length < 2 || o.classes.length > 256)
    fail('classes', 'expected an array of 2 to 256 label names');
  const classes = o.classes.map((c, i) => str(c, `classes[${i}]`));
  const im = obj(o.image, 'image');
  const image = {
    height: int(im.height, 'image.height', 1, 4096),
    width: int(im.width, 'image.width', 1, 4096),
    channels: int(im.channels, 'image.channels', 1, 4),
  };
  const sp = obj(o.splits, 'splits');
  if (Object.keys(sp).length === 0) fail('splits', 'expected at least one split');
  const splits: Record<string, SplitInfo> = {};
  const pixels = image.height * image.width * image.channels;
  for (const [k, v] of Object.entries(sp)) splits[k] = parseSplit(v, `splits.${k}`, pixels, classes.length);
  return {
    format: DATASET_FORMAT,
    version: DATASET_VERSION,
    name: str(o.name, 'name'),
    classes,
    image,
    splits,
    source: str(o.source, 'source'),
    license: str(o.license, 'license'),
    selection: str(o.selection, 'selection'),
    command: str(o.command, 'command'),
  };
}

/** Checks a split's decompressed payload against the manifest and returns views of images and labels. */
export function decodeSplit(m: DatasetManifest, split: string, payload: Uint8Array): DecodedSplit {
  const info = m.splits[split];
  if (!info) fail(`splits.${split}`, `no such split (have ${Object.keys(m.splits).join(', ')})`);
  const where = `${info.file}`;
  if (payload.length !== info.bytes)
    fail(where, `payload is ${payload.length} bytes, the manifest says ${info.bytes} (truncated or wrong file?)`);
  const sum = fnv1a32(payload);
  if (sum !== info.checksum)
    fail(where, `checksum ${sum} does not match the manifest's ${info.checksum} (corrupt file)`);
  const n = info.count * pixelsPerImage(m);
  const images = payload.subarray(0, n);
  const labels = payload.subarray(n, n + info.count);
  const seen = new Array<number>(m.classes.length).fill(0);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= m.classes.length) fail(where, `label ${labels[i]} of image ${i} is not below ${m.classes.length}`);
    seen[labels[i]]++;
  }
  const bad = seen.findIndex((c, k) => c !== info.perClass[k]);
  if (bad >= 0) fail(where, `class ${bad} has ${seen[bad]} images, the manifest says ${info.perClass[bad]}`);
  return { count: info.count, images, labels };
}

/** Builds a split payload and its manifest entry (without the file name and gzip flag). */
export function encodeSplit(
  images: Uint8Array,
  labels: Uint8Array,
  pixels: number,
  classes: number,
): { payload: Uint8Array; info: Omit<SplitInfo, 'file' | 'gzip'> } {
  if (images.length !== labels.length * pixels)
    throw new Error(`${images.length} image bytes for ${labels.length} labels`);
  const payload = new Uint8Array(images.length + labels.length);
  payload.set(images, 0);
  payload.set(labels, images.length);
  const perClass = new Array<number>(classes).fill(0);
  for (const l of labels) perClass[l]++;
  return { payload, info: { count: labels.length, bytes: payload.length, checksum: fnv1a32(payload), perClass } };
}
