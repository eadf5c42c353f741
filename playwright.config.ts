import { defineConfig } from '@playwright/test';

// The e2e suite runs against the built site (vite preview), in the system Chromium (never `playwright install`).
// webServer owns the preview server: it builds first unless E2E_SKIP_BUILD=1 (a dist/ built by CI already).
const PORT = Number(process.env.E2E_PORT ?? 4173);
const build = process.env.E2E_SKIP_BUILD === '1' ? '' : 'npx vite build && ';

export default defineConfig({
  testDir: 'e2e',
  // E2E_OUTPUT keeps concurrent local runs (several engineers, one checkout) out of each other's artefacts.
  outputDir: process.env.E2E_OUTPUT ?? 'test-results',
  // a test's ceiling, not its speed: on a 2-core machine shared with other jobs (load 10) a test that spawns the
  // CLI six times took over a minute
  timeout: 120_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 2,
  retries: 0,
  reporter: [['list'], ['line']],
  use: {
    baseURL: `http://localhost:${PORT}`,
    viewport: { width: 1280, height: 800 },
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
    trace: 'retain-on-failure',
  },
  webServer: {
    command: `${build}npx vite preview --port ${PORT} --strictPort`,
    url: `http://localhost:${PORT}`,
    reuseExistingServer: false,
    timeout: 180_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
