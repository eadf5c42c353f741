import { describe, expect, it } from 'vitest';
import { compileExperiment, describeModel } from './compile';
import { defaultFieldValues } from './experiment';
import { buildGraphView } from './graph-view';
import { normalize } from './normalize';
import { layerOfStep, liveBuffersAt, peakIndex, stepRangesOf } from './selectors';

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
    const adds = info.nodes.filter((n) => n.op === 'add').length;
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

  it('take each step’s layer from lowering: fused band calls by stage, adds, pool and loss of no layer', () => {
    const names = new Set(plan.layers.map((l) => l.name));
    for (const s of plan.steps) if (s.layer !== null) expect(names.has(s.layer)).toBe(true);
    const fused = plan.steps.filter((s) => s.op === 'first_conv+blocks.0');
    expect(fused.length).toBeGreaterThan(3);
    for (const s of fused) {
      // the note names the stage (or the residual add) the band call runs
      const stage = s.note!.split(' rows ')[0];
      expect(s.layer).toBe(names.has(stage) ? stage : null);
    }
    expect(new Set(fused.map((s) => s.layer))).toEqual(new Set(['first_conv', 'blocks.0.dw', 'blocks.0.pw2']));
    for (const s of plan.steps)
      if (/^blocks\.\d+\.add$|^pool$|^loss$/.test(s.op)) expect(s.layer, `${s.kernel} ${s.op}`).toBeNull();
    // a call of a plain layer op is that layer's; a slice of a saved output is its producer's
    for (const s of plan.steps) if (names.has(s.op)) expect(s.layer).toBe(s.op);
    const slices = plan.steps.filter((s) => s.kernel === 'tt_slice_channels_s8');
    expect(slices.length).toBeGreaterThan(0);
    for (const s of slices) {
      const producer = s.op.split(':')[0];
      expect(s.layer).toBe(names.has(producer) ? producer : null);
    }
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
