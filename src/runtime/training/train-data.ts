/**
 * Example sources for training (train-session.ts) over the data of src/runtime/training/data.ts: a split of a built-in
 * gray dataset (MNIST, Fashion-MNIST), or the user's own RGBA samples. Images become the plan's input on the
 * fly with data.ts's exact integer bilinear resize and its input coding (x_q = p - 128, the quantization the
 * pretrained backbones were trained with), so nothing is stored at the model resolution: 60,000 examples at
 * 128x128 cost their 28x28 bytes. A model file's input need not be square: images are resized to its H x W
 * (input-fit.ts says which inputs can take images at all). User samples: RGB channels for 3-channel models, the rounded mean of R, G
 * and B for 1-channel ones.
 */
import { MODEL_NAMES } from '../../compiler/models/arch';
import { pixelCodes, resizeBilinearInto, type DatasetSplit } from './data';
import type { ExampleSource } from './train-session';
import type { UserSample } from './training-api';

/** The plan input an example source writes: HWC at resolution x width x channels (width = resolution: square). */
export interface InputSpec {
  /** Input height. */
  resolution: number;
  /** Input width when it is not the height (a model file's non-square input, e.g. micro_speech's 49x40). */
  width?: number;
  channels: number;
  /** The int8 code of each pixel value (data.ts pixelCodes); absent: p - 128. */
  codes?: Int8Array;
}

/**
 * What a plan's input takes: its HWC shape, and how pixels are coded. A built-in backbone reads p - 128, as it
 * was pretrained; any other model (a model file) the intensity p / 255 quantized with its input's own scale
 * and zero point (data.ts pixelCodes: micro_speech's 0.1017, -128 makes black..white codes -128..-118).
 */
export function planInputSpec(plan: {
  model: { name: string };
  input: { shape: readonly number[]; scale: number; zeroPoint: number };
}): InputSpec {
  return inputSpec(plan.model.name, plan.input.shape, plan.input);
}

/** planInputSpec of a model (the search's contribution runs build their data from the model). */
export function modelInputSpec(m: {
  name: string;
  inputShape: readonly number[];
  input: { scale: number; zeroPoint: number };
}): InputSpec {
  return inputSpec(m.name, m.inputShape, m.input);
}

function inputSpec(name: string, shape: readonly number[], q: { scale: number; zeroPoint: number }): InputSpec {
  const [h, w, c] = shape;
  const spec: InputSpec = { resolution: h, channels: c };
  if (w !== h) spec.width = w;
  if (!BUILTIN.has(name)) spec.codes = pixelCodes(q);
  return spec;
}

const BUILTIN = new Set<string>(MODEL_NAMES);

/** Examples from..from+count-1 of a dataset split. */
export function splitExamples(s: DatasetSplit, input: InputSpec, from = 0, count = s.count - from): ExampleSource {
  if (from < 0 || count < 0 || from + count > s.count)
    throw new Error(`examples ${from}..${from + count} of ${s.count}`);
  return {
    size: count,
    label: (i) => s.label(from + i),
    image: (i, dst) =>
      void s.inputShaped(from + i, input.resolution, input.width ?? input.resolution, input.channels, dst, input.codes),
  };
}

/** The examples of `src` whose label is below `classes`, in their order. */
export function firstClasses(src: ExampleSource, classes: number): ExampleSource {
  const keep: number[] = [];
  for (let i = 0; i < src.size; i++) if (src.label(i) < classes) keep.push(i);
  return { size: keep.length, label: (i) => src.label(keep[i]), image: (i, dst) => src.image(keep[i], dst) };
}

/** One channel (0..2) or the RGB mean (-1) of an RGBA image, as gray bytes. */
function plane(s: UserSample, channel: number): Uint8Array {
  const out = new Uint8Array(s.width * s.height);
  const px = s.rgba;
  for (let p = 0; p < out.length; p++) {
    out[p] = channel >= 0 ? px[4 * p + channel] : Math.round((px[4 * p] + px[4 * p + 1] + px[4 * p + 2]) / 3);
  }
  return out;
}

export function userExamples(samples: readonly UserSample[], input: InputSpec): ExampleSource {
  const { resolution: r, channels: c, codes } = input;
  const w = input.width ?? r;
  const code = codes ?? pixelCodes(null);
  if (c !== 1 && c !== 3) throw new Error(`your own images need a 1- or 3-channel model, not ${c} channels`);
  return {
    size: samples.length,
    label: (i) => samples[i].label,
    image(i, dst) {
      const s = samples[i];
      if (c === 1) {
        resizeBilinearInto(plane(s, -1), s.height, s.width, r, w, dst, { codes: code });
        return;
      }
      for (let j = 0; j < 3; j++)
        resizeBilinearInto(plane(s, j), s.height, s.width, r, w, dst, { stride: 3, offset: j, codes: code });
    },
  };
}

/** Share of each class's images held out from training ("your data"). */
export const HELD_OUT_FRACTION = 0.2;

/** Which user samples train and which are held out for evaluation (indices into the samples). */
export interface HeldOutSplit {
  train: number[];
  /** Held-out indices in a seeded pseudo-random order, so any prefix mixes the classes. */
  test: number[];
  /** Labels with a single image: it trains, nothing of that class is held out. */
  trainOnly: number[];
}

/** FNV-1a over a sample's pixels and size, started from the seed: the sample's place in the split. */
function sampleKey(s: Omit<UserSample, 'label'>, seed: number): number {
  let h = (0x811c9dc5 ^ Math.imul(seed | 0, 0x9e3779b1)) >>> 0;
  const mix = (b: number) => (h = Math.imul(h ^ b, 0x01000193));
  mix(s.width & 0xff);
  mix(s.height & 0xff);
  const px = s.rgba;
  for (let i = 0; i < px.length; i++) mix(px[i]);
  return h >>> 0;
}

/**
 * Holds out round(fraction * n) images of every class of n >= 2 images, at least 1 and at most n - 1; a class of
 * one image trains only. The held-out images are those with the smallest key (a seeded hash of the pixels, ties
 * by index), so the split depends only on the seed and the images: adding an image moves at most one other.
 */
export function holdOut(samples: readonly UserSample[], seed: number, fraction = HELD_OUT_FRACTION): HeldOutSplit {
  const keys = samples.map((s) => sampleKey(s, seed));
  const byKey = (a: number, b: number) => keys[a] - keys[b] || a - b;
  const perClass = new Map<number, number[]>();
  samples.forEach((s, i) => {
    const list = perClass.get(s.label);
    if (list) list.push(i);
    else perClass.set(s.label, [i]);
  });
  const held = new Set<number>();
  const trainOnly: number[] = [];
  for (const [label, idx] of [...perClass].sort((a, b) => a[0] - b[0])) {
    if (idx.length < 2) {
      trainOnly.push(label);
      continue;
    }
    const k = Math.min(idx.length - 1, Math.max(1, Math.round(fraction * idx.length)));
    idx
      .sort(byKey)
      .slice(0, k)
      .forEach((i) => held.add(i));
  }
  const train = samples.map((_, i) => i).filter((i) => !held.has(i));
  return { train, test: [...held].sort(byKey), trainOnly };
}
