// Types of header.mjs for the TypeScript tests that use it.
export interface Param {
  name: string;
  type: string;
}
export interface Prototype {
  name: string;
  ret: 'void' | 'float' | 'int32_t';
  params: Param[];
}
export declare function parsePrototypes(text: string): Prototype[];
export declare function isPlanKernel(p: Prototype): boolean;
