/**
 * Node-side inputs and outputs of firmware bundles (the `firmware` command and the firmware tests): the kernel
 * sources read from kernels-c/, real sample images from public/data (resized and quantized by the runtime's own
 * code, src/runtime/data.ts), and writing a bundle to a folder or a zip. The generator itself
 * (src/compiler/codegen) never touches the file system.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FirmwareSample, KernelSources } from '../compiler/codegen';
import { parseModelFile, type ModelFile } from '../compiler/model-file';
import { readSplit } from '../runtime/data';

export const REPO_ROOT = join(dirname(new URL(import.meta.url).pathname), '..', '..');

/** Every kernels-c/include/*.h and kernels-c/src/*.{c,h}, keyed by path under kernels-c/. */
export function readKernelSources(root = join(REPO_ROOT, 'kernels-c')): KernelSources {
  const out: KernelSources = {};
  for (const dir of ['include', 'src']) {
    for (const f of readdirSync(join(root, dir)).sort()) {
      if (/\.[ch]$/.test(f)) out[`${dir}/${f}`] = readFileSync(join(root, dir, f), 'utf8');
    }
  }
  return out;
}

/** A model file: manifest F.json (or F) and its blob F.bin beside it. */
export function loadModelFile(path: string): ModelFile {
  const manifest = path.endsWith('.json') ? path : `${path}.json`;
  return parseModelFile(readFileSync(manifest, 'utf8'), readFileSync(manifest.replace(/\.json$/, '.bin')));
}

/** Writes every file of a bundle under `dir` (creating folders). */
export function writeBundle(dir: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    const full = join(dir, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, text);
  }
}

export interface DatasetSamples {
  samples: FirmwareSample[];
  /** The dataset's class names, for the labels. */
  classNames: string[];
}

/**
 * `count` test images of public/data/<name> (classes 0, 1, 2, ... in turn, the first image of each), resized to
 * the resolution and quantized like the runtime; null when the dataset is not there.
 */
export function datasetSamples(
  name: string,
  count: number,
  resolution: number,
  channels: number,
  classes: number,
  dir = join(REPO_ROOT, 'public', 'data'),
): DatasetSamples | null {
  const manifestPath = join(dir, `${name}.json`);
  if (!existsSync(manifestPath)) return null;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    splits: Record<string, { file: string }>;
    classes: string[];
  };
  const split = manifest.splits.test ? 'test' : Object.keys(manifest.splits)[0];
  const data = readSplit(manifest, split, readFileSync(join(dir, manifest.splits[split].file)));
  const usable = Math.min(classes, manifest.classes.length);
  const taken = new Set<number>();
  const samples: FirmwareSample[] = [];
  for (let k = 0; samples.length < count && k < count * 4; k++) {
    const want = k % usable;
    for (let i = 0; i < data.count; i++) {
      if (data.label(i) === want && !taken.has(i)) {
        taken.add(i);
        samples.push({ label: want, image: data.input(i, resolution, channels) });
        break;
      }
    }
  }
  return { samples, classNames: manifest.classes };
}
