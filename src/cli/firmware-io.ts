/**
 * Node-side inputs and outputs of firmware bundles and headless training (the CLI, the firmware tests and the
 * experiment scripts): the kernel sources read from kernels-c/, model files, data sets of public/data (decoded,
 * resized and quantized by the runtime's own code, src/runtime/training/data.ts), and writing a bundle to a folder. The
 * generator itself (src/compiler/codegen) never touches the file system. User-named paths are read through
 * files.ts, so a missing, special or unreadable file is one CliError line.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FirmwareSample, KernelSources } from '../compiler/codegen';
import { unpackModelFile } from '../compiler/model-pack';
import { parseModelFile, type ModelFile } from '../compiler/model-file';
import { fetchDataset, readSplit, type DatasetSplit } from '../runtime/training/data';
import { parseDatasetManifest, type DatasetManifest } from '../runtime/training/dataset-format';
import { CliError, quote } from './command';
import { readInputFile } from './files';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DATA_DIR = join(REPO_ROOT, 'public', 'data');
export const MODELS_DIR = join(REPO_ROOT, 'public', 'models');

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

/** The manifest path of a model file named F.json or F. */
export const manifestPath = (path: string) => (path.endsWith('.json') || path.endsWith('.zip') ? path : `${path}.json`);

/** A model file: manifest F.json (or F) and its blob F.bin beside it. Throws CliError or ModelFileError. */
export function loadModelFile(path: string): ModelFile {
  const manifest = manifestPath(path);
  // a model saved by the page: one .tinytrain.zip holding model.json + model.bin
  if (manifest.endsWith('.zip'))
    return unpackModelFile(readInputFile(manifest, 'model file', 64 * 1024 * 1024), shownPath(manifest));
  const text = readInputFile(manifest, 'model file', 64 * 1024 * 1024).toString('utf8');
  const bin = readInputFile(manifest.replace(/\.json$/, '.bin'), 'model blob');
  return parseModelFile(text, bin);
}

/** Writes every file of a bundle under `dir` (creating folders); the CLI writes through files.ts instead. */
export function writeBundle(dir: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    const full = join(dir, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, text);
  }
}

/** A path for messages: relative to the working folder when that is shorter. */
export function shownPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.length < path.length && !rel.startsWith(`..${sep}..`) ? rel : path;
}

/**
 * Splits of public/data/<name> (name already checked against the folder's data sets). The manifest's file
 * names must stay inside the folder; any failure is a CliError naming the data set.
 */
export async function readDataset(
  name: string,
  splits: string[],
  dir = DATA_DIR,
): Promise<Record<string, DatasetSplit>> {
  const root = resolve(dir);
  const get = async (path: string) => {
    const full = resolve(path);
    if (!full.startsWith(`${root}${sep}`)) throw new CliError(`data set ${quote(name)} names a file outside ${root}`);
    return new Uint8Array(readInputFile(full, 'data file'));
  };
  try {
    return await fetchDataset(root, name, splits, get);
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`data set ${quote(name)}: ${(e as Error).message}`);
  }
}

export interface DatasetSamples {
  samples: FirmwareSample[];
  /** The dataset's class names, for the labels. */
  classNames: string[];
}

/** The manifest of public/data/<name>.json, checked (CliError when it cannot be read or is not valid). */
export function datasetManifest(name: string, dir: string = DATA_DIR): DatasetManifest {
  const text = readInputFile(join(dir, `${name}.json`), 'data set').toString('utf8');
  try {
    return parseDatasetManifest(text);
  } catch (e) {
    throw new CliError(`data set ${quote(name)}: ${(e as Error).message}`);
  }
}

/**
 * `count` test images of public/data/<name> (classes 0, 1, 2, ... in turn, the first image of each), resized to
 * the resolution and quantized like the runtime.
 */
export function datasetSamples(
  name: string,
  count: number,
  resolution: number,
  channels: number,
  classes: number,
  dir = DATA_DIR,
): DatasetSamples {
  const manifest = datasetManifest(name, dir);
  const split = manifest.splits.test ? 'test' : Object.keys(manifest.splits)[0];
  const file = resolve(dir, manifest.splits[split].file);
  if (!file.startsWith(`${resolve(dir)}${sep}`))
    throw new CliError(`data set ${quote(name)} names a file outside ${dir}`);
  let data: DatasetSplit;
  try {
    data = readSplit(manifest, split, readInputFile(file, 'data file'));
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`data set ${quote(name)}: ${(e as Error).message}`);
  }
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
