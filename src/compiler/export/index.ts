/** Entry points of the exporter: a ModelDescription back to a .tflite (NHWC) or .onnx (NCHW) file. */
export { writeTflite, TFLITE_DESCRIPTION } from './tflite-writer';
export { writeOnnx, ONNX_PRODUCER } from './onnx-writer';
export { ExportError } from './export-error';
