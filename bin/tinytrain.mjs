#!/usr/bin/env node
// The tinytrain CLI: loads the TypeScript entry point through tsx (no build step). See src/cli/main.ts.
import { tsImport } from 'tsx/esm/api';

const { main } = await tsImport('../src/cli/main.ts', import.meta.url);
process.exitCode = await main(process.argv.slice(2));
