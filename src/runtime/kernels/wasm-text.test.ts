import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { countSimdOps, kernelWasmText, simdHistogram, wasmTextModule } from './wasm-text';

const root = join(import.meta.dirname, '..', '..', '..');
const simd = new Uint8Array(readFileSync(join(root, 'wasm', 'tt_kernels.wasm')));
const scalar = new Uint8Array(readFileSync(join(root, 'wasm', 'tt_kernels_scalar.wasm')));

describe('kernelWasmText', () => {
  it('shows the SIMD dot product of tt_pointwise_s8 in the SIMD build', async () => {
    const k = await kernelWasmText(simd, 'tt_pointwise_s8');
    expect(k.functions[0].name).toBe('$tt_pointwise_s8');
    expect(k.functions[0].text).toMatch(/^ {2}\(func \$tt_pointwise_s8 /);
    expect(k.text).toContain('i32x4.dot_i16x8_s');
    expect(k.simdHistogram.map(([op]) => op)).toContain('i32x4.dot_i16x8_s');
    expect(k.simdHistogram.reduce((s, [, n]) => s + n, 0)).toBe(k.simdOps);
    expect(k.simdOps).toBeGreaterThan(0);
    expect(k.simdOps).toBe(k.functions.reduce((s, f) => s + f.simdOps, 0));
    // only functions reached from the kernel: no other exported kernel's body
    expect(k.text).not.toContain('(func $tt_conv_f32_bwd_input ');
  });

  it('has no SIMD in the scalar build', async () => {
    const k = await kernelWasmText(scalar, 'tt_pointwise_s8');
    expect(k.text).toContain('(func $tt_pointwise_s8 ');
    expect(k.text).toContain('i32.mul');
    expect(k.simdOps).toBe(0);
    expect(k.text).not.toContain('i32x4.dot_i16x8_s');
  });

  it('parses a module once and lists its exported functions', async () => {
    const a = wasmTextModule(simd);
    expect(wasmTextModule(simd)).toBe(a);
    const exports = (await a).exports;
    for (const name of readFileSync(join(root, 'wasm', 'exports.txt'), 'utf8').split('\n')) {
      if (name && !name.startsWith('#')) expect(exports).toContain(name);
    }
  });

  it('names an unknown kernel', async () => {
    await expect(kernelWasmText(simd, 'tt_nope_s8')).rejects.toThrow(/exports no function named 'tt_nope_s8'/);
  });

  it('rejects garbage and truncated modules with a readable message', async () => {
    await expect(kernelWasmText(new Uint8Array([1, 2, 3, 4, 5]), 'tt_pointwise_s8')).rejects.toThrow(
      /not a valid WebAssembly module: .*bad magic/,
    );
    await expect(kernelWasmText(simd.slice(0, 1000), 'tt_pointwise_s8')).rejects.toThrow(
      /not a valid WebAssembly module/,
    );
  });

  it('counts SIMD mnemonics, not lookalikes', () => {
    expect(countSimdOps('i32x4.dot_i16x8_s\nv128.load offset=4\ni32.add\nlocal.get $i8x16')).toBe(2);
    expect(simdHistogram('v128.load\ni32x4.add\nv128.load\ni32.add')).toEqual([
      ['v128.load', 2],
      ['i32x4.add', 1],
    ]);
  });
});
