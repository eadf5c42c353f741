/**
 * This machine's multiply-accumulate peaks, the yardstick of `npm run bench -- kernels`:
 *  - WebAssembly SIMD int8 (i32x4.dot_i16x8_s on sign-extended int8, the instruction our SIMD kernels use),
 *  - WebAssembly relaxed SIMD (i32x4.relaxed_dot_i8x16_i7x16_add_s) when this Node's V8 runs it: Node 20 needs
 *    --experimental-wasm-relaxed-simd, so that loop is timed in a child `node` with the flag,
 *  - WebAssembly fp32 (f32x4.mul + f32x4.add, no FMA), the arithmetic of the fp32 backward kernels,
 *  - native gcc -O3 -msse4.2 (the native kernel runner's flags): pmaddwd + paddd and mulps + addps.
 * The loops are register-resident with independent accumulators (bench/peak/wat.ts, bench/peak/peak.c).
 * On a shared, loaded machine every figure moves with the load, so the kernel bench also re-measures the
 * in-process peaks right before each kernel row (wasmPeakNow) and reports the row's fraction against those.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';
import { nsPerIteration } from './loop';
import { macsPerIteration, peakWat, WEIGHT_OPERANDS, type PeakKind } from './wat';

const here = dirname(fileURLToPath(import.meta.url));
export const RELAXED_FLAG = '--experimental-wasm-relaxed-simd';

export interface Peaks {
  /** GMAC/s; null when the runtime or toolchain could not run the loop (reason in notes) */
  wasmDot: number;
  wasmRelaxed: number | null;
  wasmF32: number;
  nativeDot: number | null;
  nativeF32: number | null;
  notes: string[];
}

const binaries = new Map<string, Uint8Array>();
async function wasmBinary(kind: PeakKind, nw: number): Promise<Uint8Array> {
  const cached = binaries.get(`${kind}${nw}`);
  if (cached) return cached;
  const wabt = await wabtInit();
  const mod = wabt.parseWat(`${kind}.wat`, peakWat(kind, nw), { simd: true, relaxed_simd: true });
  try {
    const bytes = mod.toBinary({}).buffer;
    binaries.set(`${kind}${nw}`, bytes);
    return bytes;
  } finally {
    mod.destroy();
  }
}

/** GMAC/s of the fastest relaxed-SIMD loop, timed in a child node with the flag, or the child's error. */
async function timeRelaxedChild(dir: string): Promise<number | string> {
  let best = 0;
  for (const nw of WEIGHT_OPERANDS) {
    const file = join(dir, `relaxed${nw}.wasm`);
    writeFileSync(file, await wasmBinary('relaxed', nw));
    const args = [RELAXED_FLAG, '--import', 'tsx', join(here, 'loop.ts'), file];
    const res = spawnSync(process.execPath, args, { encoding: 'utf8' });
    if (res.status !== 0) return (res.stderr.split('\n').find((l) => l.includes('Error')) ?? res.stderr).trim();
    const { nsPerIteration: ns } = JSON.parse(res.stdout) as { nsPerIteration: number };
    best = Math.max(best, macsPerIteration('relaxed', nw) / ns);
  }
  return best;
}

/** GMAC/s of the fastest dot (int8) or f32 loop in this process, now. */
export async function wasmPeakNow(kind: 'dot' | 'f32', runs = 100): Promise<number> {
  let best = 0;
  for (const nw of WEIGHT_OPERANDS) {
    const ns = await nsPerIteration(await wasmBinary(kind, nw), kind === 'f32', 1, runs);
    best = Math.max(best, macsPerIteration(kind, nw) / ns);
  }
  return best;
}

function timeNative(dir: string): { dot: number; f32: number } | string {
  const exe = join(dir, 'peak');
  try {
    execFileSync('gcc', ['-O3', '-msse4.2', '-Wall', '-Wextra', '-o', exe, join(here, 'peak.c')], { stdio: 'pipe' });
    const [dotNs, f32Ns] = execFileSync(exe, { encoding: 'utf8' }).trim().split(/\s+/).map(Number);
    return { dot: 64 / dotNs, f32: 32 / f32Ns };
  } catch (e) {
    return `native peak not measured: ${(e as Error).message.split('\n')[0]}`;
  }
}

export async function measurePeaks(): Promise<Peaks> {
  const dir = mkdtempSync(join(tmpdir(), 'tt-peak-'));
  const notes: string[] = [];
  try {
    const relaxed = await timeRelaxedChild(dir);
    if (typeof relaxed === 'string')
      notes.push(`relaxed SIMD did not run under node ${process.version} ${RELAXED_FLAG}: ${relaxed}`);
    const native = timeNative(dir);
    if (typeof native === 'string') notes.push(native);
    return {
      wasmDot: await wasmPeakNow('dot', 300),
      wasmRelaxed: typeof relaxed === 'number' ? relaxed : null,
      wasmF32: await wasmPeakNow('f32', 300),
      nativeDot: typeof native === 'string' ? null : native.dot,
      nativeF32: typeof native === 'string' ? null : native.f32,
      notes,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether this process's V8 validates relaxed SIMD without a flag (Node 20 does not). */
export async function relaxedWithoutFlag(): Promise<boolean> {
  return WebAssembly.validate(new Uint8Array(await wasmBinary('relaxed', 2)));
}
