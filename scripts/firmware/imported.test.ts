/**
 * Firmware of an imported model (TFLite Micro's micro_speech, the file's own weights, classifier and
 * requantization: tflite-fixed) against the WebAssembly executor on the same embedded samples: the int8 logits of
 * every sample before training, then the demo's transcript (every loss's float bits, the weight checksum after 3
 * full-network training steps, every prediction), from the host build and from the Cortex-M7 build under QEMU.
 * The logits come from a test-only line the demo is given here (tt_logits() after each tt_infer); the bundle is
 * otherwise the one `tinytrain firmware --model micro_speech_quantized.tflite` writes. Then the small CNN (a residual
 * add) in the tflite-xnnpack mode: XNNPACK's add on the host and the Cortex-M7 equals the executor's.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readKernelSources, REPO_ROOT, writeBundle } from '../../src/cli/firmware-io';
import { BOARDS } from '../../src/compiler/boards';
import { generateFirmware, syntheticSamples } from '../../src/compiler/codegen';
import { compile } from '../../src/compiler/compile';
import { importModel } from '../../src/compiler/import';
import { descriptionToModel } from '../../src/compiler/import/to-model';
import { buildModel } from '../../src/compiler/models/model';
import { PlanExecutor } from '../../src/runtime/kernels/executor';
import { make, runHost, runQemu } from './harness';
import { loadKernelModule, transcriptOf, wasmTranscript } from './wasm-reference';

const MICRO = join(REPO_ROOT, '..', 'shared', 'models', 'micro_speech_quantized.tflite');
const dir = mkdtempSync(join(tmpdir(), 'tinytrain-fw-imported-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The demo with a "logits <i>: v0 v1 ..." line per sample first (inference on the embedded weights). */
function withLogitLines(demo: string): string {
  const renamed = demo.replace('int tt_demo_run(void) {', 'static int demo_transcript(void) {');
  if (renamed === demo) throw new Error('tt_demo.c has no tt_demo_run definition to wrap');
  return `${renamed}
int tt_demo_run(void) {
  for (int32_t i = 0; i < tt_num_samples; i++) {
    (void)tt_infer(tt_samples[i].image, tt_samples[i].label, NULL);
    const int8_t *z = tt_logits();
    printf("logits %" PRId32 ":", i);
    for (int32_t c = 0; c < TT_NUM_CLASSES; c++) printf(" %d", (int)z[c]);
    printf("\\n");
  }
  return demo_transcript();
}
`;
}

const logitLines = (output: string) => output.split('\n').filter((l) => l.startsWith('logits '));

describe.skipIf(!existsSync(MICRO))('firmware of an imported model (micro_speech)', () => {
  it('prints the executor’s int8 logits and transcript on the host and under QEMU', async () => {
    const d = importModel(new Uint8Array(readFileSync(MICRO)), 'micro_speech_quantized.tflite');
    const model = descriptionToModel(d, { name: 'micro_speech_quantized', seed: 1 });
    expect(model.requant).toBe('tflite-fixed');
    const plan = compile(model, 'full');
    const settings = { lr: 0.01, rounding: 'nearest', qas: true, seed: 1 } as const;
    const samples = syntheticSamples(plan.input, model.classes, 6);
    const board = BOARDS.find((b) => b.id === 'stm32f746')!;
    const bundle = generateFirmware(plan, { board, settings, kernelSources: readKernelSources(), samples, steps: 3 });
    writeBundle(dir, bundle.files);
    const demo = join(dir, 'app', 'tt_demo.c');
    writeFileSync(demo, withLogitLines(readFileSync(demo, 'utf8')));
    const build = await make(dir, 'host', 'mcu');
    expect(build.ok, build.stderr).toBe(true);

    const ex = PlanExecutor.load(await loadKernelModule(), plan, settings);
    const logits = samples.map((x, i) => {
      ex.evaluate(x.image, x.label);
      return `logits ${i}: ${Array.from(ex.logits(true)).join(' ')}`;
    });
    ex.dispose();
    // the samples give different logits (a constant output would agree trivially)
    expect(new Set(logits.map((l) => l.split(':')[1])).size).toBeGreaterThan(1);
    const transcript = await wasmTranscript(plan, samples, settings, 3);

    const [host, qemu] = [await runHost(dir), await runQemu(dir, 200)];
    expect(logitLines(host.stdout)).toEqual(logits);
    expect(transcriptOf(host.stdout)).toEqual(transcript);
    expect(logitLines(qemu.stdout)).toEqual(logits);
    expect(transcriptOf(qemu.stdout)).toEqual(transcript);
  }, 300_000);
});

describe('firmware in the tflite-xnnpack mode', () => {
  it("runs the tflite-xnnpack mode (XNNPACK's add) exactly like the executor", async () => {
    const model = {
      ...buildModel({ model: 'tiny-cnn', resolution: 32, classes: 4, seed: 5 }),
      requant: 'tflite-xnnpack' as const,
    };
    const plan = compile(model, 'last:4');
    expect(plan.inference.steps.some((s) => s.kernel === 'tt_add_s8_fixed')).toBe(true);
    const settings = { lr: 0.05, rounding: 'stochastic', qas: true, seed: 3 } as const;
    const samples = syntheticSamples(plan.input, model.classes, 4);
    const board = BOARDS.find((b) => b.id === 'stm32f746')!;
    const bundle = generateFirmware(plan, { board, settings, kernelSources: readKernelSources(), samples, steps: 4 });
    const out = join(dir, 'xnnpack');
    writeBundle(out, bundle.files);
    const build = await make(out, 'host', 'mcu');
    expect(build.ok, build.stderr).toBe(true);
    const want = await wasmTranscript(plan, samples, settings, 4);
    expect(want.length).toBe(4 + 1 + 2 * samples.length);
    const [host, qemu] = [await runHost(out), await runQemu(out, 200)];
    expect(transcriptOf(host.stdout)).toEqual(want);
    expect(transcriptOf(qemu.stdout)).toEqual(want);
  }, 300_000);
});
