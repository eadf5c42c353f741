/**
 * Runs a .tflite in the TFLite web runtime (headless Chromium) on inputs from a JSON file and writes the
 * outputs as JSON.
 *
 *   npx tsx scripts/oracles/tflite-run.ts model.tflite inputs.json [outputs.json]
 *
 * inputs.json: an array of samples, each an array of numbers (int8 values for an int8 input tensor, floats for
 * a float one). The output: { inputType, results: [[{dataType, shape, values}] per output] per sample }.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { runTflite } from './tflite-oracle';

async function main(argv: string[]): Promise<number> {
  const [modelPath, inputsPath, outPath] = argv;
  if (!modelPath || !inputsPath) {
    console.error('usage: tflite-run.ts model.tflite inputs.json [outputs.json]');
    return 2;
  }
  const inputs: unknown = JSON.parse(readFileSync(inputsPath, 'utf8'));
  if (!Array.isArray(inputs) || !inputs.every((x) => Array.isArray(x) && x.every((v) => typeof v === 'number'))) {
    console.error(`${inputsPath}: expected an array of samples, each an array of numbers`);
    return 2;
  }
  const run = await runTflite(new Uint8Array(readFileSync(modelPath)), inputs as number[][]);
  const text = JSON.stringify(run);
  if (outPath) writeFileSync(outPath, text + '\n');
  else console.log(text);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(e instanceof Error ? e.message.split('\n')[0] : String(e));
    process.exit(1);
  },
);
