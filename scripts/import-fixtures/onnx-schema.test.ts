import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { ONNX_SCHEMA } from '../../src/compiler/import/onnx-schema.gen';

describe('onnx-schema.gen.ts', () => {
  it('is the protobufjs descriptor of the committed onnx.proto (rerun onnx-schema.ts if this fails)', () => {
    const proto = readFileSync(new URL('../../src/compiler/import/onnx.proto', import.meta.url), 'utf8');
    const fresh = protobuf.parse(proto, { keepCase: true }).root.toJSON();
    expect(JSON.parse(JSON.stringify(ONNX_SCHEMA))).toEqual(JSON.parse(JSON.stringify(fresh)));
  });
});
