/**
 * How two int8 inference results agree: the fraction of samples whose outputs are bit-identical and the
 * largest difference in LSBs over every element. The must-show target is 100% / 0.
 */
export interface Agreement {
  samples: number;
  identical: number;
  fractionIdentical: number;
  maxLsbDiff: number;
  /** Elements (over all samples) that differ at all. */
  differingElements: number;
}

export function compareInt8(ours: ArrayLike<number>[], theirs: ArrayLike<number>[]): Agreement {
  if (ours.length !== theirs.length) throw new Error(`${ours.length} samples against ${theirs.length}`);
  let identical = 0;
  let maxLsbDiff = 0;
  let differingElements = 0;
  ours.forEach((a, i) => {
    const b = theirs[i];
    if (a.length !== b.length) throw new Error(`sample ${i}: ${a.length} values against ${b.length}`);
    let same = true;
    for (let k = 0; k < a.length; k++) {
      const diff = Math.abs(a[k] - b[k]);
      if (diff !== 0) {
        same = false;
        differingElements++;
        maxLsbDiff = Math.max(maxLsbDiff, diff);
      }
    }
    if (same) identical++;
  });
  const samples = ours.length;
  return { samples, identical, fractionIdentical: samples ? identical / samples : 1, maxLsbDiff, differingElements };
}

/** Seeded int8 samples (an LCG; reproducible across machines) for the oracles. */
export function seededInt8Inputs(seed: number, count: number, length: number): Int8Array[] {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s >>> 24;
  };
  return Array.from({ length: count }, () => Int8Array.from({ length }, () => next() - 128));
}
