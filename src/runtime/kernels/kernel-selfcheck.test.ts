import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { selfCheck, xorshift32 } from './kernel-selfcheck';
import { KernelModule, instantiateKernels } from './wasm';
import type { KernelExports } from './wasm';

const wasmPath = new URL('../../../wasm/tt_kernels.wasm', import.meta.url);
const haveWasm = existsSync(wasmPath);

/** The built module with some exports replaced. */
async function patched(overrides: Partial<KernelExports>): Promise<KernelModule> {
  const mod = await instantiateKernels(readFileSync(wasmPath));
  return new KernelModule({ ...mod.exports, ...overrides } as KernelExports);
}

describe('kernel self-check', () => {
  it('names the exports a module lacks', () => {
    const r = selfCheck({ exports: {} } as unknown as KernelModule);
    expect(r.ok).toBe(false);
    expect(r.message).toBe('kernel module lacks tt_expf, tt_pointwise_s8, malloc, free');
  });

  it('xorshift32 is deterministic and in [0, 1)', () => {
    const a = xorshift32(7);
    const b = xorshift32(7);
    for (let i = 0; i < 100; i++) {
      const v = a();
      expect(v).toBe(b());
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(1);
    }
  });

  it.skipIf(!haveWasm)('passes on the built module', async () => {
    const r = selfCheck(await instantiateKernels(readFileSync(wasmPath)));
    expect(r.message).toMatch(/^kernels OK: tt_pointwise_s8 10240\/10240 bit-exact vs reference, tt_expf 1000\/1000/);
    expect(r.ok).toBe(true);
  });

  it.skipIf(!haveWasm)('fails an expf that is off by 1e-5 relative', async () => {
    const r = selfCheck(await patched({ tt_expf: (x: number) => Math.exp(x) * (1 + 1e-5) }));
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/FAILED: .*tt_expf 0\/1000/);
  });

  it.skipIf(!haveWasm)('fails a pointwise kernel that writes nothing', async () => {
    const r = selfCheck(await patched({ tt_pointwise_s8: () => undefined }));
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/FAILED: tt_pointwise_s8 \d+\/10240/);
  });
});
