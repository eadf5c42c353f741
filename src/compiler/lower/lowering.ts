/**
 * Lowering state: turns IR tensors into plan arguments. Arena tensors become logical buffers (tensors written
 * in place share their input's buffer); params and constant vectors become plan consts (deduplicated by data
 * array, so the training and inference sub-plans share them; trainable ones get SRAM storage); parameter
 * structs become int32 consts (deduplicated by content). Arena arguments hold buffer-relative offsets until
 * the planner has placed the buffers (fixOffsets).
 */
import {
  CONV_SHAPE_FIELDS,
  QUANT_FIELDS,
  UPDATE_PARAMS_FIELDS,
  structWords,
  type ConvShape,
  type Quant,
  type UpdateParams,
} from '../kernel-abi';
import { tensorBytes, type Graph, type Op, type Tensor } from '../ir/graph';
import type { KernelName } from '../kernels';
import type { BufferCategory, PlanArg, PlanBand, PlanConst, PlanDType, PlanStep, StructName } from '../plan';

export interface LBuffer {
  name: string;
  bytes: number;
  dtype: PlanDType;
  category: BufferCategory;
}

const planDType = (t: Tensor): PlanDType => (t.dtype === 'mask' ? 'uint8' : t.dtype);

/** Plan consts shared by the sub-plans of one compilation. */
export class ConstTable {
  readonly consts: PlanConst[] = [];
  private readonly byData = new Map<ArrayBufferView, number>();
  private readonly byKey = new Map<string, number>();

  tensor(t: Tensor): number {
    const data = t.data!;
    let id = this.byData.get(data);
    if (id === undefined) {
      id = this.consts.length;
      this.consts.push({ id, name: t.name, dtype: planDType(t), storage: t.trainable ? 'sram' : 'flash', data });
      this.byData.set(data, id);
    } else if (t.trainable) this.consts[id].storage = 'sram';
    return id;
  }

  /** A read-only array that is no graph tensor (an op attribute such as TFLite's ADD parameters), by identity. */
  array(name: string, data: Int32Array | Float32Array): number {
    let id = this.byData.get(data);
    if (id === undefined) {
      id = this.consts.length;
      const dtype = data instanceof Int32Array ? 'int32' : 'float32';
      this.consts.push({ id, name, dtype, storage: 'flash', data });
      this.byData.set(data, id);
    }
    return id;
  }

  struct(struct: StructName, name: string, words: Int32Array): number {
    const key = `${struct}:${words.join(',')}`;
    let id = this.byKey.get(key);
    if (id === undefined) {
      id = this.consts.length;
      this.consts.push({
        id,
        name: `${name}.${struct.slice(3)}`,
        dtype: 'int32',
        struct,
        storage: 'flash',
        data: words,
      });
      this.byKey.set(key, id);
    }
    return id;
  }
}

export const I32 = (value: number): PlanArg => ({ kind: 'i32', value });
export const F32 = (value: number): PlanArg => ({ kind: 'f32', value: Math.fround(value) });
export const NULL: PlanArg = { kind: 'null' };
export const LR: PlanArg = { kind: 'lr' };
export const RNG: PlanArg = { kind: 'rng' };
export const ROUNDING: PlanArg = { kind: 'rounding' };
export const LABEL: PlanArg = { kind: 'label' };

export class Lowering {
  readonly steps: PlanStep[] = [];
  readonly buffers: LBuffer[] = [];
  private readonly bufferOf = new Map<number, number>();
  private readonly constOf = new Map<number, number>();

  /**
   * @param layerName name of the model layer with a conv index (-1: the classifier), for the steps' `layer`
   */
  constructor(
    readonly g: Graph,
    readonly consts: ConstTable,
    category: (t: Tensor) => BufferCategory,
    private readonly layerName: (index: number) => string,
  ) {
    for (const op of g.ops) {
      const ip = op.attrs.inplace;
      for (const id of op.inputs) this.assign(id, category);
      if (ip !== undefined) {
        const src = op.inputs[ip];
        if (this.bufferOf.has(src)) this.bufferOf.set(op.outputs[0], this.bufferOf.get(src)!);
        else this.constOf.set(op.outputs[0], this.constOf.get(src)!);
      }
      op.outputs.forEach((id, i) => (i > 0 || ip === undefined) && this.assign(id, category));
    }
  }

  private assign(id: number, category: (t: Tensor) => BufferCategory): void {
    if (this.bufferOf.has(id) || this.constOf.has(id)) return;
    const t = this.g.tensors[id];
    if (t.data) this.constOf.set(id, this.consts.tensor(t));
    else if (t.varType !== 'label' && t.varType !== 'loss') {
      this.bufferOf.set(id, this.newBuffer(t.name, tensorBytes(t), planDType(t), category(t)));
    }
  }

  newBuffer(name: string, bytes: number, dtype: PlanDType, category: BufferCategory): number {
    this.buffers.push({ name, bytes, dtype, category });
    return this.buffers.length - 1;
  }

  bufferIndex(tensor: number): number {
    const b = this.bufferOf.get(tensor);
    if (b === undefined) throw new Error(`tensor ${this.g.tensors[tensor].name} has no arena buffer`);
    return b;
  }

  /** A region of a tensor's buffer (relative offset until fixOffsets). */
  arena(tensor: number, byteOffset = 0, bytes?: number): PlanArg {
    return this.region(this.bufferIndex(tensor), byteOffset, bytes);
  }

  region(buffer: number, byteOffset = 0, bytes?: number): PlanArg {
    return { kind: 'arena', buffer, offset: byteOffset, bytes: bytes ?? this.buffers[buffer].bytes - byteOffset };
  }

  /** An arena region when the tensor has a buffer, else its const (a weight assembled in scratch, or stored). */
  operand(tensor: number): PlanArg {
    return this.bufferOf.has(tensor) ? this.arena(tensor) : this.cst(tensor);
  }

  cst(tensor: number): PlanArg {
    const id = this.constOf.get(tensor);
    if (id === undefined) throw new Error(`tensor ${this.g.tensors[tensor].name} is not a constant`);
    return { kind: 'const', id };
  }

  gscale(q: number, p: number): PlanArg {
    return { kind: 'gscale', qas: this.constOf.get(q)!, plain: this.constOf.get(p)! };
  }

  shape(name: string, s: ConvShape): PlanArg {
    return { kind: 'const', id: this.consts.struct('tt_conv_shape', name, structWords(CONV_SHAPE_FIELDS, s)) };
  }
  /** A const holding an attribute array (ConstTable.array). */
  table(name: string, data: Int32Array | Float32Array): PlanArg {
    return { kind: 'const', id: this.consts.array(name, data) };
  }
  quant(name: string, q: Quant): PlanArg {
    return { kind: 'const', id: this.consts.struct('tt_quant', name, structWords(QUANT_FIELDS, q)) };
  }
  /** tt_update_params with rounding 0: the executor patches the rounding word at run time. */
  updateParams(name: string, p: Omit<UpdateParams, 'rounding'>): PlanArg {
    return {
      kind: 'const',
      id: this.consts.struct('tt_update_params', name, structWords(UPDATE_PARAMS_FIELDS, { ...p, rounding: 0 })),
    };
  }

  /**
   * Appends a call of `op`. It belongs to op.layer unless `at.layer` says otherwise (a stage of a fused chain,
   * or null for a call of no layer).
   */
  step(
    op: Op,
    kernel: KernelName,
    args: PlanArg[],
    at: { note?: string; layer?: number | null; band?: PlanBand } = {},
  ): PlanStep {
    const index = at.layer === undefined ? op.layer : at.layer;
    const layer = index === undefined || index === null ? null : this.layerName(index);
    const s: PlanStep = { kernel, args, op: op.name, opId: op.id, phase: op.phase, layer };
    if (at.note) s.note = at.note;
    if (at.band) s.band = at.band;
    this.steps.push(s);
    return s;
  }
}
