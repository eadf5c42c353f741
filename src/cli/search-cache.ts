/**
 * The on-disk cache of contribution runs: one JSON file per run, named by the SHA-256 of its key, which holds
 * everything the run's score depends on: the model's content hash (every weight, bias, scale and quantization
 * parameter of the transfer model, so a new backbone or classifier seed misses), the data set's manifest hash,
 * the kernel module's hash, the run settings, the validation size and the scheme. Paths in the key are relative
 * to the repository, so a cache folder can be copied between machines. A file whose key differs (a hash clash
 * or a damaged file) is ignored and overwritten.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Model } from '../compiler/models/model';
import type { RunScore } from '../runtime/training/contribution';

export const sha256 = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

/** SHA-256 over a model's topology and layers: nodes, names, shapes, weights, biases, scales and quantization. */
export function modelHash(m: Model): string {
  const h = createHash('sha256');
  h.update(JSON.stringify([m.name, m.inputShape, m.classes, m.input, m.requant, m.nodes]));
  for (const l of [...m.convs, m.classifier]) {
    h.update(JSON.stringify([l.name, l.kind, l.inC, l.outC, l.kernel, l.stride, l.input, l.output]));
    for (const a of [l.weight, l.bias, l.weightScale]) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
  return h.digest('hex');
}

export interface RunKey {
  model: string;
  resolution: number;
  modelSha256: string;
  data: string;
  dataSha256: string;
  kernelSha256: string;
  seed: number;
  steps: number;
  lr: number;
  rounding: string;
  qas: boolean;
  validation: number;
  scheme: string;
}

interface CacheFile {
  format: 'tinytrain-contribution';
  version: 1;
  key: RunKey;
  score: RunScore;
}

/** The cached score of a run, or a fresh one (written to the cache). `dir` null: no cache. */
export function cachedRun(dir: string | null, key: RunKey, run: () => RunScore): { score: RunScore; hit: boolean } {
  if (dir === null) return { score: run(), hit: false };
  const text = JSON.stringify(key);
  const path = join(dir, `${sha256(text).slice(0, 40)}.json`);
  try {
    const f = JSON.parse(readFileSync(path, 'utf8')) as CacheFile;
    if (f.format === 'tinytrain-contribution' && f.version === 1 && JSON.stringify(f.key) === text)
      return { score: f.score, hit: true };
  } catch {
    // missing or unreadable: run it
  }
  const score = run();
  const file: CacheFile = { format: 'tinytrain-contribution', version: 1, key, score };
  mkdirSync(dir, { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(file));
  renameSync(tmp, path);
  return { score, hit: false };
}
