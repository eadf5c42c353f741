import { describe, expect, it } from 'vitest';
import { judgeNumber } from './NumberField';

describe('judgeNumber', () => {
  it('applies a value in range with no message', () => {
    expect(judgeNumber('128', 16, 320)).toEqual({ value: 128, message: '' });
  });
  it('refuses a value below the minimum, a fraction and a non-number, and says why', () => {
    expect(judgeNumber('8', 16, 320, 'x', ' KB')).toEqual({ value: null, message: 'At least 16 KB; not applied.' });
    expect(judgeNumber('2.5', 2, 1000).value).toBeNull();
    expect(judgeNumber('2.5', 2, 1000).message).toBe('A whole number, 2 to 1000.');
    expect(judgeNumber('', 2, 1000).message).toBe('Enter a number, 2 to 1000.');
  });
  it('clamps above the maximum when it has a reason, refuses otherwise', () => {
    expect(judgeNumber('400', 16, 320, 'the STM32F746 has 320 KB SRAM', ' KB')).toEqual({
      value: 320,
      message: 'Used 320 KB: the STM32F746 has 320 KB SRAM.',
    });
    expect(judgeNumber('2000', 2, 1000)).toEqual({ value: null, message: 'At most 1000; not applied.' });
  });
});
