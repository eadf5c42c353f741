/**
 * The relaxed-SIMD build against the SIMD and scalar ones, bit for bit: every forward, backward, update and fused
 * case set, and a chain of training steps (forward, input gradient, fused gradient + update of a pointwise layer,
 * each step's weights feeding the next). kernel-build.test.ts runs it as a script in a child
 * `node --experimental-wasm-relaxed-simd` (Node 20 validates relaxed SIMD only under that flag); it prints one JSON
 * line: how many calls ran, the mismatches, and the relaxed module's imports.
 */
import { pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';
import { CONV_SHAPE_FIELDS, QUANT_FIELDS, Requant, structWords, convShape } from '../../compiler/kernel-abi';
import {
  loadWasm,
  paths,
  wasmBackend,
  type Arg,
  type Call,
  type KernelBackend,
  type TypedArray,
} from './kernel-harness';
import * as bwd from './kernels-backward.cases';
import * as fwd from './kernels-forward.cases';
import { requantEdgeCases } from './kernels-requant-edges.cases';

export interface RelaxedComparison {
  calls: number;
  mismatches: string[];
  imports: string[];
}

const bytes = (t: TypedArray) => new Uint8Array(t.buffer, t.byteOffset, t.byteLength);
const same = (a: TypedArray, b: TypedArray) =>
  a.byteLength === b.byteLength && bytes(a).every((v, j) => v === bytes(b)[j]);

function caseCalls(): { name: string; call: Call }[] {
  const r = bwd.seeded(11);
  const backward = [
    ...bwd.convGradientCases(r),
    ...bwd.fcGradientCases(r),
    ...bwd.updateCases(r),
    ...bwd.fusedCases(r),
    ...bwd.depthwiseWideCases(r),
  ];
  const f = bwd.seeded(12);
  const forward = [
    ...(['conv', 'pointwise', 'depthwise'] as const).flatMap((k) => fwd.layerCases(f, k, 12)),
    ...fwd.mcuCases(f),
    ...requantEdgeCases(Requant['float-half-away']),
    ...requantEdgeCases(Requant['float-half-even']),
  ];
  return [...backward, ...forward].map((c) => ({ name: c.name, call: { fn: c.fn, args: c.args } }));
}

/** Ten training steps of one pointwise layer (16x16, 48 -> 64 channels), weights carried from step to step. */
function trainingSteps(b: KernelBackend): TypedArray[] {
  const s = convShape({ inH: 16, inW: 16, inC: 48, outH: 16, outW: 16, outC: 64, kernel: 1, stride: 1, pad: 0 });
  const r = bwd.seeded(13);
  const i8 = (n: number) => Int8Array.from({ length: n }, () => Math.floor(r() * 255) - 127);
  const f32 = (n: number, lo: number, hi: number) =>
    Float32Array.from({ length: n }, () => Math.fround(lo + (hi - lo) * r()));
  const shape = structWords(CONV_SHAPE_FIELDS, s);
  const q = structWords(QUANT_FIELDS, { inZp: -5, outZp: -128, actMin: -128, actMax: 127, requant: 0 });
  let w: Int8Array = i8(64 * 48);
  const out: TypedArray[] = [];
  for (let step = 0; step < 10; step++) {
    const x = i8(16 * 16 * 48);
    const gOut = f32(16 * 16 * 64, -1, 1);
    const fwdArgs: Arg[] = [
      shape,
      q,
      x,
      w,
      Int32Array.from({ length: 64 }, () => Math.floor(r() * 2000) - 1000),
      f32(64, 0.001, 0.01),
      new Int8Array(16 * 16 * 64),
      new Uint8Array(16 * 16 * 8),
      { i32: 0 },
      { i32: 16 },
    ];
    const bwdArgs: Arg[] = [shape, gOut, w, f32(64, 0.001, 0.05), new Float32Array(16 * 16 * 48), { i32: 0 }];
    const updArgs: Arg[] = [
      shape,
      gOut,
      x,
      { i32: 48 },
      { i32: -5 },
      { f32: 0.02 },
      { i32: 48 },
      f32(64, 10, 100),
      { f32: 0.05 },
      { i32: step % 3 },
      w,
      Uint32Array.of(777 + step),
      new Float32Array(48),
    ];
    const [y, gi, upd] = b.run([
      { fn: 'tt_pointwise_s8', args: fwdArgs },
      { fn: 'tt_pointwise_f32_bwd_input', args: bwdArgs },
      { fn: 'tt_pointwise_bwd_update_s8', args: updArgs },
    ]);
    // typed arguments, in order: forward shape, q, x, w, bias, mult, out, mask; input gradient shape, g_out, w,
    // wscale, g_in; update shape, g_out, x, gscale, w, rng, scratch
    w = upd.outs[4] as Int8Array;
    out.push(y.outs[6], y.outs[7], gi.outs[4], w, upd.outs[5]);
  }
  return out;
}

export async function compareRelaxed(): Promise<RelaxedComparison> {
  const builds = [
    wasmBackend('wasm-relaxed', await loadWasm(paths.wasmRelaxed)),
    wasmBackend('wasm-simd', await loadWasm(paths.wasmSimd)),
    wasmBackend('wasm-scalar', await loadWasm(paths.wasmScalar)),
  ];
  const mismatches: string[] = [];
  const cases = caseCalls();
  const results = builds.map((b) => b.run(cases.map((c) => c.call)));
  cases.forEach((c, j) => {
    for (const k of [1, 2]) {
      const [a, b] = [results[0][j], results[k][j]];
      const ignore = /_bwd_update_s8(_range)?$/.test(c.call.fn) ? a.outs.length - 1 : -1; // fused scratch: unspecified
      if (a.ret !== b.ret && !(Number.isNaN(a.ret) && Number.isNaN(b.ret))) mismatches.push(`${c.name}: return`);
      a.outs.forEach(
        (o, m) => m !== ignore && !same(o, b.outs[m]) && mismatches.push(`${c.name} vs ${builds[k].name}: arg ${m}`),
      );
    }
  });
  const steps = builds.map(trainingSteps);
  steps[0].forEach((t, m) =>
    [1, 2].forEach(
      (k) =>
        !same(t, steps[k][m]) &&
        mismatches.push(`training step ${Math.floor(m / 5)} output ${m % 5} vs ${builds[k].name}`),
    ),
  );
  const mod = new WebAssembly.Module(readFileSync(paths.wasmRelaxed));
  const imports = WebAssembly.Module.imports(mod).map((i) => `${i.module}.${i.name}`);
  return { calls: cases.length * 3 + steps.length * 30, mismatches, imports };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await compareRelaxed()));
}
