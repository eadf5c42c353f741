/**
 * The fp32 -> int8 must-show on Fashion-MNIST: reads the fp32 MobileNet-style model that
 * train_fashion_mobilenet.py trained, calibrates it with onnxruntime-web on held-out training images (the last
 * 5,000 of the training set, never the test set), quantizes it (src/compiler/import/quantize.ts), writes the
 * int8 model with our ONNX writer and measures both models' top-1 accuracy on the 10,000 test images under
 * onnxruntime-web.
 *
 *   npx tsx scripts/quantize/quantize-fashion.ts [calibration images, default 1000]
 *   (writes scripts/quantize/fashion_mobilenet_int8.onnx and docs/raw/fashion-quantize.json)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { readOnnx } from '../../src/compiler/import/onnx';
import { quantizeModel } from '../../src/compiler/import/quantize';
import { writeOnnx } from '../../src/compiler/export/onnx-writer';
import { runOnnxFloat } from '../oracles/onnx-oracle';
import * as ort from 'onnxruntime-web';
import { calibrate } from '../../src/runtime/training/calibrate';

const DATA = '/usr/share/datasets/fashion-mnist/';
const HERE = fileURLToPath(new URL('./', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HOLDOUT = 5000;

function idx(file: string, header: number): Uint8Array {
  return gunzipSync(readFileSync(DATA + file)).subarray(header);
}

function load(kind: 'train' | 't10k'): { images: Float32Array[]; labels: Uint8Array } {
  const pixels = idx(`${kind}-images-idx3-ubyte.gz`, 16);
  const labels = idx(`${kind}-labels-idx1-ubyte.gz`, 8);
  const images = Array.from(labels, (_, i) =>
    Float32Array.from(pixels.subarray(i * 784, (i + 1) * 784), (p) => p / 255),
  );
  return { images, labels };
}

const argmax = (v: Float32Array) => v.reduce((best, x, i) => (x > v[best] ? i : best), 0);

function accuracy(outputs: Float32Array[], labels: Uint8Array): number {
  return outputs.filter((o, i) => argmax(o) === labels[i]).length / labels.length;
}

async function main(): Promise<void> {
  const calibrationCount = Number(process.argv[2] ?? 1000);
  const fp32Bytes = new Uint8Array(readFileSync(HERE + 'fashion_mobilenet_fp32.onnx'));
  const d = readOnnx(fp32Bytes, 'fashion_mobilenet_fp32.onnx');
  const train = load('train');
  const calibration = train.images.slice(train.images.length - HOLDOUT).slice(0, calibrationCount);
  const range = await calibrate(ort, d, calibration);
  const int8Bytes = writeOnnx(quantizeModel(d, range));
  writeFileSync(HERE + 'fashion_mobilenet_int8.onnx', int8Bytes);
  const test = load('t10k');
  const shape = d.tensors[d.inputs[0]].shape;
  const fp32Out = await runOnnxFloat(fp32Bytes, test.images, shape);
  const int8Out = await runOnnxFloat(int8Bytes, test.images, shape);
  const fp32 = accuracy(fp32Out, test.labels);
  const int8 = accuracy(int8Out, test.labels);
  const sameTop1 = fp32Out.filter((o, i) => argmax(o) === argmax(int8Out[i])).length / fp32Out.length;
  const result = {
    runtime: 'onnxruntime-web 1.30.0 (wasm, 1 thread) in Node',
    model: 'scripts/quantize/fashion_mobilenet_fp32.onnx (train_fashion_mobilenet.py)',
    calibration: `${calibration.length} images: training images ${60000 - HOLDOUT}.. (held out from training)`,
    testImages: test.labels.length,
    fp32Accuracy: fp32,
    int8Accuracy: int8,
    differencePoints: 100 * (fp32 - int8),
    sameTop1,
    int8Ops: readOnnx(int8Bytes, 'int8.onnx').ops.map((o) => o.sourceOp),
    fp32Bytes: fp32Bytes.length,
    int8Bytes: int8Bytes.length,
  };
  writeFileSync(ROOT + 'docs/raw/fashion-quantize.json', JSON.stringify(result, null, 1) + '\n');
  console.log(JSON.stringify(result, null, 1));
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message.split('\n')[0] : String(e));
  process.exit(1);
});
