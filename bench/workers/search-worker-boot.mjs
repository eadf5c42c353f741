// Entry of a bench worker thread: Node 20 refuses a .ts entry point, so this loads the TypeScript worker
// (search-worker.ts) through tsx's ESM API.
import { tsImport } from 'tsx/esm/api';

await tsImport('./search-worker.ts', import.meta.url);
