/**
 * `npm run bench -- kernels`: MAC/s of the hot kernels on MCU-sized shapes for WebAssembly SIMD (in Node),
 * WebAssembly scalar, and native C at -O3 -msse4.2 (gcc's 128-bit auto-vectorization), and the ratios against the
 * issue's targets: SIMD >= 0.6x native on forward kernels, >= 0.5x on backward, >= 3x scalar on pointwise.
 */
import { structWords, CONV_SHAPE_FIELDS, QUANT_FIELDS, convShape, type ConvShape } from '../src/compiler/kernel-abi';
import { loadWasm, nativeBackend, paths, wasmBackend, type Arg, type Call, type KernelBackend } from '../src/runtime/kernel-harness';

interface Case {
  label: string;
  kind: 'forward' | 'backward';
  macs: number;
  call: Call;
}

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}
const rand = rng(42);
const i8 = (n: number) => Int8Array.from({ length: n }, () => Math.floor(rand() * 256) - 128);
const i32 = (n: number, r = 2000) => Int32Array.from({ length: n }, () => Math.floor((rand() - 0.5) * r));
const f32 = (n: number, lo = -1, hi = 1) => Float32Array.from({ length: n }, () => Math.fround(lo + (hi - lo) * rand()));

const q = structWords(QUANT_FIELDS, { inZp: -3, outZp: -128, actMin: -128, actMax: 127 });
const sh = (s: ConvShape) => structWords(CONV_SHAPE_FIELDS, s);

function convCases(name: string, fn: string, s: ConvShape, wLen: number, depthwise: boolean): Case[] {
  const outN = s.outH * s.outW * s.outC;
  const inN = s.inH * s.inW * s.inC;
  const macs = s.outH * s.outW * s.outC * s.kernel * s.kernel * (depthwise ? 1 : s.inC);
  const mask = new Uint8Array(Math.ceil(outN / 8));
  const base = fn.replace('_s8', '');
  const fwdArgs: Arg[] = [sh(s), q, i8(inN), i8(wLen), i32(s.outC), f32(s.outC, 0.001, 0.01), new Int8Array(outN), mask, { i32: 0 }, { i32: s.outH }];
  const k = depthwise ? s.outC : s.inC;
  return [
    { label: `${name} fwd`, kind: 'forward', macs, call: { fn, args: fwdArgs } },
    {
      label: `${name} bwd_input`,
      kind: 'backward',
      macs,
      call: { fn: `${base}_f32_bwd_input`, args: [sh(s), f32(outN), i8(wLen), f32(s.outC, 0.001, 0.01), new Float32Array(inN), { i32: 0 }] },
    },
    {
      label: `${name} bwd_weight`,
      kind: 'backward',
      macs,
      call: { fn: `${base}_f32_bwd_weight`, args: [sh(s), f32(outN), i8(inN), { i32: s.inC }, { i32: -3 }, { f32: 0.02 }, { i32: k }, new Float32Array(wLen)] },
    },
    {
      label: `${name} fused bwd_weight+update`,
      kind: 'backward',
      macs,
      call: {
        fn: `${base}_bwd_update_s8`,
        args: [sh(s), f32(outN), i8(inN), { i32: s.inC }, { i32: -3 }, { f32: 0.02 }, { i32: k },
          f32(s.outC, 10, 100), { f32: 0.01 }, { i32: 1 }, i8(wLen), Uint32Array.of(12345),
          new Float32Array(s.kernel * s.kernel * k + 16)],
      },
    },
  ];
}

function cases(): Case[] {
  const pw = convShape({ inH: 16, inW: 16, inC: 48, outH: 16, outW: 16, outC: 144, kernel: 1, stride: 1, pad: 0 });
  const dw1 = convShape({ inH: 32, inW: 32, inC: 48, outH: 32, outW: 32, outC: 48, kernel: 7, stride: 1, pad: 3 });
  const dw2 = convShape({ inH: 32, inW: 32, inC: 48, outH: 16, outW: 16, outC: 48, kernel: 7, stride: 2, pad: 3 });
  const stem = convShape({ inH: 128, inW: 128, inC: 3, outH: 64, outW: 64, outC: 16, kernel: 3, stride: 2, pad: 1 });
  return [
    ...convCases('pointwise 48->144 @16x16', 'tt_pointwise_s8', pw, 144 * 48, false),
    ...convCases('depthwise 7x7 s1 @32x32x48', 'tt_depthwise_s8', dw1, 49 * 48, true),
    ...convCases('depthwise 7x7 s2 @32x32x48', 'tt_depthwise_s8', dw2, 49 * 48, true),
    ...convCases('conv 3x3 s2 3->16 @128x128', 'tt_conv_s8', stem, 16 * 9 * 3, false).filter((c) => !c.label.endsWith('bwd_input')),
  ];
}

/** Mean ns per call, calibrated so each measurement runs for about 0.4 s (after one warm-up batch). */
function time(backend: KernelBackend, call: Call): number {
  const probe = backend.run([{ ...call, repeat: 3 }])[0].ns;
  const repeat = Math.max(3, Math.min(20000, Math.round(4e8 / Math.max(probe, 1))));
  const runs = backend.run([{ ...call, repeat }, { ...call, repeat }]);
  return Math.min(runs[0].ns, runs[1].ns);
}

export default async function run(): Promise<void> {
  const backends = [
    wasmBackend('wasm-simd', await loadWasm(paths.wasmSimd)),
    wasmBackend('wasm-scalar', await loadWasm(paths.wasmScalar)),
    nativeBackend(true),
  ];
  const gmacs = (c: Case, ns: number) => c.macs / ns; // MAC per ns = GMAC/s
  console.log('| kernel | MMACs | wasm SIMD GMAC/s | wasm scalar GMAC/s | native -O3 GMAC/s | SIMD/native | SIMD/scalar | target |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const c of cases()) {
    const [simd, scalar, native] = backends.map((b) => gmacs(c, time(b, c.call)));
    const target = c.kind === 'forward' ? 0.6 : 0.5;
    const pwTarget = c.label.startsWith('pointwise') && c.kind === 'forward' ? ', >=3x scalar' : '';
    const ok = simd / native >= target && (!pwTarget || simd / scalar >= 3);
    console.log(
      `| ${c.label} | ${(c.macs / 1e6).toFixed(2)} | ${simd.toFixed(2)} | ${scalar.toFixed(2)} | ${native.toFixed(2)} | ` +
        `${(simd / native).toFixed(2)}x | ${(simd / scalar).toFixed(2)}x | >=${target}x native${pwTarget} ${ok ? 'met' : 'MISSED'} |`,
    );
  }
}
