// The in-page half of the TFLite oracle (runs in Chromium, served by tflite-oracle.ts from node_modules only).
// window.runTflite(modelBytes, inputs) loads the model with one thread, writes each input into the runner's
// first input tensor (int8 written as is; a float input gets the values the caller sends), runs infer() and
// returns every output tensor's values as plain arrays with its data type, and which kernels ran (profiling
// on: XNNPACK takes over int8 FULLY_CONNECTED / CONV_2D / ADD, and requantizes in float, ties to even).
window.runTflite = async (modelBytes, inputs) => {
  tflite.setWasmPath('/wasm/');
  const model = await tflite.loadTFLiteModel(new Uint8Array(modelBytes).buffer, {
    numThreads: 1,
    enableProfiling: true,
  });
  const runner = model.modelRunner;
  const results = [];
  for (const values of inputs) {
    const input = runner.getInputs()[0];
    const data = input.data();
    if (data.length !== values.length) throw new Error(`input has ${data.length} elements, got ${values.length}`);
    data.set(values);
    if (!runner.infer()) throw new Error('infer() failed');
    results.push(
      runner.getOutputs().map((o) => ({
        dataType: o.dataType,
        shape: String(o.shape).split(',').filter(Boolean).map(Number),
        values: Array.from(o.data()),
      })),
    );
  }
  // Which kernels ran: builtin op names, or TfLiteXNNPackDelegate for the ops XNNPACK took over.
  const kernels = [...new Set(runner.getProfilingResults().map((p) => `${p.nodeType}:${p.nodeName}`))];
  return { inputType: runner.getInputs()[0].dataType, kernels, results };
};
window.tfliteReady = true;
