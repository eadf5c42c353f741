import { describe, expect, it } from 'vitest';
import { UsageError } from './command';
import { trainOptions } from './train';
import { runHeadless } from './train-run';

const args = (extra: string[]) =>
  trainOptions(['--model', 'tiny-cnn', '--resolution', '16', '--no-pretrained', ...extra]);

describe('tinytrain train', () => {
  it('parses the options of the issue and rejects bad ones with usage errors', () => {
    const o = trainOptions([
      '--model',
      'mcunet-5fps',
      '--resolution',
      '128',
      '--scheme',
      'paper:99kb',
      '--data',
      'mnist',
      '--steps',
      '50',
      '--seed',
      '3',
      '--rounding',
      'truncate',
      '--no-qas',
      '--json',
    ]);
    expect(o).toMatchObject({
      model: 'mcunet-5fps',
      resolution: 128,
      scheme: 'paper:99kb',
      data: 'mnist',
      steps: 50,
      seed: 3,
      rounding: 'truncate',
      qas: false,
      engine: 'wasm',
      json: true,
    });
    expect(args(['--fp32']).engine).toBe('fp32');
    expect(() => args(['--rounding', 'up'])).toThrow(UsageError);
    expect(() => args(['--lr=-1'])).toThrow('--lr must be a number >= 0');
    expect(() => args(['--fp32', '--reference'])).toThrow('exclude each other');
    expect(() => trainOptions(['--model', 'resnet'])).toThrow('unknown --model');
  });

  it('trains on the real data in Node and gives exactly the reference interpreter run', async () => {
    const o = {
      ...args([
        '--steps',
        '24',
        '--seed',
        '4',
        '--rounding',
        'stochastic',
        '--eval',
        '40',
        '--curve',
        '24',
        '--lr',
        '0.05',
      ]),
      json: true,
    };
    const wasm = await runHeadless(o);
    expect(wasm.arenaBytes).toBe(wasm.plan.arenaBytes);
    expect(wasm.arenaOverwrites).toBe(0);
    expect(wasm.lossCurve.map((p) => p.step)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    expect(wasm.testExamples).toBe(40);
    expect(wasm.samplesPerSec).toBeGreaterThan(0);
    const ref = await runHeadless({ ...o, engine: 'reference' });
    expect(ref.lossCurve.map((p) => p.loss)).toEqual(wasm.lossCurve.map((p) => Math.fround(p.loss)));
    expect(ref.finalTestAccuracy).toBe(wasm.finalTestAccuracy);
    expect(ref.finalTestLoss).toBeCloseTo(wasm.finalTestLoss, 6);
  });
});
