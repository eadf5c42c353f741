/**
 * Builds the MCU firmware of every case in cases.ts, runs it in QEMU for the stack high-water mark, and prints
 * the markdown table of docs/firmware.md: arm-none-eabi-size of each build against the board's limits, next to
 * the planner's and the fit report's predictions.   Usage: npx tsx scripts/firmware/size-table.ts [--keep DIR]
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { printedCalls } from '../../src/compiler/codegen';
import { CASES } from './cases';
import { elfSizes, make, pool, prepare, runQemu } from './harness';

const keep = process.argv.indexOf('--keep');
const root = keep > 0 ? process.argv[keep + 1] : mkdtempSync(join(tmpdir(), 'tinytrain-sizes-'));
const kb = (n: number) => (n / 1024).toFixed(1);

const rows = await pool(CASES, 2, async (c) => {
  const p = prepare(c, join(root, `${c.model}-${c.scheme.replace(/\W+/g, '')}${c.requant ? `-${c.requant}` : ''}`));
  const b = await make(p.dir, 'mcu');
  if (!b.ok) throw new Error(`${p.dir}: ${b.stderr}`);
  const s = await elfSizes(join(p.dir, 'build/mcu/tinytrain.elf'));
  const q = await runQemu(p.dir);
  const stack = /stack used (\d+) bytes/.exec(q.stdout)?.[1] ?? '?';
  const f = p.bundle.fit;
  const m = p.plan.metrics;
  return [
    `${c.model} ${c.resolution}`,
    c.requant ? `${c.scheme} (${c.requant})` : c.scheme,
    String(s.text + s.exidx),
    String(s.data),
    String(s.bss),
    `${kb(m.arenaBytes)} + ${kb(m.trainableSramBytes)} = ${kb(m.peakSramBytes)}`,
    kb(s.data + s.bss),
    `${kb(s.sram)} / ${kb(f.sram.total)} / ${kb(f.sram.limit)}`,
    stack,
    kb(m.flashBytes),
    `${kb(s.flash)} / ${kb(f.flash.total)} / ${kb(f.flash.limit)}`,
    String(printedCalls(p.plan)),
  ];
});
const head = [
  'model',
  'scheme',
  'text',
  'data',
  'bss',
  'planner: arena + trainable = peak (KB)',
  '.data+.bss (KB)',
  'SRAM used / predicted / limit (KB)',
  'stack used (B)',
  'planner flash consts (KB)',
  'flash used / predicted / limit (KB)',
  'C calls',
];
console.log(`| ${head.join(' | ')} |\n|${head.map(() => '---').join('|')}|`);
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
console.log(`\n(builds in ${root})`);
