/**
 * The docs cannot drift from the commands: every deterministic region of the README is regenerated here and
 * must equal the committed text and raw output; the firmware table must equal its committed raw output; and
 * docs/plan-table.md (made by a slower command, fully checked by `npm run docs -- --check` in test-all.sh) must
 * agree with the plans the README's table was just made from.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../src/cli/train-run';
import { committed, comparable, differences, rawPath } from './docs';
import { regions, replaceRegion } from './regions';
import { SECTIONS, firmwareBody } from './sections';

const section = (id: string) => SECTIONS.find((s) => s.id === id)!;

describe('docs regions', () => {
  it('finds, replaces and refuses malformed markers', () => {
    const text = 'a\n<!-- docs:x note -->\nold\n<!-- /docs -->\nb';
    expect(regions(text)).toEqual([{ id: 'x', body: 'old' }]);
    expect(replaceRegion(text, 'x', 'new\nlines')).toBe('a\n<!-- docs:x note -->\nnew\nlines\n<!-- /docs -->\nb');
    expect(() => regions('<!-- docs:x -->\n')).toThrow(/never closed/);
    expect(() => regions('<!-- /docs -->')).toThrow(/without an opening/);
    expect(() => regions('<!-- docs:x -->\n<!-- docs:y -->')).toThrow(/opens inside/);
    expect(() => replaceRegion(text, 'y', '')).toThrow(/no region docs:y/);
  });

  it('masks only the timing column of the plan table', () => {
    const row = '| mcunet-5fps | paper:49kb | 148.5 (117.1) | 201.6 (170.3) | 31.4 | 530.1 | 710 | 19.31 |';
    expect(comparable(section('plan-table'), row)).toBe(row.replace('19.31', '(ms)'));
    expect(comparable(section('plan-table'), row.replace('148.5', '148.6'))).not.toBe(
      comparable(section('plan-table'), row),
    );
  });
});

describe('committed docs equal what their commands print now', () => {
  const fast = SECTIONS.filter((s) => s.kind === 'deterministic');
  it.each(fast.map((s) => s.id))(
    '%s',
    async (id) => {
      const s = section(id);
      expect(differences(s, await s.make())).toEqual([]);
    },
    120_000,
  );

  it('firmware-sizes: the README table is the committed size-table output', () => {
    const raw = readFileSync(rawPath('firmware-sizes'), 'utf8');
    expect(raw).toMatch(/^\| model \| scheme \| text \|/);
    expect(committed(section('firmware-sizes'))).toBe(firmwareBody(raw));
  });

  it('docs/plan-table.md agrees with the plan runs of the README table', () => {
    const table = readFileSync(join(ROOT, 'docs', 'plan-table.md'), 'utf8');
    const header = table.split('\n').find((l) => l.startsWith('| model | scheme |'))!;
    const cols = header.split('|').map((c) => c.trim());
    const raw = readFileSync(rawPath('plan-summary'), 'utf8');
    let checked = 0;
    for (const m of raw.matchAll(/^\$ (.*)\n(\{.*\})$/gm)) {
      const s = JSON.parse(m[2]);
      if (!s.fusion || !s.split) continue;
      const col = cols.indexOf(`peak SRAM KB (arena) ${s.reorder ? 'reorder+fusion' : 'no reorder'}`);
      const line = table.split('\n').find((l) => l.startsWith(`| ${s.model} | ${s.scheme} |`));
      expect(line, m[1]).toBeDefined();
      const cell = line!.split('|').map((c) => c.trim())[col];
      expect(cell, m[1]).toBe(`${(s.peakSramBytes / 1024).toFixed(1)} (${(s.arenaBytes / 1024).toFixed(1)})`);
      checked++;
    }
    expect(checked).toBe(24);
  });
});
