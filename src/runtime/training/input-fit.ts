/**
 * Which plan inputs can train on images, and what the images become: one rule and one wording for the page,
 * the worker and the CLI. An input of H x W x C with H, W >= MIN_IMAGE_SIDE and C = 1 or 3 takes any image,
 * resized to H x W (data.ts: exact integer bilinear, the same bytes everywhere) and given C channels (gray
 * copied to RGB, or RGB averaged to gray). Any other input (a vector such as hello_world's one value, a 2x2
 * map, 4 channels) is not an image: training on a data set of images is refused with the reason, while the
 * plan, the export and the firmware still work. A plan with fewer classes than the data set trains on the
 * first ones (train-data.ts firstClasses); with more, it cannot train on it.
 */

/** The smallest input height and width that counts as an image. */
export const MIN_IMAGE_SIDE = 8;

/** A set of images a plan may train on: its name as shown and its images' shape. */
export interface ImageSet {
  /** As the page shows it: 'MNIST', 'your images'. */
  name: string;
  /** The images' size (null: each image has its own, as the user's). */
  height: number | null;
  width: number | null;
  channels: number;
  /** Class names of the set (null: the plan's classes are the set's, as with the user's images). */
  classes: readonly string[] | null;
}

/** The built-in data set the page trains on (the worker loads public/data/mnist.*; a test checks the facts). */
export const BUILTIN_IMAGES: ImageSet = {
  name: 'MNIST',
  height: 28,
  width: 28,
  channels: 1,
  classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
};

export type InputFit = { ok: true; text: string; resized: boolean } | { ok: false; reason: string };

/** A plan input's shape in words: '1 value', 'a vector of 16 values', '49x40, 1 channel'. */
export function shapeWords(shape: readonly number[]): string {
  const [h, w, c] = shape;
  if (h === 1 && w === 1) return c === 1 ? '1 value' : `a vector of ${c} values`;
  return `${h}x${w}, ${c} channel${c === 1 ? '' : 's'}`;
}

const channelWords = (from: number, to: number) =>
  from === to
    ? to === 1
      ? 'grayscale'
      : 'RGB'
    : to === 1
      ? 'grayscale (the mean of R, G and B)'
      : 'gray copied to RGB';

/**
 * Whether a plan with input `shape` (HWC) and `classes` classes trains on `set`, and how the images are fed
 * ("MNIST's 28x28 gray images resized to 49x40, grayscale; the first 4 of its 10 classes"), or why not.
 * `quant`: the input quantization pixels are coded with (a model file's; data.ts pixelCodes), said in the text.
 */
export function imageInputFit(
  shape: readonly number[],
  classes: number,
  set: ImageSet,
  quant?: { scale: number; zeroPoint: number },
): InputFit {
  const [h, w, c] = shape;
  const image = h >= MIN_IMAGE_SIDE && w >= MIN_IMAGE_SIDE && (c === 1 || c === 3);
  if (!image)
    return {
      ok: false,
      reason:
        `the model's input is ${shapeWords(shape)}, not an image, so it cannot train on ${set.name} ` +
        `(training needs an input of at least ${MIN_IMAGE_SIDE}x${MIN_IMAGE_SIDE} with 1 or 3 channels); ` +
        `the plan, the export and the firmware still work`,
    };
  const have = set.classes?.length ?? classes;
  if (classes > have)
    return {
      ok: false,
      reason: `the model has ${classes} classes and ${set.name} has ${have}: give it at most ${have} classes`,
    };
  const resized = h !== set.height || w !== set.width;
  const kind = set.channels === 1 ? 'gray' : 'color';
  const what = set.height === null ? set.name : `${set.name}'s ${set.height}x${set.width} ${kind} images`;
  const how = `${resized ? ` resized to ${h}x${w}` : ` at ${h}x${w}`}, ${channelWords(set.channels, c)}`;
  const coded = quant
    ? `, intensity 0..1 at the input's scale ${+quant.scale.toPrecision(4)} and zero point ${quant.zeroPoint}`
    : '';
  const which = classes < have ? `; the first ${classes} of its ${have} classes` : '';
  return { ok: true, text: `${what}${how}${coded}${which}`, resized };
}

const DISPLAY_NAMES: Record<string, string> = { mnist: 'MNIST', 'fashion-mnist': 'Fashion-MNIST' };

/** The ImageSet of a data set of public/data by its manifest. */
export function datasetImages(m: {
  name: string;
  classes: readonly string[];
  image: { height: number; width: number; channels: number };
}): ImageSet {
  const { height, width, channels } = m.image;
  return { name: DISPLAY_NAMES[m.name] ?? m.name, height, width, channels, classes: m.classes.slice() };
}

/** The user's own images ("your data"): RGB, each of its own size, labelled with the plan's classes. */
export const USER_IMAGES: ImageSet = { name: 'your images', height: null, width: null, channels: 3, classes: null };

/** The fit, or an Error with the reason (the runner refuses with it). */
export function checkImageInput(shape: readonly number[], classes: number, set: ImageSet): string {
  const fit = imageInputFit(shape, classes, set);
  if (!fit.ok) throw new Error(fit.reason);
  return fit.text;
}
