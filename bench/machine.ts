/**
 * The CPU line the benches print. A cloud VM reports only a brand ("AMD EPYC") as its model name, and two
 * machines of the same brand can differ a lot (on 2026-12-02 the fp32 peak went from 19 to 28 GMAC/s between
 * two sessions' machines), so the line adds the CPU family and model numbers that tell the generations apart.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

export function cpuLine(): string {
  let info = '';
  try {
    info = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    // not Linux: the model name alone
  }
  const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.+)$`, 'm').exec(info)?.[1]?.trim();
  const name = field('model name') ?? cpus()[0]?.model ?? 'unknown CPU';
  const family = field('cpu family');
  const model = field('model');
  const ids = family !== undefined && model !== undefined ? ` (family ${family}, model ${model})` : '';
  return `${name}${ids}, ${cpus().length} cores`;
}
