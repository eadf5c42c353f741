/**
 * The cache key of one experiment run (transfer.ts, select-lr.ts): every setting of the run, the kernel build
 * and the pretrained backbone it used, so a stored result is reused only for exactly the same computation.
 * Paths are relative to the repository (a result made in one checkout is found from another); files are named
 * by a content hash as well, so a rebuilt wasm module or a re-exported backbone invalidates the old results.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { ROOT, type HeadlessOptions } from '../../src/cli/train-run';

export const DEFAULT_WASM = 'wasm/tt_kernels.wasm';

/** sha256 of the files' bytes (first 16 hex digits); "missing" when one does not exist. */
export function contentHash(...paths: string[]): string {
  const h = createHash('sha256');
  for (const p of paths) {
    if (!existsSync(p)) return 'missing';
    h.update(readFileSync(p));
  }
  return h.digest('hex').slice(0, 16);
}

export function repoPath(p: string): string {
  const rel = relative(ROOT, isAbsolute(p) ? p : join(ROOT, p));
  return rel.split('\\').join('/');
}

/**
 * The key: the options with keys sorted (so every field counts, including ones added later), paths relative,
 * Infinity spelled out (JSON would turn it into null), plus the hashes of the kernel build and the backbone.
 * `extra` names anything else the run depends on (e.g. the validation split of select-lr.ts).
 */
export function runKey(o: HeadlessOptions, extra: Record<string, unknown> = {}): string {
  const wasm = o.wasm ?? DEFAULT_WASM;
  const fields: Record<string, unknown> = {
    ...o,
    ...extra,
    pretrained: o.pretrained === null ? null : repoPath(o.pretrained),
    wasm: repoPath(wasm),
    evalExamples: Number.isFinite(o.evalExamples) ? o.evalExamples : 'all',
    // the fp32 baseline never touches the kernels, so a kernel rebuild does not invalidate it
    kernelBuild: o.engine === 'fp32' ? null : contentHash(isAbsolute(wasm) ? wasm : join(ROOT, wasm)),
    backbone: o.pretrained === null ? null : backboneHash(o.pretrained),
  };
  return JSON.stringify(sortKeys(fields));
}

function backboneHash(manifest: string): string {
  const abs = isAbsolute(manifest) ? manifest : join(ROOT, manifest);
  return contentHash(abs, abs.replace(/\.json$/, '.bin'));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  return v;
}
