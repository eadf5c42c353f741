/**
 * The CLI at its boundary: hundreds of bad invocations (a table of commands x bad values, plus seeded random
 * junk), each run in-process through main(argv, io). Each must exit non-zero with the exit code of its kind of
 * mistake (2 bad command line, 1 file system), print exactly one line on stderr and nothing else anywhere, no
 * stack trace, and leave no file behind. The invocations that could block in the file system (a FIFO, /proc,
 * /dev) also run through bin/tinytrain.mjs in child processes bounded by a timeout.
 */
import { execFile, execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { writeTflite } from '../compiler/export';
import { modelToDescription } from '../compiler/import/from-model';
import { buildModel } from '../compiler/models/model';
import { REPO_ROOT } from './firmware-io';
import { main } from './main';

const root = mkdtempSync(join(tmpdir(), 'tinytrain-fuzz-'));
const at = (p: string) => join(root, p);
afterAll(() => rmSync(root, { recursive: true, force: true }));

beforeAll(() => {
  writeFileSync(at('file'), 'x');
  mkdirSync(at('dir.zip'));
  mkdirSync(at('nonempty'));
  writeFileSync(at('nonempty/keep'), 'x');
  mkdirSync(at('folder.json'));
  execFileSync('mkfifo', [at('pipe.json')]);
  symlinkSync('/dev/zero', at('zero.json'));
  writeFileSync(at('bad.json'), '{"format": "tinytrain-model", "version": 1, "layers": [');
  writeFileSync(at('bad.bin'), '');
  writeFileSync(at('nobin.json'), '{}');
  writeFileSync(at('wrong.json'), '{"format":"something-else","version":1}');
  writeFileSync(at('wrong.bin'), '');
  // model files (--model PATH.tflite|.onnx): truncated, wrong magic, over 50 MB (sparse), fits no board
  const tflite = writeTflite(modelToDescription(buildModel({ model: 'tiny-cnn', classes: 4, seed: 1 }), 'tflite'));
  writeFileSync(at('cut.tflite'), tflite.subarray(0, 600));
  writeFileSync(at('magic.tflite'), Buffer.from(tflite).fill(0x5a, 4, 8));
  writeFileSync(at('junk.onnx'), 'not a protobuf at all \u0000\u0001');
  writeFileSync(at('huge.onnx'), '');
  truncateSync(at('huge.onnx'), 51 * 1024 * 1024);
  const big = buildModel({ model: 'tiny-cnn', resolution: 224, classes: 4, seed: 1 });
  writeFileSync(at('big.tflite'), writeTflite(modelToDescription(big, 'tflite')));
  if (existsSync(SVDF)) copyFileSync(SVDF, at('svdf.tflite'));
});

const SVDF = join(REPO_ROOT, '..', 'shared', 'models', 'keyword_scrambled_8bit.tflite');
const FP32 = join(REPO_ROOT, 'scripts', 'quantize', 'fashion_mobilenet_fp32.onnx');
const INT8 = join(REPO_ROOT, 'scripts', 'quantize', 'fashion_mobilenet_int8.onnx');
const FLATTEN = join(REPO_ROOT, 'src', 'compiler', 'import', 'fixtures', 'pytorch_flatten.onnx');

/** Every path under root (the fixtures), to check that nothing was added. */
function listing(dir = root, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = `${prefix}${d.name}`;
    return d.isDirectory() && !d.isSymbolicLink() ? [p, ...listing(join(dir, d.name), `${p}/`)] : [p];
  });
}

type Case = { argv: string[]; code?: number };

const INT_BAD = [
  '',
  ' ',
  '0x10',
  '1e400',
  '1.5',
  '1e3',
  'NaN',
  'Infinity',
  '99999999999999999999',
  '+5',
  '10 ',
  '0b11',
  '1_000',
  '١٢',
  'two',
];
const NUM_BAD = [
  '',
  '0x1',
  '1e400',
  'NaN',
  'Infinity',
  '-Infinity',
  '1e-400',
  '.',
  '1..2',
  '101',
  '1,5',
  'e5',
  '0.01f',
];
const ENUM_BAD = ['toString', '__proto__', 'constructor', 'hasOwnProperty', 'valueOf', '', 'TRUNCATE', 'nearest '];
const NAME_BAD = [
  '..',
  '../../etc/passwd',
  '/etc/passwd',
  'mnist.json',
  'MNIST',
  'toString',
  'mnist/../mnist',
  '',
  '.',
];
const LONG = 'x'.repeat(5000);
const CTRL = 'a\nb\rc\u0000d\u001b[31me\u2028';

const BASE: Record<string, string[]> = {
  plan: ['--model', 'tiny-cnn', '--repeat', '1'],
  train: ['--model', 'tiny-cnn', '--no-pretrained', '--steps', '1', '--eval', '1'],
  firmware: ['--model', 'tiny-cnn', '--dataset', 'synthetic', '--no-pretrained', '--out', at('out')],
  export: ['--model', 'tiny-cnn', '--no-pretrained', '--format', 'onnx', '--out', at('out.onnx')],
  quantize: ['--model', FP32, '--data', 'fashion-mnist', '--calibration', '1', '--out', at('out.onnx')],
};

/** Model files the importer refuses (exit 1) under every command that takes --model. */
const MODEL_FILES = ['missing.tflite', 'cut.tflite', 'magic.tflite', 'junk.onnx', 'huge.onnx', 'svdf.tflite'];

/** option -> bad values, per command (the command's other arguments are valid). */
const VALUES: Record<string, Record<string, string[]>> = {
  plan: {
    model: [...ENUM_BAD, 'resnet', '../tiny-cnn', LONG, CTRL],
    resolution: [...INT_BAD, '7', '225', '-32'],
    classes: [...INT_BAD, '1', '1001'],
    seed: [...INT_BAD, '-1', '2147483648'],
    repeat: ['0', '1001', '0x5', ''],
    scheme: ['', 'w:99@1/3', 'last:-1', 'last:999', ';;;', LONG, 'bias=5-x', 'paper:1kb', CTRL, 'toString'],
  },
  train: {
    model: ['toString', 'resnet', '', CTRL],
    resolution: ['0x20', '1e400', '', '7'],
    steps: [...INT_BAD, '-1', '10000001'],
    seed: ['0x1', '', '1e400', '-5'],
    lr: [...NUM_BAD],
    rounding: ENUM_BAD,
    schedule: ENUM_BAD,
    data: [...NAME_BAD, LONG, CTRL],
    eval: ['0', '', '0x10', '1.5'],
    curve: ['0', '10001', '', 'Infinity'],
    scheme: ['', LONG],
  },
  export: {
    model: ['toString', 'resnet', '', 'x.pb'],
    format: ['pdf', 'TFLITE', 'toString', ''],
    classifier: ['-1', 'last', '0x1'],
    seed: ['-1', ''],
  },
  firmware: {
    model: ['toString', '__proto__', 'resnet', '', LONG],
    resolution: ['0x20', '1e400', '', '7', '1.5e2'],
    classes: ['', '0x10', '1', '1001', '2.5'],
    board: ['z80', 'toString', '', '__proto__', 'STM32F746', CTRL],
    seed: ['', '0x10', '-1', '1e400'],
    lr: [...NUM_BAD, '0', '-0'],
    rounding: ENUM_BAD,
    steps: ['0', '', '100001', '0x10'],
    samples: ['0', '65', '', '1e1'],
    dataset: [...NAME_BAD, LONG],
    labels: [
      'a',
      'a,b',
      ',,,,,,,,,',
      `${'y'.repeat(100)},b,c,d,e,f,g,h,i,j`,
      `a\nb,c,d,e,f,g,h,i,j,k`,
      'a\\,b,c,d,e,f,g,h,i,j',
    ],
    experiment: ['', LONG, 'a\u0000b'],
    scheme: ['', 'w:99@1/3', LONG, 'last:99'],
  },
  quantize: {
    model: ['toString', '', 'x.pb', 'x.tflite', LONG, CTRL],
    data: [...NAME_BAD, 'synthetic', 'cifar', LONG, CTRL],
    calibration: [...INT_BAD, '0', '-1', '6001', '1000001'],
    'input-range': ['', '0', '1,0', '1,1', '0,1,2', 'a,b', '0x1,2', 'Infinity,1', '-2000,0', '0,1e3', ',', CTRL],
    out: ['', 'x.tflite', 'x.onnx.zip', LONG],
  },
};

/** Bad values that are file-system mistakes (exit 1). */
const FILES: Record<string, Record<string, string[]>> = {
  plan: { pretrained: ['missing', 'file', 'folder', 'pipe', 'zero', 'bad', 'nobin', 'wrong'].map(at) },
  train: {
    pretrained: ['missing', 'folder', 'pipe', 'zero', 'nobin'].map(at),
    weights: ['missing', 'pipe', 'zero', 'bad', 'wrong'].map(at),
  },
  export: {
    out: [at('dir.zip'), at('missing/x.tflite'), '/proc/x.tflite', '/dev/null'],
  },
  firmware: {
    out: [
      at('file'),
      at('file/sub'),
      at('dir.zip'),
      at('nonempty'),
      at('missing/x'),
      at('missing/x.zip'),
      at('pipe.json'),
      '/proc/x',
      '/proc/self/x.zip',
      '/sys/x',
      '/dev/null',
      '/dev/x.zip',
    ],
    weights: ['missing', 'folder', 'pipe', 'zero', 'bad', 'nobin', 'wrong'].map(at),
    pretrained: ['missing', 'pipe', 'zero'].map(at),
  },
  quantize: {
    model: [...['missing.onnx', 'junk.onnx', 'huge.onnx', 'dir.zip/x.onnx'].map(at), INT8, FLATTEN],
    out: [at('missing/x.onnx'), '/proc/x.onnx', at('file/x.onnx')],
  },
};

function withOption(cmd: string, opt: string, value: string): string[] {
  const base = [...BASE[cmd]];
  const i = base.indexOf(`--${opt}`);
  if (i >= 0) base.splice(i, 2);
  const random = base.indexOf('--no-pretrained');
  if ((opt === 'weights' || opt === 'pretrained') && random >= 0) base.splice(random, 1);
  return [cmd, ...base, `--${opt}=${value}`];
}

function tableCases(): Case[] {
  const cases: Case[] = [];
  for (const [cmd, opts] of Object.entries(VALUES))
    for (const [opt, values] of Object.entries(opts))
      for (const v of values) cases.push({ argv: withOption(cmd, opt, v), code: 2 });
  for (const [cmd, opts] of Object.entries(FILES))
    for (const [opt, values] of Object.entries(opts))
      for (const v of values) cases.push({ argv: withOption(cmd, opt, v), code: 1 });
  const files = MODEL_FILES.filter((f) => f !== 'svdf.tflite' || existsSync(SVDF));
  for (const cmd of ['plan', 'train', 'firmware', 'export'])
    for (const f of files)
      cases.push({ argv: withOption(cmd, 'model', at(f)).filter((a) => a !== '--no-pretrained'), code: 1 });
  cases.push({ argv: ['plan', '--model', at('big.tflite'), '--repeat', '1'], code: 3 });
  const usage: string[][] = [
    [],
    ['fly'],
    ['toString'],
    ['__proto__'],
    [LONG],
    [CTRL],
    ['plan'],
    ['train'],
    ['firmware', '--model', 'tiny-cnn'],
    ['plan', '--frobnicate'],
    ['plan', '--model'],
    ['plan', 'tiny-cnn'],
    ['plan', '--model', 'tiny-cnn', '--json=1'],
    ['plan', '--model', 'tiny-cnn', '-x'],
    ['plan', '--model', 'tiny-cnn', '--', 'x'],
    ['plan', `--${LONG}`],
    ['plan', `--${CTRL}`],
    ['plan-table', '--resolution', '0x80'],
    ['plan-table', '--classes', ''],
    ['plan-table', 'x'],
    ['train', ...BASE.train, '--fp32', '--reference'],
    ['train', '--model', 'tiny-cnn', '--pretrained', at('x'), '--no-pretrained'],
    ['firmware', ...BASE.firmware, '--weights', at('x')],
    ['firmware', ...BASE.firmware, '--no-qas=yes'],
    ['firmware', '--dataset', 'synthetic', '--out', at('out')],
    ['plan', '--model', at('big.tflite'), '--resolution', '32'],
    ['plan', '--model', 'tiny-cnn', '--classifier', '0'],
    ['export', '--model', 'tiny-cnn', '--out', at('out.onnx')],
    ['export', '--model', 'tiny-cnn', '--format', 'onnx'],
    ['train', '--model', at('big.tflite'), '--no-pretrained'],
    ['quantize'],
    ['quantize', '--model', FP32, '--out', at('out.onnx')],
    ['quantize', '--data', 'mnist', '--out', at('out.onnx')],
    ['quantize', '--model', FP32, '--data', 'mnist'],
  ];
  return [...cases, ...usage.map((argv) => ({ argv, code: 2 }))];
}

/** mulberry32: a small seeded generator, so a failing junk case can be replayed. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = [
  'a',
  'z',
  '0',
  '9',
  '-',
  '--',
  '.',
  '..',
  '/',
  ',',
  '\\',
  '=',
  ' ',
  'e',
  'x',
  '"',
  "'",
  '\n',
  '\u0000',
  'é',
  '🙂',
  '%',
  '$',
  '*',
];
const FLAGS = [
  'model',
  'resolution',
  'classes',
  'scheme',
  'seed',
  'lr',
  'rounding',
  'steps',
  'board',
  'labels',
  'samples',
  'dataset',
  'data',
  'curve',
  'eval',
  'repeat',
  'schedule',
  'json',
  'no-qas',
  'force',
];

/** Junk argv: a command (or junk), junk flag values, and one value that is never valid (a letter-led number). */
function junkCases(n: number): Case[] {
  const r = rng(13);
  const pick = <T>(a: readonly T[]) => a[Math.floor(r() * a.length)];
  const junk = () => Array.from({ length: 1 + Math.floor(r() * (r() < 0.1 ? 300 : 8)) }, () => pick(ALPHABET)).join('');
  const cases: Case[] = [];
  for (let k = 0; k < n; k++) {
    const cmd = pick(['plan', 'train', 'firmware', 'plan-table', junk()]);
    const argv = [cmd];
    for (let t = Math.floor(r() * 4); t > 0; t--) argv.push(r() < 0.2 ? junk() : `--${pick(FLAGS)}=${junk()}`);
    argv.splice(
      1 + Math.floor(r() * argv.length),
      0,
      `--${pick(['seed', 'steps', 'resolution', 'classes'])}=x${junk()}`,
    );
    cases.push({ argv });
  }
  return cases;
}

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const stray = [
    vi.spyOn(process.stdout, 'write'),
    vi.spyOn(process.stderr, 'write'),
    vi.spyOn(console, 'error'),
    vi.spyOn(console, 'warn'),
    vi.spyOn(console, 'log'),
  ];
  const t0 = performance.now();
  let code: number;
  try {
    code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  } finally {
    stray.forEach((s) => s.mockRestore());
  }
  return { code, out, err, ms: performance.now() - t0, stray: stray.reduce((n, s) => n + s.mock.calls.length, 0) };
}

const STACK = /\n\s+at |\bat .*:\d+:\d+|Error: /;

describe('tinytrain at its boundary (fuzz)', () => {
  it('refuses 200+ bad invocations: non-zero exit of their kind, one stderr line, no stack, nothing left behind', async () => {
    const cases = [...tableCases(), ...junkCases(150)];
    expect(cases.length).toBeGreaterThanOrEqual(300);
    const before = listing();
    const cwdBefore = readdirSync(process.cwd()).sort();
    const failures: string[] = [];
    for (const c of cases) {
      const r = await run(c.argv);
      const what = `${JSON.stringify(c.argv).slice(0, 200)} -> ${r.code}: ${JSON.stringify(r.err).slice(0, 300)}`;
      const after = listing();
      if (r.code === 0) failures.push(`exit 0: ${what}`);
      if (c.code !== undefined && r.code !== c.code) failures.push(`exit ${r.code}, wanted ${c.code}: ${what}`);
      if (r.err.length !== 1 || r.err[0].includes('\n') || r.err[0].length === 0)
        failures.push(`not one line: ${what}`);
      if (r.err.some((e) => STACK.test(e))) failures.push(`stack trace: ${what}`);
      if (r.err.some((e) => e.length > 500)) failures.push(`message too long: ${what}`);
      if (r.stray > 0) failures.push(`wrote outside io: ${what}`);
      if (r.ms > 5000) failures.push(`took ${Math.round(r.ms)} ms: ${what}`);
      if (JSON.stringify(after) !== JSON.stringify(before)) {
        failures.push(`left files ${after.filter((p) => !before.includes(p)).slice(0, 3)}: ${what}`);
        rmSync(at('out'), { recursive: true, force: true });
      }
    }
    expect(readdirSync(process.cwd()).sort()).toEqual(cwdBefore);
    expect(failures.slice(0, 20)).toEqual([]);
    expect(cases.filter((c) => c.code === 1).length).toBeGreaterThan(30);
  }, 60_000);

  it('never blocks on special files: bin/tinytrain.mjs in child processes, bounded by a timeout', async () => {
    const bin = join(REPO_ROOT, 'bin/tinytrain.mjs');
    const argvs = [
      ['plan', '--model', 'tiny-cnn', '--pretrained', at('pipe')],
      ['plan', '--model', 'tiny-cnn', '--pretrained', at('zero')],
      ['firmware', ...BASE.firmware.slice(0, -2), '--out', '/proc/self/fw.zip'],
      ['firmware', ...BASE.firmware.slice(0, -2), '--out', at('pipe.json')],
    ];
    const runs = await Promise.all(
      argvs.map(
        (argv) =>
          new Promise<{ code: number | null; stderr: string; killed: boolean }>((done) => {
            const child = execFile('node', [bin, ...argv], { timeout: 30_000, encoding: 'utf8' }, (e, _out, stderr) =>
              done({ code: e ? ((e as { code?: number }).code ?? null) : 0, stderr, killed: child.killed }),
            );
          }),
      ),
    );
    for (const [i, r] of runs.entries()) {
      expect(r.killed, argvs[i].join(' ')).toBe(false);
      expect(r.code, argvs[i].join(' ')).toBe(1);
      expect(r.stderr.trimEnd().split('\n'), argvs[i].join(' ')).toHaveLength(1);
    }
  }, 60_000);
});
