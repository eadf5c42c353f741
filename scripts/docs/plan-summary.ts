/**
 * The README's compiler table: for each of the paper's backbones, the `plan` subcommand (run in this process,
 * the same code path as the shell command) on every published scheme, the largest without reordering, and the
 * full update with and without reordering. Raw output: one command line and its JSON per run, compileMs
 * removed (a timing, not a property of the plan; `npm run bench -- compile` measures it).
 */
import { planCommand } from '../../src/cli/plan';
import { paperBudgets } from '../../src/compiler/scheme/paper';

/** PAPER-FACTS section 5: the paper's peaks of sparse update + reordering and of the full update (KB). */
const PAPER = {
  'mcunet-5fps': { sparse: 173, full: 3650 },
  'mbv2-w0.35': { sparse: 141, full: 2939 },
  'proxyless-w0.3': { sparse: 135, full: 2745 },
} as const;
type Backbone = keyof typeof PAPER;
const BACKBONES = Object.keys(PAPER) as Backbone[];

export interface PlanRun {
  command: string;
  summary: { peakSramBytes: number; arenaBytes: number; trainableSramBytes: number } & Record<string, unknown>;
}

/** Runs `tinytrain plan ... --json` and returns its JSON without compileMs. */
export function runPlan(args: string[]): PlanRun {
  const all = [...args, '--json', '--repeat', '1'];
  const lines: string[] = [];
  const code = planCommand.run(all, { out: (t) => lines.push(t), err: (t) => lines.push(t) });
  if (code !== 0) throw new Error(`tinytrain plan ${all.join(' ')} failed: ${lines.join('\n')}`);
  const summary = JSON.parse(lines[lines.length - 1]);
  delete summary.compileMs;
  return { command: `npx tinytrain plan ${all.join(' ')}`, summary };
}

const base = (model: string, scheme: string) => [
  '--model',
  model,
  '--resolution',
  '128',
  '--classes',
  '10',
  '--scheme',
  scheme,
];

interface ModelRuns {
  model: Backbone;
  published: PlanRun[];
  largestNoReorder: PlanRun;
  full: PlanRun;
  fullNoReorder: PlanRun;
}

function runModel(model: Backbone): ModelRuns {
  const schemes = paperBudgets(model).map((b) => `paper:${b}`);
  const largest = schemes[schemes.length - 1];
  return {
    model,
    published: schemes.map((s) => runPlan(base(model, s))),
    largestNoReorder: runPlan([...base(model, largest), '--no-reorder']),
    full: runPlan(base(model, 'full')),
    fullNoReorder: runPlan([...base(model, 'full'), '--no-reorder']),
  };
}

const KB = (b: number) => (b / 1024).toFixed(1);

function row(r: ModelRuns): string {
  const budgets = r.published.map((p) => String(p.summary.scheme).replace('paper:', ''));
  const last = r.published[r.published.length - 1].summary;
  const peaks = r.published.slice(0, -1).map((p) => KB(p.summary.peakSramBytes));
  peaks.push(`**${KB(last.peakSramBytes)} (${KB(last.arenaBytes)} + ${KB(last.trainableSramBytes)})**`);
  const full = `${(r.fullNoReorder.summary.peakSramBytes / 1024).toFixed(0)} / ${(r.full.summary.peakSramBytes / 1024).toFixed(0)} KB (${PAPER[r.model].full})`;
  return `| ${r.model} | ${PAPER[r.model].sparse} KB | paper:${budgets.join(' / ')} | ${peaks.join(' / ')} | ${KB(r.largestNoReorder.summary.peakSramBytes)} (${budgets[budgets.length - 1]}) | ${full} |`;
}

function findings(all: ModelRuns[]): string[] {
  const over = all.flatMap((r) =>
    r.published.filter((p) => p.summary.peakSramBytes > 256 * 1024).map((p) => `${r.model} ${p.summary.scheme}`),
  );
  const largest = all.map((r) => r.published[r.published.length - 1].summary);
  const vsPaper = all.map(
    (r, i) =>
      `${KB(largest[i].arenaBytes)} ${largest[i].arenaBytes / 1024 < PAPER[r.model].sparse ? '<' : '>='} ${PAPER[r.model].sparse}`,
  );
  const saves = all.map((r, i) => `${(r.largestNoReorder.summary.arenaBytes / largest[i].arenaBytes).toFixed(1)}x`);
  return [
    over.length === 0
      ? "- Every published scheme fits 256 KB with its trainable weights included; the largest scheme's arena against"
      : `- Over 256 KB with the trainable weights included: ${over.join(', ')}; the largest scheme's arena against`,
    `  the paper's peak for each backbone: ${vsPaper.join(', ')} KB; reordering (each weight`,
    `  gradient consumed by a fused gradient+update kernel the moment it exists) shrinks that arena ${saves.join(' / ')}.`,
  ];
}

/** The table and its first finding (the README region), and the raw outputs they are made from. */
export function planSummary(): { body: string; raw: string } {
  const all = BACKBONES.map(runModel);
  const body = [
    "| model | paper's peak (sparse + reorder) | scheme | peak SRAM KB (arena + trainable) | without reordering | full update, no reorder / reorder (paper) |",
    '|---|---|---|---|---|---|',
    ...all.map(row),
    '',
    ...findings(all),
  ].join('\n');
  const runs = all.flatMap((r) => [...r.published, r.largestNoReorder, r.full, r.fullNoReorder]);
  const raw = runs.map((r) => `$ ${r.command}\n${JSON.stringify(r.summary)}\n`).join('\n');
  return { body, raw };
}
