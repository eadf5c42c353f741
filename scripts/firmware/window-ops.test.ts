/**
 * Firmware of a plan with the window ops (pad, max pool, average pools: src/compiler/testing/window-plan.ts):
 * the bundle builds warning-free for the host and the Cortex-M7, and both print exactly the WebAssembly
 * executor's transcript (every loss's float bits, the weight checksum, every prediction).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateFirmware, syntheticSamples } from '../../src/compiler/codegen';
import { readKernelSources, writeBundle } from '../../src/cli/firmware-io';
import { BOARDS } from '../../src/compiler/boards';
import { forwardWithWindows, planWithWindows } from '../../src/compiler/testing/window-plan';
import { make, runHost, runQemu } from './harness';
import { transcriptOf, wasmTranscript } from './wasm-reference';

const dir = mkdtempSync(join(tmpdir(), 'tinytrain-fw-window-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('firmware with pad, max pool and average pool steps', () => {
  it('builds for host and MCU and trains exactly like the WebAssembly executor', async () => {
    const plan = planWithWindows(forwardWithWindows());
    const settings = { lr: 0.05, rounding: 'stochastic', qas: true, seed: 3 } as const;
    const samples = syntheticSamples(plan.input, 4, 4);
    const board = BOARDS.find((b) => b.id === 'stm32f746')!;
    const bundle = generateFirmware(plan, { board, settings, kernelSources: readKernelSources(), samples, steps: 6 });
    writeBundle(dir, bundle.files);
    const build = await make(dir, 'host', 'mcu');
    expect(build.stderr).not.toMatch(/warning|error/i);
    expect(build.ok, build.stderr).toBe(true);
    const want = await wasmTranscript(plan, samples, settings, 6);
    expect(want.length).toBe(6 + 1 + 2 * samples.length);
    const [host, qemu] = [await runHost(dir), await runQemu(dir, 200)];
    expect(transcriptOf(host.stdout)).toEqual(want);
    expect(transcriptOf(qemu.stdout)).toEqual(want);
  }, 300_000);
});
