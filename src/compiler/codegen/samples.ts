/**
 * Embedded samples of a firmware bundle: a few labelled int8 images the demo trains on, quantized exactly as
 * the plan's input expects (q = clamp(round(real / scale) + zero point), quant.ts). Callers pass real images
 * (camera frames, data-set pictures as RGB bytes, real = byte / 255 * 2 - 1) or let syntheticSamples() make
 * seeded ones: a class-dependent stripe pattern plus noise, so a few steps visibly move the loss.
 */
import { mulberry32 } from '../models/init';
import type { PlanIo } from '../plan';
import { quantize } from '../quant';

export interface FirmwareSample {
  label: number;
  /** TT_INPUT_BYTES int8 values, HWC. */
  image: Int8Array;
}

/** Quantizes HWC bytes (0..255) to the plan input: real = byte / 255 * 2 - 1, then the input's scale/zero point. */
export function quantizeBytes(bytes: ArrayLike<number>, io: Pick<PlanIo, 'scale' | 'zeroPoint' | 'bytes'>): Int8Array {
  if (bytes.length !== io.bytes) throw new Error(`image has ${bytes.length} values; the plan input takes ${io.bytes}`);
  const q = { scale: io.scale, zeroPoint: io.zeroPoint };
  return Int8Array.from(bytes, (b) => quantize((b / 255) * 2 - 1, q));
}

/** `count` seeded synthetic samples, labels cycling through the classes. */
export function syntheticSamples(io: Pick<PlanIo, 'shape' | 'scale' | 'zeroPoint' | 'bytes'>, classes: number, count: number, seed = 1): FirmwareSample[] {
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
    return { label, image: quantizeBytes(bytes, io) };
  });
}

/** Default sample count: as many as fit in about 96 KB of flash, from 2 to 8. */
export function defaultSampleCount(inputBytes: number): number {
  return Math.max(2, Math.min(8, Math.floor((96 * 1024) / inputBytes)));
}
