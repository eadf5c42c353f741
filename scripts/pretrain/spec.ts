/**
 * Turns an architecture of src/compiler/models/arch.ts into the layer list the pretraining programs read
 * (scripts/pretrain/*.c), so the trainer builds exactly the network the compiler and the page build.
 * Spec text: `model <name> <res> <inC> <classes>`, then per layer
 * `layer <name> <conv|pw|dw|fc> <cin> <cout> <k> <stride> <relu 0/1> <block> <res_from>`, where res_from is the
 * index of the layer whose *input* is added to this layer's output (the block's first layer), or -1.
 */
import { ARCHS, archShapes, type ModelName } from '../../src/compiler/models/arch';
import type { LayerKind } from '../../src/compiler/model-file';

const SPEC_KIND: Record<LayerKind, string> = { conv: 'conv', pointwise: 'pw', depthwise: 'dw', fc: 'fc' };

export interface SpecLayer {
  name: string;
  kind: LayerKind;
  cin: number;
  cout: number;
  k: number;
  stride: number;
  relu: boolean;
  block: number;
  resFrom: number;
}

/** Forward-order layers (convs, then the classifier) of a model at a resolution. */
export function specLayers(model: ModelName, res: number, inC: number, classes: number): SpecLayer[] {
  const { convs, blocks, classifier } = archShapes(ARCHS[model], res, inC, classes);
  const layers: SpecLayer[] = [...convs, classifier].map((l) => ({
    name: l.name,
    kind: l.kind,
    cin: l.inC,
    cout: l.outC,
    k: l.kernel,
    stride: l.stride,
    relu: l.relu,
    block: l.block,
    resFrom: -1,
  }));
  for (const b of blocks) if (b.residual) layers[b.pw2].resFrom = b.pw1 >= 0 ? b.pw1 : b.dw;
  return layers;
}

export function specText(model: string, res: number, inC: number, classes: number, layers: SpecLayer[]): string {
  const lines = [`model ${model} ${res} ${inC} ${classes}`];
  for (const l of layers) {
    const f = [l.name, SPEC_KIND[l.kind], l.cin, l.cout, l.k, l.stride, l.relu ? 1 : 0, l.block, l.resFrom];
    lines.push(`layer ${f.join(' ')}`);
  }
  return lines.join('\n') + '\n';
}
