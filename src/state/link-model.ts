/**
 * A share link names its model file and never carries it (the page cannot fetch a user's file). This module says
 * what the page does with such a link: which experiment it opens now, what it tells the user to open, and which
 * link waits for its file (an imported model or a backbone's model file: when the user opens the file the link
 * names, its SHA-256 prefix equal to w, the link's experiment comes back instead of the file's defaults).
 */
import { BUILTIN_IMAGES } from '../runtime/training/input-fit';
import { defaultFieldValues } from './experiment';
import type { Experiment, ModelChoice, Quantization } from './experiment';
import { IMPORTED } from './imported';

/** A link whose imported model file was not open: its experiment as read, held until that file opens. */
export interface AwaitedLink {
  experiment: Experiment;
  /** The notice that asks for the file (dropped when the file opens). */
  text: string;
}

/** The model files open on the page, by SHA-256 (hex): the imported one, and the backbone weights' file. */
export interface OpenFiles {
  imported: string;
  file: { model: ModelChoice; sha256: string } | null;
}

/** A quantization in words: '120 MNIST training images, input -1..1'. */
export function quantizationWords(q: Quantization): string {
  return `${q.count} ${BUILTIN_IMAGES.name} training images, input ${q.range[0]}..${q.range[1]}`;
}

/** What to open for an imported model's link, and that the default backbone stands in until then. */
function openText(e: Experiment, standIn: string): string {
  const until = `to reproduce it; until then the page uses the ${standIn} backbone.`;
  if (e.quantization && e.modelFile)
    return `This link was made with a float32 ONNX model quantized on the page to int8 (SHA-256 ${e.modelFile}…): open that float32 .onnx file (Open model file…) and quantize it on ${quantizationWords(e.quantization)}, ${until}`;
  const what = e.modelFile ? ` (SHA-256 ${e.modelFile}…)` : '';
  return `This link was made with an imported model file${what}: open that .tflite / .onnx file (Open model file…) ${until}`;
}

/**
 * The link's experiment as the page can open it now (not yet normalized) and what to say about it. An imported
 * model whose file is not open waits for it (awaited, when the link names it) while the default backbone stands
 * in; a backbone's own model file (.tinytrain.zip) that is not open gives way to the pretrained backbone and
 * waits for that file likewise.
 */
export function openableLink(
  link: Experiment,
  open: OpenFiles,
): { experiment: Experiment; lines: string[]; awaited: AwaitedLink | null } {
  const lines: string[] = [];
  let e = link;
  let awaited: AwaitedLink | null = null;
  if (e.model !== IMPORTED && e.quantization) {
    lines.push(`The link says how an imported model was quantized (qz), but its model is ${e.model}; ignored.`);
    e = { ...e, quantization: null };
  }
  if (e.model === IMPORTED && (!e.modelFile || e.modelFile !== open.imported.slice(0, 16))) {
    const standIn = defaultFieldValues().model;
    const text = openText(e, standIn);
    lines.push(text);
    if (e.modelFile) awaited = { experiment: link, text };
    // the stand-in opens at its default preset: the link's preset and scheme are the imported model's
    e = { ...e, model: standIn, modelFile: '', quantization: null, preset: 'custom', scheme: [] };
  }
  const file = open.file && open.file.model === e.model ? open.file.sha256.slice(0, 16) : '';
  if (e.modelFile && e.modelFile !== file) {
    const text = `This link was made with a model file (SHA-256 ${e.modelFile}…): open that file (Open model file…) to reproduce it; until then the page uses the pretrained backbone.`;
    lines.push(text);
    // it waits for that file too: opened, the link's settings come back with its weights
    awaited = { experiment: link, text };
    e = { ...e, modelFile: '' };
  }
  return { experiment: e, lines, awaited };
}

/**
 * An imported model just opened (its SHA-256) while a link may be waiting: the link's experiment when this is
 * the model it names, and the one line to say either way (none when no link waits).
 */
export function matchAwaited(
  awaited: AwaitedLink | null,
  sha256: string,
): { link: Experiment | null; line: string | null } {
  if (!awaited) return { link: null, line: null };
  const hash = sha256.slice(0, 16);
  const link = awaited.experiment;
  if (link.modelFile === hash)
    return {
      link,
      line: `This is the model the link names: its settings are restored (preset ${link.preset}, ${link.classes} classes, board ${link.board}).`,
    };
  return {
    link: null,
    line: `This model (SHA-256 ${hash}…) is not the one the link names (${link.modelFile}…): the link's settings are not restored.`,
  };
}
