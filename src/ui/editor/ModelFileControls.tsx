/**
 * Open a model file (.tinytrain.zip, e.g. one saved here after training) or save the current model - with the
 * weights trained on this page when there are any - so a run can be kept and continued later, or turned into
 * firmware by the CLI (`tinytrain firmware --weights FILE`).
 */
import { useRef, useState } from 'react';
import { MODEL_PACK_SUFFIX } from '../../compiler/model-pack';
import { exportModelFile, openModelPick, saveModelFile } from '../../state/model-io';
import { usePlayground } from '../../state/playground';
import { saveBytes } from '../download';

export function ModelFileControls() {
  const input = useRef<HTMLInputElement>(null);
  const weights = usePlayground((s) => s.compiled.weights);
  const useBackbone = usePlayground((s) => s.useBackboneWeights);
  const [busy, setBusy] = useState(false);
  const open = async (f: File | undefined) => {
    if (!f) return;
    await openModelPick(f);
    if (input.current) input.current.value = '';
  };
  const save = async (format: 'zip' | 'tflite' | 'onnx') => {
    setBusy(true);
    try {
      const r = format === 'zip' ? await saveModelFile() : await exportModelFile(format);
      saveBytes(r.fileName, r.bytes, format === 'zip' ? 'application/zip' : 'application/octet-stream');
    } catch (err) {
      const text = `Could not ${format === 'zip' ? 'save' : 'export'} the model: ${err instanceof Error ? err.message : String(err)}`;
      usePlayground.setState({ editNotices: [{ level: 'error', text }] });
    } finally {
      setBusy(false);
    }
  };
  return (
    <div
      className="model-file"
      data-testid="model.file"
      onDragOver={(ev) => ev.preventDefault()}
      onDrop={(ev) => {
        ev.preventDefault();
        void open(ev.dataTransfer.files[0]);
      }}
    >
      <button
        data-testid="model.open"
        onClick={() => input.current?.click()}
        title="Open a .tinytrain.zip model file, a .tflite / .onnx int8 model to train, or a float32 .onnx model to quantize"
      >
        Open model file…
      </button>
      <input
        ref={input}
        type="file"
        hidden
        accept={`${MODEL_PACK_SUFFIX},.zip,.tflite,.onnx`}
        data-testid="model.open.input"
        aria-label="model file"
        onChange={(ev) => void open(ev.target.files?.[0])}
      />
      <button
        data-testid="model.save"
        disabled={busy || weights?.status !== 'ready'}
        onClick={() => void save('zip')}
        title="Download the model with the weights trained on this page (a .tinytrain.zip you can open again)"
      >
        Save model
      </button>
      {(['tflite', 'onnx'] as const).map((f) => (
        <button
          key={f}
          data-testid={`model.export.${f}`}
          disabled={busy || weights?.status !== 'ready'}
          onClick={() => void save(f)}
          title={`Download the model with the weights trained on this page as a .${f} file for other tools`}
        >
          Export .{f}
        </button>
      ))}
      {weights?.origin === 'file' && (
        <button data-testid="model.backbone" onClick={useBackbone} title="Go back to the pretrained backbone">
          use the backbone
        </button>
      )}
    </div>
  );
}
