/**
 * `npm run bench -- peers [--json] [--write] [--seconds S]`: one batch-1 training step of mcunet-5fps at
 * 128x128, side by side, for the schemes full, last:12 and paper:99kb:
 *   - ours, int8: the plan executor on the WebAssembly SIMD module (the worker's engine), in Node, and in a
 *     Chromium worker on the build the app's worker picks there (peers/browser.ts);
 *   - ours, fp32: the TypeScript fp32 trainer (the experiments' fp32 baseline), same trainable set;
 *   - TensorFlow.js (cpu backend, fp32) on the same architecture, weights and trainable set (peers/tfjs-model.ts);
 *   - ours, native C: the firmware bundle's desktop build of the same plan (peers/native.ts);
 *   - the paper's STM32F746 latencies as context (PAPER-FACTS.md section 5), not measured here.
 * TF.js's GPU backends: Node has none; the Chromium page reports its WebGL renderer and WebGPU adapter, and the GPU
 * line says whether a hardware GPU was there (none on a headless server; TF.js on a GPU is then not timed).
 * First the gate (peers/gate.ts): TF.js and our fp32 trainer must agree on the loss and one layer's weight
 * gradient for each scheme, else nothing is timed and the command exits 1. Each timed figure: one warm-up step,
 * then ~20 ms batches (at least one step) for ~S seconds (at least 3), on 16 MNIST images; ms per step is the fastest batch's mean.
 * --write also writes docs/peers.md, docs/peers.svg and the raw output docs/raw/peers.{txt,json}.
 */
import { cpuLine } from './machine';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile } from '../src/compiler/compile';
import type { Model } from '../src/compiler/models/model';
import { parseScheme } from '../src/compiler/scheme/scheme';
import { ROOT } from '../src/cli/train-run';
import { benchModel } from './model';
import { fetchDataset } from '../src/runtime/training/data';
import { PlanExecutor } from '../src/runtime/kernels/executor';
import { loadWasm, paths } from '../src/runtime/testing/kernel-harness';
import { Fp32Trainer } from '../src/runtime/training/train-fp32';
import { checkGate, describeGate, type GateResult } from './peers/gate';
import { nativeStep } from './peers/native';
import {
  gateLines,
  markdown,
  markdownTable,
  SCHEMES,
  svgChart,
  type Report,
  type Row,
  type SchemeId,
} from './peers/report';
import { backends, TfjsNet } from './peers/tfjs-model';
import { chromiumRows, type GpuProbe } from './peers/browser';
import { msPerStep } from './peers/timing';

const MODEL = 'mcunet-5fps';
const RES = 128;
const IMAGES = 16;
const FLAGS = ['--json', '--write', '--seconds'];

function machineLine(): string {
  const load = loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  return `${cpuLine()}, load average ${load} (1/5/15 min), Node ${process.version}`;
}

async function images(model: Model): Promise<{ img: Int8Array[]; label: number[] }> {
  const data = await fetchDataset(
    join(ROOT, 'public', 'data'),
    'mnist',
    ['train'],
    async (p) => new Uint8Array(readFileSync(p)),
  );
  const img = Array.from({ length: IMAGES }, (_, i) => data.train.input(i, RES, model.inChannels));
  return { img, label: img.map((_, i) => data.train.label(i)) };
}

function numArg(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} wants a positive number`);
  return v;
}

const PAPER_ROWS: Row[] = [
  {
    id: 'paper-tinyengine',
    label: 'paper: STM32F746, their engine (sparse + reorder)',
    ms: { full: null, 'last:12': null, 'paper:99kb': 546 },
    note: 'PAPER-FACTS.md 5: 546 ms per image, their sparse scheme (budget not stated); not measured here',
    context: true,
  },
  {
    id: 'paper-tflite',
    label: 'paper: STM32F746, TF-Lite (full / sparse)',
    ms: { full: 13398, 'last:12': null, 'paper:99kb': 5607 },
    note: 'PAPER-FACTS.md 5: 13,398 ms full update, 5,607 ms sparse; not measured here',
    context: true,
  },
];

interface Timings {
  int8: number;
  fp32: number;
  tfjs: number;
  native: number | null;
  nativeNote: string;
}

async function timeScheme(model: Model, scheme: string, data: Awaited<ReturnType<typeof images>>, seconds: number) {
  const say = (s: string) => console.error(`  ${scheme}: ${s}`);
  const mod = await loadWasm(paths.wasmSimd);
  const ex = PlanExecutor.load(mod, compile(model, scheme), { lr: 0.01, rounding: 'nearest', qas: true, seed: 1 });
  const at = (i: number) => i % IMAGES;
  const int8 = msPerStep((i) => ex.trainStep(data.img[at(i)], data.label[at(i)]), seconds);
  ex.dispose();
  say(`ours int8 ${int8.toFixed(2)} ms`);
  const fp = new Fp32Trainer(model, parseScheme(scheme, model), 0.01);
  const fp32 = msPerStep((i) => fp.trainStep(data.img[at(i)], data.label[at(i)]), seconds);
  say(`ours fp32 ${fp32.toFixed(1)} ms`);
  const net = new TfjsNet(model, parseScheme(scheme, model), 0.01);
  const tfjs = msPerStep((i) => net.trainStep(data.img[at(i)], data.label[at(i)]), seconds);
  net.dispose();
  say(`TF.js ${tfjs.toFixed(0)} ms`);
  const dir = mkdtempSync(join(tmpdir(), 'tt-peers-'));
  let native: number | null = null;
  let nativeNote = '';
  try {
    const r = await nativeStep(MODEL, RES, scheme, dir, 20, 5);
    native = r.msPerStep;
    nativeNote = `build ${r.buildSeconds.toFixed(0)} s`;
    say(`native ${native.toFixed(1)} ms`);
  } catch (e) {
    nativeNote = (e as Error).message;
    say(`native failed: ${nativeNote}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { int8, fp32, tfjs, native, nativeNote } satisfies Timings;
}

interface ChromiumTimings {
  ms: Partial<Record<SchemeId, number>>;
  label: string;
  note: string;
}

/** Our int8 step in a Chromium worker for every scheme; on failure (no Chromium) the row says why. */
async function timeChromium(seconds: number): Promise<ChromiumTimings & { probe: GpuProbe | string }> {
  console.error('peers: Chromium worker');
  const req = { model: MODEL, resolution: RES, images: IMAGES, schemes: SCHEMES.map((s) => s.id), seconds };
  try {
    const r = await chromiumRows(ROOT, req);
    for (const s of SCHEMES) console.error(`  ${s.id}: ours int8 in Chromium ${r.ms[s.id]?.toFixed(2)} ms`);
    const build = r.build === 'relaxed-simd' ? 'relaxed SIMD' : 'SIMD';
    return {
      ms: r.ms as ChromiumTimings['ms'],
      label: `ours int8, WebAssembly ${build} (Chromium ${r.version.split('.')[0]} worker)`,
      note: `the app's worker engine in Chromium ${r.version}: the build it prefers, one thread`,
      probe: r.gpu,
    };
  } catch (e) {
    const why = (e as Error).message.split('\n')[0];
    console.error(`  Chromium failed: ${why}`);
    return { ms: {}, label: 'ours int8, WebAssembly (Chromium worker)', note: `failed: ${why}`, probe: why };
  }
}

/** Which GPU backends TF.js had: Node's (none registered) and what the Chromium page found. */
function gpuLine(node: string, probe: GpuProbe | string): string {
  const chromium =
    typeof probe === 'string'
      ? `Chromium not run (${probe})`
      : `Chromium: WebGL renderer ${probe.webgl}, WebGPU ${probe.webgpu}: ${probe.found ? 'a GPU is there, but TF.js on it is not timed here' : 'no GPU, so TF.js has no GPU backend to time'}`;
  return `Node: ${node} (TF.js backend in use: ${tf.getBackend()}); ${chromium}`;
}

function rowsOf(t: Record<SchemeId, Timings>, c: ChromiumTimings): Row[] {
  const bySchemes = (f: (id: SchemeId) => number | null) =>
    Object.fromEntries(SCHEMES.map((s) => [s.id, f(s.id)])) as Row['ms'];
  const pick = (f: (x: Timings) => number | null) => bySchemes((id) => f(t[id]));
  const nativeFails = SCHEMES.filter((s) => t[s.id].native === null).map((s) => `${s.label}: ${t[s.id].nativeNote}`);
  return [
    {
      id: 'int8',
      label: 'ours int8, WebAssembly SIMD (Node)',
      ms: pick((x) => x.int8),
      note: 'plan executor, the worker engine',
    },
    { id: 'chromium', label: c.label, ms: bySchemes((id) => c.ms[id] ?? null), note: c.note },
    { id: 'fp32', label: 'ours fp32, TypeScript (Node)', ms: pick((x) => x.fp32), note: 'train-fp32.ts, plain loops' },
    {
      id: 'tfjs',
      label: `TensorFlow.js ${tf.version.tfjs} cpu, fp32 (Node)`,
      ms: pick((x) => x.tfjs),
      note: 'same weights and trainable set; gate passed',
    },
    {
      id: 'native',
      label: 'ours int8, native C (cc -O2, firmware host build)',
      ms: pick((x) => x.native),
      note: nativeFails.length
        ? `failed: ${nativeFails.join('; ')}`
        : 'whole step: (t(21 steps) - t(1 step)) / 20, each t the fastest of 5 runs',
    },
    ...PAPER_ROWS,
  ];
}

export default async function (args: string[]): Promise<void> {
  const json = args.includes('--json');
  const unknown = args.filter((a, i) => a.startsWith('--') && !FLAGS.includes(a) && args[i - 1] !== '--seconds');
  let seconds: number;
  try {
    if (unknown.length) throw new Error(`unknown option ${unknown[0]}; options: ${FLAGS.join(', ')}`);
    seconds = numArg(args, '--seconds', 3);
  } catch (e) {
    console.error(`peers: ${(e as Error).message}`);
    process.exitCode = 2;
    return;
  }
  const command = ['npm run bench -- peers', ...args].join(' ');
  const date = new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
  const machine = machineLine();
  const { gpu } = await backends();
  const { model } = benchModel(MODEL, RES);
  const data = await images(model);
  const rep: Report = {
    command,
    date,
    machine,
    gpu: `${gpu} (TF.js backend in use: ${tf.getBackend()}; Node has no WebGL or WebGPU)`,
    method:
      `batch 1, 16 MNIST images cycled; each figure is the fastest ~20 ms batch (at least one step) of steps over ~${seconds} s after ` +
      'one warm-up step (the machine is shared: the fastest batch approximates the unloaded speed); native: see its row',
    model: `${MODEL}@${RES}`,
    gates: {},
    rows: [],
  };
  console.error(`peers: gate (TF.js vs our fp32, ${MODEL}@${RES}, MNIST image 0)`);
  for (const s of SCHEMES) {
    const g: GateResult = checkGate(model, parseScheme(s.id, model), data.img[0], data.label[0]);
    rep.gates[s.id] = g;
    console.error(`  ${s.label}: ${describeGate(g)}`);
  }
  if (SCHEMES.some((s) => !rep.gates[s.id].ok)) {
    console.log(
      json ? JSON.stringify(rep, null, 2) : `refusing to time: the gate failed\n${gateLines(rep).join('\n')}`,
    );
    process.exitCode = 1;
    return;
  }
  const t = {} as Record<SchemeId, Timings>;
  for (const s of SCHEMES) t[s.id] = await timeScheme(model, s.id, data, seconds);
  const c = await timeChromium(seconds);
  rep.gpu = gpuLine(gpu, c.probe);
  rep.rows = rowsOf(t, c);
  const text = [
    `${command}`,
    `date: ${date}`,
    `machine: ${machine}`,
    `GPU: ${rep.gpu}`,
    `method: ${rep.method}`,
    '',
    markdownTable(rep),
    '',
    'gate:',
    ...gateLines(rep),
  ].join('\n');
  console.log(json ? JSON.stringify(rep, null, 2) : text);
  if (args.includes('--write')) {
    writeFileSync(join(ROOT, 'docs', 'peers.md'), markdown(rep, 'peers.svg'));
    writeFileSync(join(ROOT, 'docs', 'peers.svg'), svgChart(rep));
    writeFileSync(join(ROOT, 'docs', 'raw', 'peers.txt'), text + '\n');
    writeFileSync(join(ROOT, 'docs', 'raw', 'peers.json'), JSON.stringify(rep, null, 2) + '\n');
    console.error('peers: wrote docs/peers.md, docs/peers.svg, docs/raw/peers.txt, docs/raw/peers.json');
  }
}
