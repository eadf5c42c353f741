/**
 * Test support: a model file whose input is not square, made here so specs need no file from outside the repo
 * (../shared/models may be absent). The pretrained tiny-cnn backbone (public/models) with a fresh classifier of
 * `classes` outputs and an h x w RGB input, exported as .tflite: the model is built at resolution h and at
 * resolution w (the weights do not depend on it), and every activation takes its height from the first and
 * its width from the second, which is exact since a conv's output size is per axis (h and w must halve alike
 * at every stride 2, e.g. 48 x 32, or the two builds pad differently).
 */
import { readFileSync } from 'node:fs';
import { writeTflite } from '../export';
import { modelToDescription } from '../import/from-model';
import { parseModelFile } from '../model-file';
import { transferModel } from '../models/transfer';

export function nonSquareTflite(h: number, w: number, classes: number, seed = 3): Uint8Array {
  const file = (ext: string) => readFileSync(new URL(`../../../public/models/tiny-cnn.${ext}`, import.meta.url));
  const pretrained = parseModelFile(file('json').toString('utf8'), file('bin'));
  const at = (resolution: number) =>
    modelToDescription(transferModel({ model: 'tiny-cnn', resolution, classes, pretrained, seed }), 'tflite');
  const tall = at(h);
  const widths = new Map(at(w).tensors.map((t) => [t.name, t.shape[2]]));
  for (const t of tall.tensors)
    if (t.data === null && t.shape.length === 4) t.shape = [1, t.shape[1], widths.get(t.name)!, t.shape[3]];
  return writeTflite(tall);
}
