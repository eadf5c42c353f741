/**
 * Example sources for training (train-session.ts) over the data of src/runtime/data.ts: a split of a built-in
 * gray dataset (MNIST, Fashion-MNIST), or the user's own RGBA samples. Images become the plan's input on the
 * fly with data.ts's exact integer bilinear resize and its input coding (x_q = p - 128, the quantization the
 * pretrained backbones were trained with), so nothing is stored at the model resolution: 60,000 examples at
 * 128x128 cost their 28x28 bytes. User samples: RGB channels for 3-channel models, the rounded mean of R, G
 * and B for 1-channel ones.
 */
import { resizeBilinearU8, toInputInt8, type DatasetSplit } from './data';
import type { ExampleSource } from './train-session';
import type { UserSample } from './training-api';

/** The plan input an example source writes: HWC at resolution x resolution x channels. */
export interface InputSpec {
  resolution: number;
  channels: number;
}

/** Examples from..from+count-1 of a dataset split. */
export function splitExamples(s: DatasetSplit, input: InputSpec, from = 0, count = s.count - from): ExampleSource {
  if (from < 0 || count < 0 || from + count > s.count)
    throw new Error(`examples ${from}..${from + count} of ${s.count}`);
  return {
    size: count,
    label: (i) => s.label(from + i),
    image: (i, dst) => void s.input(from + i, input.resolution, input.channels, dst),
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
  const { resolution: r, channels: c } = input;
  if (c !== 1 && c !== 3) throw new Error(`your own images need a 1- or 3-channel model, not ${c} channels`);
  return {
    size: samples.length,
    label: (i) => samples[i].label,
    image(i, dst) {
      const s = samples[i];
      if (c === 1) {
        toInputInt8(resizeBilinearU8(plane(s, -1), s.height, s.width, r), 1, dst);
        return;
      }
      for (let j = 0; j < 3; j++) {
        const g = resizeBilinearU8(plane(s, j), s.height, s.width, r);
        for (let p = 0; p < g.length; p++) dst[p * 3 + j] = g[p] - 128;
      }
    },
  };
}
