import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, type HeadlessOptions } from '../../src/cli/train-run';
import { runKey } from './cache-key';

const base: HeadlessOptions = {
  model: 'tiny-cnn',
  resolution: 32,
  scheme: 'last:4',
  data: 'mnist',
  steps: 100,
  seed: 1,
  lr: 0.03,
  rounding: 'nearest',
  qas: true,
  engine: 'wasm',
  pretrained: join(ROOT, 'public', 'models', 'tiny-cnn.json'),
  evalExamples: Infinity,
  curvePoints: 10,
  initialEval: false,
  schedule: 'cosine',
};

describe('experiment cache key', () => {
  it('changes with every setting', () => {
    const k = runKey(base);
    const changes: Partial<HeadlessOptions>[] = [
      { model: 'mcunet-5fps' },
      { resolution: 48 },
      { scheme: 'last:5' },
      { data: 'fashion-mnist' },
      { steps: 101 },
      { seed: 2 },
      { lr: 0.031 },
      { rounding: 'stochastic' },
      { qas: false },
      { engine: 'reference' },
      { pretrained: null },
      { evalExamples: 1000 },
      { curvePoints: 11 },
      { initialEval: true },
      { schedule: 'constant' },
      { options: { reorder: false } },
      { wasm: 'wasm/tt_kernels_scalar.wasm' },
    ];
    for (const c of changes) expect(runKey({ ...base, ...c }), JSON.stringify(c)).not.toBe(k);
    expect(runKey(base, { validation: 2000 })).not.toBe(k);
  });

  it('holds relative paths and the hashes of the kernel build and the backbone', () => {
    const parsed = JSON.parse(runKey(base));
    expect(parsed.pretrained).toBe('public/models/tiny-cnn.json');
    expect(parsed.wasm).toBe('wasm/tt_kernels.wasm');
    expect(parsed.kernelBuild).toMatch(/^[0-9a-f]{16}$/);
    expect(parsed.backbone).toMatch(/^[0-9a-f]{16}$/);
    expect(parsed.evalExamples).toBe('all');
    expect(runKey(base)).not.toContain(ROOT);
    // the same run named from another directory has the same key
    expect(runKey({ ...base, pretrained: 'public/models/tiny-cnn.json' })).toBe(runKey(base));
    // the fp32 baseline does not depend on the kernels
    expect(JSON.parse(runKey({ ...base, engine: 'fp32' })).kernelBuild).toBeNull();
  });
});
