// Speed "max" and "Run for …" in headless Chromium: at max the IoT stream runs far faster than
// real time; Run for 10 min runs exactly ten simulated minutes behind a moving progress bar;
// Cancel (and Escape) stop a run early and leave the page playable. Saves
// target/e2e/fastforward.png.
const { test, expect } = require('@playwright/test');

/** Simulated time on the clock, ms (it reads like "123.456s"). */
const simMs = async (page) => {
  const text = (await page.getByTestId('sim-time').textContent()).trim();
  const m = /^(\d+)\.(\d{3})s$/.exec(text);
  expect(m, `sim-time reads "${text}"`).not.toBeNull();
  return Number(m[1]) * 1000 + Number(m[2]);
};

/**
 * Records, on every animation frame and every change of the page, whether the progress bar is
 * shown and its value: a fast machine may finish a run between two of Playwright's polls, or
 * within two frames, and the page's own callbacks see it all.
 */
const watchProgress = (page) => page.evaluate(() => {
  window.progressSeen = [];
  const record = () => {
    const bar = document.querySelector('[data-testid="run-for-progress"]');
    if (bar) {
      const box = bar.getBoundingClientRect();
      const value = Number(bar.getAttribute('value'));
      const last = window.progressSeen[window.progressSeen.length - 1];
      if (!last || last.value !== value) window.progressSeen.push({ visible: box.width > 0 && box.height > 0, value });
    }
  };
  const look = () => {
    record();
    if (!window.progressStop) requestAnimationFrame(look);
  };
  window.progressStop = false;
  window.progressObserver = new MutationObserver(record);
  window.progressObserver.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['value'] });
  requestAnimationFrame(look);
});
const progressSeen = (page) => page.evaluate(() => {
  window.progressStop = true;
  window.progressObserver.disconnect();
  return window.progressSeen;
});

/**
 * Starts a "Run for" of `label` and, in the first frame that shows it under way, cancels it by
 * `how`: a click on Cancel, or Escape pressed wherever the focus is. Acting from inside the page
 * keeps a fast machine from finishing the run before the test gets to it.
 */
const startAndCancel = async (page, label, how) => {
  await page.getByTestId('run-for').selectOption({ label });
  const armed = page.evaluate((how) => new Promise((resolve) => {
    const look = () => {
      const bar = document.querySelector('[data-testid="run-for-progress"]');
      if (!bar || !(Number(bar.getAttribute('value')) > 0)) {
        requestAnimationFrame(look);
        return;
      }
      if (how === 'click') {
        document.querySelector('[data-testid="run-for-cancel"]').click();
      } else {
        document.activeElement.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
      }
      resolve(document.activeElement.dataset.testid);
    };
    requestAnimationFrame(look);
  }), how);
  await page.getByTestId('run-for-start').click();
  return armed;
};

test('max speed, Run for 10 min, and Cancel', async ({ page }) => {
  test.setTimeout(120_000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/');
  await expect(page.getByTestId('sim-time')).toHaveText('0.000s');

  // Max: as much simulated time as 10 ms of engine work per frame buys.
  await page.getByTestId('speed').selectOption('max');
  const realStart = Date.now();
  await page.getByTestId('play').click();
  await expect(page.getByTestId('rate')).toHaveText(/^max · [\d,.]+× real time$/, { timeout: 5_000 });
  await page.waitForTimeout(Math.max(0, 3_000 - (Date.now() - realStart)));
  const rate = await page.getByTestId('rate').textContent();
  await page.getByTestId('play').click();
  const realMs = Date.now() - realStart;
  const atMax = await simMs(page);
  console.log(`max: ${atMax} simulated ms in ${realMs} real ms (${(atMax / realMs).toFixed(0)}×); ` +
    `the page said "${rate}" just before the pause`);
  expect(atMax).toBeGreaterThan(50 * realMs);
  await expect(page.getByTestId('rate')).toHaveText('');

  // Run for 10 min: exactly 600 s of simulated time, the progress bar moving meanwhile.
  const from = await simMs(page);
  await page.getByTestId('run-for').selectOption({ label: '10 min' });
  await watchProgress(page);
  await page.getByTestId('run-for-start').click();
  await expect(page.getByTestId('run-for-done')).toHaveText(/^Ran 10 min of simulated time in [\d.]+ m?s/,
    { timeout: 60_000 });
  const seen = await progressSeen(page);
  const values = seen.map((s) => s.value);
  console.log(`run for 10 min: ${await page.getByTestId('run-for-done').textContent()} ` +
    `(progress bar seen at ${seen.length} values)`);
  expect(seen.length).toBeGreaterThan(1);
  expect(seen.every((s) => s.visible)).toBe(true);
  expect(new Set(values).size).toBeGreaterThan(1);
  expect(values).toEqual([...values].sort((a, b) => a - b));
  expect(await simMs(page)).toBe(from + 600_000);
  await expect(page.getByTestId('run-for-progress')).toHaveCount(0);
  await expect(page.getByTestId('play')).toHaveText('▶ Play');
  await page.screenshot({ path: 'target/e2e/fastforward.png', fullPage: true });

  // Cancel: a 1 h run stops early, and the page plays on afterwards.
  const cancelFrom = await simMs(page);
  await startAndCancel(page, '1 h', 'click');
  await expect(page.getByTestId('run-for-done')).toHaveText(/^Cancelled after /);
  const cancelledAt = await simMs(page);
  expect(cancelledAt).toBeGreaterThan(cancelFrom);
  expect(cancelledAt).toBeLessThan(cancelFrom + 3_600_000);
  await page.waitForTimeout(300);
  expect(await simMs(page)).toBe(cancelledAt);

  // Escape does the same; the focus is on Cancel, which took over from Run.
  const focused = await startAndCancel(page, '1 h', 'Escape');
  expect(focused).toBe('run-for-cancel');
  await expect(page.getByTestId('run-for-done')).toHaveText(/^Cancelled after /);
  const escapedAt = await simMs(page);
  expect(escapedAt).toBeLessThan(cancelledAt + 3_600_000);
  await expect(page.getByTestId('run-for-start')).toBeFocused();

  await page.getByTestId('speed').selectOption('10');
  await page.getByTestId('play').click();
  await expect.poll(async () => simMs(page)).toBeGreaterThan(escapedAt + 1_000);
  await page.getByTestId('play').click();
  expect(errors).toEqual([]);
});
