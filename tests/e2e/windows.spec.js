// The Windows view in headless Chromium. IoT: stream time and the watermark move as records come,
// and a delayed reading is marked late on the event-time axis. Taxi: its late
// output lists records with their lateness, and the window-type switch turns the 15-minute tumbling
// windows into hopping ones (each trip in three windows) and sessions. Saves
// target/e2e/windows-taxi-tumbling.png, windows-taxi-hopping.png and windows-iot.png.
const { test, expect } = require('@playwright/test');

const num = async (locator) => Number((await locator.textContent()).trim());

test('windows: stream time moves, late records are listed, the type switches', async ({ page }) => {
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/');
  await page.getByTestId('tab-pane1-windows').click();
  await expect(page.getByTestId('window-title')).toHaveText('Sliding windows, time difference 10 s, grace 2 s');
  await page.getByTestId('speed').selectOption('10');
  await page.getByTestId('play').click();
  await expect(page.getByTestId('stream-time')).toBeVisible({ timeout: 20_000 });
  const first = await page.getByTestId('stream-time').textContent();
  await expect.poll(async () => page.getByTestId('stream-time').textContent(), { timeout: 20_000 }).not.toBe(first);
  await expect(page.locator('svg.axis .win').first()).toBeAttached();
  await expect(page.locator('svg.axis .stream-time-line').first()).toBeAttached();
  // One partition gets no sensor: the watermark waits until it has been idle for 5 s, then moves.
  await expect.poll(async () => page.getByTestId('watermark').textContent(), { timeout: 20_000 }).not.toBe('none');
  const watermark = await page.getByTestId('watermark').textContent();
  await expect.poll(async () => page.getByTestId('watermark').textContent(), { timeout: 20_000 }).not.toBe(watermark);
  await expect(page.locator('svg.axis .watermark-line').first()).toBeAttached();
  // The processing-time / event-time plot: one dot per recent record.
  await expect(page.locator('svg.scatter circle.dot').first()).toBeAttached();
  // Every 25th reading comes 15 s late, after its sliding windows closed: marked on the axis and listed.
  await expect.poll(async () => num(page.getByTestId('late')), { timeout: 30_000 }).toBeGreaterThan(0);
  await expect(page.locator('svg.axis .late-mark').first()).toBeAttached();
  await page.getByTestId('play').click();
  await page.screenshot({ path: 'target/e2e/windows-iot.png', fullPage: true });

  // Taxi: the file is far from time order, so some trips come after their window closed.
  await page.getByTestId('preset').selectOption('taxi');
  await expect(page.locator('header .tagline')).toContainText('NYC TLC yellow-taxi trips');
  await expect(page.getByTestId('window-title')).toHaveText('Tumbling windows of 15 min, grace 1 h');
  await page.getByTestId('speed').selectOption('50');
  await page.getByTestId('play').click();
  await expect.poll(async () => num(page.getByTestId('late')), { timeout: 60_000 }).toBeGreaterThan(0);
  await page.getByTestId('play').click();
  const late = page.getByTestId('late-output');
  await late.locator('summary').click();
  await expect(late.locator('table.late tbody tr').first()).toBeVisible();
  // Each late record shows its lateness: more than the grace of an hour.
  await expect(late.locator('table.late tbody tr td').last()).toHaveText(/^\d+\.\d (h|d)$/);
  await page.screenshot({ path: 'target/e2e/windows-taxi-tumbling.png', fullPage: true });

  // Hopping: the same 15 minutes, a window every 5.
  await page.getByTestId('window-type').selectOption('hopping');
  await expect(page.getByTestId('window-title')).toHaveText('Hopping windows of 15 min, advancing by 5 min, grace 1 h');
  await page.getByTestId('play').click();
  await expect.poll(async () => page.locator('table.windows tbody tr').first().locator('.window').count(), { timeout: 60_000 })
    .toBeGreaterThan(2);
  await page.getByTestId('play').click();
  // Overlapping windows stack on the axis: some window is drawn below the first lane.
  await expect.poll(async () => page.locator('svg.axis .win rect').evaluateAll(
    (rects) => rects.filter((r) => Number(r.getAttribute('y')) > 10).length)).toBeGreaterThan(0);
  await page.screenshot({ path: 'target/e2e/windows-taxi-hopping.png', fullPage: true });

  // Processing time: the run's own clock, in order: nothing is late.
  await page.getByTestId('window-time').selectOption('processing');
  await expect(page.getByTestId('window-time')).toHaveValue('processing');
  await page.getByTestId('run-for').selectOption({ label: 'to the end of the input' });
  await page.getByTestId('run-for-start').click();
  await expect(page.getByTestId('run-for-done')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('late')).toHaveText('0');
  await page.getByTestId('window-time').selectOption('event');

  // Bids: the first bid of each auction, by both rules; in file order they agree.
  await page.getByTestId('preset').selectOption('bids');
  await page.getByTestId('run-for').selectOption({ label: 'to the end of the input' });
  await page.getByTestId('run-for-start').click();
  await expect(page.getByTestId('run-for-done')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('dedupe')).toContainText('628 ids kept');
  await expect(page.getByTestId('dedupe-disagreements')).toHaveText('0');
  await page.getByTestId('preset').selectOption('taxi');

  // And back, through sessions.
  await page.getByTestId('window-type').selectOption('session');
  await expect(page.getByTestId('window-title')).toHaveText('Session windows, inactivity gap 15 min, grace 1 h');
  await page.getByTestId('window-type').selectOption('tumbling');
  await expect(page.getByTestId('window-title')).toHaveText('Tumbling windows of 15 min, grace 1 h');
  expect(errors).toEqual([]);
});
