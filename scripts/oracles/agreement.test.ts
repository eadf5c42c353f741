/**
 * Our kernels vs onnxruntime-web (Node), the ONNX half of oracle-compare.ts as a test that can fail: every
 * built-in backbone exported to .onnx and imported again in 'float-half-even' gives, input for input, the int8
 * logits onnxruntime-web gives on the file (target and threshold: 100% bit-identical, 0 LSB). The logits must
 * vary across inputs, so a constant output cannot pass. (Full runs at the default resolutions, 100 inputs
 * each: docs/raw/oracle-compare.txt.)
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { MODEL_NAMES } from '../../src/compiler/models/arch';
import { buildModel } from '../../src/compiler/models/model';
import type { KernelModule } from '../../src/runtime/kernels/wasm';
import { loadWasm, paths } from '../../src/runtime/testing/kernel-harness';
import { exported, ourLogits, toFileLayout } from './agreement';
import { compareInt8 } from './compare';
import { runOnnx } from './onnx-oracle';

let mod: KernelModule;
beforeAll(async () => {
  mod = await loadWasm(paths.wasmSimd);
});

describe('our kernels (float-half-even) vs onnxruntime-web on exported built-ins', () => {
  it.each(MODEL_NAMES)(
    '%s: every input bit-identical',
    async (name) => {
      const resolution = name === 'tiny-cnn' ? 32 : 48;
      const m = buildModel({ model: name, resolution, classes: 10, seed: 5 });
      const p = exported(m, 'onnx', 'float-half-even', 25, 77);
      expect(p.model.requant).toBe('float-half-even');
      const ours = ourLogits(mod, p.model, p.inputs);
      const theirs = (await runOnnx(p.bytes, toFileLayout(p.description, p.model, p.inputs), name)).results;
      const a = compareInt8(
        ours,
        theirs.map((r) => r.int8!),
      );
      expect(new Set(ours.flatMap((x) => Array.from(x))).size, 'distinct logits').toBeGreaterThan(4);
      expect(a).toMatchObject({ samples: 25, fractionIdentical: 1, maxLsbDiff: 0 });
    },
    60_000,
  );

  it('the same file in our other float mode (half away from zero) is not the runtime: the test can tell', async () => {
    const m = buildModel({ model: 'mbv2-w0.35', resolution: 48, classes: 10, seed: 5 });
    const p = exported(m, 'onnx', 'float-half-away', 25, 77);
    const ours = ourLogits(mod, p.model, p.inputs);
    const theirs = (await runOnnx(p.bytes, toFileLayout(p.description, p.model, p.inputs), 'x')).results;
    expect(
      compareInt8(
        ours,
        theirs.map((r) => r.int8!),
      ).fractionIdentical,
    ).toBeLessThan(1);
  }, 60_000);
});
