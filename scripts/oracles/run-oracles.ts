/**
 * Runs both reference runtimes on the import test models and writes their raw outputs to docs/raw/:
 * - TFLite web runtime (Chromium): TFLite Micro's micro_speech_quantized and hello_world_int8, 100 seeded int8
 *   inputs each, on the original file and on our re-export (read -> writeTflite), plus our every-op model;
 * - onnxruntime-web (Node): every readable ONNX fixture, 100 seeded inputs, original and re-export (writeOnnx).
 * Each entry keeps the outputs (int8 per sample) and the agreement of the re-export with the original.
 *
 *   npx tsx scripts/oracles/run-oracles.ts   (writes docs/raw/oracles-tflite.json, docs/raw/oracles-onnx.json)
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readTflite } from '../../src/compiler/import/tflite';
import { readOnnx } from '../../src/compiler/import/onnx';
import { elementCount, type ModelDescription } from '../../src/compiler/import/types';
import { writeTflite } from '../../src/compiler/export/tflite-writer';
import { writeOnnx } from '../../src/compiler/export/onnx-writer';
import { tfliteEveryOp } from '../../src/compiler/export/testing-descriptions';
import { compareInt8, seededInt8Inputs } from './compare';
import { runOnnx } from './onnx-oracle';
import { runTflite, type TfliteRun } from './tflite-oracle';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MODELS = ROOT + '../shared/models/';
const FIXTURES = ROOT + 'src/compiler/import/fixtures/';
const SAMPLES = 100;

/** Int8 outputs of the first output tensor per sample (a float output is quantized back with its quant). */
function int8Outputs(run: TfliteRun, d: ModelDescription): number[][] {
  const y = d.tensors[d.outputs[0]];
  const dq = d.ops.find((o) => o.kind === 'dequantize' && o.outputs[0] === y.id);
  const q = y.quant ?? (dq ? d.tensors[dq.inputs[0]!].quant : null);
  return run.results.map((outs) => {
    const o = outs[0];
    if (o.dataType === 'int8' || !q) return o.values;
    return o.values.map((v) => Math.max(-128, Math.min(127, Math.round(v / q.scale[0]) + q.zeroPoint[0])));
  });
}

/** Inputs for the runner: int8 values, or their real values for a float input with a QUANTIZE after it. */
function feed(d: ModelDescription, inputs: Int8Array[]): number[][] {
  const x = d.tensors[d.inputs[0]];
  if (x.dtype === 'int8') return inputs.map((v) => Array.from(v));
  const q = d.ops.find((o) => o.kind === 'quantize' && o.inputs[0] === x.id);
  const quant = d.tensors[q!.outputs[0]].quant!;
  return inputs.map((v) => Array.from(v, (k) => Math.fround(quant.scale[0] * (k - quant.zeroPoint[0]))));
}

async function tfliteEntry(name: string, d: ModelDescription, original: Uint8Array | null, seed: number) {
  const inputs = seededInt8Inputs(seed, SAMPLES, elementCount(d.tensors[d.inputs[0]].shape));
  const exported = await runTflite(writeTflite(d), feed(d, inputs));
  const ours = int8Outputs(exported, d);
  const base = original ? int8Outputs(await runTflite(original, feed(d, inputs)), d) : null;
  const agreement = base ? compareInt8(ours, base) : null;
  console.log(`${name}: ${SAMPLES} inputs, re-export vs original ${JSON.stringify(agreement)}`);
  return {
    model: name,
    seed,
    samples: SAMPLES,
    inputType: exported.inputType,
    kernels: exported.kernels,
    reexportVsOriginal: agreement,
    original: base,
    reexport: ours,
  };
}

async function onnxEntry(file: string, seed: number) {
  const bytes = new Uint8Array(readFileSync(FIXTURES + file));
  const d = readOnnx(bytes, file);
  const inputs = seededInt8Inputs(seed, SAMPLES, elementCount(d.tensors[d.inputs[0]].shape));
  const original = await runOnnx(bytes, inputs, file);
  const reexport = await runOnnx(writeOnnx(d), inputs, file);
  const int8 = original.results[0].int8 !== null;
  const agreement = int8
    ? compareInt8(
        reexport.results.map((r) => r.int8!),
        original.results.map((r) => r.int8!),
      )
    : null;
  const sameFloats =
    JSON.stringify(reexport.results.map((r) => r.float)) === JSON.stringify(original.results.map((r) => r.float));
  console.log(`${file}: re-export vs original ${JSON.stringify(agreement)}, floats identical: ${sameFloats}`);
  return {
    model: file,
    seed,
    samples: SAMPLES,
    inputQuant: original.inputQuant,
    outputQuant: original.outputQuant,
    reexportVsOriginal: agreement,
    reexportFloatsIdentical: sameFloats,
    original: original.results.map((r) => r.int8 ?? r.float),
  };
}

async function main(): Promise<void> {
  const tflite = [];
  for (const [i, file] of ['micro_speech_quantized.tflite', 'hello_world_int8.tflite'].entries()) {
    const bytes = new Uint8Array(readFileSync(MODELS + file));
    tflite.push(await tfliteEntry(file, readTflite(bytes, file), bytes, 100 + i));
  }
  tflite.push(
    await tfliteEntry('every-op (synthetic, src/compiler/export/testing-descriptions.ts)', tfliteEveryOp(), null, 102),
  );
  const stamp = {
    runtime: '@tensorflow/tfjs-tflite 0.0.1-alpha.10 in /usr/bin/chromium, numThreads 1',
    date: new Date().toISOString(),
  };
  writeFileSync(ROOT + 'docs/raw/oracles-tflite.json', JSON.stringify({ ...stamp, models: tflite }) + '\n');
  const onnx = [];
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.onnx') && !f.startsWith('refuse_'));
  for (const [i, file] of files.entries()) onnx.push(await onnxEntry(file, 200 + i));
  const ortStamp = { runtime: 'onnxruntime-web 1.30.0 (wasm, 1 thread) in Node', date: stamp.date };
  writeFileSync(ROOT + 'docs/raw/oracles-onnx.json', JSON.stringify({ ...ortStamp, models: onnx }) + '\n');
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message.split('\n')[0] : String(e));
  process.exit(1);
});
