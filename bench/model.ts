/**
 * The benchmarks' model: a built-in backbone with its committed pretrained weights (public/models, when they
 * exist) and a fresh 10-class classifier, seed 1: what `tinytrain train --model M` trains. One place, so every
 * benchmark times the same network.
 */
import { defaultPretrained, readModelFile } from '../src/cli/train-run';
import { transferModel } from '../src/runtime/training/train-backbone';

/** The pretrained backbone `name` at `resolution` (and the weights file used, or null: random init). */
export function benchModel(
  name: string,
  resolution: number,
): { model: ReturnType<typeof transferModel>; file: string | null } {
  const file = defaultPretrained(name);
  const model = transferModel({
    model: name,
    resolution,
    classes: 10,
    pretrained: file ? readModelFile(file) : null,
    seed: 1,
  });
  return { model, file };
}
