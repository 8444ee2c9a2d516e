// End-to-end tests: the built dist/ served on 127.0.0.1 and driven in the system Chromium.
// `cargo xtask test` builds dist/ first and chooses the port (STREAMLAB_E2E_PORT).
const { defineConfig } = require('@playwright/test');

const port = process.env.STREAMLAB_E2E_PORT || '8765';

module.exports = defineConfig({
  testDir: 'tests/e2e',
  timeout: 60_000,
  retries: 0,
  workers: 1,
  reporter: 'list',
  outputDir: 'target/e2e/results',
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    browserName: 'chromium',
    viewport: { width: 1400, height: 1000 },
    launchOptions: {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
  webServer: {
    command: `python3 -m http.server ${port} --bind 127.0.0.1 --directory dist`,
    url: `http://127.0.0.1:${port}/`,
    reuseExistingServer: false,
    timeout: 30_000,
  },
});
