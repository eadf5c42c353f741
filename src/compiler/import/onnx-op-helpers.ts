/**
 * Helpers of the ONNX op converters (NCHW): attributes, quantization operands, padding, window shapes, conv.
 * Window output sizes come from check.ts' resolvePadding (shared with the TFLite side).
 */
import { ONNX_DTYPE, type OnnxAttribute, type OnnxNode } from './onnx-proto';
import type { OnnxContext } from './onnx';
import { resolvePadding } from './check';
import type { Activation, OpDesc, OpKind, OpOptionsByKind, Padding, TensorQuant } from './types';

export type OnnxConverter = (ctx: OnnxContext, node: OnnxNode, name: string) => OpDesc | null;

export function attr(node: OnnxNode, name: string): OnnxAttribute | undefined {
  return (node.attribute ?? []).find((a) => a.name === name);
}
export const attrInt = (n: OnnxNode, k: string, d: number) => attr(n, k)?.i ?? d;
export const attrInts = (n: OnnxNode, k: string, d: number[]) => {
  const a = attr(n, k)?.ints;
  return a && a.length > 0 ? a : d;
};
export const attrString = (n: OnnxNode, k: string, d: string) => {
  const s = attr(n, k)?.s;
  return s ? new TextDecoder().decode(s) : d;
};
export const inputAt = (n: OnnxNode, i: number) => (n.input ?? [])[i] || '';
export const outputAt = (n: OnnxNode, i: number) => (n.output ?? [])[i] || '';

export function op<K extends OpKind>(
  node: OnnxNode,
  name: string,
  kind: K,
  inputs: (number | null)[],
  outputs: number[],
  options: OpOptionsByKind[K],
): OpDesc {
  return { kind, sourceOp: node.op_type ?? '', name, inputs, outputs, options } as OpDesc;
}

/** Scale and zero-point operands -> quantization; int8 (int32 for biases) zero points only. */
export function quantParams(
  ctx: OnnxContext,
  node: OnnxNode,
  name: string,
  scaleName: string,
  zpName: string,
  rank: number,
): TensorQuant {
  const scale = Array.from(ctx.values(scaleName, `scale of node ${name}`) as Float32Array);
  if (!zpName)
    ctx.fail(
      'unsupported-dtype',
      `node ${name} has no zero point, which means uint8; supported: int8 (and int32 biases)`,
    );
  const zt = ctx.dtypeOf(zpName);
  if (zt !== ONNX_DTYPE.INT8 && zt !== ONNX_DTYPE.INT32)
    ctx.fail(
      'unsupported-dtype',
      `node ${name} quantizes to ${zt === ONNX_DTYPE.UINT8 ? 'uint8' : `type ${zt}`}; supported: int8 (and int32 biases)`,
    );
  const zeroPoint = Array.from(ctx.values(zpName, `zero point of node ${name}`) as Int8Array | Int32Array);
  if (scale.length === 0 || zeroPoint.length !== scale.length || scale.some((s) => !(s > 0)))
    ctx.fail('invalid', `node ${name} has ${scale.length} scales and ${zeroPoint.length} zero points`);
  const a = attrInt(node, 'axis', 1);
  return { scale, zeroPoint, axis: scale.length > 1 ? (a < 0 ? a + rank : a) : null };
}

export function padding(ctx: OnnxContext, node: OnnxNode, name: string): Padding {
  const auto = attrString(node, 'auto_pad', 'NOTSET');
  if (auto === 'SAME_UPPER') return { kind: 'same' };
  if (auto === 'SAME_LOWER') return { kind: 'same-lower' };
  if (auto === 'VALID') return { kind: 'valid' };
  if (auto !== 'NOTSET') ctx.fail('invalid', `node ${name} has auto_pad ${auto}`);
  const [top, left, bottom, right] = attrInts(node, 'pads', [0, 0, 0, 0]);
  if ([top, left, bottom, right].some((p) => !(p >= 0)))
    ctx.fail('unsupported-op', `node ${name} has pads ${attrInts(node, 'pads', [])}; only 2-D windows are supported`);
  return { kind: 'explicit', top, left, bottom, right };
}

/** [N, C, H, W] -> [H', W'] for a 2-D window. */
export function windowOut(
  shape: number[],
  kernel: [number, number],
  stride: [number, number],
  dilation: [number, number],
  pad: Padding,
): [number, number] {
  return [
    resolvePadding(pad, 0, shape[2], kernel[0], stride[0], dilation[0]).out,
    resolvePadding(pad, 1, shape[3], kernel[1], stride[1], dilation[1]).out,
  ];
}

export const pair = (ctx: OnnxContext, node: OnnxNode, name: string, key: string): [number, number] => {
  const v = attrInts(node, key, [1, 1]);
  if (v.length !== 2 || v.some((x) => x < 1))
    ctx.fail('unsupported-op', `node ${name} has ${key} [${v}]; only 2-D windows are supported`);
  return [v[0], v[1]];
};

/** Conv / QLinearConv once the operands are tensors: plain, depthwise (group = channels) or refused. */
export function convOp(
  ctx: OnnxContext,
  node: OnnxNode,
  name: string,
  ids: { x: number; w: number; b: number | null },
  out: { name: string; dtype: 'int8' | 'float32'; quant: TensorQuant | null },
): OpDesc {
  const xs = ctx.shape(ids.x);
  const ws = ctx.shape(ids.w);
  if (xs.length !== 4 || ws.length !== 4)
    ctx.fail('unsupported-op', `node ${name} is a ${ws.length - 2}-D convolution; only 2-D is supported`);
  if (ctx.tensors[ids.w].data === null) ctx.fail('invalid', `node ${name} has weights that are not constant`);
  const group = attrInt(node, 'group', 1);
  const depthwise = group > 1 && group === xs[1] && ws[1] === 1;
  if (!depthwise && (group !== 1 || ws[1] !== xs[1]))
    ctx.fail('unsupported-op', `node ${name} is a grouped Conv (group ${group}); supported: group 1 or depthwise`);
  const kernel: [number, number] = [ws[2], ws[3]];
  const stride = pair(ctx, node, name, 'strides');
  const dilation = pair(ctx, node, name, 'dilations');
  const pad = padding(ctx, node, name);
  const [oh, ow] = windowOut(xs, kernel, stride, dilation, pad);
  const y = ctx.output(out.name, name, [xs[0], ws[0], oh, ow], out.dtype, out.quant);
  const common = { stride, padding: pad, dilation, activation: 'none' as Activation };
  const inputs = [ids.x, ids.w, ids.b];
  return depthwise
    ? op(node, name, 'depthwiseConv2d', inputs, [y], { ...common, depthMultiplier: ws[0] / xs[1] })
    : op(node, name, 'conv2d', inputs, [y], { ...common, group: 1 });
}
