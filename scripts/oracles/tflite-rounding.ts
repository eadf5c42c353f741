/**
 * Which fixed-point rounding do the TFLite web runtime's builtin int8 kernels use? Every CONV_2D,
 * DEPTHWISE_CONV_2D and FULLY_CONNECTED of a model runs in the runtime on TFLite's own kernels
 * (builtinKernelVariant), and its int8 output is recomputed here from the runtime's own int8 input (so earlier
 * differences cannot carry over) with the same {M, S} multipliers in two roundings:
 * - double: TFLite's default MultiplyByQuantizedMultiplier (saturating rounding doubling high mul, then a rounding
 *   right shift; our tflite-fixed mode, TFLite Micro's and CMSIS-NN's reference arithmetic);
 * - single: TFLITE_SINGLE_ROUNDING, (acc * M + 2^(30 - S)) >> (31 - S) in 64 bits.
 * Prints the outputs each rounding gets wrong, per op; each ADD and MEAN likewise against our tflite-fixed
 * reference (TFLite's reference ADD and MEAN: tt_add_s8_fixed, tt_mean_s8).
 *
 * With --xnnpack the model runs as it is (XNNPACK takes the ops) and each ADD and MEAN is checked against our
 * tflite-xnnpack and float-half-even references instead.
 *
 *   npx tsx scripts/oracles/tflite-rounding.ts [MODEL] [--samples N] [--xnnpack]
 */
import { writeTflite } from '../../src/compiler/export';
import type { OpDesc, TensorDesc } from '../../src/compiler/import/types';
import { paddingOf } from '../../src/compiler/import/to-model-layers';
import { MODEL_NAMES, type ModelName } from '../../src/compiler/models/arch';
import { buildModel } from '../../src/compiler/models/model';
import { Requant, type RequantName } from '../../src/compiler/kernel-abi';
import {
  addMultipliers,
  avgpoolMultiplier,
  fixedAddMultipliers,
  fixedMeanMultiplier,
  fixedMultipliers,
  xnnpackAddMultipliers,
  type QParams,
} from '../../src/compiler/quant';
import { addS8, addS8Fixed, meanS8 } from '../../src/compiler/reference/forward';
import { requantFixed } from '../../src/compiler/reference/requant';
import { exported } from './agreement';
import { builtinKernelVariant } from './builtin-variant';
import { CHROMIUM_ARGS, openTflitePage, runTfliteInPage } from './tflite-oracle';

type Weighted = Extract<OpDesc, { kind: 'conv2d' | 'depthwiseConv2d' | 'fullyConnected' }>;

/** The op's int32 accumulators (bias included) for one input, output-major in NHWC order. */
function accumulators(op: Weighted, t: TensorDesc[], x: number[]): number[] {
  const [xt, wt, bt] = op.inputs.map((i) => (i === null ? null : t[i]));
  const y = t[op.outputs[0]];
  const w = wt!.data as Int8Array;
  const bias = (o: number) => (bt ? (bt.data as Int32Array)[o] : 0);
  const zx = xt!.quant!.zeroPoint[0];
  if (op.kind === 'fullyConnected') {
    const [outC, inC] = wt!.shape;
    return Array.from({ length: outC }, (_, o) => {
      let acc = bias(o);
      for (let i = 0; i < inC; i++) acc += (x[i] - zx) * w[o * inC + i];
      return acc;
    });
  }
  const [, H, W, C] = xt!.shape;
  const [, OH, OW, OC] = y.shape;
  const [kh, kw] = [wt!.shape[1], wt!.shape[2]];
  const [sh, sw] = op.options.stride;
  const [top, left] = paddingOf(op.options.padding, [H, W], [OH, OW], [kh, kw], [sh, sw]);
  const acc: number[] = [];
  for (let oy = 0; oy < OH; oy++)
    for (let ox = 0; ox < OW; ox++)
      for (let o = 0; o < OC; o++) {
        let a = bias(o);
        for (let ky = 0; ky < kh; ky++)
          for (let kx = 0; kx < kw; kx++) {
            const [iy, ix] = [oy * sh - top + ky, ox * sw - left + kx];
            if (iy < 0 || ix < 0 || iy >= H || ix >= W) continue;
            const at = (iy * W + ix) * C;
            if (op.kind === 'depthwiseConv2d') a += (x[at + o] - zx) * w[(ky * kw + kx) * OC + o];
            else for (let c = 0; c < C; c++) a += (x[at + c] - zx) * w[((o * kh + ky) * kw + kx) * C + c];
          }
        acc.push(a);
      }
  return acc;
}

const qp = (t: TensorDesc): QParams => ({ scale: t.quant!.scale[0], zeroPoint: t.quant!.zeroPoint[0] });

/** Outputs of an ADD / MEAN (the runtime's ys from its own xs) that our reference gets wrong in a mode. */
function wrongOutputs(op: OpDesc, t: TensorDesc[], mode: RequantName, xs: number[][][], ys: number[][]): number {
  const [a, y] = [t[op.inputs[0]!], t[op.outputs[0]]];
  const quant = { inZp: qp(a).zeroPoint, outZp: qp(y).zeroPoint, actMin: -128, actMax: 127, requant: Requant[mode] };
  let wrong = 0;
  ys.forEach((want, s) => {
    const got = new Int8Array(want.length);
    const [x0, x1] = xs.map((x) => Int8Array.from(x[s]));
    if (op.kind === 'add') {
      const b = t[op.inputs[1]!];
      const [bZp, n] = [qp(b).zeroPoint, got.length];
      if (mode === 'float-half-even') {
        const { ma, mb } = addMultipliers(qp(a), qp(b), qp(y));
        addS8(n, quant, bZp, ma, mb, x0, x1, got, null);
      } else {
        const xnn = mode === 'tflite-xnnpack' ? xnnpackAddMultipliers(qp(a), qp(b), qp(y)) : null;
        addS8Fixed(n, quant, bZp, xnn ?? fixedAddMultipliers(qp(a), qp(b), qp(y)), x0, x1, got, null);
      }
    } else {
      const [, h, w, c] = a.shape;
      const table =
        mode === 'tflite-fixed'
          ? fixedMeanMultiplier(qp(a), qp(y))
          : Float32Array.of(avgpoolMultiplier(qp(a), qp(y), h, w));
      meanS8(
        h,
        w,
        c,
        { ...quant, requant: Requant[mode === 'tflite-fixed' ? mode : 'float-half-even'] },
        table,
        x0,
        got,
      );
    }
    wrong += want.filter((v, e) => v !== got[e]).length;
  });
  return wrong;
}

const single = (acc: number, m: number, s: number) =>
  Number((BigInt(acc) * BigInt(m) + (1n << BigInt(30 - s))) >> BigInt(31 - s));

async function main(argv: string[]) {
  const name = (argv[0] ?? 'tiny-cnn') as ModelName;
  if (!MODEL_NAMES.includes(name)) throw new Error(`${name}: one of ${MODEL_NAMES.join(', ')}`);
  const n = Number(argv.includes('--samples') ? argv[argv.indexOf('--samples') + 1] : 10);
  const xnnpack = argv.includes('--xnnpack');
  const p = exported(buildModel({ model: name, classes: 10, seed: 3 }), 'tflite', 'tflite-fixed', n, 302);
  const d = p.description;
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    await openTflitePage(page);
    const valuesOf = async (id: number) => {
      if (d.inputs.includes(id)) return p.inputs.map((x) => Array.from(x));
      const k = d.ops.findIndex((o) => o.outputs[0] === id);
      const prefix = { ...d, ops: d.ops.slice(0, k + 1), outputs: [id] };
      const file = writeTflite(xnnpack ? prefix : builtinKernelVariant(prefix));
      return (await runTfliteInPage(page, file, p.inputs)).results.map(([o]) => o.values);
    };
    for (const op of d.ops) {
      if (op.kind === 'add' || op.kind === 'mean') {
        const xs = await Promise.all(op.inputs.slice(0, op.kind === 'add' ? 2 : 1).map((i) => valuesOf(i!)));
        const ys = await valuesOf(op.outputs[0]);
        const modes = xnnpack ? (['tflite-xnnpack', 'float-half-even'] as const) : (['tflite-fixed'] as const);
        const wrong = modes.map((m) => `our ${m} wrong ${wrongOutputs(op, d.tensors, m, xs, ys)}`).join(', ');
        console.log(`${op.kind} ${d.tensors[op.outputs[0]].name}: ${ys.length * ys[0].length} outputs; ${wrong}`);
        continue;
      }
      if (xnnpack) continue;
      if (op.kind !== 'conv2d' && op.kind !== 'depthwiseConv2d' && op.kind !== 'fullyConnected') continue;
      const [xt, wt] = [d.tensors[op.inputs[0]!], d.tensors[op.inputs[1]!]];
      const y = d.tensors[op.outputs[0]];
      const [sw, outC] = [wt.quant!.scale, y.shape[y.shape.length - 1]];
      const ms = fixedMultipliers(
        xt.quant!.scale[0],
        Array.from({ length: outC }, (_, o) => sw[sw.length > 1 ? o : 0]),
        y.quant!.scale[0],
      );
      const lo = op.options.activation === 'none' ? -128 : Math.max(-128, y.quant!.zeroPoint[0]);
      const q = (r: number) => Math.max(lo, Math.min(127, r + y.quant!.zeroPoint[0]));
      const [xs, ys] = [await valuesOf(xt.id), await valuesOf(y.id)];
      const wrong = { double: 0, single: 0 };
      let count = 0;
      xs.forEach((x, s) =>
        accumulators(op, d.tensors, x).forEach((acc, e) => {
          const [m, sh] = [ms[2 * (e % outC)], ms[2 * (e % outC) + 1]];
          count++;
          if (q(requantFixed(acc, m, sh)) !== ys[s][e]) wrong.double++;
          if (q(single(acc, m, sh)) !== ys[s][e]) wrong.single++;
        }),
      );
      console.log(
        `${op.kind} ${y.name}: ${count} outputs; double rounding wrong ${wrong.double}, single ${wrong.single}`,
      );
    }
  } finally {
    await browser.close();
  }
}

main(process.argv.slice(2)).catch((e) => {
  console.error(e instanceof Error ? e.message.split('\n')[0] : String(e));
  process.exit(1);
});
