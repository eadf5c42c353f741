/**
 * The peer: the same network in TensorFlow.js (fp32, cpu backend), built from the compiler's layer list and
 * holding the same dequantized weights as our fp32 trainer (train-fp32.ts), with the same trainable set: the
 * classifier, the scheme's biases, and the first k ratio channels of the scheme's weights. A partly trained
 * weight is a trainable slice concatenated with a frozen rest along its ratio axis, so TF.js's tape computes
 * exactly the gradients we do and nothing below the earliest trainable layer.
 *   layer:  a = act(W * x + b), act = clamp to [0, s_y * (127 - z_y)] on ReLU-like layers (the network's ReLU6)
 *   loss:   -log softmax(z)[label];   update: plain SGD, batch 1
 * TF layouts: conv [kh, kw, in, out], depthwise [kh, kw, c, 1], pointwise / fc a matrix [in, out]; padding is
 * the compiler's symmetric k // 2, so the output sizes equal ceil(in / stride) as in arch.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { layerKind } from '../../src/compiler/layer-kinds';
import type { ConvLayer, Model } from '../../src/compiler/models/model';
import { walkNodes, type TopoNode } from '../../src/compiler/models/nodes';
import { updatedChannels, type Scheme } from '../../src/compiler/scheme/scheme';
import { dequantize } from '../../src/runtime/training/train-fp32';

interface TfLayer {
  l: ConvLayer;
  /** The weight in TF layout: the trainable slice (or null) joined with the frozen rest (or null). */
  train: tf.Variable | null;
  frozen: tf.Tensor | null;
  bias: tf.Tensor;
  k: number;
  /** Upper clamp of a ReLU-like layer's output (real units); null for linear layers. */
  hi: number | null;
}

/** Our layout -> TF layout of a layer's weight, and the axis its ratio channels run along there. */
function tfWeight(l: ConvLayer, w: Float32Array): { t: tf.Tensor; axis: number } {
  const K = l.kernel;
  switch (l.kind) {
    case 'conv':
      return { t: tf.tidy(() => tf.tensor4d(w, [l.outC, K, K, l.inC]).transpose([1, 2, 3, 0])), axis: 2 };
    case 'depthwise':
      return { t: tf.tensor4d(w, [K, K, l.outC, 1]), axis: 2 };
    case 'pointwise':
    case 'fc':
      return { t: tf.tidy(() => tf.tensor2d(w, [l.outC, l.inC]).transpose()), axis: 0 };
  }
}

/** A TF-layout weight gradient over the first k ratio channels -> our layout [rows][k] (train-fp32's gw). */
export function toOurLayout(l: ConvLayer, g: tf.Tensor): Float32Array {
  return tf
    .tidy(() => {
      if (l.kind === 'conv') return g.transpose([3, 0, 1, 2]).dataSync() as Float32Array;
      if (l.kind === 'depthwise') return g.dataSync() as Float32Array;
      return g.transpose().dataSync() as Float32Array;
    })
    .slice();
}

function tfLayer(l: ConvLayer, scheme: Scheme): TfLayer {
  const ratio = l.index < 0 ? 1 : scheme.weight[l.index];
  const k = ratio > 0 ? updatedChannels(l, ratio) : 0;
  const full = layerKind(l).ratioChannels(l);
  const { w, b } = dequantize(l);
  const { t, axis } = tfWeight(l, w);
  const [trainPart, frozenPart] = k > 0 && k < full ? tf.split(t, [k, full - k], axis) : [null, null];
  const train = k === 0 ? null : tf.variable(trainPart ?? t, true, `w${l.index}`);
  const frozen = k === 0 ? t : k < full ? frozenPart : null;
  if (trainPart) tf.dispose([t, trainPart]);
  const trainBias = l.index < 0 || scheme.bias[l.index];
  const bt = tf.tensor1d(b);
  const bias = trainBias ? tf.variable(bt, true, `b${l.index}`) : bt;
  if (trainBias) bt.dispose();
  const hi = l.relu ? l.output.scale * (127 - l.output.zeroPoint) : null;
  return { l, train, frozen, bias, k, hi };
}

export class TfjsNet {
  private readonly layers = new Map<number, TfLayer>();
  private readonly optimizer: tf.SGDOptimizer;
  readonly variables: tf.Variable[];

  constructor(
    private readonly model: Model,
    scheme: Scheme,
    lr: number,
  ) {
    for (const l of [...model.convs, model.classifier]) this.layers.set(l.index, tfLayer(l, scheme));
    this.variables = [...this.layers.values()].flatMap((x) =>
      [x.train, x.bias].filter((v): v is tf.Variable => v instanceof tf.Variable),
    );
    this.optimizer = tf.train.sgd(lr);
  }

  private weight(x: TfLayer): tf.Tensor {
    const axis = x.l.kind === 'pointwise' || x.l.kind === 'fc' ? 0 : 2;
    if (x.train && x.frozen) return tf.concat([x.train, x.frozen], axis);
    return (x.train ?? x.frozen)!;
  }

  private apply(x: TfLayer, input: tf.Tensor): tf.Tensor {
    const { l } = x;
    const w = this.weight(x);
    let a: tf.Tensor;
    if (l.kind === 'conv') a = tf.conv2d(input as tf.Tensor4D, w as tf.Tensor4D, l.stride, l.pad);
    else if (l.kind === 'depthwise') a = tf.depthwiseConv2d(input as tf.Tensor4D, w as tf.Tensor4D, l.stride, l.pad);
    else if (l.kind === 'fc') a = tf.matMul(input as tf.Tensor2D, w as tf.Tensor2D);
    else {
      const [n, h, wd, c] = input.shape;
      a = tf.matMul(input.reshape([n * h * wd, c]), w as tf.Tensor2D).reshape([n, h, wd, l.outC]);
    }
    a = tf.add(a, x.bias);
    return x.hi === null ? a : tf.clipByValue(a, 0, x.hi);
  }

  /** The logits of an int8 image (HWC, quantized with the model's input parameters). */
  forward(image: ArrayLike<number>): tf.Tensor {
    const {
      inputShape: [h, w, c],
      input,
    } = this.model;
    const x0 = tf.tidy(() => tf.tensor4d(Float32Array.from(image), [1, h, w, c]).sub(input.zeroPoint).mul(input.scale));
    const unsupported = (n: TopoNode): never => {
      throw new Error(`tfjs peer: the ${n.op} node ${n.name} is not supported`);
    };
    return walkNodes<tf.Tensor, TopoNode>(this.model.nodes, x0, {
      layer: (n, [x]) => this.apply(this.layers.get(n.conv)!, x),
      add: (_n, [a, x]) => tf.add(a, x),
      mean: (_n, [x]) => tf.mean(x, [1, 2]),
      reshape: (n, [x]) => x.reshape([1, ...n.shape]),
      avgpool: unsupported,
      maxpool: unsupported,
      pad: unsupported,
    });
  }

  private lossFn(image: ArrayLike<number>, label: number): () => tf.Scalar {
    return () => {
      const z = this.forward(image);
      return tf.neg(tf.logSoftmax(z).reshape([-1]).gather(label)) as tf.Scalar;
    };
  }

  /** Loss and gradients at the current weights, without updating; grads keyed by variable name. */
  gradients(image: ArrayLike<number>, label: number): { loss: number; grads: Record<string, tf.Tensor> } {
    const { value, grads } = tf.variableGrads(this.lossFn(image, label), this.variables);
    const loss = value.dataSync()[0];
    value.dispose();
    return { loss, grads };
  }

  /** One SGD step (batch 1); returns the loss before the update. */
  trainStep(image: ArrayLike<number>, label: number): number {
    const cost = this.optimizer.minimize(this.lossFn(image, label), true, this.variables)!;
    const loss = cost.dataSync()[0];
    cost.dispose();
    return loss;
  }

  dispose(): void {
    for (const x of this.layers.values()) tf.dispose([x.train, x.frozen, x.bias].filter((t) => t !== null));
    this.optimizer.dispose();
  }
}

/** What TF.js can run on here: the backend in use and whether a GPU backend (webgl, webgpu) initializes. */
export async function backends(): Promise<{ cpu: boolean; gpu: string }> {
  const notes: string[] = [];
  for (const name of ['webgl', 'webgpu']) {
    if (!tf.findBackendFactory(name)) {
      notes.push(`${name}: not registered`);
      continue;
    }
    const ok = await tf.setBackend(name).catch(() => false);
    notes.push(`${name}: ${ok ? 'available' : 'failed to initialize'}`);
  }
  const cpu = await tf.setBackend('cpu');
  await tf.ready();
  const any = notes.some((n) => n.endsWith(': available'));
  return { cpu, gpu: `${any ? 'available' : 'none'} (${notes.join(', ')})` };
}
