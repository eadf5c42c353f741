import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from './command';
import { REPO_ROOT } from './firmware-io';
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
    expect(() => args(['--lr=-1'])).toThrow('--lr must be a decimal number from 0 to 100');
    expect(() => args(['--fp32', '--reference'])).toThrow('exclude each other');
    expect(() => trainOptions(['--model', 'resnet'])).toThrow('--model must be one of');
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

  it('--threads N trains the same run bit for bit for N = 1, 2 and 4, and refuses bad counts', async () => {
    expect(() => args(['--threads', '0'])).toThrow('--threads must be an integer from 1 to 64');
    const o = { ...args(['--model', 'mcunet-5fps', '--resolution', '64', '--scheme', 'last:6']), json: true };
    const run = (threads: number) =>
      runHeadless({ ...o, steps: 8, evalExamples: 20, curvePoints: 8, rounding: 'stochastic', threads });
    const one = await run(1);
    for (const t of [2, 4]) {
      const r = await run(t);
      expect(r.lossCurve).toEqual(one.lossCurve);
      expect([r.finalTestLoss, r.finalTestAccuracy]).toEqual([one.finalTestLoss, one.finalTestAccuracy]);
    }
  }, 120_000);

  it('starts from the pretrained backbone by default; --weights keeps every layer of a trained model file', async () => {
    const file = join(REPO_ROOT, 'public/models/tiny-cnn.json');
    expect(trainOptions(['--model', 'tiny-cnn'])).toMatchObject({ pretrained: file, weights: null });
    expect(trainOptions(['--model', 'tiny-cnn', '--no-pretrained'])).toMatchObject({ pretrained: null, weights: null });
    // the tiny-cnn file is trained on Fashion-MNIST at 32x32 (int8 test accuracy 87%): with its own classifier it
    // classifies before any step; the same backbone with a fresh classifier (the default) is near chance
    const common = ['--model', 'tiny-cnn', '--data', 'fashion-mnist', '--steps', '0', '--eval', '300', '--json'];
    const trained = await runHeadless(trainOptions([...common, '--weights', file]));
    const fresh = await runHeadless(trainOptions(common));
    expect(trained).toMatchObject({ weights: file, pretrained: null, testExamples: 300 });
    expect(fresh).toMatchObject({ weights: null, pretrained: file });
    expect(trained.finalTestAccuracy).toBeGreaterThan(0.75);
    expect(fresh.finalTestAccuracy).toBeLessThan(0.35);
    // a trained file must have the data set's classes
    expect(() => trainOptions(['--model', 'mcunet-5fps', '--weights', file])).toThrow(
      'is a tiny-cnn model, not mcunet-5fps',
    );
  });
});
