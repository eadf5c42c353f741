/** The peers table and chart: figures as samples/s with ms per step, n/a where nothing was measured. */
import { describe, expect, it } from 'vitest';
import { markdownTable, svgChart, type Report } from './report';

const rep: Report = {
  command: 'npm run bench -- peers',
  date: '2026-12-01 00:00 UTC',
  machine: 'cpu <x>, 2 cores',
  gpu: 'none',
  method: 'm',
  model: 'mcunet-5fps@128',
  gates: {},
  rows: [
    { id: 'a', label: 'ours', ms: { full: 10, 'last:12': 5, 'paper:99kb': 2 }, note: 'n1' },
    { id: 'b', label: 'paper', ms: { full: 13398, 'last:12': null, 'paper:99kb': 546 }, note: 'n2', context: true },
  ],
};

describe('peers report', () => {
  it('prints samples/s (ms per step) per scheme and n/a for a missing figure', () => {
    const t = markdownTable(rep).split('\n');
    expect(t[0]).toContain('full samples/s (ms/step) | last-12 samples/s (ms/step) | paper:99kb');
    expect(t[2]).toBe('| ours | 100.0 (10.00 ms) | 200.0 (5.00 ms) | 500.0 (2.00 ms) | n1 |');
    expect(t[3]).toBe('| *paper* | 0.075 (13398 ms) | n/a | 1.83 (546 ms) | n2 |');
  });

  it('draws one bar per measured figure, taller for faster, and escapes text', () => {
    const svg = svgChart(rep);
    const bars = [
      ...svg.matchAll(/<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"[^>]*><title>([^<]+)</g),
    ];
    expect(bars).toHaveLength(5);
    const h = (label: string) => Number(bars.find((b) => b[3].startsWith(label))![2]);
    expect(h('ours, paper:99kb')).toBeGreaterThan(h('ours, full'));
    expect(h('ours, full')).toBeGreaterThan(h('paper, full'));
    expect(svg).toContain('cpu &lt;x&gt;');
    expect(svg.trim().endsWith('</svg>')).toBe(true);
  });
});
