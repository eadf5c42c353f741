import { beforeEach, describe, expect, it, vi } from 'vitest';
import { normalize } from './normalize';
import { defaultFieldValues } from './experiment';

/** When set, compiling with this `reorder` fails as the compiler would (the comparison compile). */
const failing: { reorder: boolean | null } = { reorder: null };

vi.mock('../compiler/compile', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../compiler/compile')>();
  return {
    ...actual,
    compileWithGraph: (...args: Parameters<typeof actual.compileWithGraph>) => {
      if (failing.reorder !== null && args[2]?.reorder === failing.reorder)
        throw new Error('arena planning failed: tensor t7 has no lifetime');
      return actual.compileWithGraph(...args);
    },
  };
});

const { compileExperiment, sameView, withComparison } = await import('./compile');

describe('the comparison plan (reordering flipped)', () => {
  beforeEach(() => {
    failing.reorder = null;
  });
  const experiment = () => normalize({ ...defaultFieldValues(), model: 'tiny-cnn', resolution: 32 }).experiment;

  it('is compiled next to the plan when it can be', () => {
    const e = experiment();
    const view = withComparison(compileExperiment(e), e);
    expect(view.other).not.toBeNull();
    expect(view.comparisonError).toBeUndefined();
    expect(view.advice.join('\n')).not.toMatch(/No comparison/);
  });

  it('a failed comparison compile says so in the advice, and keeps saying it after a knob edit', () => {
    const e = experiment();
    const view = compileExperiment(e);
    expect(view.plan).not.toBeNull();
    failing.reorder = !e.reorder;
    const compared = withComparison(view, e);
    expect(compared.plan).toBe(view.plan);
    expect(compared.other).toBeNull();
    expect(compared.comparisonError).toBe('arena planning failed: tensor t7 has no lifetime');
    const flipped = e.reorder ? 'without' : 'with';
    expect(compared.advice.at(-1)).toBe(
      `No comparison: the same scheme ${flipped} operator reordering does not compile: arena planning failed: tensor t7 has no lifetime`,
    );
    const edited = sameView(compared, { ...e, budgetKb: 128 });
    expect(edited.advice.at(-1)).toMatch(/^No comparison: /);
  });
});
