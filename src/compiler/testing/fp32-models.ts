/**
 * Float32 ONNX models the quantize tests open (not production code): the fp32 MobileNet-style fixture with a
 * ReLU after its residual add, an op with no int8 form here (quantize.ts fuses a ReLU only into the conv or
 * fully connected op it follows).
 */
import { writeOnnx } from '../export/onnx-writer';
import { readOnnx } from '../import/onnx';

/** `fp32` (an fp32 ONNX model with an Add) with a Relu inserted after its first Add. */
export function reluAfterAdd(fp32: Uint8Array): Uint8Array {
  const d = readOnnx(fp32, 'fp32.onnx');
  const add = d.ops.find((o) => o.kind === 'add');
  if (!add) throw new Error('the model has no Add');
  const sum = add.outputs[0];
  const relu = d.tensors.length;
  d.tensors.push({ ...d.tensors[sum], id: relu, name: `${d.tensors[sum].name}_relu` });
  for (const o of d.ops) o.inputs = o.inputs.map((i) => (i === sum ? relu : i));
  d.outputs = d.outputs.map((i) => (i === sum ? relu : i));
  const op = { kind: 'relu', sourceOp: 'Relu', name: 'relu_after_add', inputs: [sum], outputs: [relu], options: {} };
  d.ops.splice(d.ops.indexOf(add) + 1, 0, op as (typeof d.ops)[number]);
  return writeOnnx(d);
}
