// Types of gen_contract.mjs for the TypeScript tests that run it.
export declare const HEADER: string;
export declare function contractFiles(headerText: string): Promise<Record<string, string>>;
export declare function staleContractFiles(): Promise<string[]>;
