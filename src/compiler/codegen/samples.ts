/**
 * Embedded samples of a firmware bundle: a few labelled int8 images the demo trains on. They are quantized the
 * way the playground's runtime feeds images (src/runtime/training/data.ts): pixel byte p becomes x_q = p - 128, whatever
 * the model (real = (x_q - zero point) * scale: p / 255 for the pretrained models, (p - 128) / 128 for randomly
 * initialized ones). Callers pass real images (the CLI and the tests take them from public/data); without them,
 * syntheticSamples() makes seeded ones: a class-dependent stripe pattern plus noise.
 */
import { mulberry32 } from '../models/init';
import type { PlanIo } from '../plan';

export interface FirmwareSample {
  label: number;
  /** TT_INPUT_BYTES int8 values, HWC. */
  image: Int8Array;
}

/** HWC pixel bytes (0..255) -> the network input, x_q = p - 128 (the runtime's toInputInt8). */
export function pixelsToInput(bytes: ArrayLike<number>): Int8Array {
  return Int8Array.from(bytes, (p) => p - 128);
}

/** `count` seeded synthetic samples, labels cycling through the classes. */
export function syntheticSamples(
  io: Pick<PlanIo, 'shape'>,
  classes: number,
  count: number,
  seed = 1,
): FirmwareSample[] {
  const [h, w, c] = io.shape;
  const rand = mulberry32(seed * 7919 + 17);
  return Array.from({ length: count }, (_, s) => {
    const label = s % classes;
    const fx = 0.15 + 0.9 * ((label * 0.37) % 1);
    const fy = 0.1 + 0.7 * ((label * 0.61) % 1);
    const bytes = new Uint8Array(h * w * c);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let k = 0; k < c; k++) {
          const v = 128 + 90 * Math.sin(fx * x + fy * y + (k * 2 * Math.PI) / 3 + label) + 40 * (rand() - 0.5);
          bytes[(y * w + x) * c + k] = Math.max(0, Math.min(255, Math.round(v)));
        }
      }
    }
    return { label, image: pixelsToInput(bytes) };
  });
}

/** Default sample count: as many as fit in about 96 KB of flash, from 2 to 8. */
export function defaultSampleCount(inputBytes: number): number {
  return Math.max(2, Math.min(8, Math.floor((96 * 1024) / inputBytes)));
}
