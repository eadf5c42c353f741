/**
 * The TFLite web runtime hands int8 CONV_2D / DEPTHWISE_CONV_2D / ADD / MEAN (and per-tensor FULLY_CONNECTED) to
 * its XNNPACK delegate, which requantizes in float (the tflite-xnnpack mode). To check the tflite-fixed mode
 * against TFLite's own builtin kernels, this writes a variant of the model that XNNPACK declines but TFLite runs
 * unchanged: every convolution's and fully connected layer's weights, and every MEAN's axes, become the output
 * of a RESHAPE of the same constant to the same shape. The values reaching each op are identical, so the variant
 * computes the same function; XNNPACK takes only ops whose weights (axes) are static tensors of the file, so
 * nothing is delegated (the profiler's node list, tflite-page.js, shows which kernels ran).
 */
import type { ModelDescription, OpDesc, TensorDesc } from '../../src/compiler/import/types';

/** A RESHAPE of tensor `c` (a constant) into a new non-constant tensor of the same shape; returns its id. */
function viaReshape(tensors: TensorDesc[], ops: OpDesc[], c: TensorDesc, name: string): number {
  const out: TensorDesc = { ...c, id: tensors.length, name, data: null };
  tensors.push(out);
  ops.push({
    kind: 'reshape',
    sourceOp: 'RESHAPE',
    name: `${name}/reshape`,
    inputs: [c.id],
    outputs: [out.id],
    options: { newShape: [...c.shape] },
  });
  return out.id;
}

export function builtinKernelVariant(d: ModelDescription): ModelDescription {
  const tensors = [...d.tensors];
  const ops: OpDesc[] = [];
  for (const op of d.ops) {
    if (op.kind === 'conv2d' || op.kind === 'depthwiseConv2d' || op.kind === 'fullyConnected') {
      const w = tensors[op.inputs[1]!];
      if (!w.data) throw new Error(`op ${op.name}: its weights are not a constant`);
      const inputs = [...op.inputs];
      inputs[1] = viaReshape(tensors, ops, w, `${w.name}/computed`);
      ops.push({ ...op, inputs });
    } else if (op.kind === 'mean') {
      const axes: TensorDesc = {
        id: tensors.length,
        name: `${op.name}/axes`,
        shape: [op.options.axes.length],
        dtype: 'int32',
        quant: null,
        data: Int32Array.from(op.options.axes),
      };
      tensors.push(axes);
      ops.push({ ...op, inputs: [op.inputs[0], viaReshape(tensors, ops, axes, `${op.name}/axes/computed`)] });
    } else ops.push(op);
  }
  return { ...d, tensors, ops };
}
