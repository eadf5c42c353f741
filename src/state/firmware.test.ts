import { describe, expect, it } from 'vitest';
import { compileExperiment } from './compile';
import { defaultFieldValues } from './experiment';
import { loadFirmware } from './firmware';
import { normalize } from './normalize';

describe('code panel sources', () => {
  it('generate the firmware with per-line layers, the plan text and the pruned graph JSON', async () => {
    const e = normalize({
      ...defaultFieldValues(),
      model: 'tiny-cnn',
      resolution: 32,
      preset: 'last:4',
      scheme: [],
    }).experiment;
    const c = compileExperiment(e);
    const fw = await loadFirmware(c.plan!, c.graph, e);
    expect(fw.error).toBeNull();
    expect(fw.files[0].name).toBe('model/tt_model.c');
    const model = fw.files[0];
    const lines = model.text.split('\n');
    const marked = lines.filter((_, i) => model.lineLayers[i] === 'blocks.2.pw1');
    expect(marked.length).toBeGreaterThan(2);
    expect(marked.some((l) => /tt_pointwise_s8\(/.test(l))).toBe(true);
    expect(marked.every((l) => !/blocks\.1\.dw \(/.test(l))).toBe(true);

    const graph = fw.files.find((f) => f.name === 'training-graph.json')!;
    const json = JSON.parse(graph.text) as { format: string; ops: { name: string; inputs: { var_type: string }[] }[] };
    expect(json.format).toBe('tinytrain-graph');
    expect(json.ops).toHaveLength(c.graph!.ops.length);
    expect(graph.lineLayers).toHaveLength(graph.text.split('\n').length - 2);
    expect(fw.files.some((f) => f.name === 'plan.txt')).toBe(true);
    const zip = await fw.zip();
    expect(zip.fileName).toBe('tinytrain-tiny-cnn-32-stm32f746.zip');
    expect(zip.bytes.length).toBeGreaterThan(10_000);
  });
});
