import { describe, expect, it } from 'vitest';
import { compileExperiment, describeModel } from './compile';
import { defaultFieldValues } from './experiment';
import { buildGraphView } from './graph-view';
import { normalize } from './playground';
import { layerOfStep, liveBuffersAt, opBelongsTo, peakIndex, stepRangesOf } from './selectors';

const compiled = (preset: string) => {
  const e = normalize({ ...defaultFieldValues(), preset }).experiment;
  const c = compileExperiment(e);
  if (!c.plan) throw new Error(c.error ?? 'no plan');
  return { plan: c.plan, info: describeModel(e.model) };
};

describe('graph view of a plan', () => {
  const { plan, info } = compiled('paper:49kb');
  const g = buildGraphView(plan, info);
  const node = (id: string) => g.nodes.find((n) => n.id === id)!;

  it('has every conv, residual add, pool, classifier and loss forward, mirrored backward', () => {
    const forward = g.nodes.filter((n) => n.lane === 'forward');
    const adds = info.blocks.filter((b) => b.residual).length;
    expect(forward).toHaveLength(1 + info.convCount + adds + 3);
    expect(g.nodes.filter((n) => n.lane === 'backward')).toHaveLength(forward.length - 1);
    expect(g.edges.filter((e) => e.residual && e.lane === 'forward')).toHaveLength(adds);
  });

  it('marks updated, gradient-only and pruned parts from the scheme', () => {
    // paper:49kb updates biases of convs 22..41 and weights of 24, 27, 30 (ratios 1/4, 1/2, 1/2).
    expect(node('blocks.8.pw1').status).toBe('updated');
    expect(node('bwd:blocks.8.pw1').sub).toMatch(/ΔW 1\/4/);
    expect(node('first_conv').status).toBe('frozen');
    expect(node('bwd:first_conv').status).toBe('pruned');
    expect(node('bwd:classifier').status).toBe('updated');
    expect(node('bwd:pool').status).toBe('gradient');
    const earliest = plan.layers.filter((l) => l.index >= 0 && l.gradient).sort((a, b) => a.index - b.index)[0];
    expect(earliest.index).toBe(22);
    expect(g.edges.some((e) => e.lane === 'backward' && e.pruned)).toBe(true);
  });
});

describe('plan selectors', () => {
  const { plan } = compiled('paper:74kb');

  it('match fused groups, slices and plain layer ops', () => {
    expect(opBelongsTo('first_conv+blocks.0', 'blocks.0.dw')).toBe(true);
    expect(opBelongsTo('first_conv+blocks.0', 'first_conv')).toBe(true);
    expect(opBelongsTo('first_conv+blocks.0', 'blocks.1.pw1')).toBe(false);
    expect(opBelongsTo('blocks.11.add:out[:12]', 'blocks.11.add')).toBe(true);
    expect(opBelongsTo('blocks.1.pw1', 'blocks.10.pw1')).toBe(false);
  });

  it('find a layer’s forward and backward steps and the buffers live at the peak', () => {
    const ranges = stepRangesOf(plan, 'blocks.9.pw1');
    expect(ranges.length).toBeGreaterThanOrEqual(2);
    for (const [a, b] of ranges) for (let i = a; i <= b; i++) expect(layerOfStep(plan, i)).toBe('blocks.9.pw1');
    const phases = new Set(ranges.flatMap(([a, b]) => plan.steps.slice(a, b + 1).map((s) => s.phase)));
    expect(phases.has('forward')).toBe(true);
    expect(phases.has('backward') || phases.has('update')).toBe(true);
    const peak = peakIndex(plan.timeline);
    const live = liveBuffersAt(plan, peak).reduce((s, b) => s + b.bytes, 0);
    expect(live + plan.timeline[peak].bytes.trainable).toBe(plan.timeline[peak].total);
  });
});
