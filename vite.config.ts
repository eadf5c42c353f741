/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The page, its kernel worker and the unit tests. Workers are ES modules (comlink + the kernel module).
// COOP + COEP make the page cross-origin isolated, which SharedArrayBuffer needs: the training worker then runs
// the kernels on several threads (src/runtime/kernels/wasm-threads.ts). Every asset is same-origin.
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  plugins: [react()],
  base: './',
  worker: { format: 'es' },
  // onnxruntime-web (the quantize worker's, imported only when a float model is quantized) is one self-contained
  // ES module: served as it is, the dev server does not discover it mid-session, re-bundle and reload the page
  optimizeDeps: { exclude: ['onnxruntime-web', 'onnxruntime-web/wasm'] },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
  server: { port: 5173, headers: ISOLATION_HEADERS },
  preview: { port: 4173, strictPort: true, headers: ISOLATION_HEADERS },
  test: {
    include: ['src/**/*.test.ts', 'scripts/**/*.test.ts', 'bench/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
  },
});
