/**
 * Our kernels vs the reference runtimes, 100 seeded inputs per model (agreement.ts says how each is prepared):
 * - TFLite web runtime (Chromium): TFLite Micro's micro_speech and hello_world as they are, and every built-in
 *   backbone exported to .tflite; ours in 'tflite-fixed' (TFLite's reference kernels, as TFLite Micro runs them),
 *   in 'float-half-even' (ONNX Runtime's arithmetic) and in 'tflite-xnnpack' (what XNNPACK, which the web runtime
 *   delegates int8 ops to, computes: 'float-half-even' but for its own fixed-point add);
 * - the same runtime on builtinKernelVariant(file) (builtin-variant.ts: XNNPACK declines every op, TFLite's own
 *   int8 kernels run them); ours in 'tflite-fixed';
 * - onnxruntime-web (Node): every built-in exported to .onnx; ours in 'float-half-even'.
 * Prints a table and writes docs/raw/oracle-compare.json (every output) and docs/raw/oracle-compare.txt.
 *
 *   npx tsx scripts/oracles/oracle-compare.ts [--samples N] [--only onnx|tflite]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MODEL_NAMES } from '../../src/compiler/models/arch';
import type { Model, RequantMode } from '../../src/compiler/models/model';
import { buildModel } from '../../src/compiler/models/model';
import { loadWasm, paths } from '../../src/runtime/testing/kernel-harness';
import { exported, fromFile, ourLogits, toFileLayout, type Prepared } from './agreement';
import { builtinKernelVariant } from './builtin-variant';
import { compareInt8, type Agreement } from './compare';
import { runOnnx } from './onnx-oracle';
import { runTflite } from './tflite-oracle';
import { writeTflite } from '../../src/compiler/export';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MODELS = ROOT + '../shared/models/';

interface Row {
  model: string;
  runtime: 'tflite-web' | 'tflite-builtin' | 'onnxruntime-web';
  requant: string;
  agreement: Agreement;
  /** Distinct logit values over all samples (a constant output would agree trivially). */
  distinctValues: number;
  /** The runtime's kernels that ran (builtin op names, TfLiteXNNPackDelegate for XNNPACK's share). */
  kernels?: string[];
  ours: number[][];
  theirs: number[][];
}

/** The runtime's int8 output per sample (a float output quantized back through its DEQUANTIZE's input). */
function tfliteInt8(p: Prepared, results: { dataType: string; values: number[] }[][]): number[][] {
  const d = p.description;
  const y = d.tensors[d.outputs[0]];
  const dq = d.ops.find((o) => o.kind === 'dequantize' && o.outputs[0] === y.id);
  const q = y.quant ?? (dq ? d.tensors[dq.inputs[0]!].quant : null);
  return results.map(([o]) =>
    o.dataType === 'int8' || !q
      ? o.values
      : o.values.map((v) => Math.max(-128, Math.min(127, Math.round(v / q.scale[0]) + q.zeroPoint[0]))),
  );
}

function row(model: string, runtime: Row['runtime'], m: Model, ours: Int8Array[], theirs: number[][]): Row {
  const o = ours.map((x) => Array.from(x));
  const distinctValues = new Set(o.flat()).size;
  return {
    model,
    runtime,
    requant: m.requant,
    agreement: compareInt8(o, theirs),
    distinctValues,
    ours: o,
    theirs,
  };
}

/** A softmax at the file's output would hide the logits: the same graph with the output at the softmax's input,
 * written by our writer (its re-exports run bit-identically with the originals: docs/raw/oracles-tflite.json). */
function withoutSoftmax(p: Prepared): Prepared {
  const d = p.description;
  const last = d.ops[d.ops.length - 1];
  if (last.kind !== 'softmax') return p;
  const description = { ...d, ops: d.ops.slice(0, -1), outputs: [last.inputs[0]!] };
  return { ...p, description, bytes: writeTflite(description) };
}

async function main(argv: string[]) {
  const n = Number(argv[argv.indexOf('--samples') + 1]) || 100;
  const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : null;
  const mod = await loadWasm(paths.wasmSimd);
  const rows: Row[] = [];
  const report = (r: Row) => {
    rows.push(r);
    const a = r.agreement;
    console.log(`${r.model} ${r.runtime}: ${a.identical}/${a.samples} identical, max ${a.maxLsbDiff} LSB`);
  };
  if (only !== 'onnx') {
    const files: Prepared[] = ['micro_speech_quantized.tflite', 'hello_world_int8.tflite'].map((f, i) =>
      fromFile(new Uint8Array(readFileSync(MODELS + f)), f, n, 100 + i),
    );
    const builtins = MODEL_NAMES.map((name, i) =>
      exported(buildModel({ model: name, classes: 10, seed: 3 }), 'tflite', 'tflite-fixed', n, 300 + i),
    );
    for (const p of [...files, ...builtins]) {
      const q = withoutSoftmax(p);
      const run = await runTflite(q.bytes, p.inputs);
      const theirs = tfliteInt8(q, run.results);
      const kernels = [...new Set(run.kernels.map((k) => k.split(':')[0]))];
      const ours = (mode: RequantMode) => {
        const m = fromFile(p.bytes, `${p.model.name}.tflite`, 0, 0, mode, p.model.name).model;
        return { m, logits: ourLogits(mod, m, p.inputs) };
      };
      // ours in TFLite's fixed point (its reference kernels, TFLite Micro), ONNX Runtime's float and XNNPACK's
      for (const mode of ['tflite-fixed', 'float-half-even', 'tflite-xnnpack'] as const) {
        const { m, logits } = ours(mode);
        report({ ...row(p.model.name, 'tflite-web', m, logits, theirs), kernels });
      }
      // the same function on TFLite's builtin int8 kernels only, against ours in tflite-fixed
      const builtin = await runTflite(writeTflite(builtinKernelVariant(q.description)), p.inputs);
      const { m, logits } = ours('tflite-fixed');
      const builtinKernels = [...new Set(builtin.kernels.map((k) => k.split(':')[0]))];
      const theirsBuiltin = tfliteInt8(q, builtin.results);
      report({ ...row(p.model.name, 'tflite-builtin', m, logits, theirsBuiltin), kernels: builtinKernels });
    }
  }
  if (only !== 'tflite') {
    for (const [i, name] of MODEL_NAMES.entries()) {
      const p = exported(buildModel({ model: name, classes: 10, seed: 3 }), 'onnx', 'float-half-even', n, 200 + i);
      const run = await runOnnx(p.bytes, toFileLayout(p.description, p.model, p.inputs), name);
      report(
        row(
          name,
          'onnxruntime-web',
          p.model,
          ourLogits(mod, p.model, p.inputs),
          run.results.map((r) => r.int8!),
        ),
      );
    }
  }
  const head = 'model              runtime          ours in           identical  max LSB  distinct logits  XNNPACK ran';
  const lines = rows.map((r) =>
    [
      r.model.padEnd(18),
      r.runtime.padEnd(16),
      r.requant.padEnd(17),
      `${(100 * r.agreement.fractionIdentical).toFixed(1)}%`.padStart(9),
      String(r.agreement.maxLsbDiff).padStart(8),
      String(r.distinctValues).padStart(16),
      r.kernels ? (r.kernels.includes('TfLiteXNNPackDelegate') ? ' yes' : ' no') : ' -',
    ].join(' '),
  );
  const text = [`${n} seeded int8 inputs per model; ${new Date().toISOString()}`, head, ...lines].join('\n') + '\n';
  console.log(text);
  const suffix = only ? `-${only}` : '';
  writeFileSync(ROOT + `docs/raw/oracle-compare${suffix}.txt`, text);
  writeFileSync(ROOT + `docs/raw/oracle-compare${suffix}.json`, JSON.stringify({ samples: n, rows }) + '\n');
}

main(process.argv.slice(2)).catch((e) => {
  console.error(e instanceof Error ? e.message.split('\n')[0] : String(e));
  process.exit(1);
});
