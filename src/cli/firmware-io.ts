/**
 * Node-side helpers for firmware bundles (CLI and tests): read the kernel sources from kernels-c/ and write a
 * bundle's files into a folder. The generator itself (src/compiler/codegen) never touches the file system.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { KernelSources } from '../../src/compiler/codegen/bundle';

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

/** Writes every file of a bundle under `dir` (creating folders). */
export function writeBundle(dir: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    const full = join(dir, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, text);
  }
}
