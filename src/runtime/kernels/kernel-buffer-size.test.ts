/**
 * The compiler sizes the fused kernels' scratch with a TypeScript formula (bwdUpdateScratchBytes: it runs in
 * plain Node without WebAssembly); the kernels define it in C (tt_*_bwd_update_get_buffer_size). This runs the
 * C queries on every build (WebAssembly SIMD and scalar, sanitized native, native -O3) over random shapes and
 * holds them to the formula, so the two cannot drift.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { CONV_SHAPE_FIELDS, structWords, type ConvShape } from '../../compiler/kernel-abi';
import { bwdUpdateScratchBytes } from '../../compiler/kernels';
import { loadBackends, type Call, type KernelBackend } from '../testing/kernel-harness';
import { seeded, type Rand } from '../testing/kernels-backward.cases';

type Kind = 'conv' | 'pointwise' | 'depthwise' | 'fc';
const KINDS: Kind[] = ['conv', 'pointwise', 'depthwise', 'fc'];
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

interface Query {
  kind: Kind;
  shape: ConvShape;
  k: number;
  call: Call;
}

function randomQuery(r: Rand, kind: Kind): Query {
  const kernel = kind === 'pointwise' || kind === 'fc' ? 1 : [1, 3, 5, 7][int(r, 0, 3)];
  const inC = int(r, 1, 1280);
  const outC = kind === 'depthwise' ? inC : int(r, 1, 1280);
  const inH = int(r, 1, 112);
  const stride = int(r, 1, 2);
  const outH = Math.max(1, Math.floor((inH - 1) / stride) + 1);
  const shape: ConvShape = {
    ...{ inH, inW: inH, inC, outH, outW: outH, outC, kernel, stride, pad: kernel >> 1 },
    ...{ inRing: inH, outRing: outH, strideW: stride, padLeft: kernel >> 1 },
    kernelW: kind === 'conv' ? int(r, 1, 10) : kernel, // a general conv may be rectangular
  };
  const k = int(r, 1, inC);
  const fn = `tt_${kind}_bwd_update_get_buffer_size`;
  const args: Call['args'] =
    kind === 'fc' ? [{ i32: inC }, { i32: outC }, { i32: k }] : [structWords(CONV_SHAPE_FIELDS, shape), { i32: k }];
  return { kind, shape, k, call: { fn, args } };
}

describe('*_get_buffer_size in C equals the compiler formula', () => {
  let backends: KernelBackend[] = [];
  beforeAll(async () => {
    backends = await loadBackends();
  }, 180_000);

  const r = seeded(13);
  const queries = Array.from({ length: 400 }, (_, i) => randomQuery(r, KINDS[i % 4]));

  it('400 random shapes on every build', () => {
    expect(backends).toHaveLength(4);
    for (const b of backends) {
      const got = b.run(queries.map((q) => q.call)).map((res) => res.ret);
      queries.forEach((q, i) => {
        const want = bwdUpdateScratchBytes(q.kind, q.shape.kernel * q.shape.kernelW, q.k);
        expect(got[i], `${b.name} ${q.call.fn} kernel ${q.shape.kernel} k ${q.k}`).toBe(want);
      });
    }
  });

  it('the queries exercise different sizes (a constant answer would fail)', () => {
    const sizes = new Set(queries.map((q) => bwdUpdateScratchBytes(q.kind, q.shape.kernel * q.shape.kernelW, q.k)));
    expect(sizes.size).toBeGreaterThan(200);
    expect(queries.some((q) => q.kind === 'conv' && q.shape.kernel === 7)).toBe(true);
  });
});
