/**
 * `tinytrain quantize`: the fp32 Fashion-MNIST MobileNet-style model (scripts/quantize) calibrated on 200
 * training images becomes an int8 ONNX model that the playground imports and whose top-1 on 300 test images
 * (never used for calibration) stays within 3 points of the fp32 model's under onnxruntime-web. A float model
 * given to plan names the command; bad input is one line with the exit code of its kind.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importModel } from '../compiler/import';
import { descriptionToModel } from '../compiler/import/to-model';
import * as ort from 'onnxruntime-web';
import { grayToFloatNchw, runFloat } from '../runtime/training/calibrate';
import { readDataset, REPO_ROOT } from './firmware-io';
import { main } from './main';

const FP32 = join(REPO_ROOT, 'scripts/quantize/fashion_mobilenet_fp32.onnx');
const INT8 = join(REPO_ROOT, 'scripts/quantize/fashion_mobilenet_int8.onnx');
const FLATTEN = join(REPO_ROOT, 'src/compiler/import/fixtures/pytorch_flatten.onnx');
const dir = mkdtempSync(join(tmpdir(), 'tinytrain-quantize-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out, err };
}

const argmax = (v: Float32Array) => v.reduce((best, x, i) => (x > v[best] ? i : best), 0);

describe('tinytrain quantize', () => {
  it('calibrates on 200 training images; the int8 model imports and keeps top-1 within 3 points', async () => {
    const out = join(dir, 'int8.onnx');
    const r = await run('quantize', '--model', FP32, '--data', 'fashion-mnist', '--calibration', '200', '--out', out);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out).toHaveLength(1);
    expect(r.out[0]).toMatch(/: 10 int8 ops, calibrated on 200 fashion-mnist training images \(5800\.\.5999, /);
    const bytes = new Uint8Array(readFileSync(out));
    const d = importModel(bytes, 'int8.onnx');
    expect(d.needsQuantization).toBe(false);
    expect(d.ops.map((o) => o.sourceOp)).toContain('QLinearConv');
    const m = descriptionToModel(d, { name: 'int8', seed: 1 });
    expect(m.inputShape).toEqual([28, 28, 1]);

    const { test } = await readDataset('fashion-mnist', ['test']);
    const inputs = Array.from({ length: 300 }, (_, i) => grayToFloatNchw(test.image(i), 1, [0, 1]));
    const labels = Array.from({ length: 300 }, (_, i) => test.label(i));
    const top1 = (outs: Float32Array[]) => outs.filter((o, i) => argmax(o) === labels[i]).length / labels.length;
    const fp32 = top1(await runFloat(ort, new Uint8Array(readFileSync(FP32)), inputs, [1, 1, 28, 28]));
    const int8 = top1(await runFloat(ort, bytes, inputs, [1, 1, 28, 28]));
    expect(fp32).toBeGreaterThan(0.7); // a trained model: the comparison means something
    expect(Math.abs(fp32 - int8)).toBeLessThanOrEqual(0.03);
  }, 60_000);

  it('names the command when a float model is imported', async () => {
    const r = await run('plan', '--model', FP32, '--repeat', '1');
    expect(r.code).toBe(1);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(/must be quantized .*npx tinytrain quantize --model FP32\.onnx --data /);
  });

  const base = ['--model', FP32, '--data', 'fashion-mnist', '--calibration', '1'];
  it.each([
    [['--model', INT8, '--data', 'mnist', '--out', join(dir, 'a.onnx')], 1, /is already quantized \(int8-ops\)/],
    [['--model', FLATTEN, '--data', 'mnist', '--out', join(dir, 'a.onnx')], 1, /input is \[1, 2, 4, 4\]/],
    [['--model', join(dir, 'missing.onnx'), '--data', 'mnist', '--out', join(dir, 'a.onnx')], 1, /missing\.onnx/],
    [[...base.slice(0, 2), '--data', 'cifar', '--out', join(dir, 'a.onnx')], 2, /--data must be one of .*mnist/],
    [[...base, '--input-range', '1,0', '--out', join(dir, 'a.onnx')], 2, /--input-range must be LO,HI/],
    [[...base, '--input-range', '0,1,2', '--out', join(dir, 'a.onnx')], 2, /--input-range must be LO,HI/],
    [[...base.slice(0, 4), '--calibration', '6001', '--out', join(dir, 'a.onnx')], 2, /training split has 6000/],
    [[...base, '--out', join(dir, 'a.tflite')], 2, /--out must end in \.onnx/],
    [['--model', 'x.tflite', '--data', 'mnist', '--out', join(dir, 'a.onnx')], 2, /--model must be a \.onnx file/],
    [[...base], 2, /--out is required/],
  ])('refuses %j in one line (exit %i)', async (argv, code, message) => {
    const r = await run('quantize', ...argv);
    expect(r.code).toBe(code);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(message);
    expect(existsSync(join(dir, 'a.onnx'))).toBe(false);
  });
});
