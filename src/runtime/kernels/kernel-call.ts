/** Calling a kernel export with arguments held in a Float64Array (the executor's resolved step arguments). */

type KernelFn = (...args: number[]) => number;

/** Calls an export with a Float64Array's values as its arguments (fixed arities without a spread). */
export function call(fn: KernelFn, a: Float64Array): number {
  switch (a.length) {
    case 2:
      return fn(a[0], a[1]);
    case 3:
      return fn(a[0], a[1], a[2]);
    case 4:
      return fn(a[0], a[1], a[2], a[3]);
    case 5:
      return fn(a[0], a[1], a[2], a[3], a[4]);
    case 6:
      return fn(a[0], a[1], a[2], a[3], a[4], a[5]);
    case 7:
      return fn(a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
    case 8:
      return fn(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
    case 9:
      return fn(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8]);
    case 10:
      return fn(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9]);
    case 12:
      return fn(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11]);
    case 13:
      return fn(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12]);
    case 15:
      return fn(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14]);
    default:
      return fn(...a);
  }
}
