import { describe, expect, it } from 'vitest';
import { decodeSplit, encodeSplit, fnv1a32, parseDatasetManifest, DatasetFormatError } from './dataset-format';

/** A 3-class dataset of 2x2 images: 4 images, labels 0, 1, 2, 1. */
function tiny() {
  const images = Uint8Array.from({ length: 16 }, (_, i) => i * 10);
  const labels = Uint8Array.from([0, 1, 2, 1]);
  const { payload, info } = encodeSplit(images, labels, 4, 3);
  const manifest = {
    format: 'tinytrain-dataset',
    version: 1,
    name: 'tiny',
    classes: ['a', 'b', 'c'],
    image: { height: 2, width: 2, channels: 1 },
    splits: { train: { file: 'tiny-train.bin', gzip: false, ...info } },
    source: 'test',
    license: 'none',
    selection: 'all',
    command: 'none',
  };
  return { manifest, payload, images, labels };
}

const mutate = (f: (m: any) => void) => {
  const m = structuredClone(tiny().manifest);
  f(m);
  return m;
};

describe('dataset format', () => {
  it('round-trips images and labels', () => {
    const { manifest, payload, images, labels } = tiny();
    const m = parseDatasetManifest(JSON.stringify(manifest));
    expect(m.splits.train).toMatchObject({ count: 4, bytes: 20, perClass: [1, 2, 1] });
    const d = decodeSplit(m, 'train', payload);
    expect(Array.from(d.images)).toEqual(Array.from(images));
    expect(Array.from(d.labels)).toEqual(Array.from(labels));
  });

  it('computes FNV-1a 32 as published (empty input and "a")', () => {
    expect(fnv1a32(new Uint8Array())).toBe('811c9dc5');
    expect(fnv1a32(new TextEncoder().encode('a'))).toBe('e40c292c');
  });

  it.each([
    ['format', (m: any) => (m.format = 'other'), /format: expected "tinytrain-dataset"/],
    ['version', (m: any) => (m.version = 2), /version: expected 1/],
    ['classes', (m: any) => (m.classes = ['only']), /classes: expected an array of 2 to 256/],
    ['image size', (m: any) => (m.image.width = 0), /image.width: expected an integer/],
    [
      'byte count',
      (m: any) => (m.splits.train.bytes = 19),
      /splits.train.bytes: expected 4 \* \(4 \+ 1\) = 20, got 19/,
    ],
    ['per-class sum', (m: any) => (m.splits.train.perClass = [1, 1, 1]), /perClass: sums to 3, not count 4/],
    ['checksum syntax', (m: any) => (m.splits.train.checksum = 'XYZ'), /checksum: expected 8 lowercase hex/],
    ['file path', (m: any) => (m.splits.train.file = '../x.bin'), /file: must be a bare file name/],
    ['missing split', (m: any) => (m.splits = {}), /splits: expected at least one split/],
  ])('rejects a manifest with a bad %s', (_name, f, msg) => {
    expect(() => parseDatasetManifest(mutate(f))).toThrow(DatasetFormatError);
    expect(() => parseDatasetManifest(mutate(f))).toThrow(msg);
  });

  it('rejects text that is not JSON', () => {
    expect(() => parseDatasetManifest('{"format":')).toThrow(/manifest: not valid JSON/);
  });

  it('rejects a truncated payload', () => {
    const { manifest, payload } = tiny();
    const m = parseDatasetManifest(manifest);
    expect(() => decodeSplit(m, 'train', payload.subarray(0, 19))).toThrow(/payload is 19 bytes, the manifest says 20/);
  });

  it('rejects a flipped byte by its checksum', () => {
    const { manifest, payload } = tiny();
    const bad = payload.slice();
    bad[5] ^= 1;
    expect(() => decodeSplit(parseDatasetManifest(manifest), 'train', bad)).toThrow(/checksum .* does not match/);
  });

  it('rejects an out-of-range label even with a matching checksum', () => {
    const { manifest, payload } = tiny();
    const bad = payload.slice();
    bad[17] = 7;
    const m = mutate((x) => (x.splits.train.checksum = fnv1a32(bad)));
    expect(() => decodeSplit(parseDatasetManifest(m), 'train', bad)).toThrow(/label 7 of image 1 is not below 3/);
  });

  it('rejects labels whose class counts differ from the manifest', () => {
    const { manifest, payload } = tiny();
    const bad = payload.slice();
    bad[19] = 0;
    const m = mutate((x) => (x.splits.train.checksum = fnv1a32(bad)));
    expect(() => decodeSplit(parseDatasetManifest(m), 'train', bad)).toThrow(
      /class 0 has 2 images, the manifest says 1/,
    );
  });

  it('names a missing split', () => {
    const { manifest, payload } = tiny();
    expect(() => decodeSplit(parseDatasetManifest(manifest), 'test', payload)).toThrow(/no such split \(have train\)/);
  });
});
