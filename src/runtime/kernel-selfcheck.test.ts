import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { selfCheck, xorshift32 } from './kernel-selfcheck';
import { instantiateKernels } from './wasm';
import type { KernelModule } from './wasm';

const fakeModule = (expf: (x: number) => number) => ({ exports: { tt_expf: expf } }) as unknown as KernelModule;

describe('kernel self-check', () => {
  it('passes an exact expf and reports the count', () => {
    const r = selfCheck(fakeModule((x) => Math.fround(Math.exp(x))));
    expect(r.ok).toBe(true);
    expect(r.message).toMatch(/^kernels OK: tt_expf 1000\/1000/);
  });

  it('fails an expf that is off by 1e-5 relative', () => {
    const r = selfCheck(fakeModule((x) => Math.exp(x) * (1 + 1e-5)));
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/FAILED: tt_expf 0\/1000/);
  });

  it('fails a module without tt_expf', () => {
    expect(selfCheck({ exports: {} } as unknown as KernelModule).ok).toBe(false);
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

  const wasmPath = new URL('../../wasm/tt_kernels.wasm', import.meta.url);
  it.skipIf(!existsSync(wasmPath))('passes on the built module', async () => {
    const mod = await instantiateKernels(readFileSync(wasmPath));
    expect(selfCheck(mod).ok).toBe(true);
  });
});
