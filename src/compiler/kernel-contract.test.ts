/**
 * The kernel contract has one source, kernels-c/include/tt_kernels.h. The TypeScript signature table, the wasm
 * exports type and wasm/exports.txt are generated from it; these tests fail when a committed copy is stale and
 * when the header breaks the rules the generated copies rely on.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contractFiles, HEADER, staleContractFiles } from '../../kernels-c/tools/gen_contract.mjs';
import { parsePrototypes } from '../../kernels-c/tools/header.mjs';
import { KERNEL_NAMES, KERNEL_SIGNATURES } from './kernels';

const root = join(__dirname, '..', '..');
const header = readFileSync(join(root, HEADER), 'utf8');

describe('generated kernel contract', () => {
  it('the committed generated files equal what the generator prints from the header', async () => {
    expect(await staleContractFiles()).toEqual([]);
  }, 30_000);

  it('a new prototype changes every generated copy (the check can fail)', async () => {
    const before = await contractFiles(header);
    const at = header.lastIndexOf('#ifdef __cplusplus');
    const edited = `${header.slice(0, at)}void tt_mean_s8(int32_t n, const int8_t *in, int8_t *out);\n${header.slice(at)}`;
    const after = await contractFiles(edited);
    for (const path of Object.keys(before)) expect(after[path], path).not.toBe(before[path]);
    expect(after['src/compiler/kernel-signatures.gen.ts']).toContain("['in', 'const int8_t*']");
    expect(after['wasm/exports.txt']).toContain('\ntt_mean_s8\n');
    expect(after['src/runtime/kernels/wasm-exports.gen.ts']).toContain('tt_mean_s8(n: I32, in_: Ptr, out: Ptr): void;');
  }, 30_000);

  it('exports every header function, and the plan kernels are exactly the tt_<op>_<dtype> ones', () => {
    const protos = parsePrototypes(header);
    const exported = readFileSync(join(root, 'wasm/exports.txt'), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    expect(exported).toEqual(['malloc', 'free', ...protos.map((p) => p.name)]);
    expect(KERNEL_NAMES).toContain('tt_conv_s8');
    expect(KERNEL_NAMES).not.toContain('tt_expf');
    expect(KERNEL_NAMES).not.toContain('tt_conv_bwd_update_get_buffer_size');
    expect(KERNEL_SIGNATURES.tt_softmax_xent_s8.returns).toBe('float');
    expect(KERNEL_SIGNATURES.tt_fc_s8.params.map((p) => p[0])).toEqual([
      'in_c',
      'out_c',
      'q',
      'in',
      'w',
      'bias',
      'mult',
      'out',
      'mask',
    ]);
  });

  it('every kernel that takes scratch has a *_get_buffer_size query returning int32_t', () => {
    const protos = parsePrototypes(header);
    const names = new Set(protos.map((p) => p.name));
    const withScratch = protos.filter((p) => p.params.some((q) => q.name === 'scratch'));
    expect(withScratch.length).toBeGreaterThan(0);
    for (const p of withScratch) {
      // a kernel's _range variant (one part of a thread split) shares the whole kernel's query
      const query = p.name.replace(/_s8(_range)?$/, '_get_buffer_size');
      expect(names.has(query), `${p.name} has no ${query}`).toBe(true);
      expect(protos.find((q) => q.name === query)!.ret).toBe('int32_t');
    }
  });
});
