/**
 * Every generated region of the docs, with the command that makes it. A section returns the region's body and
 * the raw output it was made from (committed under docs/raw/). `deterministic` sections are checked: the docs
 * test fails when the committed text differs from what the command prints now. Bench sections (timings) are
 * only regenerated on request (`npm run docs -- --bench ID`) and copied with their date and machine line.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../src/cli/train-run';
import { buildModel } from '../../src/compiler/models/model';
import type { ModelName } from '../../src/compiler/models/arch';
import { parseScheme } from '../../src/compiler/scheme/scheme';
import { rowsFor } from '../experiments/transfer';
import { stats, type Row, type RowStats } from '../experiments/table';
import type { HeadlessResult } from '../../src/cli/train-run';
import { chooseRate, type Scored } from '../experiments/select-lr';
import { planSummary } from './plan-summary';
import { gateLines, markdownTable, type Report } from '../../bench/peers/report';
import { fitAll, genFile, GEN, readRaw, reportText } from '../latency/measure';
import { budgetTable, validationTable, type BudgetRow, type ValidationRun } from '../experiments/search-choice';
import { importedSearch } from './imported-search-section';

export interface Output {
  body: string;
  /** the command's own output, committed as docs/raw/<id>.txt (absent when the source is already committed) */
  raw?: string;
}

export interface Section {
  id: string;
  /** file holding the region, relative to the repository */
  file: string;
  /** the command a reader runs to reproduce the figures */
  command: string;
  kind: 'deterministic' | 'slow' | 'bench';
  make(): Output | Promise<Output>;
}

const pct = (x: number) => (100 * x).toFixed(2);
const KB = (b: number) => (b / 1024).toFixed(1);

/** The pretrained table: what the exporter recorded in each public/models manifest (npm run pretrain). */
function pretrained(): Output {
  const lines = [
    '| model | input | fp32 test acc. (Fashion-MNIST, 10k) | int8 test acc. (kernels-c) | pretraining wall time (shared machine, nice 10) |',
    '|---|---|---|---|---|',
  ];
  const raw: string[] = [];
  for (const model of ['mcunet-5fps', 'mbv2-w0.35', 'proxyless-w0.3', 'tiny-cnn']) {
    const f = JSON.parse(readFileSync(join(ROOT, 'public', 'models', `${model}.json`), 'utf8'));
    const { accuracy, trainSeconds, recipe, command } = f.meta;
    raw.push(`${model}: ${JSON.stringify({ resolution: f.resolution, accuracy, trainSeconds, recipe, command })}`);
    const phases = (recipe.phases as { res: number; epochs: number }[])
      .map((p, i) => `${i ? 'then ' : ''}${p.epochs} epoch${p.epochs > 1 ? 's' : ''} at ${p.res}x${p.res}`)
      .join(', ');
    const r = f.resolution;
    lines.push(
      `| ${model} | ${r}x${r}x${f.inChannels} | ${pct(accuracy.fp32)}% | ${pct(accuracy.int8)}% | ${trainSeconds.toLocaleString('en-US')} s (${phases}) |`,
    );
  }
  return { body: lines.join('\n'), raw: raw.join('\n') + '\n' };
}

/** The rate grid of select-lr.ts the README's transfer table is chosen from (TRANSFER.lr must be its choice). */
export const LR_SELECTION = { scheme: 'paper:99kb', seeds: [1, 2], lrs: '0.01,0.03,0.05,0.07,0.1,0.15,0.2,0.3' };

/** The transfer experiment's parameters: those of the command in the README (transfer.ts). */
export const TRANSFER = {
  model: 'mcunet-5fps',
  file: 'transfer-mcunet-5fps-128.jsonl',
  steps: 4000,
  lr: 0.07,
  seeds: [1, 2, 3],
};
const README_ROWS = ['fp32', 'qas-stochastic', 'qas-nearest', 'qas-truncate', 'noqas-nearest', 'noqas-stochastic'];

/**
 * Rows whose schemes diverge at TRANSFER.lr get a second line at their own rate, chosen on the validation split
 * like TRANSFER.lr (select-lr.ts --scheme S, seeds 1-2) from the grid below.
 */
export const OWN_RATES = [
  { id: 'last-12', scheme: 'last:12', lr: 0.03 },
  { id: 'full', scheme: 'full', lr: 0.01 },
];
const OWN_GRID = '0.01,0.03,0.05';

/** The README's experiment table, from the committed runs (scripts/experiments/results, the raw output). */
function experiments(): Output {
  const chosen = lrChoice(LR_SELECTION.scheme, LR_SELECTION.lrs).chosen.lr;
  if (chosen !== TRANSFER.lr)
    throw new Error(`the validation split chooses lr ${chosen} (select-lr.ts), the transfer table runs ${TRANSFER.lr}`);
  for (const o of OWN_RATES) {
    const own = lrChoice(o.scheme, OWN_GRID).chosen.lr;
    if (own !== o.lr) throw new Error(`the validation split chooses lr ${own} for ${o.scheme}, the table runs ${o.lr}`);
  }
  const path = join(ROOT, 'scripts', 'experiments', 'results', TRANSFER.file);
  const runs = readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l).result as HeadlessResult)
    .filter((r) => r.steps === TRANSFER.steps && TRANSFER.seeds.includes(r.seed));
  /** A row's runs at `lr`, one per seed (the last of each: a re-run appends), or null if a seed is missing. */
  const rowAt = (row: Row, lr: number): RowStats | null => {
    const mine = TRANSFER.seeds.map((seed) =>
      runs.findLast(
        (r) =>
          r.lr === lr &&
          r.seed === seed &&
          r.scheme === row.scheme &&
          r.engine === row.engine &&
          (row.engine === 'fp32' || (r.rounding === row.rounding && r.qas === row.qas)),
      ),
    );
    return mine.every((r) => r) ? stats(row, mine as HeadlessResult[]) : null;
  };
  const rows = rowsFor(TRANSFER.model);
  const table = new Map<string, RowStats>();
  for (const row of rows) {
    const s = rowAt(row, TRANSFER.lr);
    if (s) table.set(row.id, s);
  }
  const lastK = [...table.values()].filter((s) => s.row.id.startsWith('last-'));
  const bestLast = lastK.reduce<RowStats | undefined>((a, b) => (!a || b.mean > a.mean ? b : a), undefined);
  const ids = [...README_ROWS, 'paper-148kb', ...(bestLast ? [bestLast.row.id] : []), 'last-12', 'full'];
  const lines = ['| configuration | scheme | lr | test acc. % (mean ± std) | peak SRAM KB |', '|---|---|---|---|---|'];
  const line = (s: RowStats, label: string, lr: number) => {
    const mem = s.row.engine === 'fp32' ? `(${KB(s.peakSramBytes)} as int8)` : KB(s.peakSramBytes);
    lines.push(`| ${label} | ${s.runs[0].scheme} | ${lr} | ${pct(s.mean)} ± ${pct(s.std)} | ${mem} |`);
  };
  for (const id of [...new Set(ids)]) {
    const s = table.get(id);
    if (!s) throw new Error(`${TRANSFER.file}: no complete runs (seeds ${TRANSFER.seeds}) of row ${id}`);
    line(s, s === bestLast ? `${s.row.label} (best last-k)` : s.row.label, TRANSFER.lr);
    const own = OWN_RATES.find((o) => o.id === id);
    if (!own) continue;
    const at = rowAt(
      rows.find((r) => r.id === id)!,
      own.lr,
    );
    if (!at) throw new Error(`${TRANSFER.file}: no complete runs of row ${id} at lr ${own.lr}`);
    line(at, `${at.row.label}, its own rate`, own.lr);
  }
  return { body: lines.join('\n') };
}

/** The learning-rate choice on the validation split for `scheme` (nearest rounding) from select-lr.ts's runs. */
function lrChoice(scheme: string, lrs: string) {
  const path = join(ROOT, 'scripts', 'experiments', 'results', 'select-lr-mcunet-5fps-128.jsonl');
  const runs = readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Scored)
    .filter((r) => {
      const k = JSON.parse(r.key) as { scheme: string; rounding: string };
      return k.scheme === scheme && k.rounding === 'nearest' && lrs.split(',').includes(String(r.lr));
    });
  return { runs, ...chooseRate(runs, LR_SELECTION.seeds) };
}

function lrSelection(): Output {
  const { runs, rows, chosen } = lrChoice(LR_SELECTION.scheme, LR_SELECTION.lrs);
  const n = runs[0].validationExamples.toLocaleString('en-US');
  const scores = rows
    .map((r) => `${r.lr}: ${pct(r.mean)}%${r.accuracies.length > 1 ? ` (${r.accuracies.map(pct).join(' / ')})` : ''}`)
    .join(', ');
  const seeds = LR_SELECTION.seeds.join(' and ');
  return {
    body: `Validation accuracy by learning rate, mean over seeds ${seeds} (last ${n} MNIST training images held out, paper:99kb, nearest): ${scores}; chosen ${chosen.lr}.`,
  };
}

/** The firmware size table of the README, condensed from scripts/firmware/size-table.ts's markdown. */
export function firmwareBody(raw: string): string {
  const rows = raw
    .split('\n')
    .filter((l) => l.startsWith('|'))
    .map((l) =>
      l
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    );
  const head = rows[0];
  const col = (name: string) => {
    const i = head.findIndex((h) => h.startsWith(name));
    if (i < 0) throw new Error(`size-table output has no column "${name}"`);
    return i;
  };
  const [model, scheme, planner, dataBss, sram, flash] = [
    'model',
    'scheme',
    'planner: arena',
    '.data+.bss',
    'SRAM used',
    'flash used',
  ].map(col);
  const usedOf = (cell: string) => {
    const [used, , limit] = cell.split('/').map((x) => x.trim());
    return `${used} / ${limit.replace(/\.0$/, '')} KB`;
  };
  const out = [
    '| build | planner: arena + trainable = peak KB | .data + .bss KB | SRAM used (with 8 KB stack, 4 KB heap) / limit | flash used / limit |',
    '|---|---|---|---|---|',
  ];
  for (const r of rows.slice(2))
    out.push(
      `| ${r[model]}, ${r[scheme]} | ${r[planner]} | ${r[dataBss]} | ${usedOf(r[sram])} | ${usedOf(r[flash])} |`,
    );
  return out.join('\n');
}

function firmware(): Output {
  const out = execFileSync('npx', ['tsx', 'scripts/firmware/size-table.ts'], { cwd: ROOT, encoding: 'utf8' });
  const raw = out.replace(/\n\(builds in .*\)\n?$/, '\n');
  return { body: firmwareBody(raw), raw };
}

/** `npx tinytrain plan-table`: the whole of docs/plan-table.md (its compile ms column is a timing). */
function planTable(): Output {
  const out = execFileSync('npx', ['tinytrain', 'plan-table', '--resolution', '128', '--classes', '10'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return { body: out.replace(/\n$/, '') };
}

/** A bench's output, headed by when and where it ran, copied as is. */
export function benchOutput(command: string, args: string[]): Output {
  const out = execFileSync('npx', args, { cwd: ROOT, encoding: 'utf8' });
  const cpu = cpus();
  const stamp = `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${cpu.length} x ${cpu[0]?.model ?? 'unknown CPU'}, load average ${loadavg()[0].toFixed(1)} (\`${command}\`).`;
  return { body: `${stamp}\n\n${out.trim()}`, raw: `${stamp}\n\n${out}` };
}

/**
 * The peers table: runs the peers bench (which writes docs/peers.md, docs/peers.svg and docs/raw/peers.*) and
 * copies its table, gate and machine line from the JSON it prints.
 */
function peers(): Output {
  const out = execFileSync('npx', ['tsx', 'bench/run.ts', 'peers', '--json', '--write'], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const rep = JSON.parse(out) as Report;
  const body = [
    `Measured ${rep.date} (\`${rep.command}\`) on ${rep.machine}. GPU backend for TF.js: ${rep.gpu}. Method: ${rep.method}.`,
    '',
    markdownTable(rep),
    '',
    'Correctness gate, before any timing (TF.js vs our fp32 trainer, same weights, same image):',
    '',
    ...gateLines(rep),
  ].join('\n');
  return { body };
}

/** The latency model's calibration (scripts/latency/measure.ts), refitted from the committed QEMU output; the
 * committed coefficients (latency-coefficients.gen.ts) must be that fit's. */
function latencyModel(): Output {
  const r = fitAll(readRaw());
  if (readFileSync(GEN, 'utf8') !== genFile(r.fit))
    throw new Error(
      'src/compiler/codegen/latency-coefficients.gen.ts is not the fit of docs/raw/latency-qemu.txt: npm run bench -- latency --refit',
    );
  return { body: reportText(r) };
}

/** The budget table of the scheme search (scripts/experiments/search-table.ts's committed summary). */
function searchTable(): Output {
  const s = JSON.parse(readFileSync(join(ROOT, 'docs', 'raw', 'search-table.json'), 'utf8')) as {
    settings: {
      model: string;
      resolution: number;
      steps: number;
      seeds: number[];
      lrs: number[];
      validation: number;
      validationSeeds?: number[];
      layers: number;
      finalistSteps?: number;
      evalExamples: number;
      contribution: {
        steps: number;
        lr: number;
        seeds: number[];
        runs: number;
        reference: string;
        lrGrid: { lr: number; accuracy: number }[];
      };
    };
    validation: ValidationRun[];
    rows: BudgetRow[];
    plans: {
      budgetBytes: number;
      searched: { scheme: string } | null;
      finalists?: {
        scheme: string;
        gain: number;
        peakSramBytes: number;
        accuracy: number | null;
        reference?: string;
      }[];
    }[];
  };
  const t = s.settings;
  const c = t.contribution;
  const mnist = JSON.parse(readFileSync(join(ROOT, 'public', 'data', 'mnist.json'), 'utf8')) as {
    splits: { test: { count: number } };
  };
  const n = (x: number) => x.toLocaleString('en-US');
  const testImages =
    t.evalExamples >= mnist.splits.test.count
      ? `all ${n(mnist.splits.test.count)} MNIST test images (the whole test split of public/data)`
      : `the first ${n(t.evalExamples)} MNIST test images`;
  const seedText = c.seeds.length > 1 ? `seeds ${c.seeds.join(', ')}` : `seed ${c.seeds[0]}`;
  const vs = t.validationSeeds ?? [1];
  const vSeeds = vs.length > 1 ? `mean of seeds ${vs.join(', ')}` : `seed ${vs[0]}`;
  const grid = c.lrGrid.map((g) => `${g.lr}: ${pct(g.accuracy)}%`).join(', ');
  const head =
    `mcunet-5fps 128x128 pretrained on Fashion-MNIST, fine-tuned on MNIST: ${t.steps} steps of batch 1 (cosine), ` +
    `seeds ${t.seeds.join(', ')}, test accuracy on ${testImages}. Validation split: the last ${n(t.validation)} ` +
    `MNIST training images, held out (trained on the rest). Each scheme's learning rate is its best of ` +
    `${t.lrs.join(', ')} on the validation split (${vSeeds}); the last-k is the (k, rate) of best validation accuracy ` +
    `among those that fit. Contribution analysis: ${c.runs} runs (the last ${t.layers} convs), ${seedText}, ` +
    `${c.steps} steps each (cosine) at lr ${c.lr} (the best on the validation split for ` +
    `\`${c.reference}\`: ${grid}), each scored on the whole validation split; the gains are differences of ` +
    `${c.seeds.length > 1 ? 'seed-averaged ' : ''}validation accuracies.`;
  const val = `Validation accuracy % (${vs.length > 1 ? `mean of seeds ${vs.join(', ')}, then each seed` : `seed ${vs[0]}`}) of every row's scheme at each rate; the chosen one in bold:\n\n${validationTable(s.validation, t.lrs)}`;
  const finals = s.plans.filter((p) => p.finalists?.length);
  const target = buildModel({ model: t.model as ModelName, resolution: t.resolution, classes: 10 });
  const fin = finals.length
    ? `\n\nThe search's finalists per budget (the best summed gain with at most 1, 2, 3, 4, 6, 8 or any number of ` +
      `updated weight tensors, and the known schemes that fit: the best last-k by summed gain and the published ones, ` +
      `marked =), each run like a contribution run but for ${t.finalistSteps ?? c.steps} steps (lr ${c.lr}, ${seedText}, the whole ` +
      `validation split); the answer, the best on validation, in bold:\n\n` +
      `| budget | finalist | weights | summed gain (points) | validation % | peak SRAM |\n|---|---|---|---|---|---|\n` +
      finals
        .flatMap((p) =>
          p.finalists!.map((f) => {
            const b = (x: string) => (f.scheme === p.searched?.scheme ? `**${x}**` : x);
            const w = parseScheme(f.scheme, target).weight.filter((r) => r > 0).length;
            const ref = f.reference && f.reference !== f.scheme ? ` = ${f.reference}` : '';
            return `| ${(p.budgetBytes / 1024).toFixed(0)} KB | ${b(`\`${f.scheme}\``)}${ref} | ${w} | ${(100 * f.gain).toFixed(2)} | ${b(f.accuracy === null ? 'not run' : pct(f.accuracy))} | ${(f.peakSramBytes / 1024).toFixed(1)} KB |`;
          }),
        )
        .join('\n')
    : '';
  return { body: `${head}\n\n${budgetTable(s.rows, t.seeds.length)}${fin}\n\n${val}` };
}

export const SECTIONS: Section[] = [
  {
    id: 'plan-summary',
    file: 'README.md',
    command: 'npx tinytrain plan --model M --resolution 128 --classes 10 --scheme S [--no-reorder] --json',
    kind: 'deterministic',
    make: planSummary,
  },
  { id: 'pretrained', file: 'README.md', command: 'npm run pretrain', kind: 'deterministic', make: pretrained },
  {
    id: 'experiments',
    file: 'README.md',
    command: `npx tsx scripts/experiments/transfer.ts --steps ${TRANSFER.steps} --seeds ${TRANSFER.seeds} --lr ${TRANSFER.lr}`,
    kind: 'deterministic',
    make: experiments,
  },
  {
    id: 'lr-selection',
    file: 'README.md',
    command: `npx tsx scripts/experiments/select-lr.ts --steps 4000 --seeds ${LR_SELECTION.seeds} --lrs ${LR_SELECTION.lrs} --validation 2000`,
    kind: 'deterministic',
    make: lrSelection,
  },
  {
    id: 'latency-model',
    file: 'README.md',
    command: 'npm run bench -- latency',
    kind: 'deterministic',
    make: latencyModel,
  },
  {
    id: 'search-table',
    file: 'README.md',
    command: 'npx tsx scripts/experiments/search-table.ts --eval 2000',
    kind: 'deterministic',
    make: searchTable,
  },
  {
    id: 'imported-search',
    file: 'README.md',
    command: 'npx tsx scripts/experiments/imported-search.ts',
    kind: 'deterministic',
    make: importedSearch,
  },
  {
    id: 'firmware-sizes',
    file: 'README.md',
    command: 'npx tsx scripts/firmware/size-table.ts',
    kind: 'slow',
    make: firmware,
  },
  {
    id: 'plan-table',
    file: 'docs/plan-table.md',
    command: 'npx tinytrain plan-table --resolution 128 --classes 10',
    kind: 'slow',
    make: planTable,
  },
  {
    id: 'kernel-speed',
    file: 'README.md',
    command: 'npm run bench -- kernels',
    kind: 'bench',
    make: () => benchOutput('npm run bench -- kernels', ['tsx', 'bench/run.ts', 'kernels']),
  },
  { id: 'peers', file: 'README.md', command: 'npm run bench -- peers --write', kind: 'bench', make: peers },
];
