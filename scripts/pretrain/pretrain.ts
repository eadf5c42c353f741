/**
 * `npm run pretrain [-- --model mcunet-5fps|tiny-cnn|all] [--stage train|export|all] [--threads 2]`
 *
 * Pretrains the int8 backbones on Fashion-MNIST and writes public/models/<model>.json + .bin:
 *  1. compiles the native fp32 trainer and the exporter (gcc -O3 -march=native -ffp-contract=off, OpenMP; the
 *     exporter links the int8 kernels of kernels-c/src),
 *  2. writes the layer spec from src/compiler/models/arch.ts (spec.ts),
 *  3. runs the recipe's phases (each phase a cosine schedule; a later phase starts from the previous phase's
 *     weights, e.g. 64x64 then 128x128), checkpointing every 200 steps: rerunning resumes, and a finished
 *     phase is skipped,
 *  4. exports: BN folding, calibration, int8 quantization, fp32 and int8 test accuracy (exporter), then adds the
 *     meta block, checks the result with parseModelFile and writes it.
 * Everything is deterministic for a given seed; the lanes of the trainer make the thread count irrelevant.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseModelFile } from '../../src/compiler/model-file';
import type { ModelName } from '../../src/compiler/models/arch';
import { specLayers, specText } from './spec';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const BUILD = join(HERE, 'build');
const DATA = '/usr/share/datasets/fashion-mnist';
const CFLAGS = ['-std=c11', '-D_GNU_SOURCE', '-O3', '-march=native', '-ffp-contract=off', '-fopenmp', '-Wall'];

interface Phase {
  res: number;
  epochs: number;
  lr: number;
}
interface Recipe {
  res: number;
  batch: number;
  seed: number;
  threads: number;
  phases: Phase[];
}

/** The MCUNet-family backbones at 128x128: 2 epochs at 64x64, then 1 epoch at 128x128 from those weights. */
const MOBILE_128: Recipe = {
  res: 128,
  batch: 32,
  seed: 1,
  threads: 2,
  phases: [
    { res: 64, epochs: 2, lr: 0.1 },
    { res: 128, epochs: 1, lr: 0.02 },
  ],
};

/** Per-model training recipes (SGD + Nesterov momentum 0.9, weight decay 5e-5, warmup + cosine per phase). */
export const RECIPES: Partial<Record<ModelName, Recipe>> = {
  'mcunet-5fps': MOBILE_128,
  'mbv2-w0.35': MOBILE_128,
  'proxyless-w0.3': MOBILE_128,
  'tiny-cnn': { res: 32, batch: 32, seed: 1, threads: 1, phases: [{ res: 32, epochs: 8, lr: 0.1 }] },
};

/** Runs a command in build/; with `log`, its output is appended to that file as it runs (tail -f it). */
function run(cmd: string, args: string[], env: Record<string, string> = {}, log?: string): void {
  console.log(`$ ${[cmd, ...args].join(' ')}${log ? `   (log: ${relative(ROOT, log)})` : ''}`);
  const fd = log ? openSync(log, 'a') : undefined;
  const r = spawnSync(cmd, args, {
    cwd: BUILD,
    stdio: fd === undefined ? 'inherit' : ['ignore', fd, fd],
    env: { ...process.env, ...env },
  });
  if (fd !== undefined) {
    closeSync(fd);
    console.log(readFileSync(log!, 'utf8').trimEnd().split('\n').slice(-3).join('\n'));
  }
  if (r.status !== 0) throw new Error(`${cmd} ${args[0]} failed with status ${r.status}`);
}

function build(): void {
  mkdirSync(BUILD, { recursive: true });
  const common = ['net.c', 'net_bwd.c', 'ops.c', 'data.c', 'ckpt.c'].map((f) => join(HERE, f));
  const kernels = readdirSync(join(ROOT, 'kernels-c/src'))
    .filter((f) => f.endsWith('.c'))
    .map((f) => join(ROOT, 'kernels-c/src', f));
  const gcc = (out: string, srcs: string[]) =>
    execFileSync('gcc', [...CFLAGS, '-o', join(BUILD, out), ...srcs, '-lz', '-lm'], { stdio: 'inherit' });
  gcc('pretrain_train', [join(HERE, 'train.c'), ...common]);
  gcc('pretrain_export', [
    '-I',
    join(ROOT, 'kernels-c/include'),
    join(HERE, 'export.c'),
    join(HERE, 'quant.c'),
    ...common,
    ...kernels,
  ]);
}

function train(model: ModelName, r: Recipe, threads: number): void {
  const env = { OMP_NUM_THREADS: String(threads), OMP_WAIT_POLICY: 'passive' };
  r.phases.forEach((p, i) => {
    const ckpt = `${model}.phase${i}.ckpt`;
    const args = ['--spec', `${model}.spec`, '--data', DATA, '--ckpt', ckpt, '--res', String(p.res)];
    args.push('--epochs', String(p.epochs), '--lr', String(p.lr), '--batch', String(r.batch));
    args.push('--seed', String(r.seed + i), '--opt', 'sgd', '--wd', '5e-5', '--log-every', '100', '--resume');
    if (i > 0) args.push('--init', `${model}.phase${i - 1}.ckpt`);
    run('nice', ['-n', '10', './pretrain_train', ...args], env, join(BUILD, `${model}.train.log`));
  });
}

/** Runs the exporter on the last phase's checkpoint and writes the validated model file. */
function exportModel(model: ModelName, r: Recipe, threads: number, command: string): void {
  const ckpt = `${model}.phase${r.phases.length - 1}.ckpt`;
  const args = ['--spec', `${model}.spec`, '--data', DATA, '--ckpt', ckpt, '--seed', String(r.seed)];
  args.push('--bin', `${model}.bin`, '--json', `${model}.report.json`);
  run(
    'nice',
    ['-n', '10', './pretrain_export', ...args],
    { OMP_NUM_THREADS: String(threads) },
    join(BUILD, `${model}.export.log`),
  );
  const report = JSON.parse(readFileSync(join(BUILD, `${model}.report.json`), 'utf8'));
  const bin = readFileSync(join(BUILD, `${model}.bin`));
  const meta = report.meta;
  report.meta = {
    dataset:
      'Fashion-MNIST (Debian dataset-fashion-mnist, 60k train / 10k test), gray 28x28 resized ' +
      `bilinear to ${r.res}x${r.res}, replicated to 3 channels`,
    classes: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
    accuracy: meta.accuracy,
    testImages: meta.testImages,
    input: 'pixel p in 0..255 -> x_q = p - 128, scale 1/255, zero point -128 (real value p / 255)',
    script: 'scripts/pretrain/pretrain.ts',
    command,
    seed: r.seed,
    recipe: { batch: r.batch, optimizer: 'sgd nesterov 0.9, wd 5e-5, warmup + cosine', phases: r.phases },
    steps: r.phases.map((p) => Math.ceil((p.epochs * 60000) / r.batch)),
    trainSeconds: meta.trainSeconds,
    date: new Date().toISOString().slice(0, 10),
  };
  parseModelFile(report, new Uint8Array(bin));
  const out = join(ROOT, 'public/models');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, `${model}.json`), JSON.stringify(report, null, 1) + '\n');
  writeFileSync(join(out, `${model}.bin`), bin);
  console.log(`wrote public/models/${model}.json (+ .bin, ${bin.length} bytes): ${JSON.stringify(meta.accuracy)}`);
}

function main(): void {
  const argv = process.argv.slice(2);
  const opt = (k: string, d: string) => (argv.includes(k) ? argv[argv.indexOf(k) + 1] : d);
  const which = opt('--model', 'all');
  const stage = opt('--stage', 'all');
  const models = (which === 'all' ? Object.keys(RECIPES) : [which]) as ModelName[];
  // the command that trains (an export-only rerun reproduces the same file from the same checkpoint)
  const command = `npm run pretrain${which === 'all' ? '' : ` -- --model ${which}`}`;
  if (!existsSync(join(DATA, 'train-images-idx3-ubyte.gz')))
    throw new Error(`${DATA} missing: apt install dataset-fashion-mnist`);
  build();
  for (const m of models) {
    const r = RECIPES[m];
    if (!r) throw new Error(`no recipe for ${m}; known: ${Object.keys(RECIPES).join(', ')}`);
    const threads = Number(opt('--threads', String(r.threads)));
    writeFileSync(join(BUILD, `${m}.spec`), specText(m, r.res, 3, 10, specLayers(m, r.res, 3, 10)));
    if (stage !== 'export') train(m, r, threads);
    if (stage !== 'train') exportModel(m, r, threads, command);
  }
}

main();
