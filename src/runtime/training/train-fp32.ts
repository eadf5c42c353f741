/**
 * The fp32 fine-tuning baseline (the paper's comparison: fp32 SGD with the same sparse scheme). The int8 model
 * is dequantized once (W = s_W * W_q, b = s_W * s_x * b_q) and trained in float32 with no fake quantization:
 * activations stay real numbers, ReLU-like layers clamp to the real range of their int8 output
 * [0, s_y * (127 - z_y)] (the network's ReLU6; a ReLU folded into the quantization, z_y = -128 without a
 * relu flag, clamps at 0 only), linear layers (projections, residual sums, the pool, the
 * classifier) do not saturate. The backward pass is plain reverse-mode float math, reaching only the layers
 * at or after the earliest updated one, and the update is SGD without momentum on exactly the scheme's set:
 * the classifier, the chosen biases, and the first k input channels (depthwise: channels) of the chosen
 * weights. A layer's input gradient is computed before its weights change (as in the int8 plan).
 */
import { elements } from '../../compiler/ir/graph';
import { layerKind } from '../../compiler/layer-kinds';
import { layerAt, type ConvLayer, type Model } from '../../compiler/models/model';
import { walkNodes, type TopoNode } from '../../compiler/models/nodes';
import { updatedChannels, type Scheme } from '../../compiler/scheme/scheme';
import { FP32_OPS, weightGradSize } from './train-fp32-ops';

interface LayerState {
  l: ConvLayer;
  w: Float32Array;
  b: Float32Array;
  /** Clamp bounds of the output (real units); +-Infinity for linear layers. */
  lo: number;
  hi: number;
  /** Updated input channels (0: weight frozen) and whether the bias is updated. */
  k: number;
  bias: boolean;
  gw: Float32Array;
  gb: Float32Array;
}

/** One node of the forward schedule; tensors are indices into the activation arrays. */
type Node =
  | { kind: 'layer'; s: LayerState; x: number; y: number }
  | { kind: 'add'; a: number; b: number; y: number }
  | { kind: 'pool'; x: number; y: number; pixels: number; c: number };

/** The layer's fp32 weights and biases: W = s_W * W_q, b = s_W * s_x * b_q (layouts of tt_kernels.h). */
export function dequantize(l: ConvLayer): { w: Float32Array; b: Float32Array } {
  const O = l.outC;
  const channelOf = layerKind(l).channelOf(l);
  const w = new Float32Array(l.weight.length);
  for (let e = 0; e < w.length; e++) w[e] = l.weightScale[channelOf(e)] * l.weight[e];
  const b = Float32Array.from(l.bias, (q, c) => q * l.weightScale[c] * l.input.scale);
  return { w, b };
}

function layerState(l: ConvLayer, scheme: Scheme): LayerState {
  const ratio = l.index < 0 ? 1 : scheme.weight[l.index];
  const k = ratio > 0 ? updatedChannels(l, ratio) : 0;
  const { w, b } = dequantize(l);
  // a ReLU folded into the output quantization (ONNX QOperator / PyTorch: no relu node, the int8 range starts
  // at real 0) is a ReLU too: without it an imported model's fp32 forward is linear and its logits explode
  const folded = !l.relu && l.output.zeroPoint === -128;
  const lo = l.relu || folded ? 0 : -Infinity;
  // float32, as the activations are stored: a float64 bound just above its float32 rounding would let a
  // saturated output (stored as that rounding) pass gradient through the clamp's mask
  const hi = l.relu ? Math.fround(l.output.scale * (127 - l.output.zeroPoint)) : Infinity;
  const bias = l.index < 0 || scheme.bias[l.index];
  return {
    l,
    w,
    b,
    lo,
    hi,
    k,
    bias,
    gw: new Float32Array(weightGradSize(l, Math.max(k, 1))),
    gb: new Float32Array(l.outC),
  };
}

export class Fp32Trainer {
  private readonly nodes: Node[] = [];
  private readonly acts: Float32Array[] = [];
  private readonly grads: Float32Array[] = [];
  /** The first node with a trainable parameter: backward stops there. */
  private readonly first: number;
  private readonly producer: number[] = [];
  private lastPredicted = 0;

  constructor(
    private readonly model: Model,
    scheme: Scheme,
    public lr: number,
  ) {
    const [h, w, c] = model.inputShape;
    const input = this.tensor(h * w * c, -1);
    const layer = (l: ConvLayer, x: number) => {
      const y = this.tensor(elements(layerKind(l).outShape(l)), this.nodes.length);
      this.nodes.push({ kind: 'layer', s: layerState(l, scheme), x, y });
      return y;
    };
    const unsupported = (n: TopoNode): never => {
      throw new Error(`fp32 baseline: the ${n.op} node ${n.name} is not supported`);
    };
    // shapes along the walk: a global pool needs its input's channel count
    const shape = new Map<number, number>([[input, c]]);
    walkNodes(model.nodes, input, {
      layer: (n, [x]) => {
        const l = layerAt(model, n.conv);
        const y = layer(l, x);
        shape.set(y, l.outC);
        return y;
      },
      add: (_n, [a, x]) => {
        const y = this.tensor(this.acts[x].length, this.nodes.length);
        this.nodes.push({ kind: 'add', a, b: x, y });
        shape.set(y, shape.get(x)!);
        return y;
      },
      mean: (_n, [x]) => {
        const ch = shape.get(x)!;
        const pooled = this.tensor(ch, this.nodes.length);
        this.nodes.push({ kind: 'pool', x, y: pooled, pixels: this.acts[x].length / ch, c: ch });
        shape.set(pooled, ch);
        return pooled;
      },
      reshape: (_n, [x]) => x,
      avgpool: unsupported,
      maxpool: unsupported,
      pad: unsupported,
    });
    this.first = this.nodes.findIndex((n) => n.kind === 'layer' && (n.s.k > 0 || n.s.bias));
  }

  private tensor(size: number, producer: number): number {
    this.acts.push(new Float32Array(size));
    this.grads.push(new Float32Array(size));
    this.producer.push(producer);
    return this.acts.length - 1;
  }

  /** Forward pass on an int8 image (quantized with the model's input parameters); returns the logits. */
  private forward(image: ArrayLike<number>): Float32Array {
    const { scale, zeroPoint } = this.model.input;
    const x0 = this.acts[0];
    for (let i = 0; i < x0.length; i++) x0[i] = scale * (image[i] - zeroPoint);
    for (const n of this.nodes) {
      const y = this.acts[n.y];
      if (n.kind === 'layer') {
        FP32_OPS[n.s.l.kind].forward(n.s.l, this.acts[n.x], n.s.w, n.s.b, y);
        if (n.s.lo > -Infinity) for (let i = 0; i < y.length; i++) y[i] = Math.min(n.s.hi, Math.max(n.s.lo, y[i]));
      } else if (n.kind === 'add') {
        const a = this.acts[n.a];
        const b = this.acts[n.b];
        for (let i = 0; i < y.length; i++) y[i] = a[i] + b[i];
      } else {
        const x = this.acts[n.x];
        y.fill(0);
        for (let p = 0; p < n.pixels; p++) for (let c = 0; c < n.c; c++) y[c] += x[p * n.c + c];
        for (let c = 0; c < n.c; c++) y[c] /= n.pixels;
      }
    }
    return this.acts[this.nodes[this.nodes.length - 1].y];
  }

  /** Softmax cross-entropy of the logits; writes dL/dz into `g` when given. */
  private static xent(z: Float32Array, label: number, g: Float32Array | null): number {
    let mx = -Infinity;
    for (const v of z) mx = Math.max(mx, v);
    let sum = 0;
    for (const v of z) sum += Math.exp(v - mx);
    if (g) for (let i = 0; i < z.length; i++) g[i] = Math.exp(z[i] - mx) / sum - (i === label ? 1 : 0);
    return Math.log(sum) - (z[label] - mx);
  }

  private static argmax(z: Float32Array): number {
    let best = 0;
    for (let i = 1; i < z.length; i++) if (z[i] > z[best]) best = i;
    return best;
  }

  /** Does tensor t need a gradient (is it produced at or after the first trainable node)? */
  private needs(t: number): boolean {
    return this.producer[t] >= this.first;
  }

  private backwardLayer(n: Extract<Node, { kind: 'layer' }>, ga: Float32Array): void {
    const { s } = n;
    const y = this.acts[n.y];
    if (s.lo > -Infinity) for (let i = 0; i < ga.length; i++) if (!(y[i] > s.lo && y[i] < s.hi)) ga[i] = 0;
    const row = FP32_OPS[s.l.kind];
    if (this.needs(n.x)) row.backwardInput(s.l, ga, s.w, this.grads[n.x]);
    const lr = this.lr;
    if (s.k > 0) {
      row.backwardWeight(s.l, ga, this.acts[n.x], s.k, s.gw);
      const full = layerKind(s.l).ratioChannels(s.l);
      const rows = s.gw.length / s.k;
      for (let r = 0; r < rows; r++) for (let i = 0; i < s.k; i++) s.w[r * full + i] -= lr * s.gw[r * s.k + i];
    }
    if (s.bias) {
      const O = s.l.outC;
      s.gb.fill(0);
      for (let p = 0; p < ga.length; p += O) for (let o = 0; o < O; o++) s.gb[o] += ga[p + o];
      for (let o = 0; o < O; o++) s.b[o] -= lr * s.gb[o];
    }
  }

  /** One SGD step (batch 1) on an int8 image; returns the loss. */
  trainStep(image: ArrayLike<number>, label: number): number {
    const z = this.forward(image);
    this.lastPredicted = Fp32Trainer.argmax(z);
    for (let t = 0; t < this.grads.length; t++) if (this.needs(t)) this.grads[t].fill(0);
    const loss = Fp32Trainer.xent(z, label, this.grads[this.nodes[this.nodes.length - 1].y]);
    for (let j = this.nodes.length - 1; j >= this.first; j--) {
      const n = this.nodes[j];
      const gy = this.grads[n.y];
      if (n.kind === 'layer') this.backwardLayer(n, gy);
      else if (n.kind === 'add') {
        for (const t of [n.a, n.b])
          if (this.needs(t)) {
            const g = this.grads[t];
            for (let i = 0; i < gy.length; i++) g[i] += gy[i];
          }
      } else if (this.needs(n.x)) {
        const g = this.grads[n.x];
        for (let p = 0; p < n.pixels; p++) for (let c = 0; c < n.c; c++) g[p * n.c + c] += gy[c] / n.pixels;
      }
    }
    return loss;
  }

  setLearningRate(lr: number): void {
    this.lr = lr;
  }

  /** Predicted class of the last training step (before its update). */
  trainPredicted(): number {
    return this.lastPredicted;
  }

  evaluate(image: ArrayLike<number>, label: number): { loss: number; predicted: number } {
    const z = this.forward(image);
    return { loss: Fp32Trainer.xent(z, label, null), predicted: Fp32Trainer.argmax(z) };
  }

  private layerNode(index: number): Extract<Node, { kind: 'layer' }> {
    const n = this.nodes.find((x) => x.kind === 'layer' && x.s.l.index === index);
    if (!n || n.kind !== 'layer') throw new RangeError(`no layer ${index}`);
    return n;
  }

  /** The current float parameters of a layer (conv index, -1: classifier), for tests. */
  params(index: number): { w: Float32Array; b: Float32Array } {
    const { s } = this.layerNode(index);
    return { w: s.w, b: s.b };
  }

  /**
   * The last training step's gradients of a layer, taken before its update: the weight's over its first k ratio
   * channels (layout [rows][k], k = 0 when frozen) and the bias's (meaningful only when the bias is updated).
   * For comparing with another implementation (bench/peers).
   */
  lastGradients(index: number): { w: Float32Array; b: Float32Array; k: number } {
    const { s } = this.layerNode(index);
    return { w: s.gw, b: s.gb, k: s.k };
  }
}
