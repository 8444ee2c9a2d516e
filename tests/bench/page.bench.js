#!/usr/bin/env node
// The page benchmark (a measurement, not a test: nothing here asserts a speed). It opens the
// built playground in the system Chromium with the e2e tests' flags, plays the IoT preset at speed
// "max" (after a warm-up of 2 s) while recording the time between animation frames, then reloads the page and fast-forwards
// it with "Run for 1 h" to one simulated hour, and reads what the tab holds in memory then. Prints
// one JSON line:
//   {"frames", "frame_ms_p50", "frame_ms_p95", "frame_ms_max", "frames_late_pct", "achieved_speed", "sim_ms",
//    "js_heap_bytes", "wasm_memory_bytes", "tab_memory_bytes", "cdp_js_heap_used_bytes"}
// frames_late_pct is the share of frames that came a vsync late or more (over 25 ms after the
// one before); achieved_speed is simulated seconds per real second at max; cdp_js_heap_used_bytes is the
// renderer's own count (CDP Performance.getMetrics JSHeapUsedSize), null where CDP has none.
//
//   node tests/bench/page.bench.js [URL] [--quick]
//
// URL defaults to http://127.0.0.1:8080/ (serve dist/, e.g. `python3 -m http.server 8080
// --directory dist`). --quick records frames for 2 s instead of 10 and runs one simulated minute
// instead of an hour. Exits non-zero if the page throws or logs an error.
const { chromium } = require('playwright-core');
const { use } = require('../../playwright.config.js');

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const url = argv.find((a) => !a.startsWith('--')) || 'http://127.0.0.1:8080/';
const recordMs = quick ? 2_000 : 10_000;
const warmUpMs = quick ? 500 : 2_000;
const runFor = quick ? { label: '1 min', ms: 60_000 } : { label: '1 h', ms: 3_600_000 };

/** The `q` quantile of sorted numbers, by the nearest-rank method. */
const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
const round = (x) => Math.round(x * 100) / 100;

/** Simulated time on the page's clock, ms (it reads like "123.456s"). */
const simMs = async (page) => {
  const text = (await page.getByTestId('sim-time').textContent()).trim();
  const m = /^(\d+)\.(\d{3})s$/.exec(text);
  if (!m) throw new Error(`sim-time reads "${text}"`);
  return Number(m[1]) * 1000 + Number(m[2]);
};

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: use.launchOptions.args,
  });
  const errors = [];
  try {
    const page = await browser.newPage({ viewport: use.viewport });
    page.on('pageerror', (e) => errors.push(`page error: ${e}`));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(`console error: ${m.text()}`); });
    await page.goto(url);
    await page.getByTestId('sim-time').waitFor();
    if ((await page.getByTestId('preset').inputValue()) !== 'iot') await page.getByTestId('preset').selectOption('iot');

    await page.getByTestId('speed').selectOption('max');
    await page.getByTestId('play').click();
    // Warm up before recording, as any benchmark does: the first second at max compiles and
    // tiers up the wasm and grows its memory, and is not the steady state the budget is about.
    await page.waitForTimeout(warmUpMs);
    // Frame times: differences of consecutive requestAnimationFrame timestamps, measured in the
    // page, together with the simulated time at the first and last frame.
    const rec = await page.evaluate((ms) => new Promise((resolve) => {
      const sim = () => {
        const [s, frac] = document.querySelector('[data-testid="sim-time"]').textContent.trim().split(/[.s]/);
        return Number(s) * 1000 + Number(frac);
      };
      const frames = [];
      let first = null;
      let last = null;
      let simFirst = 0;
      const loop = (t) => {
        if (first === null) {
          first = t;
          simFirst = sim();
        } else {
          frames.push(t - last);
        }
        last = t;
        if (t - first < ms) requestAnimationFrame(loop);
        else resolve({ frames, realMs: t - first, simMs: sim() - simFirst });
      };
      requestAnimationFrame(loop);
    }), recordMs);
    await page.getByTestId('play').click();

    // A fresh page, so that the memory read below is that of exactly one simulated hour (wasm
    // memory never shrinks: it would keep what max play reached, which depends on the machine).
    await page.reload();
    await page.getByTestId('sim-time').waitFor();
    await page.getByTestId('run-for').selectOption({ label: runFor.label });
    await page.getByTestId('run-for-start').click();
    await page.getByTestId('run-for-done').waitFor({ timeout: 30 * 60_000 });
    process.stderr.write(`${await page.getByTestId('run-for-done').textContent()}\n`);
    const simReached = await simMs(page);

    const mem = await page.evaluate(() => ({
      js: performance.memory ? performance.memory.usedJSHeapSize : null,
      wasm: window.streamlab.wasmMemoryBytes(),
    }));
    let cdpJsHeap = null;
    try {
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Performance.enable');
      const { metrics } = await cdp.send('Performance.getMetrics');
      const m = metrics.find((x) => x.name === 'JSHeapUsedSize');
      cdpJsHeap = m ? m.value : null;
    } catch (e) {
      process.stderr.write(`no CDP metrics: ${e}\n`);
    }

    const sorted = [...rec.frames].sort((a, b) => a - b);
    console.log(JSON.stringify({
      frames: sorted.length,
      frame_ms_p50: round(quantile(sorted, 0.5)),
      frame_ms_p95: round(quantile(sorted, 0.95)),
      frame_ms_max: round(sorted[sorted.length - 1]),
      // Frames that missed a vsync: more than one and a half 60 Hz intervals after the last.
      frames_late_pct: round((100 * sorted.filter((d) => d > 25).length) / sorted.length),
      achieved_speed: round(rec.simMs / rec.realMs),
      sim_ms: simReached,
      js_heap_bytes: mem.js,
      wasm_memory_bytes: mem.wasm,
      tab_memory_bytes: (mem.js || 0) + mem.wasm,
      cdp_js_heap_used_bytes: cdpJsHeap,
    }));
  } finally {
    await browser.close();
  }
  for (const e of errors) process.stderr.write(`${e}\n`);
  if (errors.length > 0) process.exit(1);
}

main().catch((e) => {
  process.stderr.write(`${e.stack || e}\n`);
  process.exit(2);
});
