/**
 * The Chromium side of `npm run bench -- peers`: a module worker (bundled by esbuild) that times our int8 training
 * step the way the app's worker runs it: the kernel build this engine prefers (relaxed SIMD where it validates),
 * one thread, the same model, pretrained weights, images and executor options as the Node row.
 */
import { compile } from '../../src/compiler/compile';
import { PlanExecutor } from '../../src/runtime/kernels/executor';
import { KERNEL_BUILD_FILES, loadPreferredBuild } from '../../src/runtime/kernels/kernel-build';
import { instantiateKernels } from '../../src/runtime/kernels/wasm';
import { fetchDataset } from '../../src/runtime/training/data';
import { fetchModelFile, transferModel } from '../../src/runtime/training/train-backbone';
import { msPerStep } from './timing';

export interface BrowserRequest {
  model: string;
  resolution: number;
  images: number;
  schemes: string[];
  seconds: number;
}

export interface BrowserResult {
  build: string;
  ms: Record<string, number>;
  error?: string;
}

const get = async (path: string) => new Uint8Array(await (await fetch(path)).arrayBuffer());

async function run(req: BrowserRequest): Promise<BrowserResult> {
  const data = await fetchDataset('/data', 'mnist', ['train'], get);
  const file = await fetchModelFile('/models', req.model, get);
  const model = transferModel({ model: req.model, resolution: req.resolution, classes: 10, pretrained: file, seed: 1 });
  const img = Array.from({ length: req.images }, (_, i) => data.train.input(i, req.resolution, model.inChannels));
  const label = img.map((_, i) => data.train.label(i));
  const wasm = (f: string) => `/wasm/${f}`;
  const urls = { relaxed: wasm(KERNEL_BUILD_FILES['relaxed-simd']), simd: wasm(KERNEL_BUILD_FILES.simd) };
  const ms: Record<string, number> = {};
  let build = '';
  for (const scheme of req.schemes) {
    const { loaded: mod, build: b } = await loadPreferredBuild(urls, async (u) => instantiateKernels(await get(u)));
    build = b;
    const ex = PlanExecutor.load(mod, compile(model, scheme), { lr: 0.01, rounding: 'nearest', qas: true, seed: 1 });
    const at = (i: number) => i % req.images;
    ms[scheme] = msPerStep((i) => ex.trainStep(img[at(i)], label[at(i)]), req.seconds);
    ex.dispose();
  }
  return { build, ms };
}

self.onmessage = async (e: MessageEvent<BrowserRequest>) => {
  try {
    self.postMessage(await run(e.data));
  } catch (err) {
    self.postMessage({ build: '', ms: {}, error: String((err as Error)?.stack ?? err) } satisfies BrowserResult);
  }
};
