import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDatasetManifest } from './dataset-format';
import { BUILTIN_IMAGES, checkImageInput, datasetImages, imageInputFit, shapeWords, USER_IMAGES } from './input-fit';

const MICRO_QUANT = { scale: 0.10171568393707275, zeroPoint: -128 };

describe('imageInputFit', () => {
  it("says how MNIST feeds micro_speech's 49x40x1 input, with 4 of the 10 classes", () => {
    expect(imageInputFit([49, 40, 1], 4, BUILTIN_IMAGES, MICRO_QUANT)).toEqual({
      ok: true,
      resized: true,
      text:
        "MNIST's 28x28 gray images resized to 49x40, grayscale, intensity 0..1 at the input's scale 0.1017 " +
        'and zero point -128; the first 4 of its 10 classes',
    });
    expect(imageInputFit([28, 28, 1], 10, BUILTIN_IMAGES)).toEqual({
      ok: true,
      resized: false,
      text: "MNIST's 28x28 gray images at 28x28, grayscale",
    });
    expect(imageInputFit([128, 128, 3], 10, BUILTIN_IMAGES)).toMatchObject({
      text: "MNIST's 28x28 gray images resized to 128x128, gray copied to RGB",
    });
    expect(imageInputFit([48, 32, 1], 2, USER_IMAGES)).toMatchObject({
      ok: true,
      text: 'your images resized to 48x32, grayscale (the mean of R, G and B)',
    });
  });

  it('refuses inputs that are not images, naming the shape and what would do', () => {
    const hello = imageInputFit([1, 1, 1], 1, BUILTIN_IMAGES);
    expect(hello).toEqual({
      ok: false,
      reason:
        "the model's input is 1 value, not an image, so it cannot train on MNIST (training needs an input of " +
        'at least 8x8 with 1 or 3 channels); the plan, the export and the firmware still work',
    });
    expect(imageInputFit([1, 1, 16], 4, BUILTIN_IMAGES)).toMatchObject({ ok: false });
    for (const shape of [
      [1, 1, 16],
      [4, 4, 1],
      [7, 40, 1],
      [32, 32, 2],
      [32, 32, 4],
    ]) {
      const fit = imageInputFit(shape, 4, USER_IMAGES);
      expect(fit.ok, String(shape)).toBe(false);
      if (!fit.ok) expect(fit.reason).toContain(`input is ${shapeWords(shape)}, not an image`);
    }
    expect(shapeWords([1, 1, 16])).toBe('a vector of 16 values');
    expect(shapeWords([32, 32, 4])).toBe('32x32, 4 channels');
    expect(imageInputFit([8, 8, 3], 10, BUILTIN_IMAGES).ok).toBe(true);
  });

  it('refuses more classes than the data set has; checkImageInput throws the reason', () => {
    expect(imageInputFit([32, 32, 3], 12, BUILTIN_IMAGES)).toEqual({
      ok: false,
      reason: 'the model has 12 classes and MNIST has 10: give it at most 10 classes',
    });
    expect(() => checkImageInput([1, 1, 1], 1, BUILTIN_IMAGES)).toThrow(/^the model's input is 1 value/);
    expect(checkImageInput([32, 32, 3], 3, BUILTIN_IMAGES)).toMatch(/the first 3 of its 10 classes$/);
  });

  it('BUILTIN_IMAGES are the facts of public/data/mnist.json (the set the worker loads)', () => {
    const dir = join(__dirname, '../../../public/data');
    const manifest = parseDatasetManifest(readFileSync(join(dir, 'mnist.json'), 'utf8'));
    expect(datasetImages(manifest)).toEqual(BUILTIN_IMAGES);
    expect(readFileSync(join(__dirname, 'training-worker.ts'), 'utf8')).toContain(
      `BUILTIN_DATASET = '${manifest.name}'`,
    );
  });
});
