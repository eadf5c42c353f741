/**
 * Jumping the stochastic-rounding rng ahead. tt_rng is xorshift32 (tt_kernels.h), a linear map on the 32 state
 * bits over GF(2): next(x) = M x. So the state n draws later is M^n x, and a thread that updates output channels
 * [c0, c1) of a layer starts from M^(c0 * k) applied to the layer's starting state: it draws exactly what the
 * single-threaded kernel draws for those elements.
 *
 * A matrix is 32 columns (Uint32Array), column b being the image of the state with only bit b set.
 */

/** xorshift32's step (tt_rng_next). */
export function rngNext(x: number): number {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  return x >>> 0;
}

/** m applied to state x. */
export function applyJump(m: Uint32Array, x: number): number {
  let r = 0;
  for (let b = 0; b < 32; b++) if ((x >>> b) & 1) r ^= m[b];
  return r >>> 0;
}

/** a after b (a * b). */
function compose(a: Uint32Array, b: Uint32Array): Uint32Array<ArrayBuffer> {
  return Uint32Array.from(b, (col) => applyJump(a, col));
}

/** The matrix of n draws: applyJump(jumpMatrix(n), x) equals rngNext applied n times to x. */
export function jumpMatrix(n: number): Uint32Array<ArrayBuffer> {
  if (!Number.isInteger(n) || n < 0) throw new Error(`jump of ${n} draws`);
  let result = Uint32Array.from({ length: 32 }, (_, b) => (1 << b) >>> 0);
  let p = Uint32Array.from({ length: 32 }, (_, b) => rngNext((1 << b) >>> 0));
  for (let k = n; k > 0; k = Math.floor(k / 2)) {
    if (k % 2 === 1) result = compose(p, result);
    p = compose(p, p);
  }
  return result;
}
