/**
 * Which float models can be calibrated on images (calibrate.ts): apart from the calibration itself so the page's
 * quantize step can check a model without loading the ONNX reader and writer (they load when a file is opened).
 */
import type { ModelDescription } from '../../compiler/import/types';

export interface ImageInput {
  channels: number;
  height: number;
  width: number;
}

/** An image input of an NCHW float model: [1, C, H, W] with C = 1 or 3; null when the input is not one. */
export function nchwImageInput(shape: readonly number[]): ImageInput | null {
  if (shape.length !== 4 || shape[0] !== 1) return null;
  const [, channels, height, width] = shape;
  if (channels !== 1 && channels !== 3) return null;
  if (!(height >= 1 && height <= 1024 && width >= 1 && width <= 1024)) return null;
  return { channels, height, width };
}

/** Why float model `d` cannot be calibrated on images (one line), or its image input. */
export function calibrationInput(d: ModelDescription): { input: ImageInput } | { problem: string } {
  const x = d.tensors[d.inputs[0]];
  const input = d.inputs.length === 1 ? nchwImageInput(x.shape) : null;
  if (input) return { input };
  const what = d.inputs.length === 1 ? `[${x.shape.join(', ')}]` : `${d.inputs.length} inputs`;
  return { problem: `the input is ${what}; quantize calibrates one image input [1, C, H, W] with C = 1 or 3` };
}
