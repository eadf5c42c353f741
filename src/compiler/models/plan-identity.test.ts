import { describe, expect, it } from 'vitest';
import recorded from './plan-hashes.json';
import { caseHashes } from './plan-identity';

describe('the generic model compiles the built-ins exactly as the fixed architectures did', () => {
  it('plans of the four backbones (pretrained files, schemes, options) hash as recorded on main', () => {
    const now = caseHashes();
    expect(Object.keys(now).length).toBe(40);
    expect(now).toEqual(recorded);
  });
});
