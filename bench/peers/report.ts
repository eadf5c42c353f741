/**
 * The peers bench's outputs: the markdown table (samples/s and ms per batch-1 training step, one column per
 * scheme) and an SVG bar chart (log scale, grouped by scheme), both headed by the command, the date and the
 * machine line. Plain text only; d3 supplies the scales.
 */
import { scaleBand, scaleLog } from 'd3';
import type { GateResult } from './gate';

export const SCHEMES = [
  { id: 'full', label: 'full' },
  { id: 'last:12', label: 'last-12' },
  { id: 'paper:99kb', label: 'paper:99kb' },
] as const;
export type SchemeId = (typeof SCHEMES)[number]['id'];

/** One implementation's figures: ms per step by scheme (null: not measured, with the reason in `note`). */
export interface Row {
  id: string;
  label: string;
  ms: Partial<Record<SchemeId, number | null>>;
  note: string;
  /** Context, not measured here (the paper's figures). */
  context?: boolean;
}

export interface Report {
  command: string;
  date: string;
  machine: string;
  gpu: string;
  /** How each figure was taken. */
  method: string;
  model: string;
  gates: Record<string, GateResult>;
  rows: Row[];
}

const rate = (ms: number) => 1000 / ms;
function cell(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return 'n/a';
  const r = rate(ms);
  return `${r >= 10 ? r.toFixed(1) : r >= 1 ? r.toFixed(2) : r.toFixed(3)} (${ms >= 100 ? ms.toFixed(0) : ms.toFixed(2)} ms)`;
}

export function markdownTable(rep: Report): string {
  const lines = [
    `| implementation (batch 1, ${rep.model}) | ${SCHEMES.map((s) => `${s.label} samples/s (ms/step)`).join(' | ')} | notes |`,
    `|---|${SCHEMES.map(() => '---').join('|')}|---|`,
  ];
  for (const r of rep.rows) {
    const label = r.context ? `*${r.label}*` : r.label;
    lines.push(`| ${label} | ${SCHEMES.map((s) => cell(r.ms[s.id])).join(' | ')} | ${r.note} |`);
  }
  return lines.join('\n');
}

export function gateLines(rep: Report): string[] {
  return SCHEMES.map((s) => {
    const g = rep.gates[s.id];
    return `- ${s.label}: loss ${g.lossOurs.toPrecision(7)} (ours fp32) vs ${g.lossTfjs.toPrecision(7)} (TF.js), rel. error ${g.lossRelError.toExponential(2)}; weight gradient of conv ${g.layer} (${g.layerName}, ${g.gradElements} values) rel. error ${g.gradRelError.toExponential(2)}: ${g.ok ? 'pass' : 'FAIL'}`;
  });
}

export function markdown(rep: Report, svgPath: string): string {
  return [
    `# Peers: one training step, side by side`,
    '',
    `Command: \`${rep.command}\`  `,
    `Date: ${rep.date}  `,
    `Machine: ${rep.machine}  `,
    `GPU backend for TF.js: ${rep.gpu}  `,
    `Method: ${rep.method}`,
    '',
    `![samples/s per implementation and scheme](${svgPath})`,
    '',
    markdownTable(rep),
    '',
    'Correctness gate (TF.js vs our fp32 trainer, same dequantized weights, same image, before any timing):',
    '',
    ...gateLines(rep),
    '',
  ].join('\n');
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#7f7f7f', '#bcbd22', '#17becf'];

/** Grouped bars of samples/s on a log axis; a missing figure is drawn as "n/a". */
export function svgChart(rep: Report): string {
  const W = 860;
  const H = 440;
  const m = { top: 70, right: 20, bottom: 40 + 18 * Math.ceil(rep.rows.length / 2), left: 70 };
  const values = rep.rows.flatMap((r) => SCHEMES.map((s) => r.ms[s.id])).filter((v): v is number => !!v);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...values.map(rate))));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...values.map(rate))));
  const y = scaleLog()
    .domain([lo, hi])
    .range([H - m.bottom, m.top]);
  const x = scaleBand<string>()
    .domain(SCHEMES.map((s) => s.id))
    .range([m.left, W - m.right])
    .padding(0.15);
  const inner = scaleBand<string>()
    .domain(rep.rows.map((r) => r.id))
    .range([0, x.bandwidth()])
    .padding(0.08);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${m.left}" y="18" font-size="14" font-weight="bold">${esc(`Training samples/s, batch 1, ${rep.model} (log scale; higher is faster)`)}</text>`,
    `<text x="${m.left}" y="34">${esc(`${rep.command} · ${rep.date}`)}</text>`,
    `<text x="${m.left}" y="48">${esc(rep.machine)}</text>`,
  ];
  for (const t of y.ticks(6).filter((v) => Number.isInteger(Math.log10(v)))) {
    out.push(
      `<line x1="${m.left}" x2="${W - m.right}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#ddd"/>`,
      `<text x="${m.left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${t >= 1 ? t : t.toPrecision(1)}</text>`,
    );
  }
  out.push(
    `<text transform="translate(16 ${((H - m.bottom + m.top) / 2).toFixed(0)}) rotate(-90)" text-anchor="middle">samples/s</text>`,
  );
  rep.rows.forEach((r, i) => {
    for (const s of SCHEMES) {
      const bx = x(s.id)! + inner(r.id)!;
      const ms = r.ms[s.id];
      if (!ms) {
        out.push(
          `<text x="${(bx + inner.bandwidth() / 2).toFixed(1)}" y="${H - m.bottom - 4}" text-anchor="middle" font-size="9" fill="#888">n/a</text>`,
        );
        continue;
      }
      const top = y(rate(ms));
      out.push(
        `<rect x="${bx.toFixed(1)}" y="${top.toFixed(1)}" width="${inner.bandwidth().toFixed(1)}" height="${(H - m.bottom - top).toFixed(1)}" fill="${COLORS[i % COLORS.length]}"${r.context ? ' fill-opacity="0.45"' : ''}><title>${esc(`${r.label}, ${s.label}: ${rate(ms).toPrecision(3)} samples/s`)}</title></rect>`,
        `<text x="${(bx + inner.bandwidth() / 2).toFixed(1)}" y="${(top - 3).toFixed(1)}" text-anchor="middle" font-size="9">${rate(ms).toPrecision(3)}</text>`,
      );
    }
  });
  for (const s of SCHEMES)
    out.push(
      `<text x="${(x(s.id)! + x.bandwidth() / 2).toFixed(1)}" y="${H - m.bottom + 16}" text-anchor="middle" font-weight="bold">${esc(s.label)}</text>`,
    );
  rep.rows.forEach((r, i) => {
    const lx = m.left + (i % 2) * ((W - m.left - m.right) / 2);
    const ly = H - m.bottom + 34 + 18 * Math.floor(i / 2);
    out.push(
      `<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"${r.context ? ' fill-opacity="0.45"' : ''}/>`,
      `<text x="${lx + 18}" y="${ly}">${esc(r.label)}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
