import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { layerConsts, layerConvShape, layerQuant } from '../../src/compiler/forward';
import { parseModelFile, weightLength, type ModelFile } from '../../src/compiler/model-file';
import { buildModel, nodeOutput, type ConvLayer, type Model } from '../../src/compiler/models/model';
import { addMultipliers, avgpoolMultiplier } from '../../src/compiler/quant';
import { addS8, avgpoolS8, convS8, depthwiseS8, fcS8, pointwiseS8 } from '../../src/compiler/reference/forward';
import { compile } from '../../src/compiler/compile';
import { INPUT_QUANT, readSplit } from '../../src/runtime/training/data';
import { PlanExecutor } from '../../src/runtime/kernels/executor';
import { loadWasm, paths } from '../../src/runtime/testing/kernel-harness';

const MODELS = join(__dirname, '../../public/models');
const DATA = join(__dirname, '../../public/data');
const names = existsSync(MODELS)
  ? readdirSync(MODELS)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -5))
  : [];

function load(name: string): { manifest: any; file: ModelFile; bin: Uint8Array } {
  const manifest = JSON.parse(readFileSync(join(MODELS, `${name}.json`), 'utf8'));
  const bin = new Uint8Array(readFileSync(join(MODELS, `${name}.bin`)));
  return { manifest, file: parseModelFile(manifest, bin), bin };
}

/** int8 forward of one image with the reference kernels (the oracle of kernels-c); returns the class. */
function predict(m: Model, x: Int8Array): number {
  const run = (l: ConvLayer, input: Int8Array) => {
    const out = new Int8Array(l.outH * l.outW * l.outC);
    const s = layerConvShape(l);
    const args = [s, layerQuant(l), input, l.weight, l.bias, layerConsts(l).mult, out, null, 0, l.outH] as const;
    if (l.kind === 'conv') convS8(...args);
    else if (l.kind === 'pointwise') pointwiseS8(...args);
    else depthwiseS8(...args);
    return out;
  };
  // the node walk, written out with the reference kernels (the built-ins: layers, residual adds, the pool)
  const values: Int8Array[] = [];
  const at = (r: number) => (r < 0 ? x : values[r]);
  let pooled = x;
  for (const n of m.nodes) {
    const xs = n.inputs.map(at);
    const q = n.inputs.map((r) => nodeOutput(m, r));
    if (n.op === 'layer' && n.conv >= 0) values.push(run(m.convs[n.conv], xs[0]));
    else if (n.op === 'layer') pooled = xs[0];
    else if (n.op === 'add') {
      const { ma, mb } = addMultipliers(q[0], q[1], n.output);
      const out = new Int8Array(xs[1].length);
      const aq = { inZp: q[0].zeroPoint, outZp: n.output.zeroPoint, actMin: -128, actMax: 127 };
      addS8(out.length, aq, q[1].zeroPoint, ma, mb, xs[0], xs[1], out, null);
      values.push(out);
    } else if (n.op === 'mean') {
      const src = m.convs[m.convs.length - 1];
      const [h, w, c] = [src.outH, src.outW, src.outC];
      const out = new Int8Array(c);
      const mult = avgpoolMultiplier(q[0], n.output, h, w);
      avgpoolS8(h, w, c, q[0].zeroPoint, n.output.zeroPoint, mult, xs[0], out);
      values.push(out);
    } else throw new Error(`${n.op} is not in the pretrained backbones`);
  }
  const cls = m.classifier;
  const logits = new Int8Array(m.classes);
  fcS8(cls.inC, cls.outC, layerQuant(cls), pooled, cls.weight, cls.bias, layerConsts(cls).mult, logits, null);
  let best = 0;
  for (let o = 1; o < m.classes; o++) if (logits[o] > logits[best]) best = o;
  return best;
}

function testSplit() {
  return readSplit(
    JSON.parse(readFileSync(join(DATA, 'fashion-mnist.json'), 'utf8')),
    'test',
    new Uint8Array(readFileSync(join(DATA, 'fashion-mnist-test.bin.gz'))),
  );
}

function accuracy(m: Model, count: number): number {
  const test = testSplit();
  let hit = 0;
  for (let i = 0; i < count; i++)
    hit += Number(predict(m, test.input(i, m.resolution, m.inChannels)) === test.label(i));
  return hit / count;
}

describe('public/models', () => {
  it('holds the required backbones', () => {
    expect(names).toEqual(expect.arrayContaining(['mcunet-5fps', 'tiny-cnn']));
  });

  it.each(names)('%s parses, fills its blob exactly and builds against its architecture', (name) => {
    const { manifest, file, bin } = load(name);
    let end = 0;
    const ranges: [number, number][] = [];
    for (const l of manifest.layers) {
      expect(l.weight.length).toBe(weightLength(l.kind, l.inC, l.outC, l.kernel));
      for (const [r, bytes] of [
        [l.weight, 1],
        [l.bias, 4],
        [l.weightScale, 4],
      ] as const) {
        expect(r.offset % 4).toBe(0);
        ranges.push([r.offset, r.offset + r.length * bytes]);
        end = Math.max(end, r.offset + Math.ceil((r.length * bytes) / 4) * 4);
      }
    }
    ranges.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < ranges.length; i++) expect(ranges[i][0]).toBeGreaterThanOrEqual(ranges[i - 1][1]);
    expect(bin.length).toBe(end);
    expect(file.input).toEqual({ scale: INPUT_QUANT.scale, zeroPoint: INPUT_QUANT.zeroPoint });
    const m = buildModel({ model: name, classes: file.classes, pretrained: file });
    expect(m.source).toBe('pretrained');
    expect(m.convs.length + 1).toBe(file.layers.length);
    const acc = file.meta.accuracy as { fp32: number; int8: number };
    expect(acc.fp32).toBeGreaterThan(0.7);
    expect(Math.abs(acc.fp32 - acc.int8)).toBeLessThan(0.03);
    expect(file.meta).toMatchObject({ seed: expect.any(Number), command: expect.stringMatching(/^npm run pretrain/) });
  });

  it('tiny-cnn int8 inference with the reference kernels reproduces the recorded accuracy', () => {
    const { file } = load('tiny-cnn');
    const m = buildModel({ model: 'tiny-cnn', classes: 10, pretrained: file });
    const acc = accuracy(m, 400);
    // 400 of the 10,000 test images the exporter scored: the binomial standard error is about 1.7 points
    expect(Math.abs(acc - (file.meta.accuracy as { int8: number }).int8)).toBeLessThan(0.05);
  });

  // The three-backbone accuracies of the README, measured here rather than read back from the manifest: the int8
  // plan (inference sub-plan, WebAssembly kernels, bit-identical to the reference per executor.test.ts) on the
  // first 300 Fashion-MNIST test images. The exporter scored all 10,000 with kernels-c; on 300 images the
  // binomial standard error is about 1.8 points, so 6 points is more than 3 of them.
  it.each(['mcunet-5fps', 'mbv2-w0.35', 'proxyless-w0.3'])(
    '%s int8 accuracy on 300 test images matches the recorded one',
    async (name) => {
      const { file } = load(name);
      const m = buildModel({ model: name, classes: 10, pretrained: file });
      const plan = compile(m, 'classifier');
      const ex = PlanExecutor.load(await loadWasm(paths.wasmSimd), plan, {
        lr: 0,
        rounding: 'nearest',
        qas: true,
        seed: 1,
      });
      const test = testSplit();
      const count = 300;
      let hit = 0;
      for (let i = 0; i < count; i++)
        hit += Number(
          ex.evaluate(test.input(i, m.resolution, m.inChannels), test.label(i)).predicted === test.label(i),
        );
      ex.dispose();
      const recorded = (file.meta.accuracy as { int8: number }).int8;
      expect(recorded).toBeGreaterThan(0.85);
      console.log(
        `${name}: int8 ${hit}/${count} = ${((100 * hit) / count).toFixed(2)}% (recorded on 10k: ${(100 * recorded).toFixed(2)}%)`,
      );
      expect(Math.abs(hit / count - recorded), `${hit}/${count} vs ${recorded}`).toBeLessThan(0.06);
    },
  );
});
