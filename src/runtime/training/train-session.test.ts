import { describe, expect, it } from 'vitest';
import { pixelCodes, resizeBilinearU8 } from './data';
import { modelInputSpec, planInputSpec, userExamples } from './train-data';
import { Sampler, TrainingSession, type ExampleSource, type Learner } from './train-session';

describe('Sampler', () => {
  it('visits every example once per epoch, in a fresh seeded order each epoch', () => {
    const s = new Sampler(10, 7);
    const e1 = Array.from({ length: 10 }, () => s.next());
    const e2 = Array.from({ length: 10 }, () => s.next());
    expect([...e1].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([...e2].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(e2).not.toEqual(e1);
    const again = new Sampler(10, 7);
    expect(Array.from({ length: 10 }, () => again.next())).toEqual(e1);
    expect(Array.from({ length: 10 }, () => new Sampler(10, 8).next())).not.toEqual(e1);
  });

  it('peeks one and two ahead, into the next epoch too, without changing the order', () => {
    const plain = new Sampler(5, 3);
    const order = Array.from({ length: 17 }, () => plain.next());
    const s = new Sampler(5, 3);
    const got: number[] = [];
    for (let k = 0; k < 17; k++) {
      const [a, b] = [s.peek(0), s.peek(1)];
      got.push(s.next());
      expect(got[k]).toBe(a);
      if (k + 1 < 17) expect(order[k + 1]).toBe(b);
    }
    expect(got).toEqual(order);
    expect(new Sampler(1, 1).peek(1)).toBe(0);
    const one = new Sampler(1, 1);
    one.next();
    expect(one.peek(1)).toBe(-1);
  });
});

describe('TrainingSession', () => {
  it('feeds the learner each example with its label and averages loss and accuracy', () => {
    const seen: number[] = [];
    const learner: Learner = {
      trainStep: (img, label) => (seen.push(img[0]), label),
      trainPredicted: () => 1,
      evaluate: (img, label) => ({ loss: 2 * label, predicted: img[0] % 2 }),
      setLearningRate: () => undefined,
    };
    const src: ExampleSource = { size: 4, label: (i) => i, image: (i, dst) => void dst.fill(i) };
    const s = new TrainingSession(learner, src, src, 3, 1);
    const w = s.trainSteps(8);
    expect([...seen].sort()).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
    expect(w).toMatchObject({ steps: 8, loss: 1.5, accuracy: 0.25 });
    expect(s.step).toBe(8);
    expect(s.evaluate(3)).toMatchObject({ examples: 3, loss: 2, accuracy: 2 / 3 });
  });

  it('hands the learner the next image and work to run during the step, and runs it itself when not run', () => {
    const src: ExampleSource = { size: 7, label: (i) => i % 3, image: (i, dst) => void dst.fill(i) };
    const run = (runsDuring: boolean) => {
      const seen: [number, number][] = [];
      const learner: Learner = {
        trainStep: (img, _label, ex, next, during) => {
          seen.push([img[0], next![0]]);
          expect(ex?.index).toBe(img[0]);
          if (runsDuring) during?.();
          return 0;
        },
        trainPredicted: () => 0,
        evaluate: () => ({ loss: 0, predicted: 0 }),
        setLearningRate: () => undefined,
      };
      const s = new TrainingSession(learner, src, src, 2, 5);
      s.trainSteps(9);
      s.evaluate(2);
      s.trainSteps(11);
      return seen;
    };
    const a = run(true);
    const b = run(false);
    expect(b).toEqual(a);
    // every step is told the image the step after it trains on
    for (let k = 0; k + 1 < a.length; k++) expect(a[k][1]).toBe(a[k + 1][0]);
    // the order is the sampler's
    const plain = new Sampler(7, 5);
    expect(a.map((x) => x[0])).toEqual(Array.from({ length: 20 }, () => plain.next()));
  });
});

describe('userExamples', () => {
  const rgba = new Uint8ClampedArray([10, 20, 30, 255, 40, 50, 60, 255, 70, 80, 90, 255, 100, 110, 120, 255]);
  const sample = { label: 1, width: 2, height: 2, rgba };

  it('keeps R, G, B for 3-channel models and codes pixels as p - 128', () => {
    const src = userExamples([sample], { resolution: 2, channels: 3 });
    const dst = new Int8Array(12);
    src.image(0, dst);
    expect(Array.from(dst)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120].map((p) => p - 128));
    expect(src.label(0)).toBe(1);
  });

  it('averages R, G, B for 1-channel models, and refuses other channel counts', () => {
    const dst = new Int8Array(4);
    userExamples([sample], { resolution: 2, channels: 1 }).image(0, dst);
    expect(Array.from(dst)).toEqual([20, 50, 80, 110].map((p) => p - 128));
    expect(() => userExamples([sample], { resolution: 2, channels: 2 })).toThrow('1- or 3-channel');
  });

  it("resizes to a non-square input and codes pixels with a model file's input quantization", () => {
    const codes = pixelCodes({ scale: 0.5 / 255, zeroPoint: -100 }); // p / 255 / s = 2p: -100 + 2p, clamped
    const dst = new Int8Array(3 * 2);
    userExamples([sample], { resolution: 3, width: 2, channels: 1, codes }).image(0, dst);
    const gray = resizeBilinearU8(Uint8Array.from([20, 50, 80, 110]), 2, 2, 3, 2);
    expect(Array.from(dst)).toEqual(Array.from(gray, (p) => Math.min(127, -100 + 2 * p)));
  });
});

describe('planInputSpec', () => {
  const io = { shape: [49, 40, 1], scale: 0.10171568393707275, zeroPoint: -128 };
  it('a model file gets its H x W and its input coding; a built-in backbone its square and p - 128', () => {
    const spec = planInputSpec({ model: { name: 'micro_speech' }, input: io });
    expect(spec).toMatchObject({ resolution: 49, width: 40, channels: 1 });
    expect(spec.codes).toEqual(pixelCodes(io));
    const builtin = planInputSpec({ model: { name: 'tiny-cnn' }, input: { ...io, shape: [32, 32, 3] } });
    expect(builtin).toEqual({ resolution: 32, channels: 3 });
    expect(modelInputSpec({ name: 'x', inputShape: [48, 32, 3], input: io })).toMatchObject({ width: 32 });
  });
});
