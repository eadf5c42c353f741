import { describe, expect, it } from 'vitest';
import { dataWarnings, fromStored, toStored, useUserData, type UserClass } from './user-data';

const img = (v: number) => ({ width: 2, height: 1, rgba: new Uint8ClampedArray(8).fill(v) });
const cls = (name: string, n: number, label = 0): UserClass => ({
  name,
  samples: Array.from({ length: n }, (_, i) => ({ ...img(i), label })),
});

describe('dataWarnings', () => {
  it('is quiet for two or more distinct classes with images', () => {
    expect(dataWarnings([])).toEqual([]);
    expect(dataWarnings([cls('cat', 5), cls('dog', 3)])).toEqual([]);
  });

  it('one line each: a single class, an empty class, duplicate names, a one-image class', () => {
    expect(dataWarnings([cls('cat', 4)])).toEqual(['Only one class ("cat"): a classifier needs at least two.']);
    expect(dataWarnings([cls('cat', 4), cls('dog', 0)])).toEqual([
      'Only "cat" has images: a classifier needs images in at least two classes.',
      '"dog" has no images: the model learns nothing about it.',
    ]);
    expect(dataWarnings([cls('Cat', 4), cls('cat ', 4), cls('dog', 1)])).toEqual([
      '2 classes are named "cat": rename them so the results can tell them apart.',
      '"dog" has one image: it trains, but none is held out, so no held-out accuracy for it.',
    ]);
  });
});

describe('the stored form', () => {
  it('round-trips names and pixels, and labels samples by their class', () => {
    const classes = [cls('a', 2), cls('b', 1, 1)];
    const back = fromStored(structuredClone(toStored(classes)));
    expect(back).toEqual(classes);
    expect(back![1].samples[0].label).toBe(1);
  });

  it('refuses malformed values as a whole instead of restoring half of them', () => {
    expect(fromStored(undefined)).toBeNull();
    expect(fromStored({ classes: [] })).toBeNull();
    expect(fromStored([{ name: 'a' }])).toBeNull();
    expect(fromStored([{ name: 'a', samples: [{ width: 2, height: 2, rgba: new Uint8ClampedArray(8) }] }])).toBeNull();
    expect(fromStored([{ name: 'a', samples: [{ width: 2, height: 1, rgba: [1, 2, 3, 4, 5, 6, 7, 8] }] }])).toBeNull();
    expect(fromStored([])).toEqual([]);
  });
});

describe('useUserData', () => {
  it('keeps labels equal to the class index when a class is removed; clear empties it', async () => {
    const s = useUserData.getState();
    expect(s.persistence).toBe('off'); // no IndexedDB in Node
    s.addClass('a');
    s.addClass('b');
    s.addClass('c');
    s.addSamples(2, [img(1), img(2)]);
    s.removeClass(0);
    const { classes } = useUserData.getState();
    expect(classes.map((c) => c.name)).toEqual(['b', 'c']);
    expect(classes[1].samples.map((x) => x.label)).toEqual([1, 1]);
    await s.clear();
    expect(useUserData.getState().classes).toEqual([]);
  });
});
