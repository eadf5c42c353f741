/**
 * Where does our inference first differ from the TFLite web runtime's? For each op of the model's file, the
 * file truncated after that op (written by our writer) runs in the runtime, and its output is compared with the
 * same tensor of our executor (the plan without fusion, run up to that op's call) on the same seeded inputs.
 * Stops at the first op that differs unless --all. This is how the tflite-xnnpack mode's add was found.
 *
 *   npx tsx scripts/oracles/tflite-layers.ts MODEL|FILE.tflite [--requant MODE] [--builtin] [--samples N] [--all]
 *
 * MODEL is a built-in (exported to .tflite); --builtin runs builtinKernelVariant(prefix) (TFLite's own kernels).
 */
import { readFileSync } from 'node:fs';
import { compile } from '../../src/compiler/compile';
import { writeTflite } from '../../src/compiler/export';
import { buildModel, REQUANT_MODES, type RequantMode } from '../../src/compiler/models/model';
import { MODEL_NAMES, type ModelName } from '../../src/compiler/models/arch';
import { PlanExecutor } from '../../src/runtime/kernels/executor';
import { loadWasm, paths } from '../../src/runtime/testing/kernel-harness';
import { exported, fromFile, type Prepared } from './agreement';
import { builtinKernelVariant } from './builtin-variant';
import { CHROMIUM_ARGS, openTflitePage, runTfliteInPage } from './tflite-oracle';

const option = (argv: string[], name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);

function prepare(what: string, mode: RequantMode, n: number): Prepared {
  if (what.endsWith('.tflite')) return fromFile(new Uint8Array(readFileSync(what)), what, n, 100, mode);
  if (!MODEL_NAMES.includes(what as ModelName)) throw new Error(`${what}: not a .tflite file or ${MODEL_NAMES}`);
  return exported(buildModel({ model: what as ModelName, classes: 10, seed: 3 }), 'tflite', mode, n, 302);
}

async function main(argv: string[]) {
  const mode = (option(argv, '--requant') ?? 'tflite-xnnpack') as RequantMode;
  if (!REQUANT_MODES.includes(mode)) throw new Error(`--requant: one of ${REQUANT_MODES.join(', ')}`);
  const n = Number(option(argv, '--samples') ?? 10);
  const p = prepare(argv[0] ?? 'proxyless-w0.3', mode, n);
  const d = p.description;
  const plan = compile(p.model, 'classifier', { fusion: false });
  const sub = plan.inference;
  const settings = { lr: 0, rounding: 'nearest', qas: false, seed: 1 } as const;
  const ex = PlanExecutor.load(await loadWasm(paths.wasmSimd), plan, settings);
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    await openTflitePage(page);
    for (const [k, op] of d.ops.entries()) {
      const out = d.tensors[op.outputs[0]];
      const step = sub.steps.findIndex((s) => s.op === out.name);
      const buf = sub.buffers.find((b) => b.name === `${out.name}:out`);
      if (step < 0 || !buf) continue; // pads, reshapes, quantize: no tensor of ours to compare
      const ours = p.inputs.map((x) => {
        ex.runSteps('infer', 0, step + 1, x, 0);
        return ex.arenaView().slice(buf.offset, buf.offset + buf.bytes);
      });
      const prefix = { ...d, ops: d.ops.slice(0, k + 1), outputs: [out.id] };
      const file = writeTflite(argv.includes('--builtin') ? builtinKernelVariant(prefix) : prefix);
      const run = await runTfliteInPage(page, file, p.inputs);
      let [elements, samples, max] = [0, 0, 0];
      run.results.forEach(([o], i) => {
        const ourInt8 = new Int8Array(ours[i].buffer);
        const diff = o.values.map((v, j) => Math.abs(v - ourInt8[j]));
        elements += diff.filter((x) => x > 0).length;
        samples += diff.some((x) => x > 0) ? 1 : 0;
        max = Math.max(max, ...diff);
      });
      const ran = run.kernels[run.kernels.length - 1];
      console.log(
        `${k} ${op.kind} ${out.name}: ${elements} elements differ in ${samples}/${n} samples, max ${max} (${ran})`,
      );
      if (elements > 0 && !argv.includes('--all')) break;
    }
  } finally {
    await browser.close();
    ex.dispose();
  }
}

main(process.argv.slice(2)).catch((e) => {
  console.error(e instanceof Error ? e.message.split('\n')[0] : String(e));
  process.exit(1);
});
