/**
 * Build selection, and the relaxed-SIMD build bit-identical to the SIMD and scalar builds. Node 20 validates relaxed
 * SIMD only under --experimental-wasm-relaxed-simd, so the comparison runs in a child node with that flag
 * (src/runtime/testing/relaxed-compare.ts); Chromium runs the relaxed build by default.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RelaxedComparison } from '../testing/relaxed-compare';
import { engineHasRelaxedSimd, preferredKernelBuild } from './kernel-build';

const root = join(__dirname, '..', '..', '..');
const FLAG = '--experimental-wasm-relaxed-simd';

function child(args: string[]): string {
  const res = spawnSync(process.execPath, [FLAG, '--import', 'tsx', ...args], { cwd: root, encoding: 'utf8' });
  if (res.status !== 0) throw new Error(res.stderr);
  return res.stdout.trim();
}

describe('kernel builds', () => {
  it('prefers the relaxed build exactly when the engine validates relaxed SIMD', () => {
    expect(preferredKernelBuild(true)).toBe('relaxed-simd');
    expect(preferredKernelBuild(false)).toBe('simd');
    expect(preferredKernelBuild()).toBe(engineHasRelaxedSimd() ? 'relaxed-simd' : 'simd');
    const probe = "import { engineHasRelaxedSimd as h } from './src/runtime/kernels/kernel-build.ts'; console.log(h())";
    expect(child(['--input-type=module', '-e', probe])).toBe('true');
  }, 60_000);

  it('relaxed SIMD, SIMD and scalar builds agree bit for bit on every case set and ten training steps', () => {
    const res = JSON.parse(child([join('src', 'runtime', 'testing', 'relaxed-compare.ts')])) as RelaxedComparison;
    expect(res.mismatches).toEqual([]);
    expect(res.calls).toBeGreaterThan(600);
    expect(res.imports).toEqual(['env.emscripten_notify_memory_growth']); // every placeholder was substituted
  }, 120_000);
});
